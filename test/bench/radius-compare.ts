/**
 * `npm run bench:radius` (issue 5): Lanyard against FreeRADIUS 3.2, the reference server,
 * measured the same way in one run on the same machine.
 *
 * Both servers run as separate processes on 127.0.0.1 with the same registry (BENCH_DEVICES
 * MAB devices, each with its class's VLAN and Filter-Id), the same secret, the same
 * BlastRADIUS rule (Message-Authenticator required on requests), and are driven by the same
 * radclient command with the same request file. Rounds alternate F L F L ... after one warm-up
 * each; server CPU comes from /proc/<pid>/stat (all threads) around each round. Lanyard's
 * decision latency comes from its SIGUSR2 stats line when the daemon has that hook, otherwise
 * from an extra in-process run (startDaemon + the production histogram), labelled as such.
 *
 * Options: --quick or BENCH_QUICK=1 (1,000 devices, 2 rounds, 5,000 requests a round), and env
 * BENCH_DEVICES (10000), BENCH_ROUNDS (5), BENCH_DISTINCT requests in the file (1000),
 * BENCH_REPEAT radclient -c (50), BENCH_PARALLEL radclient -p (128), BENCH_UNKNOWN_PCT (10),
 * BENCH_LATENCY auto|hook|inprocess|both (auto), BENCH_LANYARD_MAIN (dist/src/main.js),
 * BENCH_DECISION_WRITER auto|loop|thread (events.decisionWriter in the temp config copy).
 *
 * After the radclient rounds, an open-loop phase (test/bench/open-loop.ts) offers both servers
 * the same fixed rates in turn, BENCH_OPEN_LOOP_PCT (80,50,25,10) % of Lanyard's median
 * requests/s, for BENCH_OPEN_LOOP_SECONDS (5) per round, BENCH_OPEN_LOOP_ROUNDS (3) rounds each
 * alternating, and reports the round trip the client sees: the whole table at the first rate,
 * one line per server at each rate. BENCH_OPEN_LOOP_PCT=0 skips it, and
 * BENCH_OPEN_LOOP_RATE=<requests/s>[,...] offers those rates instead (to compare builds at the
 * same loads).
 */
import { SERVE_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { startDaemon } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { LanyardConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/log.js';
import { formatMac } from '../../src/policy/mac.js';
import * as thisDb from '../../src/store/db.js';
import * as thisDevices from '../../src/store/devices.js';
import type { NewDevice } from '../../src/store/types.js';
import {
  atExit,
  buildFreeradiusTree,
  checkFreeradiusConfig,
  ensureFreeradius,
  freeUdpPorts,
  installCleanup,
  radclientLoad,
  radclientOnce,
  replyAttributes,
  sleep,
  startServer,
  socketsOf,
  waitUntilAnswering,
  type FreeradiusTools,
  type MabUser,
  type RadclientResult,
  type Server,
} from './freeradius.js';
import { MAX_SOCKETS, nativeGenerator, runOpenLoop, runOpenLoopNative, type MabRequestSpec, type OpenLoopOptions, type OpenLoopResult, type Percentiles } from './open-loop.js';
import { fmt, median, procCpuUs, threadCpuUs, ratioOfMedians, summary, udpCounters, machineCpuUs, type LatencyPercentiles, envList, envNumber } from './stats.js';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const envNum = (name: string, dflt: number): number => envNumber(name, dflt, true);
const N_DEVICES = envNum('BENCH_DEVICES', QUICK ? 1_000 : 10_000);
const ROUNDS = Math.max(1, envNum('BENCH_ROUNDS', QUICK ? 2 : 5));
const DISTINCT = Math.max(1, envNum('BENCH_DISTINCT', 1_000));
const REPEAT = Math.max(1, envNum('BENCH_REPEAT', QUICK ? 5 : 50));
const PARALLEL = Math.max(1, envNum('BENCH_PARALLEL', 128));
const UNKNOWN_PCT = Math.min(100, envNum('BENCH_UNKNOWN_PCT', 10));
const LATENCY_MODE = process.env.BENCH_LATENCY ?? 'auto';
/**
 * Open-loop phase: offered rates as percentages of Lanyard's median requests/s, comma-separated
 * (0 = skip). The first is the target's load and gets the full table; every rate gets a line
 * of the sweep, which shows up to which load each server keeps its tail short.
 */
const OPEN_PCTS = envList('BENCH_OPEN_LOOP_PCT', [80, 50, 25, 10]);
const OPEN_PCT = OPEN_PCTS[0] ?? 0;
/** Fixed offered rates (requests/s, comma-separated) instead of percentages, to compare builds at the same loads. */
const OPEN_RATES = envList('BENCH_OPEN_LOOP_RATE', []);
const OPEN_RATE = OPEN_RATES[0] ?? 0;
/**
 * The open loop's sender and receiver: open-loop.c compiled with the system's cc (a few µs of
 * CPU per request), unless BENCH_OPEN_LOOP_CLIENT=node or there is no compiler; the Node loop
 * costs the client as much CPU as the servers, which skews a two-core machine.
 */
const NATIVE_GENERATOR = OPEN_PCT > 0 || OPEN_RATE > 0 ? (process.env.BENCH_OPEN_LOOP_CLIENT === 'node' ? null : nativeGenerator()) : null;
const OPEN_SECONDS = envNumber('BENCH_OPEN_LOOP_SECONDS', QUICK ? 1 : 5);
const OPEN_ROUNDS = Math.max(1, envNum('BENCH_OPEN_LOOP_ROUNDS', QUICK ? 1 : 3));
/** An open-loop request with no valid reply after this long is lost (an access point would retransmit). */
const OPEN_TIMEOUT_MS = 1000;
/**
 * FreeRADIUS's max_requests for the run: 256 Identifiers × the most sockets the open-loop
 * generator may use (FreeRADIUS's own rule: 256 × clients). radclient reuses its Identifiers at
 * once, which makes FreeRADIUS drop the old request; the generator spreads them over many sockets,
 * and with the stock 16,384 FreeRADIUS, which keeps each request 5 s after replying, stops
 * answering within a second at 17,000 requests/s. Unused by the radclient rounds.
 */
const OPEN_MAX_REQUESTS = 256 * MAX_SOCKETS;
/** BENCH_DECISION_WRITER=auto|loop|thread: events.decisionWriter in the temp config copy (unset: the config's own). */
const DECISION_WRITER = process.env.BENCH_DECISION_WRITER ?? null;
if (DECISION_WRITER !== null && !['auto', 'loop', 'thread'].includes(DECISION_WRITER)) throw new Error('BENCH_DECISION_WRITER must be auto, loop or thread');
/**
 * BENCH_PIN=1: each server on CPU 0 and radclient (and the generator) on CPU 1, so the scheduler
 * cannot put them on one core. BENCH_PIN=loop: each server's main thread (Lanyard's event loop,
 * FreeRADIUS's socket reader) alone on CPU 1, and everything else (the servers' other threads,
 * radclient, the generator) on CPU 0: what one core does for the thread every datagram waits for.
 */
const PIN_MODE = os.cpus().length < 2 ? null : process.env.BENCH_PIN === '1' ? 'apart' : process.env.BENCH_PIN === 'loop' ? 'loop' : null;
if (process.env.BENCH_PIN !== undefined && !['', '0', '1', 'loop'].includes(process.env.BENCH_PIN)) throw new Error('BENCH_PIN must be 1 or loop');
const SERVER_CPUS = PIN_MODE === 'apart' ? '0' : null;
const CLIENT_CPUS = PIN_MODE === 'apart' ? '1' : PIN_MODE === 'loop' ? '0' : null;
/** BENCH_PIN=loop, once a server runs all its threads: its main thread on CPU 1, the others on CPU 0. */
function pinMainThreadApart(pid: number): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const r = spawnSync('taskset', ['-p', '-c', tid === String(pid) ? '1' : '0', tid], { stdio: 'ignore', timeout: 10_000 });
    // A thread that ended meanwhile needs no pinning; one that is still there must be pinned.
    if (r.status !== 0 && existsSync(`/proc/${pid}/task/${tid}`)) throw new Error(`taskset could not pin thread ${tid} of ${pid}`);
  }
}
const pinned = (cmd: string, args: readonly string[]): [string, string[]] => (SERVER_CPUS === null ? [cmd, [...args]] : ['taskset', ['-c', SERVER_CPUS, cmd, ...args]]);
if (!['auto', 'hook', 'inprocess', 'both'].includes(LATENCY_MODE)) throw new Error('BENCH_LATENCY must be auto, hook, inprocess or both');
/** Other processes using more CPU than this (cores) during a round make it "disturbed". */
const BUSY_CORES = 0.15;
/** How many disturbed round pairs may be discarded and re-run in one benchmark. */
const RETRY_BUSY = envNum('BENCH_RETRY_BUSY', QUICK ? 0 : 2 * ROUNDS);
/** After radclient exits, wait this long before reading server CPU (Lanyard flushes events every 50 ms). */
const SETTLE_MS = 250;
/** radclient -t 5 -r 3: a round may legitimately take ~20 s more than its work when packets are lost. */
const ROUND_TIMEOUT_MS = 600_000;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const LANYARD_MAIN = path.resolve(process.env.BENCH_LANYARD_MAIN ?? path.join(ROOT, 'dist/src/main.js'));
const OTHER_BUILD = process.env.BENCH_LANYARD_MAIN !== undefined;
/** Node flags for the Lanyard process (BENCH_NODE_FLAGS, space-separated), as `npm start` runs it by default. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? SERVE_NODE_FLAGS.join(' ')).split(' ').filter((f) => f !== '');
const SECRET = 'bench-secret-' + Math.random().toString(36).slice(2);
const AP = '11-22-33-44-55-66';

/** Devices are numbered from a fixed locally-administered prefix so known and unknown MACs never collide. */
const macOf = (i: number): string => formatMac(0x02_00_5e_00_00_00 + i);
/** The User-Name (and User-Password) radclient sends: lower-case, hyphens; the users-file key is the same string. */
const userNameOf = (mac: string): string => mac.toLowerCase();

interface Round {
  readonly rps: number;
  readonly lost: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly answered: number;
  readonly seconds: number;
  readonly serverCpuUsPerReq: number;
  /** The server's main thread alone (Lanyard: its event loop; FreeRADIUS: the thread reading the sockets). */
  readonly mainCpuUsPerReq: number;
  readonly clientCpuUsPerReq: number;
  readonly latency: LatencyPercentiles | null;
  /** Kernel UDP datagrams received (both directions on loopback) per answered request: 2.00 = no retransmits. */
  readonly datagramsPerReq: number;
  /** Kernel UDP receive-buffer overflows during the round (whole namespace). */
  readonly rcvbufErrors: number;
  /** Lanyard's own drop counters during the round (SIGUSR2 stats), or NaN. */
  readonly serverDrops: number;
  /** CPU (in cores) used during the round by everything except this server and radclient; and hypervisor steal. */
  readonly otherCores: number;
  readonly stealCores: number;
}

interface StatsLine {
  readonly latencyUs: { p50: number; p99: number; p999: number; count?: number };
  readonly requests?: number;
  readonly drops?: Record<string, number>;
}

/** One open-loop round against one server. */
interface OpenRound {
  readonly r: OpenLoopResult;
  /** Hypervisor steal during the round, in cores (machine-wide). */
  readonly stealCores: number;
  readonly serverCpuUsPerReq: number;
  /** The server's main thread alone, as in Round. */
  readonly mainCpuUsPerReq: number;
  /** Lanyard's own decision latency over the same round (SIGUSR2 stats), or null. */
  readonly inProcess: StatsLine['latencyUs'] | null;
  readonly serverDrops: number;
  /** Kernel UDP receive-buffer overflows during the round (whole namespace: server and generator sockets). */
  readonly rcvbufErrors: number;
  readonly otherCores: number;
}

/** The row for the main thread's share: Lanyard's event loop, FreeRADIUS's socket reader. */
const MAIN_THREAD_ROW = '  main thread (Lanyard: loop)';

const sumDrops = (s: StatsLine | null): number => (s?.drops === undefined ? NaN : Object.values(s.drops).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0));

/**
 * The open-loop sweep, one line per server and offered rate: medians over the rounds of the
 * round trip to the reply's kernel receive timestamp (the generator's own scheduling left out),
 * so the two servers can be read side by side at each load.
 */
function sweepTable(sweep: readonly { rate: number; fr: OpenRound[]; ly: OpenRound[] }[], rounds: string): string[] {
  const m = (rs: OpenRound[], f: (o: OpenRound) => number): number => median(rs.map(f));
  const stamp = (o: OpenRound): Percentiles => o.r.rttKernelUs ?? o.r.rttUs;
  const head = ['offered/s', 'server', 'p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'lost', 'CPU µs/req', 'main thread', 'in-proc p99', 'steal cores'];
  const widths = [10, 11, 8, 9, 10, 10, 7, 11, 12, 12, 11];
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ').trimEnd();
  const out = [
    `open-loop sweep: medians over ${rounds} round(s) per rate; round trip to the reply's kernel receive timestamp (SO_TIMESTAMPNS); lost = per round`,
    line(head),
  ];
  for (const p of sweep) {
    for (const [name, rs] of [['FreeRADIUS', p.fr], ['Lanyard', p.ly]] as const) {
      if (rs.length === 0) continue;
      const inProc = rs.every((o) => o.inProcess !== null) ? fmt(m(rs, (o) => o.inProcess!.p99)) : '—';
      out.push(
        line([
          name === 'FreeRADIUS' ? fmt(p.rate) : '',
          name,
          fmt(m(rs, (o) => stamp(o).p50)),
          fmt(m(rs, (o) => stamp(o).p99)),
          fmt(m(rs, (o) => stamp(o).p999)),
          fmt(m(rs, (o) => stamp(o).max)),
          fmt(m(rs, (o) => o.r.lost)),
          fmt(m(rs, (o) => o.serverCpuUsPerReq), 1),
          fmt(m(rs, (o) => o.mainCpuUsPerReq), 1),
          inProc,
          fmt(m(rs, (o) => o.stealCores), 2),
        ]),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lanyard's SIGUSR2 stats hook

/** True when the process has a handler for SIGUSR2 (bit 12 of SigCgt); without one SIGUSR2 would kill it. */
function catchesSigusr2(pid: number): boolean {
  const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m !== null && ((BigInt('0x' + m[1]!) >> 11n) & 1n) === 1n;
}

/** Sends SIGUSR2 and waits (bounded) for the `{"msg":"stats",...,"latencyUs":{...}}` line on stderr. */
function lanyardStats(server: Server, timeoutMs = 3000): Promise<StatsLine | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.onStderrLine = null;
      resolve(null);
    }, timeoutMs);
    server.onStderrLine = (line) => {
      if (!line.includes('"stats"') || !line.includes('latencyUs')) return;
      try {
        const j = JSON.parse(line) as { msg?: string } & Partial<StatsLine>;
        const l = j.latencyUs;
        if (j.msg !== 'stats' || l === undefined || typeof l.p50 !== 'number' || typeof l.p99 !== 'number' || typeof l.p999 !== 'number') return;
        clearTimeout(timer);
        server.onStderrLine = null;
        resolve(j as StatsLine);
      } catch {
        /* not JSON: keep waiting */
      }
    };
    process.kill(server.pid, 'SIGUSR2');
  });
}

// ---------------------------------------------------------------------------------------------

function mabRequest(userName: string, mac: string, ssid: string): string {
  return (
    `User-Name = "${userName}"\nUser-Password = "${userName}"\nService-Type = Call-Check\nCalling-Station-Id = "${mac}"\n` +
    `Called-Station-Id = "${AP}:${ssid}"\nNAS-IP-Address = 127.0.0.1\nNAS-Port-Type = Wireless-802.11\nMessage-Authenticator = 0x00\n`
  );
}

function toRound(
  r: RadclientResult,
  cpuUs: number,
  mainCpuUs: number,
  latency: LatencyPercentiles | null,
  udp: { inDatagrams: number; rcvbufErrors: number },
  /** Machine CPU over the round and the settle time after it. */
  machine: { busy: number; steal: number },
  serverDrops = NaN,
): Round {
  const answered = r.accepted + r.rejected;
  const wallUs = (r.seconds + SETTLE_MS / 1000) * 1e6;
  return {
    otherCores: Math.max(0, machine.busy - cpuUs - (Number.isNaN(r.clientCpuUs) ? 0 : r.clientCpuUs)) / wallUs,
    stealCores: machine.steal / wallUs,
    datagramsPerReq: udp.inDatagrams / Math.max(1, answered),
    rcvbufErrors: udp.rcvbufErrors,
    serverDrops,
    rps: answered / r.seconds,
    lost: r.lost,
    accepted: r.accepted,
    rejected: r.rejected,
    answered,
    seconds: r.seconds,
    serverCpuUsPerReq: cpuUs / Math.max(1, answered),
    mainCpuUsPerReq: mainCpuUs / Math.max(1, answered),
    clientCpuUsPerReq: r.clientCpuUs / Math.max(1, answered + r.lost),
    latency,
  };
}

/** The store modules of the build whose main.js is `main` (this checkout's when it is the default). */
async function storeOf(main: string): Promise<{ openDatabase: typeof thisDb.openDatabase; SqliteDeviceRepository: typeof thisDevices.SqliteDeviceRepository }> {
  if (!OTHER_BUILD) return { openDatabase: thisDb.openDatabase, SqliteDeviceRepository: thisDevices.SqliteDeviceRepository };
  const src = path.dirname(main);
  const db = (await import(pathToFileURL(path.join(src, 'store/db.js')).href)) as typeof thisDb;
  const devices = (await import(pathToFileURL(path.join(src, 'store/devices.js')).href)) as typeof thisDevices;
  return { openDatabase: db.openDatabase, SqliteDeviceRepository: devices.SqliteDeviceRepository };
}

/** "commit 589699b" plus a note when src/ has uncommitted changes (what was actually measured). */
function lanyardBuild(): string {
  const git = (...args: string[]): string => {
    const r = spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', timeout: 10_000 });
    return r.status === 0 ? r.stdout.trim() : '';
  };
  const head = git('rev-parse', '--short', 'HEAD');
  if (head === '') return 'not a git checkout';
  const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
  return `commit ${head}${dirty > 0 ? ` + uncommitted changes in ${dirty} src/ files` : ''}`;
}

/**
 * Samples whole-machine CPU for a second at a time until less than 0.15 core is busy, for at
 * most `maxWaitS` seconds; benchmarks on a busy machine measure the other work too.
 */
async function waitForQuietMachine(maxWaitS: number): Promise<{ quiet: boolean; cores: number; waited: number }> {
  const start = Date.now();
  let said = false;
  for (;;) {
    const a = machineCpuUs();
    await sleep(1000);
    const b = machineCpuUs();
    const cores = (b.busy - a.busy) / 1e6;
    const waited = Math.round((Date.now() - start) / 1000);
    if (cores < BUSY_CORES) return { quiet: true, cores, waited };
    if (waited >= maxWaitS) return { quiet: false, cores, waited };
    if (!said) process.stderr.write(`bench:radius: machine busy (${fmt(cores, 2)} cores); waiting up to ${maxWaitS} s for it to go idle\n`);
    said = true;
  }
}

async function main(): Promise<void> {
  installCleanup();
  const tools: FreeradiusTools = ensureFreeradius();
  const quiet = await waitForQuietMachine(QUICK ? 0 : envNum('BENCH_WAIT_IDLE', 120));
  const quietNote = quiet.quiet ? `idle before the run: ${fmt(quiet.cores, 2)} cores busy` : `${fmt(quiet.cores, 2)} cores busy before the run, after waiting ${quiet.waited} s`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-bench-radius-'));
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  const servers: Server[] = [];
  try {
    // ---- Lanyard's config (a temp copy, so its dataDir is inside the temp dir) and registry
    const configDir = path.join(dir, 'config');
    mkdirSync(configDir);
    const configFile = path.join(configDir, 'lanyard.yaml');
    const dbFile = path.join(dir, 'lanyard.db');
    // The benchmark measures RADIUS only: turn the admin HTTP API off. Builds without an `api`
    // section reject the key (checked with that build's own check-config): then copy unchanged.
    const yamlText = readFileSync(path.join(ROOT, 'config/lanyard.yaml'), 'utf8');
    const doc = parseDocument(yamlText);
    doc.setIn(['api', 'enabled'], false);
    if (DECISION_WRITER !== null) doc.setIn(['events', 'decisionWriter'], DECISION_WRITER);
    writeFileSync(configFile, String(doc));
    let apiNote = `admin API off (api.enabled: false in the temp config copy)${DECISION_WRITER !== null ? `; events.decisionWriter: ${DECISION_WRITER}` : ''}`;
    const check = spawnSync(process.execPath, [LANYARD_MAIN, 'check-config', '--config', configFile], {
      env: { ...process.env, LANYARD_LOOPBACK_SECRET: SECRET },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (check.status !== 0) {
      writeFileSync(configFile, yamlText);
      apiNote = 'config copied unchanged (this build does not accept api.enabled)';
    }
    const config: LanyardConfig = loadConfig(configFile, {
      overrides: { database: dbFile, authPort: 0, acctPort: 0 },
      env: { LANYARD_LOOPBACK_SECRET: SECRET },
    });
    const loopback = config.radius.clients.find((c) => c.address === '127.0.0.1' || c.address === '127.0.0.1/32');
    if (loopback === undefined) throw new Error('config/lanyard.yaml has no NAS client for 127.0.0.1');
    const requireMA = loopback.requireMessageAuthenticator;

    const policy = config.policy;
    const classes = [...policy.classes.values()];
    const devices: NewDevice[] = [];
    for (let i = 0; i < N_DEVICES; i++) devices.push({ mac: macOf(i), className: classes[i % classes.length]!.name, owner: `person ${i % 3000}`, source: 'bench' });
    // Seed through the measured build's own store code, so its schema is the one it expects.
    const store = await storeOf(LANYARD_MAIN);
    const seedDb = store.openDatabase(dbFile);
    new store.SqliteDeviceRepository(seedDb).addMany(devices, 'bench', Date.now());
    seedDb.close();

    const placement = (className: string): { vlan: number; filterId: string; sessionTimeout: number; ssid: string } => {
      const cls = policy.classes.get(className)!;
      const net = policy.networks.get(cls.network)!;
      return { vlan: net.vlan, filterId: policy.profiles.get(cls.profile)!.filterId, sessionTimeout: cls.sessionTimeout, ssid: net.ssids[0]! };
    };
    const users: MabUser[] = devices.map((d) => {
      const p = placement(d.className);
      const u = userNameOf(d.mac);
      return { userName: u, password: u, vlan: p.vlan, filterId: p.filterId, sessionTimeout: p.sessionTimeout };
    });
    const unknownNetwork = [...policy.networks.values()].find((n) => n.unknownDevices.action === 'reject');
    if (unknownNetwork === undefined) throw new Error('the config has no network that rejects unknown devices (needed for the unknown-MAC share)');
    const unknownSsid = unknownNetwork.ssids[0]!;

    // ---- One request file for both servers: DISTINCT requests, UNKNOWN_PCT % unknown MACs
    const lines: string[] = [];
    /** The same requests for the open-loop generator, with the answer each must get. */
    const openSpecs: MabRequestSpec[] = [];
    let known = 0;
    for (let i = 0; i < DISTINCT; i++) {
      const unknown = (i * 7919) % 100 < UNKNOWN_PCT || N_DEVICES === 0;
      const idx = unknown ? N_DEVICES + i : (i * 7919) % N_DEVICES;
      const mac = macOf(idx);
      if (!unknown) known++;
      const ssid = unknown ? unknownSsid : placement(devices[idx]!.className).ssid;
      lines.push(mabRequest(userNameOf(mac), mac, ssid));
      openSpecs.push({ userName: userNameOf(mac), password: userNameOf(mac), callingStationId: mac, calledStationId: `${AP}:${ssid}`, expect: unknown ? 'reject' : 'accept' });
    }
    const requestFile = path.join(dir, 'requests.txt');
    writeFileSync(requestFile, lines.join('\n'));
    const perRound = DISTINCT * REPEAT;
    const expectAccepted = known * REPEAT;

    // ---- FreeRADIUS: private tree, checked, started, answering, loopback only
    const [frAuth, frAcct, lyAuth] = (await freeUdpPorts(3)) as [number, number, number];
    const tree = buildFreeradiusTree({ dir: path.join(dir, 'freeradius'), authPort: frAuth, acctPort: frAcct, secret: SECRET, requireMessageAuthenticator: requireMA, users, maxRequests: OPEN_MAX_REQUESTS });
    checkFreeradiusConfig(tools, tree);
    const probe = mabRequest(users[0]?.userName ?? 'probe', devices[0]?.mac ?? 'probe', devices[0] ? placement(devices[0].className).ssid : unknownSsid);
    const fr = startServer('FreeRADIUS', ...pinned(tools.freeradius, ['-f', '-l', 'stdout', '-d', tree.raddb]));
    servers.push(fr);
    const frReady = await waitUntilAnswering(tools.radclient, fr, frAuth, SECRET, probe);

    // ---- Lanyard: separate process, same registry and secret
    const ly = startServer('Lanyard', ...pinned(process.execPath, [...NODE_FLAGS, LANYARD_MAIN, 'serve', '--config', configFile, '--db', dbFile, '--auth-port', String(lyAuth), '--acct-port', '0', '--log-level', 'info']), {
      ...process.env,
      LANYARD_LOOPBACK_SECRET: SECRET,
    });
    servers.push(ly);
    const lyReady = await waitUntilAnswering(tools.radclient, ly, lyAuth, SECRET, probe);

    if (PIN_MODE === 'loop') for (const s of servers) pinMainThreadApart(s.pid);
    const lySockets = socketsOf(ly.pid);
    for (const s of servers) {
      const foreign = socketsOf(s.pid).filter((a) => !/ (127\.0\.0\.1|::1):\d+$/.test(a));
      if (foreign.length > 0) throw new Error(`${s.name} listens outside 127.0.0.1 (${foreign.join(', ')}); refusing to measure`);
    }

    // ---- Same answers? One device per class, and an unknown MAC, to both servers.
    const replyNotes: string[] = [];
    const samples: { label: string; attrs: string }[] = [];
    for (const cls of classes) {
      const i = devices.findIndex((d) => d.className === cls.name);
      if (i >= 0) samples.push({ label: cls.name, attrs: mabRequest(userNameOf(devices[i]!.mac), devices[i]!.mac, placement(cls.name).ssid) });
    }
    samples.push({ label: 'unknown MAC', attrs: mabRequest(userNameOf(macOf(N_DEVICES + 999_999)), macOf(N_DEVICES + 999_999), unknownSsid) });
    for (const s of samples) {
      const a = radclientOnce(tools.radclient, frAuth, SECRET, 'auth', s.attrs, 2, 1);
      const b = radclientOnce(tools.radclient, lyAuth, SECRET, 'auth', s.attrs, 2, 1);
      const fa = replyAttributes(a.output).join(', ');
      const la = replyAttributes(b.output).join(', ');
      if (a.code !== b.code) throw new Error(`${s.label}: FreeRADIUS exit ${a.code}, Lanyard exit ${b.code} — the two servers disagree:\n${a.output}\n${b.output}`);
      if (fa !== la) replyNotes.push(`${s.label}: FreeRADIUS [${fa}] vs Lanyard [${la}]`);
    }
    const laMA = /Message-Authenticator/.test(radclientOnce(tools.radclient, lyAuth, SECRET, 'auth', samples[0]!.attrs, 2, 1).output);

    // ---- Latency source
    const hookAvailable = catchesSigusr2(ly.pid);
    let useHook = LATENCY_MODE !== 'inprocess' && hookAvailable;
    if (LATENCY_MODE === 'hook' && !hookAvailable) throw new Error('BENCH_LATENCY=hook but the Lanyard daemon does not handle SIGUSR2');
    if (useHook && (await lanyardStats(ly)) === null) {
      if (LATENCY_MODE === 'hook') throw new Error('Lanyard handles SIGUSR2 but printed no {"msg":"stats",...,"latencyUs":{...}} line on stderr');
      useHook = false;
    }

    // ---- Rounds: warm-up F, L; then F L F L ...
    const measure = async (s: Server, port: number, withHook: boolean): Promise<Round> => {
      const before = withHook ? await lanyardStats(s) : null; // also resets the histogram
      const udp0 = udpCounters();
      const m0 = machineCpuUs();
      const cpu0 = procCpuUs(s.pid);
      const main0 = threadCpuUs(s.pid, s.pid);
      const r = await radclientLoad({ radclient: tools.radclient, port, secret: SECRET, file: requestFile, parallel: PARALLEL, repeat: REPEAT, timeoutMs: ROUND_TIMEOUT_MS, cpus: CLIENT_CPUS });
      await sleep(SETTLE_MS);
      const cpu = procCpuUs(s.pid) - cpu0;
      const mainCpu = threadCpuUs(s.pid, s.pid) - main0;
      const m1 = machineCpuUs();
      const udp1 = udpCounters();
      if (s.exited()) throw new Error(`${s.name} exited during a round:\n${s.recent.slice(-20).join('\n')}`);
      let latency: LatencyPercentiles | null = null;
      let drops = NaN;
      if (withHook) {
        const st = await lanyardStats(s);
        if (st === null) throw new Error('Lanyard stopped answering SIGUSR2 with a stats line');
        latency = st.latencyUs;
        drops = sumDrops(st) - sumDrops(before);
      }
      const udp = { inDatagrams: udp1.inDatagrams - udp0.inDatagrams, rcvbufErrors: udp1.rcvbufErrors - udp0.rcvbufErrors };
      const machine = { busy: m1.busy - m0.busy, steal: m1.steal - m0.steal };
      return toRound(r, cpu, mainCpu, latency, udp, machine, drops);
    };
    process.stderr.write(`bench:radius: warm-up (FreeRADIUS pid ${fr.pid} on :${frAuth}, Lanyard pid ${ly.pid} on :${lyAuth})\n`);
    await measure(fr, frAuth, false);
    await measure(ly, lyAuth, false);
    const frRounds: Round[] = [];
    const lyRounds: Round[] = [];
    const wholeStart = { fr: procCpuUs(fr.pid), ly: procCpuUs(ly.pid) };
    // A pair of rounds during which other processes used CPU is discarded and run again (after
    // waiting for the machine to go idle), at most RETRY_BUSY times in all.
    const allAnswered = { fr: 0, ly: 0 };
    let discarded = 0;
    while (frRounds.length < ROUNDS) {
      const a = await measure(fr, frAuth, false);
      const b = await measure(ly, lyAuth, useHook);
      allAnswered.fr += a.answered;
      allAnswered.ly += b.answered;
      const other = Math.max(a.otherCores, b.otherCores);
      const n = frRounds.length + 1;
      if (other > BUSY_CORES && discarded < RETRY_BUSY) {
        discarded++;
        process.stderr.write(`bench:radius: round ${n}/${ROUNDS} disturbed (other processes used ${fmt(other, 2)} cores): discarded, waiting for an idle machine and re-running (${discarded}/${RETRY_BUSY})\n`);
        await waitForQuietMachine(60);
        continue;
      }
      frRounds.push(a);
      lyRounds.push(b);
      process.stderr.write(`bench:radius: round ${n}/${ROUNDS}: FreeRADIUS ${fmt(a.rps)} req/s, Lanyard ${fmt(b.rps)} req/s\n`);
    }
    // Whole run: includes work done after replies (FreeRADIUS frees requests cleanup_delay = 5 s later)
    // and idle time between rounds.
    await sleep(QUICK ? 1000 : 6000);
    const whole = {
      fr: (procCpuUs(fr.pid) - wholeStart.fr) / allAnswered.fr,
      ly: (procCpuUs(ly.pid) - wholeStart.ly) / allAnswered.ly,
    };
    const lyRssMiB = Number(/^VmRSS:\s*(\d+)/m.exec(readFileSync(`/proc/${ly.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
    const frRssMiB = Number(/^VmRSS:\s*(\d+)/m.exec(readFileSync(`/proc/${fr.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
    const frThreads = Number(/^Threads:\s*(\d+)/m.exec(readFileSync(`/proc/${fr.pid}/status`, 'utf8'))?.[1] ?? NaN);

    // ---- Open loop: both servers offered the same fixed rate; round trips as the client sees them
    const openRates = (OPEN_RATES.length > 0 ? OPEN_RATES : OPEN_PCTS.map((pct) => (pct / 100) * median(lyRounds.map((r) => r.rps))))
      .map((r) => Math.round(r))
      .filter((r) => r > 0);
    const openRate = openRates[0] ?? 0;
    /** Per offered rate, in openRates' order: the rounds of each server. */
    const sweep: { rate: number; fr: OpenRound[]; ly: OpenRound[] }[] = openRates.map((rate) => ({ rate, fr: [], ly: [] }));
    const frOpen: OpenRound[] = sweep[0]?.fr ?? [];
    const lyOpen: OpenRound[] = sweep[0]?.ly ?? [];
    if (openRate > 0) {
      // The generator runs in this process: with BENCH_PIN it goes where radclient went.
      if (CLIENT_CPUS !== null) spawnSync('taskset', ['-a', '-p', '-c', CLIENT_CPUS, String(process.pid)], { stdio: 'ignore', timeout: 10_000 });
      const open = (port: number, rate: number, seconds: number): Promise<OpenLoopResult> => {
        const o: OpenLoopOptions = { port, secret: SECRET, requests: openSpecs, rate, seconds, timeoutMs: OPEN_TIMEOUT_MS };
        return NATIVE_GENERATOR !== null ? runOpenLoopNative(o, NATIVE_GENERATOR) : runOpenLoop(o);
      };
      const openRound = async (s: Server, port: number, rate: number, withHook: boolean): Promise<OpenRound> => {
        const before = withHook ? await lanyardStats(s) : null; // also starts a new histogram interval
        const udp0 = udpCounters();
        const m0 = machineCpuUs();
        const cpu0 = procCpuUs(s.pid);
        const main0 = threadCpuUs(s.pid, s.pid);
        const r = await open(port, rate, OPEN_SECONDS);
        await sleep(SETTLE_MS);
        const cpu = procCpuUs(s.pid) - cpu0;
        const mainCpu = threadCpuUs(s.pid, s.pid) - main0;
        const m1 = machineCpuUs();
        const udp1 = udpCounters();
        if (s.exited()) throw new Error(`${s.name} exited during an open-loop round:\n${s.recent.slice(-20).join('\n')}`);
        const st = withHook ? await lanyardStats(s) : null;
        if (withHook && st === null) throw new Error('Lanyard stopped answering SIGUSR2 with a stats line');
        const wallUs = OPEN_SECONDS * 1e6 + OPEN_TIMEOUT_MS * 1e3 + SETTLE_MS * 1e3;
        return {
          r,
          stealCores: (m1.steal - m0.steal) / wallUs,
          serverCpuUsPerReq: cpu / Math.max(1, r.answered),
          mainCpuUsPerReq: mainCpu / Math.max(1, r.answered),
          inProcess: st?.latencyUs ?? null,
          serverDrops: st === null ? NaN : sumDrops(st) - sumDrops(before),
          rcvbufErrors: udp1.rcvbufErrors - udp0.rcvbufErrors,
          otherCores: Math.max(0, m1.busy - m0.busy - cpu - r.cpuUs) / wallUs,
        };
      };
      for (const point of sweep) {
        process.stderr.write(`bench:radius: open loop at ${fmt(point.rate)} requests/s, ${OPEN_ROUNDS} × ${OPEN_SECONDS} s each, after a 1 s warm-up each\n`);
        await open(frAuth, point.rate, 1);
        await open(lyAuth, point.rate, 1);
        for (let n = 1; n <= OPEN_ROUNDS; n++) {
          const a = await openRound(fr, frAuth, point.rate, false);
          const b = await openRound(ly, lyAuth, point.rate, useHook);
          point.fr.push(a);
          point.ly.push(b);
          process.stderr.write(`bench:radius: open-loop round ${n}/${OPEN_ROUNDS}: RTT p99 FreeRADIUS ${fmt(a.r.rttUs.p99)} µs, Lanyard ${fmt(b.r.rttUs.p99)} µs\n`);
        }
      }
    }
    await ly.stop(10_000);
    await fr.stop(5000);
    const eventsDb = store.openDatabase(dbFile);
    const events = (eventsDb.prepare('SELECT count(*) AS n FROM decision_events').get() as { n: number }).n;
    eventsDb.close();

    // ---- Latency from an in-process run, when the daemon has no stats hook (or asked for both)
    let inproc: Round[] = [];
    // The in-process run uses this checkout's code: meaningless for another build (BENCH_LANYARD_MAIN).
    if ((!useHook || LATENCY_MODE === 'both') && !OTHER_BUILD) {
      process.stderr.write('bench:radius: in-process Lanyard rounds for decision latency\n');
      if (SERVER_CPUS !== null) spawnSync('taskset', ['-a', '-p', '-c', SERVER_CPUS, String(process.pid)], { stdio: 'ignore', timeout: 10_000 });
      const daemon = await startDaemon(config, createLogger('silent'));
      try {
        const rt = daemon.runtime;
        const round = async (): Promise<Round> => {
          rt.latency.reset();
          const udp0 = udpCounters();
          const m0 = machineCpuUs();
          const c0 = process.cpuUsage();
          const main0 = threadCpuUs(process.pid, process.pid);
          const r = await radclientLoad({ radclient: tools.radclient, port: daemon.authPort, secret: SECRET, file: requestFile, parallel: PARALLEL, repeat: REPEAT, timeoutMs: ROUND_TIMEOUT_MS, cpus: CLIENT_CPUS });
          await sleep(SETTLE_MS);
          const c = process.cpuUsage(c0);
          const m1 = machineCpuUs();
          const udp1 = udpCounters();
          const udp = { inDatagrams: udp1.inDatagrams - udp0.inDatagrams, rcvbufErrors: udp1.rcvbufErrors - udp0.rcvbufErrors };
          const machine = { busy: m1.busy - m0.busy, steal: m1.steal - m0.steal };
          return toRound(r, c.user + c.system, threadCpuUs(process.pid, process.pid) - main0, { p50: rt.latency.percentile(50), p99: rt.latency.percentile(99), p999: rt.latency.percentile(99.9) }, udp, machine);
        };
        await round();
        for (let r = 0; r < ROUNDS; r++) inproc.push(await round());
      } finally {
        await daemon.stop();
      }
    }

    // ---- Report
    const busyCores = median([...frRounds, ...lyRounds].map((r) => r.otherCores));
    const busy = busyCores > BUSY_CORES || !quiet.quiet;
    const W = 34;
    const pad = (s: string, w = W): string => (s.length >= w ? s + ' ' : s + ' '.repeat(w - s.length));
    const col = (rs: Round[], f: (r: Round) => number, d = 0): string => (rs.length === 0 ? '—' : summary(rs.map(f), d));
    const row = (label: string, a: string, b: string): string => `${pad(label, 30)}${pad(a, 40)}${b}`;
    const latRows = (rs: Round[]): [string, string, string] => [
      col(rs, (r) => r.latency!.p50, 1),
      col(rs, (r) => r.latency!.p99, 1),
      col(rs, (r) => r.latency!.p999, 1),
    ];
    const latSource = useHook ? lyRounds : inproc;
    const [p50, p99, p999] = latRows(latSource);
    const latLabel = useHook
      ? 'SIGUSR2 stats of the measured process'
      : OTHER_BUILD
        ? 'none: BENCH_LANYARD_MAIN build has no SIGUSR2 stats hook'
        : 'in-process run (startDaemon), see below';
    const cpu = os.cpus();
    const openCol = (rs: OpenRound[], f: (o: OpenRound) => number, d = 0): string => (rs.length === 0 ? '—' : summary(rs.map(f), d));
    const openPerRound = (rs: OpenRound[]): string =>
      rs.map((o) => `${fmt(o.r.sent)}/${fmt(o.r.answered)}/${fmt(o.r.lost)}/${fmt(o.r.late)}/${fmt(o.r.invalid)}/${fmt(o.r.unexpected)}`).join(' ');
    const openRatio = (f: (r: OpenLoopResult) => number): string => ratioOfMedians(lyOpen.map((o) => f(o.r)), frOpen.map((o) => f(o.r)));
    const inProc = (f: (l: StatsLine['latencyUs']) => number): string =>
      lyOpen.some((o) => o.inProcess === null) ? '— (no SIGUSR2 stats hook)' : openCol(lyOpen, (o) => f(o.inProcess!), 1);
    const openBlock =
      frOpen.length === 0
        ? [`open loop: skipped (BENCH_OPEN_LOOP_PCT=${OPEN_PCT})`]
        : [
            `open loop (${NATIVE_GENERATOR !== null ? 'test/bench/open-loop.c, a child process' : 'test/bench/open-loop.ts, in the bench process'}): ${fmt(openRate)} requests/s offered to each server = ${OPEN_RATE > 0 ? 'BENCH_OPEN_LOOP_RATE' : `${fmt(OPEN_PCT)} % of Lanyard's median above`}, ` +
              `${fmt(OPEN_SECONDS)} s a round, ${OPEN_ROUNDS} round${OPEN_ROUNDS > 1 ? 's' : ''} each alternating FreeRADIUS, Lanyard after a 1 s warm-up each;`,
            `  the same ${fmt(openSpecs.length)} requests, each send a new request (own Request Authenticator) on one of ${frOpen[0]!.r.sockets} client sockets; no valid reply within ${fmt(OPEN_TIMEOUT_MS)} ms = lost`,
            row('median (min–max, spread)', 'FreeRADIUS', 'Lanyard'),
            row('sent requests/s', openCol(frOpen, (o) => o.r.achievedRate), openCol(lyOpen, (o) => o.r.achievedRate)),
            row('answered per round', openCol(frOpen, (o) => o.r.answered), openCol(lyOpen, (o) => o.r.answered)),
            row('lost per round', openCol(frOpen, (o) => o.r.lost), openCol(lyOpen, (o) => o.r.lost)),
            row('client round trip p50 (µs)', openCol(frOpen, (o) => o.r.rttUs.p50), openCol(lyOpen, (o) => o.r.rttUs.p50)),
            row('client round trip p99 (µs)', openCol(frOpen, (o) => o.r.rttUs.p99), openCol(lyOpen, (o) => o.r.rttUs.p99)),
            row('client round trip p99.9 (µs)', openCol(frOpen, (o) => o.r.rttUs.p999), openCol(lyOpen, (o) => o.r.rttUs.p999)),
            row('client round trip max (µs)', openCol(frOpen, (o) => o.r.rttUs.max), openCol(lyOpen, (o) => o.r.rttUs.max)),
            row('  to kernel stamp p50 (µs)', openCol(frOpen, (o) => o.r.rttKernelUs?.p50 ?? NaN), openCol(lyOpen, (o) => o.r.rttKernelUs?.p50 ?? NaN)),
            row('  to kernel stamp p99 (µs)', openCol(frOpen, (o) => o.r.rttKernelUs?.p99 ?? NaN), openCol(lyOpen, (o) => o.r.rttKernelUs?.p99 ?? NaN)),
            row('  to kernel stamp p99.9 (µs)', openCol(frOpen, (o) => o.r.rttKernelUs?.p999 ?? NaN), openCol(lyOpen, (o) => o.r.rttKernelUs?.p999 ?? NaN)),
            row('  in-process p50 (µs)', '— (no histogram)', inProc((l) => l.p50)),
            row('  in-process p99 (µs)', '—', inProc((l) => l.p99)),
            row('  in-process p99.9 (µs)', '—', inProc((l) => l.p999)),
            row('server CPU µs per request', openCol(frOpen, (o) => o.serverCpuUsPerReq, 2), openCol(lyOpen, (o) => o.serverCpuUsPerReq, 2)),
            row(MAIN_THREAD_ROW, openCol(frOpen, (o) => o.mainCpuUsPerReq, 2), openCol(lyOpen, (o) => o.mainCpuUsPerReq, 2)),
            row('generator send lag p99 (µs)', openCol(frOpen, (o) => o.r.sendLagUs.p99), openCol(lyOpen, (o) => o.r.sendLagUs.p99)),
            row('generator CPU µs per request', openCol(frOpen, (o) => o.r.cpuUs / Math.max(1, o.r.sent), 2), openCol(lyOpen, (o) => o.r.cpuUs / Math.max(1, o.r.sent), 2)),
            row('other processes, CPU cores', openCol(frOpen, (o) => o.otherCores, 2), openCol(lyOpen, (o) => o.otherCores, 2)),
            row('hypervisor steal, cores', openCol(frOpen, (o) => o.stealCores, 2), openCol(lyOpen, (o) => o.stealCores, 2)),
            `ratio Lanyard/FreeRADIUS at ${fmt(openRate)} requests/s: client round trip p50 ${openRatio((r) => r.rttUs.p50)}, p99 ${openRatio((r) => r.rttUs.p99)}, ` +
              `p99.9 ${openRatio((r) => r.rttUs.p999)}, max ${openRatio((r) => r.rttUs.max)} (lower is better)`,
            `open-loop rounds, sent/answered/lost/late/invalid/wrong answer: FreeRADIUS ${openPerRound(frOpen)} | Lanyard ${openPerRound(lyOpen)}`,
            `open-loop rounds, kernel UDP receive-buffer drops: FreeRADIUS ${frOpen.map((o) => fmt(o.rcvbufErrors)).join(' ')} | Lanyard ${lyOpen.map((o) => fmt(o.rcvbufErrors)).join(' ')}` +
              (useHook ? `; Lanyard's own drop counters: ${lyOpen.map((o) => fmt(o.serverDrops)).join(' ')}` : ''),
            ...(sweep.some((p) => [...p.fr, ...p.ly].some((o) => o.r.unexpected > 0)) ? ['WARNING: a server answered open-loop requests with the wrong code (Accept for Reject or the reverse)'] : []),
            '',
            ...sweepTable(sweep, fmt(OPEN_ROUNDS)),
          ];
    const out = [
      `Lanyard vs FreeRADIUS — MAB Access-Requests on 127.0.0.1, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${QUICK ? ' — QUICK smoke run, not a measurement' : ''}`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), Linux ${os.release()}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB`,
      `versions: Node ${process.version}; ${tools.version}; radclient from freeradius-utils; Lanyard ${OTHER_BUILD ? `${LANYARD_MAIN} (BENCH_LANYARD_MAIN)` : `${lanyardBuild()} (dist/ built from it)`}`,
      `registry ${fmt(N_DEVICES)} devices (${classes.length} classes); request file ${fmt(DISTINCT)} distinct requests (${fmt(DISTINCT - known)} unknown MACs, on ${unknownSsid}) × radclient -c ${REPEAT} = ${fmt(perRound)} requests/round`,
      `radclient -q -s -p ${PARALLEL} -c ${REPEAT} -t 5 -r 3; 1 warm-up round each, then ${ROUNDS} rounds each alternating FreeRADIUS, Lanyard, ...` +
        (discarded > 0 ? ` (${discarded} disturbed pair${discarded > 1 ? 's' : ''} discarded and re-run)` : ''),
      `CPU pinning: ${
        PIN_MODE === 'apart'
          ? `servers on CPU ${SERVER_CPUS}, radclient on CPU ${CLIENT_CPUS} (taskset; BENCH_PIN=1)`
          : PIN_MODE === 'loop'
            ? "each server's main thread alone on CPU 1; its other threads, radclient and the generator on CPU 0 (taskset; BENCH_PIN=loop)"
            : 'none, the kernel schedules servers and radclient on both cores (BENCH_PIN=1 pins them apart, BENCH_PIN=loop gives each main thread a core)'
      }`,
      `Lanyard: ${apiNote}; sockets: ${lySockets.join(', ')}`,
      `ready check: FreeRADIUS answered ${frReady}, Lanyard answered ${lyReady}; both require Message-Authenticator on requests: ${requireMA ? 'yes' : 'no'}`,
      '',
      row('median (min–max, spread)', `FreeRADIUS (${frThreads} threads)`, 'Lanyard (node, separate process)'),
      row('requests/s', col(frRounds, (r) => r.rps), col(lyRounds, (r) => r.rps)),
      row('lost requests per round', col(frRounds, (r) => r.lost), col(lyRounds, (r) => r.lost)),
      row('server CPU µs per request', col(frRounds, (r) => r.serverCpuUsPerReq, 2), col(lyRounds, (r) => r.serverCpuUsPerReq, 2)),
      row(MAIN_THREAD_ROW, col(frRounds, (r) => r.mainCpuUsPerReq, 2), col(lyRounds, (r) => r.mainCpuUsPerReq, 2)),
      row('  whole run (incl. deferred)', fmt(whole.fr, 2), fmt(whole.ly, 2)),
      row('radclient CPU µs per request', col(frRounds, (r) => r.clientCpuUsPerReq, 2), col(lyRounds, (r) => r.clientCpuUsPerReq, 2)),
      row('accepted / rejected per round', `${fmt(median(frRounds.map((r) => r.accepted)))} / ${fmt(median(frRounds.map((r) => r.rejected)))}`, `${fmt(median(lyRounds.map((r) => r.accepted)))} / ${fmt(median(lyRounds.map((r) => r.rejected)))}`),
      row('  expected', `${fmt(expectAccepted)} / ${fmt(perRound - expectAccepted)}`, `${fmt(expectAccepted)} / ${fmt(perRound - expectAccepted)}`),
      row('other processes, CPU cores', col(frRounds, (r) => r.otherCores, 2), col(lyRounds, (r) => r.otherCores, 2)),
      row('RSS at end (MiB)', fmt(frRssMiB, 1), fmt(lyRssMiB, 1)),
      row('decision latency p50 (µs)', '— (no histogram)', p50),
      row('decision latency p99 (µs)', '—', p99),
      row('decision latency p99.9 (µs)', '—', p999),
      `${pad('', 70)}(latency: ${latLabel})`,
      '',
      `ratio Lanyard/FreeRADIUS: requests/s ${ratioOfMedians(lyRounds.map((r) => r.rps), frRounds.map((r) => r.rps))}; ` +
        `server CPU µs per request ${ratioOfMedians(lyRounds.map((r) => r.serverCpuUsPerReq), frRounds.map((r) => r.serverCpuUsPerReq))} (lower is better)`,
      `rounds, requests/s: FreeRADIUS ${frRounds.map((r) => fmt(r.rps)).join(' ')} | Lanyard ${lyRounds.map((r) => fmt(r.rps)).join(' ')}`,
      `rounds, seconds: FreeRADIUS ${frRounds.map((r) => fmt(r.seconds, 2)).join(' ')} | Lanyard ${lyRounds.map((r) => fmt(r.seconds, 2)).join(' ')}`,
      `rounds, UDP datagrams received per request (2.00 = no retransmits): FreeRADIUS ${frRounds.map((r) => fmt(r.datagramsPerReq, 2)).join(' ')} | Lanyard ${lyRounds.map((r) => fmt(r.datagramsPerReq, 2)).join(' ')}`,
      `rounds, kernel UDP receive-buffer drops: FreeRADIUS ${frRounds.map((r) => fmt(r.rcvbufErrors)).join(' ')} | Lanyard ${lyRounds.map((r) => fmt(r.rcvbufErrors)).join(' ')}` +
        (useHook ? `; Lanyard's own drop counters: ${lyRounds.map((r) => fmt(r.serverDrops)).join(' ')}` : ''),
      '',
      ...openBlock,
      '',
      ...(inproc.length > 0
        ? [
            `in-process Lanyard (startDaemon in the bench process, same db/config, after both servers stopped; ${ROUNDS} rounds after 1 warm-up):`,
            `  requests/s ${col(inproc, (r) => r.rps)}; CPU µs/request ${col(inproc, (r) => r.serverCpuUsPerReq, 2)}`,
            `  decision latency µs: p50 ${latRows(inproc)[0]}; p99 ${latRows(inproc)[1]}; p99.9 ${latRows(inproc)[2]}`,
          ]
        : []),
      ...(busy
        ? [
            `WARNING: other processes used ${fmt(busyCores, 2)} CPU cores (median) during the rounds, or the machine was busy`,
            `  before the run (${quietNote}): these figures are disturbed. Re-run on an idle machine.`,
          ]
        : [`machine otherwise idle: ${quietNote}; other processes used ${fmt(busyCores, 2)} cores (median) during the rounds`]),
      `decision events stored by Lanyard (all its rounds incl. warm-up and checks): ${fmt(events)}`,
      `reply check (one device per class + an unknown MAC, attributes without Message-Authenticator): ${replyNotes.length === 0 ? `identical for all ${samples.length}` : 'DIFFERENT:'}`,
      ...replyNotes.map((n) => `  ${n}`),
      '',
      'What differs:',
      `- FreeRADIUS ${tools.version.replace(/^.*Version\s+([\d.]+).*$/, '$1')} adds no Message-Authenticator to PAP Access-Accepts; Lanyard puts one first in every reply${laMA ? ' (seen)' : ' (NOT seen in the check above!)'}.`,
      `- Both ${requireMA ? 'require and verify' : 'do not require'} Message-Authenticator on requests (FreeRADIUS: require_message_authenticator = ${requireMA ? 'yes' : 'no'} for the client).`,
      '- FreeRADIUS runs its stock default site (filter_username, preprocess, chap, mschap, digest, suffix, eap, files, expiration,',
      '  logintime, pap; no SQL/LDAP) with auth logging off and writes nothing per request; Lanyard writes a decision event per',
      '  request to SQLite and keeps its duplicate cache and latency histogram on. FreeRADIUS is multi-threaded (thread pool);',
      '  Lanyard answers on one Node event loop; its decision events are appended on an audit thread with events.decisionWriter',
      '  thread (auto on 2+ cores), and its WAL checkpoints on another; all its threads are counted in its CPU.',
      '- Requests/s is bounded by radclient sharing this machine (see its CPU per request); server CPU µs per request is the',
      '  figure to compare. CPU is read from /proc/<pid>/stat (10 ms ticks) 250 ms after each round; the "whole run" row',
      '  also counts work done later (FreeRADIUS frees requests after cleanup_delay = 5 s) and idle time between rounds.',
      '',
    ];
    process.stdout.write(out.join('\n'));
  } finally {
    for (const s of servers) await s.stop(5000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:radius failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
  // Children are killed by the exit handler; make sure we do exit even if a handle lingers.
  setTimeout(() => process.exit(1), 10_000).unref();
});
