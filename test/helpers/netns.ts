/**
 * Throw-away network namespaces for DHCP interop tests and benchmarks (PEERS.md, "DHCP across
 * network namespaces"). Two shapes:
 *
 *   direct:  [srv] s0 10.99.0.1/24 ── bridge ── c0..cN  [cli0] … [cliN]
 *   relay:   [srv] s0 10.99.0.1/24 ── r0 10.99.0.2/24 [rly] bridge 10.99.1.1/24 ── c0..cN  [cli0] … [cliN]
 *
 * In the relay shape the relay namespace forwards IP (clients renew by unicast to the server
 * through it) and the server has a route back to the client LAN (replies go to giaddr).
 *
 * Names are unique per process and topology (a pid-based tag), interface names stay within the
 * kernel's 15 characters (IFNAMSIZ - 1). Every process started in a namespace is tracked; destroy()
 * is idempotent, kills whatever still runs inside the namespaces (by pid, from `ip netns pids`,
 * which also catches clients that daemonised themselves) and deletes the namespaces. It runs from
 * afterAll and, as a last resort, when the process exits. No traffic leaves these namespaces:
 * none of them has a route to the host.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Why namespaces cannot be used here, or null when they can (root and a working `ip netns`). */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'DHCP interop tests need root (network namespaces, port 67, raw sockets); skipped because this is not root';
  const probe = `lyhprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8', timeout: 10_000 });
  if (add.status !== 0) return `'ip netns add' does not work here (${(add.stderr || add.error?.message || `exit ${add.status}`).trim()}); DHCP interop tests skipped`;
  spawnSync('ip', ['netns', 'del', probe], { timeout: 10_000 });
  return null;
}

/** Runs `ip ARGS` (or any command) synchronously; throws with its stderr on failure. */
export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}, signal ${r.signal}`}): ${(r.stderr ?? '').trim()}`);
  return r.stdout;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the time limit killed it. */
  readonly timedOut: boolean;
}

/** A process started inside a namespace, tracked until it exits. */
export interface NsProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  exited(): boolean;
  /** Resolves when it has exited (immediately if it has). */
  done(): Promise<ExecResult>;
  /** Sends a signal if it still runs. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<ExecResult>;
}

export class Netns {
  private readonly procs = new Set<NsProcess>();
  constructor(readonly name: string) {}

  /** Starts `cmd args` inside the namespace (`ip netns exec NAME cmd args`), killed after `timeoutMs`. */
  spawn(cmd: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): NsProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    if (child.pid === undefined) throw new Error(`could not start ${cmd} in namespace ${this.name}`);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out = keepTail(out + d)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = keepTail(err + d)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    const finished = new Promise<ExecResult>((resolve) => {
      child.on('error', (e) => (err += `\nspawn error: ${e.message}`));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.procs.delete(proc);
        resolve({ code, signal, stdout: out, stderr: err, timedOut });
      });
    });
    const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
    const proc: NsProcess = {
      child,
      pid: child.pid,
      stdout: () => out,
      stderr: () => err,
      exited,
      done: () => finished,
      signal(sig) {
        if (!exited()) child.kill(sig);
      },
      async stop(graceMs = 3000) {
        if (!exited()) {
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await finished;
          clearTimeout(kill);
        }
        return finished;
      },
    };
    this.procs.add(proc);
    return proc;
  }

  /** Runs a command to completion inside the namespace, bounded by `timeoutMs`. */
  exec(cmd: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
    return this.spawn(cmd, args, { timeoutMs: opts.timeoutMs ?? 20_000, env: opts.env }).done();
  }

  /** `ip -n NAME ARGS`, synchronously; throws on failure. */
  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** Stops (SIGTERM, then SIGKILL) every process this object started that still runs. */
  async stopTracked(graceMs = 2000): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.stop(graceMs)));
  }

  /** SIGKILLs every process this object started that still runs. */
  killTracked(): void {
    for (const p of this.procs) p.signal('SIGKILL');
  }
}

/** Keeps the last 256 KiB of a process's output (a chatty daemon must not grow memory without bound). */
function keepTail(s: string): string {
  return s.length > 262_144 ? s.slice(-262_144) : s;
}

export interface TopologyOptions {
  readonly kind: 'direct' | 'relay';
  /** Client namespaces on the client LAN (default 1). */
  readonly clients?: number;
  /** Server LAN: the server is .1 (first host), the relay .2. Default 10.99.0.0/24. */
  readonly serverLan?: string;
  /** Client LAN behind the relay (relay kind only): the relay is .1. Default 10.99.1.0/24. */
  readonly clientLan?: string;
}

export interface ClientSide {
  readonly ns: Netns;
  /** The client's interface inside its namespace. */
  readonly iface: string;
  /** Its MAC address, aa:bb:… (set by the topology so tests can register it). */
  readonly mac: string;
}

const live = new Set<Topology>();
let exitHookInstalled = false;
let counter = 0;

/** Prefix of every namespace this module creates; the pid follows it, so a later run can tell stale ones apart. */
const NS_PREFIX = 'lyh-';

/** Adds `n` to the host part of a dotted IPv4 network address. */
export function hostOf(cidr: string, n: number): string {
  const [addr] = cidr.split('/');
  const parts = (addr ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad CIDR ${cidr}`);
  const v = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const h = (v + n) >>> 0;
  return [h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255].join('.');
}

/** The prefix length of a CIDR. */
export function prefixOf(cidr: string): number {
  const p = Number(cidr.split('/')[1]);
  if (!Number.isInteger(p) || p < 0 || p > 32) throw new Error(`bad CIDR ${cidr}`);
  return p;
}

/**
 * Deletes namespaces left by an earlier run of this module whose process is gone (a killed test
 * run cannot clean up after itself). Only names with this module's prefix and a dead pid.
 */
function removeStale(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  for (const line of list.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = new RegExp(`^${NS_PREFIX}(\\d+)-`).exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    destroyNamespace(name);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process inside a namespace (pids from `ip netns pids`), then deletes it. Never throws. */
function destroyNamespace(name: string): void {
  // A process may fork while we kill; two passes catch children started meanwhile.
  for (let pass = 0; pass < 2; pass++) {
    const pids = (spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '').split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 0);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (pids.length === 0) break;
    spawnSync('sleep', ['0.1']);
  }
  spawnSync('ip', ['netns', 'del', name], { timeout: 10_000 });
}

/** A set of namespaces joined by veth pairs; see the module comment for the two shapes. */
export class Topology {
  readonly tag: string;
  readonly server: Netns;
  readonly relay: Netns | null;
  readonly clients: readonly ClientSide[];
  /** The server's interface and address (on the server LAN). */
  readonly serverIf: string;
  readonly serverIp: string;
  readonly serverLan: string;
  /** Relay kind: the relay's upstream interface/address (server LAN), and the client LAN bridge and its address (the giaddr). */
  readonly relayUpIf: string | null;
  readonly relayUpIp: string | null;
  readonly relayDownIf: string | null;
  readonly relayDownIp: string | null;
  readonly clientLan: string;
  private readonly namespaces: Netns[] = [];
  private destroyed = false;

  /** Creates the namespaces and links; on any failure, removes what it made and throws. */
  constructor(opts: TopologyOptions) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      removeStale();
      process.on('exit', () => {
        for (const t of live) t.destroySync();
      });
    }
    const n = counter++;
    // Interface tag: 'h' + pid in base 36 (≤ 5 chars) + topology number: ≤ 9 chars, then ≤ 5 more.
    this.tag = `h${process.pid.toString(36)}${n.toString(36)}`;
    const nsName = (role: string): string => `${NS_PREFIX}${process.pid}-${n}-${role}`;
    const serverLan = opts.serverLan ?? '10.99.0.0/24';
    const clientLan = opts.kind === 'relay' ? (opts.clientLan ?? '10.99.1.0/24') : serverLan;
    this.serverLan = serverLan;
    this.clientLan = clientLan;
    const bridge = `${this.tag}br`;
    // On a direct LAN the server's interface is the bridge the clients hang off.
    this.serverIf = opts.kind === 'relay' ? `${this.tag}s0` : bridge;
    this.serverIp = hostOf(serverLan, 1);
    this.server = new Netns(nsName('srv'));
    this.relay = opts.kind === 'relay' ? new Netns(nsName('rly')) : null;
    this.relayUpIf = this.relay ? `${this.tag}r0` : null;
    this.relayUpIp = this.relay ? hostOf(serverLan, 2) : null;
    this.relayDownIf = this.relay ? bridge : null;
    this.relayDownIp = this.relay ? hostOf(clientLan, 1) : null;
    const count = opts.clients ?? 1;
    const clients: ClientSide[] = [];
    for (let i = 0; i < count; i++) {
      // Locally administered unicast MACs (02:…): the pid and topology make them unique per run.
      const mac = ['02', '99', ((process.pid >>> 8) & 255).toString(16), (process.pid & 255).toString(16), n.toString(16), i.toString(16)].map((b) => b.padStart(2, '0').slice(-2)).join(':');
      clients.push({ ns: new Netns(nsName(`cli${i}`)), iface: `${this.tag}c${i}`, mac });
    }
    this.clients = clients;
    live.add(this);
    try {
      this.build(count, bridge);
    } catch (e) {
      this.destroySync();
      throw e;
    }
  }

  private add(ns: Netns): void {
    run('ip', ['netns', 'add', ns.name]);
    this.namespaces.push(ns);
    ns.ip('link', 'set', 'lo', 'up');
  }

  private build(count: number, bridge: string): void {
    this.add(this.server);
    // The LAN the clients sit on: a bridge in the server namespace (direct) or the relay's (relay).
    const lanNs = this.relay ?? this.server;
    if (this.relay !== null) {
      this.add(this.relay);
      run('ip', ['link', 'add', this.serverIf, 'netns', this.server.name, 'type', 'veth', 'peer', 'name', this.relayUpIf!, 'netns', this.relay.name]);
      this.server.ip('addr', 'add', `${this.serverIp}/${prefixOf(this.serverLan)}`, 'dev', this.serverIf);
      this.server.ip('link', 'set', this.serverIf, 'up');
      this.relay.ip('addr', 'add', `${this.relayUpIp}/${prefixOf(this.serverLan)}`, 'dev', this.relayUpIf!);
      this.relay.ip('link', 'set', this.relayUpIf!, 'up');
      this.relay.ip('link', 'add', bridge, 'type', 'bridge');
      this.relay.ip('addr', 'add', `${this.relayDownIp}/${prefixOf(this.clientLan)}`, 'dev', bridge);
      this.relay.ip('link', 'set', bridge, 'up');
      // The relay is the client LAN's router: clients renew and release by unicast through it.
      // (/proc/sys/net is the writer's namespace's; no sysctl binary needed.)
      run('ip', ['netns', 'exec', this.relay.name, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
      // Replies to giaddr (RFC 2131 §4.1) and to renewing clients' ciaddr go back through the relay.
      this.server.ip('route', 'add', this.clientLan, 'via', this.relayUpIp!);
    } else {
      this.server.ip('link', 'add', bridge, 'type', 'bridge');
      this.server.ip('addr', 'add', `${this.serverIp}/${prefixOf(this.serverLan)}`, 'dev', bridge);
      this.server.ip('link', 'set', bridge, 'up');
    }
    for (let i = 0; i < count; i++) {
      const c = this.clients[i]!;
      this.add(c.ns);
      const port = `${this.tag}p${i}`;
      run('ip', ['link', 'add', c.iface, 'netns', c.ns.name, 'type', 'veth', 'peer', 'name', port, 'netns', lanNs.name]);
      lanNs.ip('link', 'set', port, 'master', bridge);
      lanNs.ip('link', 'set', port, 'up');
      c.ns.ip('link', 'set', c.iface, 'address', c.mac);
      c.ns.ip('link', 'set', c.iface, 'up');
    }
  }

  /** Every namespace of this topology. */
  all(): readonly Netns[] {
    return this.namespaces;
  }

  /** Kills everything running inside and deletes the namespaces; safe to call more than once. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await Promise.all(this.namespaces.map((ns) => ns.stopTracked()));
    this.destroySync();
  }

  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const ns of this.namespaces) ns.killTracked();
    for (const ns of [...this.namespaces].reverse()) destroyNamespace(ns.name);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** UDP ports bound inside a namespace (from `ss -Hulnp`), as "addr:port" strings. */
export async function boundUdp(ns: Netns): Promise<string[]> {
  const r = await ns.exec('ss', ['-Huln'], { timeoutMs: 5000 });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3] ?? '')
    .filter(Boolean);
}

/** Waits (bounded) until something in `ns` has UDP port `port` bound, or `proc` exits. */
export async function waitForUdpPort(ns: Netns, proc: NsProcess, port: number, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited()) throw new Error(`${what} exited while starting:\n${proc.stdout()}${proc.stderr()}`.slice(-4000));
    if ((await boundUdp(ns)).some((a) => a.endsWith(`:${port}`))) return;
    await sleep(100);
  }
  throw new Error(`${what} did not bind UDP port ${port} within ${timeoutMs / 1000} s:\n${proc.stdout()}${proc.stderr()}`.slice(-4000));
}

/** Waits (bounded) until `proc` has printed a line matching `re` (stdout or stderr); throws if it exits or time runs out. */
export async function waitForOutput(proc: NsProcess, re: RegExp, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(proc.stdout() + proc.stderr())) {
    if (proc.exited() || Date.now() > deadline) throw new Error(`${what} ${proc.exited() ? 'exited' : `printed nothing matching ${re} within ${timeoutMs / 1000} s`}:\n${proc.stdout()}${proc.stderr()}`.slice(-3000));
    await sleep(50);
  }
}
