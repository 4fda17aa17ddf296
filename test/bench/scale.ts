/**
 * `npm run bench:scale` (issue 5: 100,000 registered devices in under 150 MB RSS, start-up
 * under 2 s): how long the daemon takes to start, and how much memory it holds, with a large
 * registry and with an empty one, so the devices' share is visible.
 *
 * Two temp data dirs, each with a copy of config/lanyard.yaml (admin API on, as `npm start`
 * runs it; only the ports changed to 0 so nothing collides): one with BENCH_DEVICES devices
 * spread over the configured classes (registered through the store, as an import would), one
 * empty (its database created beforehand, so no start pays for creating it). Each round starts
 * `node <SERVE_NODE_FLAGS> dist/src/main.js serve --config <copy>` for the empty registry, then
 * for the full one, and measures: spawn → the "started" log line (wall ms), the daemon's CPU
 * to that moment (/proc/<pid>/stat, all threads), the start-up phases the "started" line
 * reports (startupMs), that the first MAB Access-Request after "started" gets the right answer
 * (radclient: Accept with the class's VLAN for a registered device, Reject for an unknown one),
 * RSS 1.5 s after "started" (/proc/<pid>/status VmRSS), and the time SIGTERM takes to stop it.
 *
 * Env: BENCH_DEVICES (100000), BENCH_ROUNDS (5), BENCH_WARMUP starts per registry not counted
 * (1), BENCH_RSS_AFTER_MS (1500), BENCH_NODE_FLAGS (the daemon's, from src/cli/node-flags.ts),
 * BENCH_LANYARD_MAIN (dist/src/main.js; another build's, to compare: the registry is written by
 * this checkout's store code, so the other build must know its schema).
 * Traffic stays on 127.0.0.1; every process started is stopped, the temp dir removed.
 */
import { SERVE_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { LanyardConfig } from '../../src/config/types.js';
import { formatMac } from '../../src/policy/mac.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import type { NewDevice } from '../../src/store/types.js';
import { atExit, ensureFreeradius, installCleanup, radclientOnce, replyAttributes, sleep, startServer, type Server } from './freeradius.js';
import { envNumber, fmt, machineCpuUs, median, procCpuUs, summary } from './stats.js';

const N_DEVICES = envNumber('BENCH_DEVICES', 100_000, true);
const ROUNDS = Math.max(1, envNumber('BENCH_ROUNDS', 5, true));
const WARMUP = envNumber('BENCH_WARMUP', 1, true);
const RSS_AFTER_MS = envNumber('BENCH_RSS_AFTER_MS', 1500, true);
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? SERVE_NODE_FLAGS.join(' ')).split(' ').filter((f) => f !== '');
/** How long a start may take before the benchmark gives up on it. */
const START_TIMEOUT_MS = 60_000;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.resolve(process.env.BENCH_LANYARD_MAIN ?? path.join(ROOT, 'dist/src/main.js'));
const SECRET = 'bench-scale-' + Math.random().toString(36).slice(2);
const AP = '11-22-33-44-55-66';
/** The phases of the "started" line's startupMs, in order (src/cli/serve.ts). */
const PHASES = ['modules', 'config', 'store', 'cache', 'radius', 'api'] as const;

const macOf = (i: number): string => formatMac(0x02_00_5e_00_00_00 + i);

interface Start {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly rssMiB: number;
  /** startupMs from the "started" line (phases and total), empty when the build does not report them. */
  readonly phases: Readonly<Record<string, number>>;
  /** "started" → the probe's answer, including radclient's own start. */
  readonly answerMs: number;
  readonly stopMs: number;
  /** CPU cores other processes used during the start (the machine is shared). */
  readonly otherCores: number;
}

interface Registry {
  readonly label: string;
  readonly configFile: string;
  /** A MAB request and what its answer must be. */
  readonly probe: { readonly attrs: string; readonly accept: boolean; readonly vlan: number | null };
}

function mabRequest(mac: string, ssid: string): string {
  const user = mac.toLowerCase();
  return (
    `User-Name = "${user}"\nUser-Password = "${user}"\nService-Type = Call-Check\nCalling-Station-Id = "${mac}"\n` +
    `Called-Station-Id = "${AP}:${ssid}"\nNAS-IP-Address = 127.0.0.1\nNAS-Port-Type = Wireless-802.11\nMessage-Authenticator = 0x00\n`
  );
}

/** A copy of config/lanyard.yaml in `dir`/config (its dataDir, ../data, then lies inside `dir`), on free ports. */
function writeConfig(dir: string): { file: string; config: LanyardConfig } {
  mkdirSync(path.join(dir, 'config'), { recursive: true });
  const doc = parseDocument(readFileSync(path.join(ROOT, 'config/lanyard.yaml'), 'utf8'));
  doc.setIn(['radius', 'authPort'], 0);
  doc.setIn(['radius', 'acctPort'], 0);
  doc.setIn(['api', 'port'], 0);
  doc.setIn(['log', 'level'], 'info');
  const file = path.join(dir, 'config', 'lanyard.yaml');
  writeFileSync(file, String(doc));
  return { file, config: loadConfig(file, { env: { LANYARD_LOOPBACK_SECRET: SECRET } }) };
}

/** Waits (bounded) for the JSON log line whose msg is `msg`, and answers it parsed, with the moment it arrived. */
function waitForLogLine(server: Server, msg: string, timeoutMs: number, onLine: () => void): Promise<{ line: Record<string, unknown>; at: bigint }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.onStderrLine = null;
      reject(new Error(`no "${msg}" line within ${timeoutMs / 1000} s:\n${server.recent.slice(-20).join('\n')}`));
    }, timeoutMs);
    server.child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited while starting (exit ${code}, signal ${signal}):\n${server.recent.slice(-20).join('\n')}`));
    });
    server.onStderrLine = (text) => {
      if (!text.includes(`"msg":"${msg}"`)) return;
      const at = process.hrtime.bigint();
      onLine(); // at once: the CPU figure is read before the daemon does anything more
      clearTimeout(timer);
      server.onStderrLine = null;
      resolve({ line: JSON.parse(text) as Record<string, unknown>, at });
    };
  });
}

const rssMiB = (pid: number): number => Number(/^VmRSS:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const msSince = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e6;

async function startOnce(registry: Registry, radclient: string): Promise<Start> {
  const m0 = machineCpuUs();
  const spawned = process.hrtime.bigint();
  const server = startServer('Lanyard', process.execPath, [...NODE_FLAGS, MAIN, 'serve', '--config', registry.configFile], { ...process.env, LANYARD_LOOPBACK_SECRET: SECRET });
  try {
    let cpuUs = NaN;
    const started = await waitForLogLine(server, 'started', START_TIMEOUT_MS, () => (cpuUs = procCpuUs(server.pid)));
    const wallMs = Number(started.at - spawned) / 1e6;
    const m1 = machineCpuUs();
    const authPort = started.line.authPort;
    if (typeof authPort !== 'number') throw new Error(`the "started" line has no authPort: ${JSON.stringify(started.line)}`);

    // The first request after "started" must already see every device (the cache is loaded before the sockets are bound).
    const reply = radclientOnce(radclient, authPort, SECRET, 'auth', registry.probe.attrs, 2, 1);
    const answerMs = msSince(started.at);
    const accepted = reply.code === 0;
    const vlan = replyAttributes(reply.output).find((a) => a.startsWith('Tunnel-Private-Group-Id'));
    if (accepted !== registry.probe.accept || (registry.probe.vlan !== null && vlan !== `Tunnel-Private-Group-Id = "${registry.probe.vlan}"`)) {
      throw new Error(`${registry.label}: the first request after "started" got radclient exit ${reply.code} (${vlan ?? 'no VLAN'}), expected ${registry.probe.accept ? `Accept with VLAN ${registry.probe.vlan}` : 'Reject'}:\n${reply.output}`);
    }

    await sleep(Math.max(0, RSS_AFTER_MS - msSince(started.at)));
    const rss = rssMiB(server.pid);
    const phases = typeof started.line.startupMs === 'object' && started.line.startupMs !== null ? (started.line.startupMs as Record<string, number>) : {};

    const t = process.hrtime.bigint();
    await server.stop(10_000);
    const stopMs = msSince(t);
    if (server.child.exitCode !== 0) throw new Error(`${registry.label}: the daemon did not exit cleanly on SIGTERM (exit ${server.child.exitCode}, signal ${server.child.signalCode}):\n${server.recent.slice(-20).join('\n')}`);
    const otherCores = Math.max(0, m1.busy - m0.busy - cpuUs) / (wallMs * 1000);
    return { wallMs, cpuMs: cpuUs / 1000, rssMiB: rss, phases, answerMs, stopMs, otherCores };
  } finally {
    await server.stop(10_000);
  }
}

async function main(): Promise<void> {
  installCleanup();
  const tools = ensureFreeradius();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-bench-scale-'));
  atExit(() => rmSync(dir, { recursive: true, force: true }));

  // ---- Two registries: empty, and N_DEVICES devices over the configured classes
  const empty = writeConfig(path.join(dir, 'empty'));
  const full = writeConfig(path.join(dir, 'full'));
  const policy = full.config.policy;
  const classes = [...policy.classes.values()];
  const ssidOf = (className: string): string => policy.networks.get(policy.classes.get(className)!.network)!.ssids[0]!;
  const unknownNetwork = [...policy.networks.values()].find((n) => n.unknownDevices.action === 'reject');
  if (unknownNetwork === undefined) throw new Error('config/lanyard.yaml has no network that rejects unknown devices (needed for the empty registry\'s probe)');

  openDatabase(empty.config.store.database).close();
  const devices: NewDevice[] = [];
  for (let i = 0; i < N_DEVICES; i++) devices.push({ mac: macOf(i), className: classes[i % classes.length]!.name, owner: `person ${i % 3000}`, source: 'bench' });
  process.stderr.write(`bench:scale: registering ${fmt(N_DEVICES)} devices\n`);
  const seedStart = process.hrtime.bigint();
  const db = openDatabase(full.config.store.database);
  new SqliteDeviceRepository(db).addMany(devices, 'bench', Date.now());
  db.close();
  const seedS = msSince(seedStart) / 1000;

  const registries: Registry[] = [
    { label: 'empty registry', configFile: empty.file, probe: { attrs: mabRequest(macOf(0), unknownNetwork.ssids[0]!), accept: false, vlan: null } },
  ];
  if (N_DEVICES > 0) {
    // The last device registered: an Accept on its class's network, with that network's VLAN.
    const last = devices[N_DEVICES - 1]!;
    const net = policy.networks.get(policy.classes.get(last.className)!.network)!;
    registries.push({ label: `${fmt(N_DEVICES)} devices`, configFile: full.file, probe: { attrs: mabRequest(last.mac, ssidOf(last.className)), accept: true, vlan: net.vlan } });
  }

  // ---- Rounds, alternating the registries so a change in the machine's load hits both
  const results = new Map<string, Start[]>(registries.map((r) => [r.label, []]));
  for (let round = -WARMUP; round < ROUNDS; round++) {
    for (const r of registries) {
      const s = await startOnce(r, tools.radclient);
      if (round >= 0) results.get(r.label)!.push(s);
      process.stderr.write(`bench:scale: ${round < 0 ? 'warm-up' : `round ${round + 1}/${ROUNDS}`}, ${r.label}: started in ${fmt(s.wallMs)} ms (${fmt(s.cpuMs)} ms CPU), RSS ${fmt(s.rssMiB, 1)} MiB\n`);
    }
  }

  // ---- Report
  const cols = registries.map((r) => results.get(r.label)!);
  const pad = (s: string, w: number): string => (s.length >= w ? s + ' ' : s + ' '.repeat(w - s.length));
  const row = (label: string, values: readonly string[]): string => pad(label, 34) + values.map((v) => pad(v, 36)).join('');
  const stat = (f: (s: Start) => number, d = 0): string[] => cols.map((c) => summary(c.map(f), d));
  const phase = (name: string) => (s: Start): number => s.phases[name] ?? NaN;
  const hasPhases = cols.every((c) => c.every((s) => typeof s.phases.total === 'number'));
  const diff = (f: (s: Start) => number, d = 0): string => (cols.length < 2 ? '' : `${fmt(median(cols[1]!.map(f)) - median(cols[0]!.map(f)), d)}`);
  const cpu = os.cpus();
  const out = [
    `Lanyard start-up and memory — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), Linux ${os.release()}, load average ${os.loadavg().map((l) => fmt(l, 2)).join(' ')}; Node ${process.version}`,
    `daemon: node ${NODE_FLAGS.join(' ')} ${MAIN.startsWith(ROOT + path.sep) ? path.relative(ROOT, MAIN) : MAIN} serve --config <copy of config/lanyard.yaml> (admin API on; ports 0)`,
    `registry: ${fmt(N_DEVICES)} devices over ${classes.length} classes, registered in ${fmt(seedS, 1)} s; ${WARMUP} warm-up start(s) each, then ${ROUNDS} rounds alternating the registries`,
    `start-up = spawn → the "started" log line; CPU = the daemon's user+system to that line; RSS ${fmt(RSS_AFTER_MS)} ms after it`,
    '',
    row('median (min–max, spread)', [...registries.map((r) => r.label), ...(cols.length > 1 ? ['difference of medians'] : [])]),
    row('start-up, wall ms', [...stat((s) => s.wallMs), diff((s) => s.wallMs)]),
    row('start-up, CPU ms', [...stat((s) => s.cpuMs), diff((s) => s.cpuMs)]),
    row(`RSS after ${fmt(RSS_AFTER_MS)} ms, MiB`, [...stat((s) => s.rssMiB, 1), diff((s) => s.rssMiB, 1)]),
    row('  the same in MB', [...stat((s) => (s.rssMiB * 2 ** 20) / 1e6, 1), diff((s) => (s.rssMiB * 2 ** 20) / 1e6, 1)]),
    row('"started" → first answer, ms', stat((s) => s.answerMs)),
    row('SIGTERM → exit, ms', stat((s) => s.stopMs)),
    row('other processes, CPU cores', stat((s) => s.otherCores, 2)),
    ...(hasPhases
      ? [
          '',
          'start-up phases from the "started" line (startupMs, wall ms):',
          ...PHASES.map((p) => row(`  ${p}`, [...stat(phase(p)), diff(phase(p))])),
          row('  total (process start → line)', [...stat(phase('total')), diff(phase('total'))]),
        ]
      : ['', 'this build\'s "started" line reports no start-up phases (startupMs)']),
    '',
    ...registries.map((r, i) => `rounds, ${r.label}: wall ms ${cols[i]!.map((s) => fmt(s.wallMs)).join(' ')}; CPU ms ${cols[i]!.map((s) => fmt(s.cpuMs)).join(' ')}; RSS MiB ${cols[i]!.map((s) => fmt(s.rssMiB, 1)).join(' ')}`),
    ...(median(cols.flat().map((s) => s.otherCores)) > 0.15
      ? ['WARNING: other processes were using the CPU during the starts: wall figures are disturbed; the CPU figures much less so.']
      : []),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:scale failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
