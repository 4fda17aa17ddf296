/**
 * `npm run bench`: MAB load against the real daemon code (startDaemon: real UDP on loopback,
 * real SQLite, decision events, duplicate cache, latency histogram all on), driven by
 * FreeRADIUS's radclient with 128 requests in flight over a registry of 10,000 devices.
 * Several rounds; prints median and spread, and the in-process decision latency.
 *
 * Options (env): BENCH_DEVICES (10000), BENCH_REQUESTS per round (50000), BENCH_ROUNDS (5),
 * BENCH_PARALLEL (128), BENCH_UNKNOWN_PCT (10), BENCH_DISTINCT (1000: distinct requests in the
 * file, repeated with radclient -c; radclient itself slows down on large request files).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { formatMac } from '../../src/policy/mac.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import type { NewDevice } from '../../src/store/types.js';
import { fmt, median, summary } from './stats.js';

const N_DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
const N_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50_000);
const DISTINCT = Number(process.env.BENCH_DISTINCT ?? 1_000);
const REPEAT = Math.max(1, Math.round(N_REQUESTS / DISTINCT));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 128);
const UNKNOWN_PCT = Number(process.env.BENCH_UNKNOWN_PCT ?? 10);
const SECRET = 'bench-secret-' + Math.random().toString(36).slice(2);
const AP = '11-22-33-44-55-66';

/** Devices are numbered from a fixed OUI-like prefix so known and unknown MACs never collide. */
const macOf = (i: number): string => formatMac(0x02_00_5e_00_00_00 + i);

interface RoundResult {
  readonly seconds: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly lost: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly cpuUsPerRequest: number;
}

function radclientRound(port: number, file: string): Promise<{ seconds: number; accepted: number; rejected: number; lost: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('radclient', ['-q', '-s', '-p', String(PARALLEL), '-c', String(REPEAT), '-t', '5', '-r', '3', '-f', file, `127.0.0.1:${port}`, 'auth', SECRET], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const num = (label: string): number => Number(out.match(new RegExp(`${label}\\s*:\\s*(\\d+)`))?.[1] ?? NaN);
      resolve({ seconds, accepted: num('Accepted'), rejected: num('Rejected'), lost: num('Lost') });
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-bench-'));
  try {
    const configFile = path.resolve('config/lanyard.yaml');
    const config = loadConfig(configFile, {
      overrides: { database: path.join(dir, 'bench.db'), authPort: 0, acctPort: 0 },
      env: { ...process.env, LANYARD_LOOPBACK_SECRET: SECRET },
    });

    // Registry: N devices spread over the six classes.
    const classes = [...config.policy.classes.values()];
    const devices: NewDevice[] = [];
    for (let i = 0; i < N_DEVICES; i++) devices.push({ mac: macOf(i), className: classes[i % classes.length]!.name, owner: `person ${i % 3000}`, source: 'bench' });
    const seedDb = openDatabase(config.store.database);
    new SqliteDeviceRepository(seedDb).addMany(devices, 'bench', Date.now());
    seedDb.close();

    // Request file: one MAB request per paragraph, each device on its class's SSID, plus unknowns.
    const ssidOf = (cls: string): string => config.policy.networks.get(config.policy.classes.get(cls)!.network)!.ssids[0]!;
    const lines: string[] = [];
    for (let i = 0; i < DISTINCT; i++) {
      const unknown = (i * 7919) % 100 < UNKNOWN_PCT;
      const idx = unknown ? N_DEVICES + i : (i * 7919 * 13) % N_DEVICES;
      const mac = macOf(idx);
      const ssid = unknown ? 'DCPS' : ssidOf(devices[idx]!.className);
      const bare = mac.replace(/-/g, '').toLowerCase();
      lines.push(
        `User-Name = "${bare}"\nUser-Password = "${bare}"\nService-Type = Call-Check\nCalling-Station-Id = "${mac}"\n` +
          `Called-Station-Id = "${AP}:${ssid}"\nNAS-IP-Address = 127.0.0.1\nNAS-Port-Type = Wireless-802.11\nMessage-Authenticator = 0x00\n`,
      );
    }
    const requestFile = path.join(dir, 'requests.txt');
    writeFileSync(requestFile, lines.join('\n'));

    const t0 = performance.now();
    const daemon = await startDaemon(config, createLogger('silent'));
    const startupMs = performance.now() - t0;
    const rt = daemon.runtime;

    // Warm-up round (JIT, socket buffers), not reported.
    await radclientRound(daemon.authPort, requestFile);

    const results: RoundResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      rt.latency.reset();
      const cpu0 = process.cpuUsage();
      const round = await radclientRound(daemon.authPort, requestFile);
      const cpu = process.cpuUsage(cpu0);
      const answered = round.accepted + round.rejected;
      results.push({
        ...round,
        rps: answered / round.seconds,
        p50: rt.latency.percentile(50),
        p99: rt.latency.percentile(99),
        p999: rt.latency.percentile(99.9),
        cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, answered),
      });
    }
    const events = (daemon.db.prepare('SELECT count(*) AS n FROM decision_events').get() as { n: number }).n;
    const rss = process.memoryUsage().rss;
    await daemon.stop();

    const col = (f: (r: RoundResult) => number, d = 0): string => summary(results.map(f), d);
    process.stdout.write(
      [
        `Lanyard MAB benchmark — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`,
        `registry ${fmt(N_DEVICES)} devices; ${fmt(DISTINCT * REPEAT)} requests/round (${fmt(DISTINCT)} distinct × ${REPEAT}, ~${UNKNOWN_PCT} % unknown MACs); radclient -p ${PARALLEL}; ${ROUNDS} rounds after 1 warm-up`,
        `daemon start-up (cache warm from SQLite): ${fmt(startupMs, 1)} ms; RSS at end ${fmt(rss / 2 ** 20, 1)} MiB`,
        '',
        'figure                          median (min–max, spread)',
        `requests/s                      ${col((r) => r.rps)}`,
        `lost requests per round         ${col((r) => r.lost)}`,
        `server CPU µs per request       ${col((r) => r.cpuUsPerRequest, 2)}`,
        `decision latency p50 (µs)       ${col((r) => r.p50, 1)}`,
        `decision latency p99 (µs)       ${col((r) => r.p99, 1)}`,
        `decision latency p99.9 (µs)     ${col((r) => r.p999, 1)}`,
        '',
        `accept/reject per round: ${fmt(median(results.map((r) => r.accepted)))} / ${fmt(median(results.map((r) => r.rejected)))}; decision events stored: ${fmt(events)}; ` +
          `retransmissions answered from the duplicate cache: ${fmt(rt.counters.duplicatesResent)}`,
        'Latency is server-side, from datagram receipt to reply encoded, measured in-process with the',
        'production histogram. Requests/s is bounded by radclient on the same 2-core machine; compare',
        'CPU µs per request across servers (npm run bench:radius, issue 5) rather than requests/s alone.',
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
