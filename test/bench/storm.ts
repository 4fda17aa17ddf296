/**
 * `npm run bench:storm`: after a power cut every access point re-authenticates its clients at
 * once. 300 simulated APs (each its own UDP socket on its own loopback address, 127.0.1.x-
 * 127.0.2.x) send 50,000 MAB Access-Requests within 5 seconds to a Lanyard daemon running as
 * a separate process, and retransmit unanswered requests like a NAS does (same Identifier and
 * authenticator, after 2 s, twice). It reports: answered, lost, how many decisions the daemon
 * took (must equal the distinct requests: none decided twice), retransmissions answered from
 * the duplicate cache, drops by cause, and the daemon's peak RSS.
 *
 * Env: STORM_APS (300), STORM_REQUESTS (50000), STORM_SECONDS (5), STORM_DEVICES (10000).
 * Traffic stays on 127.0.0.0/8.
 */
import { SERVE_NODE_FLAGS } from '../../src/cli/node-flags.js';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { formatMac } from '../../src/policy/mac.js';
import { Attr, Code, encodeOctets, encodeRequest, encodeString, hidePassword } from '../../src/protocols/radius/index.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import type { NewDevice } from '../../src/store/types.js';
import { freeUdpPorts, installCleanup, sleep, startServer } from './freeradius.js';
import { fmt } from './stats.js';

const APS = Number(process.env.STORM_APS ?? 300);
const REQUESTS = Number(process.env.STORM_REQUESTS ?? 50_000);
const SECONDS = Number(process.env.STORM_SECONDS ?? 5);
const DEVICES = Number(process.env.STORM_DEVICES ?? 10_000);
const RETRY_MS = 2000;
const RETRIES = 2;
const SECRET = 'storm-' + crypto.randomBytes(12).toString('hex');

interface Pending {
  readonly packet: Buffer;
  sent: number;
  tries: number;
  answered: number;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  installCleanup();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-storm-'));
  try {
    // The default policy, with the loopback NAS widened to every simulated AP's address.
    const yaml = readFileSync(path.resolve('config/lanyard.yaml'), 'utf8').replace(/address: 127\.0\.0\.1\b/, 'address: 127.0.0.0/8');
    const configFile = path.join(dir, 'storm.yaml');
    writeFileSync(configFile, yaml.replace(/^dataDir: .*$/m, `dataDir: ${dir}`));
    const db = path.join(dir, 'storm.db');
    const config = loadConfig(configFile, { overrides: { database: db }, env: { LANYARD_LOOPBACK_SECRET: SECRET } });
    const classes = [...config.policy.classes.values()];
    const devices: NewDevice[] = [];
    for (let i = 0; i < DEVICES; i++) devices.push({ mac: formatMac(0x02_5e_00_00_00_00 + i), className: classes[i % classes.length]!.name, source: 'bench' });
    const seed = openDatabase(db);
    new SqliteDeviceRepository(seed).addMany(devices, 'bench', Date.now());
    seed.close();
    const ssidOf = (cls: string): string => config.policy.networks.get(config.policy.classes.get(cls)!.network)!.ssids[0]!;

    const [authPort] = await freeUdpPorts(1);
    const server = startServer('lanyard', process.execPath, [
      ...SERVE_NODE_FLAGS, path.resolve('dist/src/main.js'), 'serve', '--config', configFile, '--db', db,
      '--auth-port', String(authPort), '--acct-port', '0', '--api-port', '0', '--log-level', 'info',
    ], { ...process.env, LANYARD_LOOPBACK_SECRET: SECRET });
    let stats: Record<string, unknown> | null = null;
    server.onStderrLine = (line) => {
      if (line.includes('"msg":"stats"')) stats = JSON.parse(line) as Record<string, unknown>;
    };
    for (let i = 0; i < 300 && !server.recent.some((l) => l.includes('lanyard listening')); i++) await sleep(50);
    if (!server.recent.some((l) => l.includes('lanyard listening'))) throw new Error(`Lanyard did not start:\n${server.recent.join('\n')}`);
    const rssStart = rssMiB(server.pid);

    // 300 APs, each with its own source address and its own share of the requests.
    const secret = Buffer.from(SECRET);
    const perAp = Math.ceil(REQUESTS / APS);
    const aps: { socket: dgram.Socket; pending: Map<number, Pending> }[] = [];
    let answeredTwice = 0;
    let wrongReply = 0;
    for (let a = 0; a < APS; a++) {
      const address = `127.0.${1 + (a >> 8)}.${a & 255}`;
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind({ address, port: 0 }, () => resolve()));
      const pending = new Map<number, Pending>();
      socket.on('message', (reply) => {
        const p = pending.get(reply[1]!);
        if (p === undefined) return;
        if (reply[0] !== Code.AccessAccept && reply[0] !== Code.AccessReject) wrongReply++;
        p.answered++;
        if (p.answered === 2) answeredTwice++; // a retransmission answered as well: same bytes, no new decision
      });
      aps.push({ socket, pending });
    }
    let n = 0;
    const packets: { ap: number; id: number; packet: Buffer }[] = [];
    for (let a = 0; a < APS && n < REQUESTS; a++) {
      const apMac = formatMac(0x00_11_22_00_00_00 + a);
      for (let id = 0; id < perAp && id < 256 && n < REQUESTS; id++, n++) {
        const unknown = n % 10 === 9;
        const d = unknown ? null : devices[(n * 7919) % DEVICES]!;
        const mac = unknown ? formatMac(0x02_5f_00_00_00_00 + n) : d!.mac;
        const bare = mac.replace(/-/g, '').toLowerCase();
        const authenticator = crypto.randomBytes(16);
        const attributes = Buffer.concat([
          encodeString(Attr.UserName, bare),
          encodeOctets(Attr.UserPassword, hidePassword(bare, secret, authenticator)),
          encodeString(Attr.CallingStationId, mac),
          encodeString(Attr.CalledStationId, `${apMac}:${unknown ? 'DCPS' : ssidOf(d!.className)}`),
        ]);
        packets.push({ ap: a, id, packet: encodeRequest({ code: Code.AccessRequest, identifier: id, authenticator, attributes, secret, messageAuthenticator: true }) });
      }
    }
    // Spread the first transmissions evenly over SECONDS, in 10 ms ticks.
    let rssPeak = rssStart;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(server.pid))), 100);
    const t0 = performance.now();
    const ticks = Math.max(1, Math.round((SECONDS * 1000) / 10));
    const perTick = Math.ceil(packets.length / ticks);
    for (let t = 0, i = 0; t < ticks && i < packets.length; t++) {
      const until = t0 + t * 10;
      while (performance.now() < until) await sleep(1);
      for (let k = 0; k < perTick && i < packets.length; k++, i++) {
        const { ap, id, packet } = packets[i]!;
        aps[ap]!.pending.set(id, { packet, sent: performance.now(), tries: 1, answered: 0 });
        aps[ap]!.socket.send(packet, authPort!, '127.0.0.1');
      }
    }
    const sendSeconds = (performance.now() - t0) / 1000;
    // Retransmit what is unanswered, like a NAS (bounded: RETRIES times, RETRY_MS apart).
    for (let r = 0; r < RETRIES; r++) {
      await sleep(RETRY_MS);
      for (const ap of aps) {
        for (const p of ap.pending.values()) {
          if (p.answered === 0 && p.tries <= RETRIES) {
            p.tries++;
            ap.socket.send(p.packet, authPort!, '127.0.0.1');
          }
        }
      }
    }
    await sleep(RETRY_MS);
    clearInterval(sampler);
    process.kill(server.pid, 'SIGUSR2');
    for (let i = 0; i < 100 && stats === null; i++) await sleep(50);

    let answered = 0;
    let lost = 0;
    let retransmitted = 0;
    for (const ap of aps) {
      for (const p of ap.pending.values()) {
        if (p.answered > 0) answered++;
        else lost++;
        retransmitted += p.tries - 1;
      }
      ap.socket.close();
    }
    await server.stop();
    const s = (stats ?? {}) as { accepts?: number; rejects?: number; duplicatesResent?: number; drops?: Record<string, number> };
    const decisions = (s.accepts ?? NaN) + (s.rejects ?? NaN);
    const drops = Object.entries(s.drops ?? {}).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'none';
    process.stdout.write(
      [
        `Lanyard storm — ${os.cpus().length} cores, Node ${process.version}; registry ${fmt(DEVICES)} devices`,
        `${fmt(packets.length)} Access-Requests from ${APS} simulated APs, sent over ${fmt(sendSeconds, 2)} s; retransmission after ${RETRY_MS / 1000} s, ${RETRIES}×`,
        '',
        `answered                         ${fmt(answered)} of ${fmt(packets.length)} (${fmt((answered / packets.length) * 100, 2)} %)`,
        `lost (no answer after retries)   ${fmt(lost)}`,
        `retransmissions sent             ${fmt(retransmitted)}; answered from the duplicate cache: ${fmt(s.duplicatesResent ?? NaN)}`,
        `requests that got two replies    ${fmt(answeredTwice)} (a retransmission of a request already answered: same bytes, no new decision)`,
        `decisions taken by the daemon    ${fmt(decisions)} (distinct requests: ${fmt(packets.length)}; decided twice: ${fmt(Math.max(0, decisions - packets.length))})`,
        `replies of a wrong code          ${fmt(wrongReply)}`,
        `drops by cause                   ${drops}`,
        `daemon RSS                       ${fmt(rssStart, 1)} MiB at start, ${fmt(rssPeak, 1)} MiB peak`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
