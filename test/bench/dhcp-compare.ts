/**
 * `npm run bench:dhcp` (issue 5 item 4, issue 4 "What must show"): Lanyard's DHCP serve mode
 * against ISC Kea (kea-dhcp4, memfile leases), measured the same way in one run on this machine.
 *
 * Each server runs in a network namespace of its own (test/helpers/netns.ts) on the same kind of
 * link: server 10.100.0.1/16 ⟷ 10.100.0.2/16 in a "relay" namespace where perfdhcp runs. perfdhcp
 * always acts as a relay (giaddr = its interface address, RFC 1542 §4.1.1), so both servers serve
 * one pool in 10.100.0.0/16 (10.100.1.0–10.100.255.254, 65,279 addresses for perfdhcp's 60,000
 * simulated clients) and unicast replies to 10.100.0.2:67.
 *
 *   1. For each server, a short bounded search for the highest rate perfdhcp can offer with no
 *      dropped exchange (doubling, then halving the interval; at most BENCH_PROBES probes).
 *   2. BENCH_ROUNDS rounds alternating Kea, Lanyard, Kea, … each at its own highest clean rate:
 *      4-way exchanges per second (ACKs ÷ perfdhcp's sending period — perfdhcp's own "Rate" also
 *      counts its wait time), drops, and server CPU µs per exchange (from /proc/<pid>/stat, all
 *      threads). Median and spread over the rounds, and the ratio Lanyard/Kea.
 *
 * Options (environment): BENCH_QUICK=1 or --quick (2 rounds, 3 probes: a smoke run),
 * BENCH_ROUNDS (5), BENCH_PROBES (8), BENCH_PERIOD seconds per perfdhcp run (5), BENCH_START_RATE
 * (2000), BENCH_MAX_DROP_PCT drops tolerated as "clean" (0), BENCH_ONLY=kea|lanyard (both),
 * BENCH_LANYARD_MAIN (dist/src/main.js).
 *
 * Needs root (namespaces, port 67, raw sockets), kea-dhcp4 (kea-dhcp4-server) and perfdhcp (kea-admin).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLanyardIn, writeDhcpConfig, type NsDaemon } from '../helpers/dhcp-clients.js';
import { netnsUnavailable, Topology, type NsProcess } from '../helpers/netns.js';
import { which } from './freeradius.js';
import { startKea } from './kea.js';
import { fmt, machineCpuUs, median, procCpuUs, ratioOfMedians, summary, envNumber } from './stats.js';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const envNum = (name: string, dflt: number): number => envNumber(name, dflt);
const ROUNDS = Math.max(1, Math.floor(envNum('BENCH_ROUNDS', QUICK ? 2 : 5)));
const PROBES = Math.max(1, Math.floor(envNum('BENCH_PROBES', QUICK ? 3 : 8)));
const PERIOD_S = Math.max(1, Math.floor(envNum('BENCH_PERIOD', 5)));
const START_RATE = Math.max(100, Math.floor(envNum('BENCH_START_RATE', 2000)));
const MAX_DROP_PCT = envNum('BENCH_MAX_DROP_PCT', 0);
const ONLY = process.env.BENCH_ONLY ?? 'both';
/** Kea's socket type: every request here is relayed, so UDP sockets suffice (raw: as on a directly attached LAN). */
const KEA_SOCKETS = (process.env.BENCH_KEA_SOCKETS ?? 'udp') as 'udp' | 'raw';
if (KEA_SOCKETS !== 'udp' && KEA_SOCKETS !== 'raw') throw new Error('BENCH_KEA_SOCKETS must be udp or raw');
if (!['both', 'kea', 'lanyard'].includes(ONLY)) throw new Error('BENCH_ONLY must be kea, lanyard or both');
/** Simulated clients (perfdhcp -R): fewer than the pool's addresses, so no round can exhaust it. */
const CLIENTS = 60_000;
/** The search stops once the clean and the dropping rate are this close (relative). */
const RESOLUTION = 0.1;
/** After perfdhcp exits, wait this long before reading server CPU (lease writes may trail). */
const SETTLE_MS = 300;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const LANYARD_MAIN = path.resolve(process.env.BENCH_LANYARD_MAIN ?? path.join(ROOT, 'dist/src/main.js'));

const LAN = '10.100.0.0/16';
const SERVER_IP = '10.100.0.1';
const POOL_FIRST = '10.100.1.0';
const POOL_LAST = '10.100.255.254';
const DNS = '10.100.0.53';
const LEASE_S = 3600;

// ---------------------------------------------------------------------------------------------
// perfdhcp

export interface PerfdhcpResult {
  readonly rate: number;
  readonly discovers: number;
  readonly offers: number;
  readonly requests: number;
  readonly acks: number;
  /** DISCOVER-OFFER drops + REQUEST-ACK drops, as perfdhcp counts them. */
  readonly drops: number;
  /** perfdhcp's own "Rate:" line (exchanges over the whole run, wait time included). */
  readonly reportedRate: number;
  readonly exitCode: number | null;
}

/** The numbers of perfdhcp's "***Statistics for: X***" section, or NaN when absent. */
function section(out: string, name: string): { sent: number; received: number; drops: number } {
  const start = out.indexOf(`***Statistics for: ${name}***`);
  if (start < 0) return { sent: NaN, received: NaN, drops: NaN };
  const next = out.indexOf('***Statistics for:', start + 10);
  const text = out.slice(start, next < 0 ? undefined : next);
  const num = (label: string): number => Number(new RegExp(`^${label}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { sent: num('sent packets'), received: num('received packets'), drops: num('drops') };
}

export function parsePerfdhcp(out: string, rate: number, exitCode: number | null): PerfdhcpResult {
  const dora = section(out, 'DISCOVER-OFFER');
  const rack = section(out, 'REQUEST-ACK');
  const reported = Number(/^Rate:\s*([\d.]+)/m.exec(out)?.[1] ?? NaN);
  // perfdhcp prints no REQUEST-ACK section when no OFFER ever came back: then nothing was acknowledged.
  const acks = Number.isNaN(rack.received) ? 0 : rack.received;
  return {
    rate,
    discovers: dora.sent,
    offers: dora.received,
    requests: Number.isNaN(rack.sent) ? 0 : rack.sent,
    acks,
    drops: dora.drops + (Number.isNaN(rack.drops) ? 0 : rack.drops),
    reportedRate: reported,
    exitCode,
  };
}

// ---------------------------------------------------------------------------------------------

interface Side {
  readonly name: 'Kea' | 'Lanyard';
  readonly topo: Topology;
  readonly proc: NsProcess;
  readonly pid: number;
  readonly note: string;
  /** Lanyard: its SIGUSR2 stats (DHCP counters). */
  readonly daemon?: NsDaemon;
}

interface Round {
  readonly rate: number;
  readonly exchangesPerS: number;
  readonly drops: number;
  readonly dropPct: number;
  readonly cpuUsPerExchange: number;
  /** CPU cores used meanwhile by everything but this server and perfdhcp (kernel network work included), and hypervisor steal. */
  readonly otherCores: number;
  readonly stealCores: number;
  readonly perfdhcpCores: number;
  /** Kernel UDP receive-buffer overflows in the server's namespace (NaN for Kea: it reads raw sockets and leaves its UDP socket unread), and in perfdhcp's. */
  readonly rcvbufErrors: number;
  readonly clientRcvbufErrors: number;
  /** Lanyard's own counters over the round: datagrams it dropped, and requests it left unanswered by reason. */
  readonly serverDrops: number;
  readonly unanswered: Readonly<Record<string, number>>;
}

/** UDP RcvbufErrors of a network namespace (its own /proc/net/snmp). */
function rcvbufErrorsIn(ns: string): number {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { encoding: 'utf8', timeout: 5000 });
  const lines = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  return Number(lines[1]?.split(/\s+/)[names.indexOf('RcvbufErrors')] ?? NaN);
}

const sumOf = (r: Readonly<Record<string, number>> | undefined): number => Object.values(r ?? {}).reduce((a, b) => a + b, 0);

/** b - a per key, the non-zero ones. */
function delta(a: Readonly<Record<string, number>> | undefined, b: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b ?? {})) if (v - (a?.[k] ?? 0) !== 0) out[k] = v - (a?.[k] ?? 0);
  return out;
}

/** perfdhcp's CPU from bash `times` (its children's user and system time). */
function childTimes(stderr: string): number {
  const lines = stderr.trim().split('\n').filter((l) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(l.trim()));
  const t = (s: string): number => {
    const m = /^(\d+)m([\d.]+)s$/.exec(s);
    return m ? (Number(m[1]) * 60 + Number(m[2])) * 1e6 : NaN;
  };
  const [u = '', s = ''] = lines[lines.length - 1]?.trim().split(' ') ?? [];
  return t(u) + t(s);
}

async function measure(side: Side, rate: number): Promise<Round> {
  const relay = side.topo.relay!;
  const stats0 = side.daemon === undefined ? null : await side.daemon.dhcpStats();
  const rcv0 = side.name === 'Lanyard' ? rcvbufErrorsIn(side.topo.server.name) : NaN;
  const crcv0 = rcvbufErrorsIn(relay.name);
  const m0 = machineCpuUs();
  const cpu0 = procCpuUs(side.pid);
  const t0 = process.hrtime.bigint();
  // Under bash so `times` reports perfdhcp's CPU; -W: wait 300 ms for late replies after the period.
  const r = await relay.exec(
    'bash',
    ['-c', '"$0" "$@"; rc=$?; times >&2; exit $rc', 'perfdhcp', '-4', '-l', side.topo.relayUpIf!, '-r', String(rate), '-R', String(CLIENTS), '-p', String(PERIOD_S), '-W', '300000', side.topo.serverIp],
    { timeoutMs: (PERIOD_S + 30) * 1000 },
  );
  await new Promise((res) => setTimeout(res, SETTLE_MS));
  const cpu = procCpuUs(side.pid) - cpu0;
  const m1 = machineCpuUs();
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
  const rcv1 = side.name === 'Lanyard' ? rcvbufErrorsIn(side.topo.server.name) : NaN;
  const crcv1 = rcvbufErrorsIn(relay.name);
  const stats1 = side.daemon === undefined ? null : await side.daemon.dhcpStats();
  if (side.proc.exited()) throw new Error(`${side.name} exited during a round:\n${(side.proc.stdout() + side.proc.stderr()).slice(-3000)}`);
  const p = parsePerfdhcp(r.stdout, rate, r.code);
  if (Number.isNaN(p.discovers)) throw new Error(`perfdhcp against ${side.name} printed no statistics (exit ${r.code}, ${r.timedOut ? 'timed out' : ''}):\n${r.stdout}\n${r.stderr}`.slice(-3000));
  const clientUs = childTimes(r.stderr);
  return {
    rate,
    exchangesPerS: p.acks / PERIOD_S,
    drops: p.drops,
    dropPct: p.discovers > 0 ? (p.drops / p.discovers) * 100 : 0,
    cpuUsPerExchange: cpu / Math.max(1, p.acks),
    otherCores: Math.max(0, m1.busy - m0.busy - cpu - (Number.isNaN(clientUs) ? 0 : clientUs)) / wallUs,
    stealCores: (m1.steal - m0.steal) / wallUs,
    perfdhcpCores: clientUs / wallUs,
    rcvbufErrors: rcv1 - rcv0,
    clientRcvbufErrors: crcv1 - crcv0,
    serverDrops: stats0 === null || stats1 === null ? NaN : sumOf(stats1.drops) - sumOf(stats0.drops),
    unanswered: delta(stats0?.unanswered, stats1?.unanswered),
  };
}

/** Highest rate (to 100/s) with drops ≤ MAX_DROP_PCT, in at most PROBES perfdhcp runs. */
async function searchRate(side: Side): Promise<{ rate: number; probes: string[] }> {
  let clean = 0;
  let dirty = Infinity;
  let rate = START_RATE;
  const probes: string[] = [];
  for (let i = 0; i < PROBES; i++) {
    const r = await measure(side, rate);
    const ok = r.dropPct <= MAX_DROP_PCT;
    probes.push(`${fmt(rate)}${ok ? '' : ` (${fmt(r.drops)} drops)`}`);
    process.stderr.write(`bench:dhcp: ${side.name} probe ${i + 1}/${PROBES}: offered ${fmt(rate)}/s → ${fmt(r.exchangesPerS)} exchanges/s, ${fmt(r.drops)} drops\n`);
    if (ok) clean = Math.max(clean, rate);
    else dirty = Math.min(dirty, rate);
    if (dirty !== Infinity && (dirty - clean) / dirty <= RESOLUTION) break;
    const next = dirty === Infinity ? rate * 2 : Math.round((clean + dirty) / 2 / 100) * 100;
    if (next === rate || next <= 0) break;
    rate = next;
  }
  // Nothing clean at all: report the lowest rate tried, whose drops the rounds will show.
  return { rate: clean > 0 ? clean : Math.max(100, Math.round(Math.min(rate, dirty) / 100) * 100), probes };
}

// ---------------------------------------------------------------------------------------------
// The two servers

function lanyardConfig(dir: string): string {
  // The shipped policy (networks, classes, profiles), with DHCP serving BYOD's pool: BYOD admits
  // unknown devices as visitors, and perfdhcp's 60,000 random MACs are unknown.
  const file = path.join(dir, 'lanyard.yaml');
  writeDhcpConfig(file, {
    base: path.join(ROOT, 'config/lanyard.yaml'),
    dataDir: dir,
    logLevel: 'info',
    serverId: SERVER_IP,
    directNetwork: null,
    scopes: { BYOD: { subnet: LAN, pools: [`${POOL_FIRST}-${POOL_LAST}`], router: SERVER_IP, dns: [DNS], leaseTime: LEASE_S } },
  });
  return file;
}

async function startLanyard(topo: Topology, dir: string): Promise<Side> {
  const config = lanyardConfig(dir);
  const check = spawnSync(process.execPath, [LANYARD_MAIN, 'check-config', '--config', config], { encoding: 'utf8', timeout: 60_000 });
  if (check.status !== 0) throw new Error(`Lanyard rejects the benchmark config (${config}): does this build have DHCP serve mode?\n${check.stdout}${check.stderr}`);
  // Log level info, the shipped default: no per-packet lines, and the SIGUSR2 stats line is printed.
  const d = await startLanyardIn(topo.server, { cli: LANYARD_MAIN, config, db: path.join(dir, 'lanyard.db'), logLevel: 'info' });
  return { name: 'Lanyard', topo, proc: d.proc, pid: d.proc.pid, note: `serve mode, SQLite leases (${LANYARD_MAIN})`, daemon: d };
}

function keaVersion(): string {
  const r = spawnSync('kea-dhcp4', ['-v'], { encoding: 'utf8', timeout: 10_000 });
  return `${(r.stdout ?? '').trim().split('\n')[0] ?? '?'}`;
}

function threadsOf(pid: number): number {
  return Number(/^Threads:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

function rssMiB(pid: number): number {
  return Number(/^VmRSS:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

async function main(): Promise<void> {
  const why = netnsUnavailable();
  if (why !== null) throw new Error(why.replace('DHCP interop tests', 'bench:dhcp'));
  for (const [cmd, pkg] of [['kea-dhcp4', 'kea-dhcp4-server'], ['perfdhcp', 'kea-admin']] as const) {
    if (which(cmd) === null) throw new Error(`bench:dhcp needs ${cmd}: apt-get install -y ${pkg}`);
  }
  // Ctrl-C or SIGTERM: exit through process.exit so the namespaces' exit hook removes everything.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(130));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-bench-dhcp-'));
  const topos: Topology[] = [];
  const sides: Side[] = [];
  try {
    const newTopo = (): Topology => {
      const t = new Topology({ kind: 'relay', clients: 0, serverLan: LAN });
      topos.push(t);
      return t;
    };
    if (ONLY !== 'lanyard') {
      const topo = newTopo();
      const kea = await startKea(topo.server, { iface: topo.serverIf, subnets: [{ subnet: LAN, pools: [`${POOL_FIRST} - ${POOL_LAST}`], router: SERVER_IP, dns: [DNS] }], leaseSeconds: LEASE_S, severity: 'WARN', socketType: KEA_SOCKETS }, path.join(dir, 'kea'));
      sides.push({ name: 'Kea', topo, proc: kea.proc, pid: kea.pid, note: `${keaVersion()}, memfile (persist, lfc off), ${KEA_SOCKETS} sockets, stock threading` });
    }
    if (ONLY !== 'kea') {
      const topo = newTopo();
      const ldir = path.join(dir, 'lanyard');
      mkdirSync(ldir, { recursive: true });
      sides.push(await startLanyard(topo, ldir));
    }

    // ---- 1. The highest clean rate of each (also the warm-up: the pool fills with 60,000 leases)
    const found = new Map<string, { rate: number; probes: string[] }>();
    for (const s of sides) found.set(s.name, await searchRate(s));

    // ---- 2. Alternating rounds at those rates
    const rounds = new Map<string, Round[]>(sides.map((s) => [s.name, []]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const s of sides) {
        const r = await measure(s, found.get(s.name)!.rate);
        rounds.get(s.name)!.push(r);
        process.stderr.write(`bench:dhcp: round ${i + 1}/${ROUNDS} ${s.name}: ${fmt(r.exchangesPerS)} exchanges/s, ${fmt(r.drops)} drops, ${fmt(r.cpuUsPerExchange, 1)} µs CPU/exchange\n`);
      }
    }

    // ---- Report
    const cpu = os.cpus();
    const pad = (s: string, w: number): string => (s.length >= w ? s + ' ' : s + ' '.repeat(w - s.length));
    const row = (label: string, f: (s: Side, rs: Round[]) => string): string => pad(label, 34) + sides.map((s) => pad(f(s, rounds.get(s.name)!), 44)).join('');
    const col = (f: (r: Round) => number, d = 0) => (_s: Side, rs: Round[]): string => summary(rs.map(f), d);
    const all = [...rounds.values()].flat();
    const busy = median(all.map((r) => r.otherCores));
    const k = rounds.get('Kea');
    const l = rounds.get('Lanyard');
    const out = [
      `Lanyard vs Kea — DHCPv4 4-way exchanges (DORA) from perfdhcp acting as a relay, in network namespaces, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${QUICK ? ' — QUICK smoke run, not a measurement' : ''}`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), Linux ${os.release()}; Node ${process.version}`,
      `perfdhcp -4 -l <relay if> -r RATE -R ${CLIENTS} -p ${PERIOD_S} -W 300000 ${SERVER_IP}; pool ${POOL_FIRST}-${POOL_LAST} (${LAN}), lease ${LEASE_S} s`,
      `rate search: from ${fmt(START_RATE)}/s, doubling then bisecting, ≤ ${PROBES} probes, "clean" = drops ≤ ${MAX_DROP_PCT} %; then ${ROUNDS} rounds alternating ${sides.map((s) => s.name).join(', ')}`,
      ...sides.map((s) => `${s.name}: ${s.note}; pid ${s.pid}, ${threadsOf(s.pid)} threads, RSS ${fmt(rssMiB(s.pid), 1)} MiB at end`),
      ...sides.map((s) => `${s.name} probes (offered/s): ${found.get(s.name)!.probes.join(', ')} → ${fmt(found.get(s.name)!.rate)}/s`),
      '',
      row('median (min–max, spread)', (s) => s.name),
      row('offered rate (perfdhcp -r)', (s) => fmt(found.get(s.name)!.rate)),
      row('4-way exchanges/s (ACKs ÷ period)', col((r) => r.exchangesPerS)),
      row('drops per round', col((r) => r.drops)),
      row('server CPU µs per exchange', col((r) => r.cpuUsPerExchange, 1)),
      row('perfdhcp CPU, cores', col((r) => r.perfdhcpCores, 2)),
      row('other processes, CPU cores', col((r) => r.otherCores, 2)),
      row('hypervisor steal, cores', col((r) => r.stealCores, 2)),
      '',
      ...(k !== undefined && l !== undefined
        ? [
            `ratio Lanyard/Kea: exchanges/s ${ratioOfMedians(l.map((r) => r.exchangesPerS), k.map((r) => r.exchangesPerS))}; ` +
              `server CPU µs per exchange ${ratioOfMedians(l.map((r) => r.cpuUsPerExchange), k.map((r) => r.cpuUsPerExchange))} (lower is better)`,
          ]
        : []),
      ...sides.map((s) => `rounds, ${s.name}: ${rounds.get(s.name)!.map((r) => `${fmt(r.exchangesPerS)}/s ${fmt(r.drops)} drops`).join(' | ')}`),
      ...sides.map((s) => `rounds, perfdhcp's namespace kernel UDP receive-buffer drops against ${s.name}: ${rounds.get(s.name)!.map((r) => fmt(r.clientRcvbufErrors)).join(' ')}`),
      ...(l === undefined
        ? []
        : [
            `rounds, Lanyard's namespace kernel UDP receive-buffer drops: ${l.map((r) => fmt(r.rcvbufErrors)).join(' ')}; its own drop counters: ${l.map((r) => fmt(r.serverDrops)).join(' ')}`,
            `rounds, Lanyard's unanswered requests by reason: ${l.map((r) => (Object.keys(r.unanswered).length === 0 ? 'none' : JSON.stringify(r.unanswered))).join(' | ')}`,
          ]),
      busy > 0.15
        ? `WARNING: other processes used ${fmt(busy, 2)} CPU cores (median) during the rounds: these figures are disturbed. Re-run on an idle machine.`
        : `machine otherwise idle: other processes used ${fmt(busy, 2)} cores (median) during the rounds`,
      '',
    ];
    process.stdout.write(out.join('\n'));
  } finally {
    for (const s of sides) await s.proc.stop(5000);
    for (const t of topos) await t.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:dhcp failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 10_000).unref();
});
