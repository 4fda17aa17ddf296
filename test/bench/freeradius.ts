/**
 * Helpers for `npm run bench:radius`: make sure FreeRADIUS and radclient are installed, build a
 * private FreeRADIUS 3.2 config tree (a copy of /etc/freeradius/3.0, never edited in place)
 * that listens on 127.0.0.1 only, run servers as child processes that are always killed, and
 * drive radclient. Nothing here sends traffic anywhere but 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Installation

/** Absolute path of an executable on PATH (or in the sbin directories), or null. */
export function which(cmd: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = path.join(dir, cmd);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export interface FreeradiusTools {
  readonly freeradius: string;
  readonly radclient: string;
  /** First line of `freeradius -v`. */
  readonly version: string;
}

/**
 * Finds freeradius and radclient; when either is missing, installs Debian's freeradius and
 * freeradius-utils with apt-get (as root only), else throws with what to do.
 */
export function ensureFreeradius(): FreeradiusTools {
  let freeradius = which('freeradius');
  let radclient = which('radclient');
  if (freeradius === null || radclient === null) {
    const missing = [freeradius === null ? 'freeradius' : '', radclient === null ? 'radclient' : ''].filter(Boolean).join(' and ');
    const hint = 'install them with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y freeradius freeradius-utils';
    if (which('apt-get') === null) throw new Error(`bench:radius needs ${missing} (Debian packages freeradius, freeradius-utils) and this machine has no apt-get; ${hint}`);
    if (process.getuid?.() !== 0) throw new Error(`bench:radius needs ${missing}, and installing them needs root; ${hint}`);
    process.stderr.write(`bench:radius: ${missing} missing; installing freeradius freeradius-utils with apt-get\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update'], ['install', '-y', 'freeradius', 'freeradius-utils']]) {
      const r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 });
      if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}, signal ${r.signal}`}); ${hint}`);
    }
    freeradius = which('freeradius');
    radclient = which('radclient');
    if (freeradius === null || radclient === null) throw new Error(`apt-get finished but freeradius/radclient are still not found; ${hint}`);
  }
  const v = spawnSync(freeradius, ['-v'], { encoding: 'utf8', timeout: 10_000 });
  const first = `${v.stdout ?? ''}`.split('\n').find((l) => /FreeRADIUS Version/.test(l)) ?? '';
  const version = /FreeRADIUS Version [^\s,]+/.exec(first)?.[0] ?? 'FreeRADIUS (version unknown)';
  return { freeradius, radclient, version };
}

// ---------------------------------------------------------------------------------------------
// Ports

/** `count` distinct UDP ports free on 127.0.0.1 right now (bound together, then released). */
export async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets: dgram.Socket[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = dgram.createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(0, '127.0.0.1', () => resolve());
      });
    }
    return sockets.map((s) => s.address().port);
  } finally {
    for (const s of sockets) s.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The private config tree

export interface MabUser {
  /** Exactly the User-Name radclient sends. */
  readonly userName: string;
  readonly password: string;
  readonly vlan: number;
  readonly filterId: string;
  /** Session-Timeout in seconds, 0 = none. */
  readonly sessionTimeout: number;
}

export interface TreeOptions {
  /** Installed config to copy. */
  readonly source?: string;
  /** Empty directory to build the tree in (the copy goes to <dir>/raddb). */
  readonly dir: string;
  readonly authPort: number;
  readonly acctPort: number;
  readonly secret: string;
  readonly requireMessageAuthenticator: boolean;
  readonly users: readonly MabUser[];
  /**
   * radiusd.conf max_requests, or the stock value (16384) when omitted. FreeRADIUS keeps every
   * request for cleanup_delay (5 s) after replying and answers nothing new once it tracks this
   * many; its own sizing rule is 256 × the number of clients (one Identifier space each).
   */
  readonly maxRequests?: number;
}

export interface FreeradiusTree {
  /** The `-d` directory. */
  readonly raddb: string;
  readonly authPort: number;
  readonly acctPort: number;
  /** What was changed relative to the stock Debian config, for the report. */
  readonly changes: readonly string[];
}

/** Replaces `pattern` in `text`; throws when it is not there (so a changed package never silently mis-configures). */
function mustReplace(text: string, pattern: RegExp, replacement: string, what: string): string {
  if (!pattern.test(text)) throw new Error(`FreeRADIUS config: could not find ${what} (${pattern}) to change`);
  return text.replace(pattern, replacement);
}

/** Drops every `listen { ... }` block (comments and quoted strings do not count for braces). */
export function removeListenBlocks(text: string): { text: string; removed: number } {
  const out: string[] = [];
  let depth = 0;
  let removed = 0;
  for (const line of text.split('\n')) {
    const code = line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#.*$/, '');
    if (depth === 0 && /^\s*listen\s*\{/.test(code)) {
      removed++;
      depth = 0;
    } else if (depth === 0) {
      out.push(line);
      continue;
    }
    for (const ch of code) {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    if (depth < 0) throw new Error('FreeRADIUS config: unbalanced braces in a listen block');
  }
  if (depth !== 0) throw new Error('FreeRADIUS config: unterminated listen block');
  return { text: out.join('\n'), removed };
}

/** One users-file entry: check item Cleartext-Password, then the reply items. */
export function usersEntry(u: MabUser): string {
  const reply = [
    'Tunnel-Type = VLAN',
    'Tunnel-Medium-Type = IEEE-802',
    `Tunnel-Private-Group-Id = "${u.vlan}"`,
    `Filter-Id = "${u.filterId.replace(/["\\]/g, '\\$&')}"`,
    ...(u.sessionTimeout > 0 ? [`Session-Timeout = ${u.sessionTimeout}`] : []),
  ];
  return `${u.userName}\tCleartext-Password := "${u.password}"\n\t${reply.join(',\n\t')}\n`;
}

/**
 * Copies the installed config to <dir>/raddb and makes it private and loopback-only:
 * paths into the copy, no user/group switch, no proxying, no reject delay, the default
 * site on 127.0.0.1:authPort/acctPort, the inner-tunnel debug listener removed, one client
 * (127.0.0.1) with the bench secret, and a users file holding only the MAB entries.
 */
export function buildFreeradiusTree(opts: TreeOptions): FreeradiusTree {
  const source = opts.source ?? '/etc/freeradius/3.0';
  if (!existsSync(path.join(source, 'radiusd.conf'))) throw new Error(`no FreeRADIUS config at ${source} (is the freeradius package installed?)`);
  mkdirSync(opts.dir, { recursive: true });
  const raddb = path.join(opts.dir, 'raddb');
  const cp = spawnSync('cp', ['-a', source, raddb], { encoding: 'utf8', timeout: 60_000 });
  if (cp.status !== 0) throw new Error(`cp -a ${source} ${raddb} failed: ${cp.stderr || cp.error?.message}`);
  const logdir = path.join(opts.dir, 'log');
  const runDir = path.join(opts.dir, 'run');
  mkdirSync(logdir, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  const changes: string[] = [];

  // radiusd.conf
  const confFile = path.join(raddb, 'radiusd.conf');
  let conf = readFileSync(confFile, 'utf8');
  conf = mustReplace(conf, /^(\s*)raddbdir\s*=.*$/m, `$1raddbdir = ${raddb}`, 'raddbdir');
  conf = mustReplace(conf, /^(\s*)logdir\s*=.*$/m, `$1logdir = ${logdir}`, 'logdir');
  conf = mustReplace(conf, /^(\s*)run_dir\s*=.*$/m, `$1run_dir = ${runDir}`, 'run_dir');
  conf = mustReplace(conf, /^(\s*)(user\s*=.*)$/m, '$1#$2', 'user');
  conf = mustReplace(conf, /^(\s*)(group\s*=.*)$/m, '$1#$2', 'group');
  conf = mustReplace(conf, /^(\s*)proxy_requests\s*=.*$/m, '$1proxy_requests = no', 'proxy_requests');
  conf = mustReplace(conf, /^(\s*)(\$INCLUDE\s+proxy\.conf.*)$/m, '$1#$2', '$INCLUDE proxy.conf');
  conf = mustReplace(conf, /^(\s*)reject_delay\s*=.*$/m, '$1reject_delay = 0', 'reject_delay');
  if (opts.maxRequests !== undefined) conf = mustReplace(conf, /^(\s*)max_requests\s*=.*$/m, `$1max_requests = ${opts.maxRequests}`, 'max_requests');
  writeFileSync(confFile, conf);
  changes.push(
    'radiusd.conf: raddbdir/logdir/run_dir into the copy, user/group commented out, proxy_requests = no, reject_delay = 0' +
      (opts.maxRequests !== undefined ? `, max_requests = ${opts.maxRequests}` : ''),
  );

  // Listeners: the default site on loopback and our ports; the inner-tunnel debug listener removed.
  const siteFile = path.join(raddb, 'sites-available', 'default');
  const site = removeListenBlocks(readFileSync(siteFile, 'utf8'));
  if (site.removed === 0) throw new Error('FreeRADIUS config: no listen blocks in sites-available/default');
  const listen = (type: string, port: number): string => `listen {\n\ttype = ${type}\n\tipaddr = 127.0.0.1\n\tport = ${port}\n}\n`;
  const siteText = mustReplace(site.text, /^server default \{\s*$/m, `server default {\n${listen('auth', opts.authPort)}${listen('acct', opts.acctPort)}`, 'server default {');
  writeFileSync(siteFile, siteText);
  changes.push(`sites-available/default: ${site.removed} listen blocks replaced by auth 127.0.0.1:${opts.authPort} and acct 127.0.0.1:${opts.acctPort}`);
  const innerFile = path.join(raddb, 'sites-available', 'inner-tunnel');
  if (existsSync(innerFile)) {
    const inner = removeListenBlocks(readFileSync(innerFile, 'utf8'));
    writeFileSync(innerFile, inner.text);
    changes.push(`sites-available/inner-tunnel: ${inner.removed} listen block(s) (127.0.0.1:18120) removed`);
  }
  // Anything else enabled that would listen is refused rather than guessed at.
  const enabled = path.join(raddb, 'sites-enabled');
  for (const name of readdirSync(enabled)) {
    const file = path.join(enabled, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`FreeRADIUS config: cannot read sites-enabled/${name} (${readlinkSync(file)})`);
    }
    const blocks = text.split('\n').filter((l) => /^\s*listen\s*\{/.test(l.replace(/#.*$/, ''))).length;
    const loopback = (text.match(/^\s*ipaddr\s*=\s*127\.0\.0\.1\s*$/gm) ?? []).length;
    if (blocks > loopback || /^\s*ipv6addr\s*=/m.test(text) || /^\s*ipv4addr\s*=/m.test(text)) {
      throw new Error(`FreeRADIUS config: sites-enabled/${name} listens somewhere other than 127.0.0.1; disable it for the benchmark`);
    }
  }

  // clients.conf: only loopback, only the bench secret.
  writeFileSync(
    path.join(raddb, 'clients.conf'),
    [
      '# Written by test/bench/radius-compare.ts: the benchmark client only.',
      'client bench {',
      '\tipaddr = 127.0.0.1',
      '\tproto = udp',
      `\tsecret = "${opts.secret}"`,
      `\trequire_message_authenticator = ${opts.requireMessageAuthenticator ? 'yes' : 'no'}`,
      '\tnas_type = other',
      '}',
      '',
    ].join('\n'),
  );
  changes.push(`clients.conf: one client 127.0.0.1 with the bench secret, require_message_authenticator = ${opts.requireMessageAuthenticator ? 'yes' : 'no'}`);

  // The users file: only the registry (the stock DEFAULT PPP/SLIP entries are dropped too).
  const users = opts.users.map(usersEntry).join('\n');
  writeFileSync(path.join(raddb, 'mods-config', 'files', 'authorize'), `# Written by test/bench/radius-compare.ts: ${opts.users.length} MAB devices.\n${users}`);
  changes.push(`mods-config/files/authorize: ${opts.users.length} MAB entries only`);
  return { raddb, authPort: opts.authPort, acctPort: opts.acctPort, changes };
}

/** `freeradius -XC -d DIR`: throws with the end of the output unless the config is OK. */
export function checkFreeradiusConfig(tools: FreeradiusTools, tree: FreeradiusTree): void {
  const r = spawnSync(tools.freeradius, ['-XC', '-d', tree.raddb], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 2 ** 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || !/Configuration appears to be OK/.test(out)) {
    const tail = out.trim().split('\n').slice(-25).join('\n');
    throw new Error(`freeradius -XC -d ${tree.raddb} failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes that are always cleaned up

const children = new Set<ChildProcess>();
/** Children started as their own process group (a shell and what it runs): killed as a group. */
const groups = new WeakSet<ChildProcess>();

function killNow(c: ChildProcess): void {
  if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
  try {
    if (groups.has(c)) process.kill(-c.pid, 'SIGKILL');
    else c.kill('SIGKILL');
  } catch {
    /* already gone */
  }
}

const exitTasks: (() => void)[] = [];
/** A synchronous task (e.g. removing the temp dir) to run when this process exits for any reason. */
export function atExit(task: () => void): void {
  exitTasks.push(task);
}

function killAllNow(): void {
  for (const c of children) killNow(c);
  for (const task of exitTasks.splice(0)) {
    try {
      task();
    } catch {
      /* best effort */
    }
  }
}

let cleanupInstalled = false;
/** On exit, Ctrl-C, SIGTERM or a crash, every child still running is killed. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAllNow();
      process.stderr.write(`bench:radius: ${sig}, stopped every server it had started\n`);
      process.exit(130);
    });
  }
}

/** Registers a child to be killed when this process ends, whatever the reason (`group`: spawned detached, kill its group). */
export function track(child: ChildProcess, group = false): ChildProcess {
  children.add(child);
  if (group) groups.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface Server {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Recent output lines (stdout and stderr), for error messages. */
  readonly recent: string[];
  /** Called for every stderr line. */
  onStderrLine: ((line: string) => void) | null;
  exited(): boolean;
  /** SIGTERM, wait up to `ms`, then SIGKILL (bounded). */
  stop(ms?: number): Promise<void>;
}

export function startServer(name: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Server {
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));
  if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
  const recent: string[] = [];
  const keep = (line: string): void => {
    recent.push(line);
    if (recent.length > 200) recent.shift();
  };
  const server: Server = {
    name,
    pid: child.pid,
    child,
    recent,
    onStderrLine: null,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop(ms = 5000): Promise<void> {
      if (server.exited()) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timedOut = await Promise.race([gone.then(() => false), sleep(ms).then(() => true)]);
      if (timedOut && !server.exited()) {
        child.kill('SIGKILL');
        await Promise.race([gone, sleep(2000)]);
      }
    },
  };
  const lines = (stream: NodeJS.ReadableStream, isErr: boolean): void => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        keep(line);
        if (isErr) server.onStderrLine?.(line);
      }
    });
  };
  lines(child.stdout!, false);
  lines(child.stderr!, true);
  child.on('error', (err) => keep(`spawn error: ${err.message}`));
  return server;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Every UDP socket and listening TCP socket the process holds, as "udp 127.0.0.1:1812" (from
 * /proc/net/{udp,udp6,tcp,tcp6} matched against the inodes of its file descriptors).
 */
export function socketsOf(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* fd closed meanwhile */
    }
  }
  const out: string[] = [];
  for (const proto of ['udp', 'udp6', 'tcp', 'tcp6'] as const) {
    const file = `/proc/net/${proto}`;
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      if (proto.startsWith('tcp') && f[3] !== '0A') continue; // TCP: listeners only
      const [hexAddr, hexPort] = f[1]!.split(':');
      const port = parseInt(hexPort!, 16);
      let addr: string;
      if (hexAddr!.length === 8) {
        const n = parseInt(hexAddr!, 16);
        addr = [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
      } else {
        // IPv6: four little-endian 32-bit words. ::ffff:127.0.0.1 counts as loopback.
        const words = hexAddr!.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
        const hex = words.join('');
        addr = hex === '0'.repeat(32) ? '::' : hex === '0'.repeat(31) + '1' ? '::1' : hex.startsWith('00000000000000000000ffff') ? [0, 1, 2, 3].map((i) => parseInt(hex.slice(24 + 2 * i, 26 + 2 * i), 16)).join('.') : `[${hex}]`;
      }
      out.push(`${proto.replace('6', '')} ${addr}:${port}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// radclient

export interface RadclientResult {
  readonly seconds: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly lost: number;
  /** radclient's own CPU (user+system) in µs, from bash `times`, or NaN. */
  readonly clientCpuUs: number;
  readonly output: string;
}

export interface LoadOptions {
  readonly radclient: string;
  readonly port: number;
  readonly secret: string;
  readonly file: string;
  readonly parallel: number;
  readonly repeat: number;
  readonly timeoutMs: number;
  /** CPU list for `taskset -c` (pin radclient), or null. */
  readonly cpus?: string | null;
}

/** "0m1.234s" → µs */
const bashTime = (t: string): number => {
  const m = /^(\d+)m([\d.]+)s$/.exec(t);
  return m ? (Number(m[1]) * 60 + Number(m[2])) * 1e6 : NaN;
};

/**
 * One load round: `radclient -q -s -p P -c C -t 5 -r 3 -f FILE 127.0.0.1:PORT auth SECRET`,
 * run under bash so `times` reports radclient's CPU. Bounded by timeoutMs (then killed).
 */
export function radclientLoad(o: LoadOptions): Promise<RadclientResult> {
  return new Promise((resolve, reject) => {
    const args = ['-q', '-s', '-p', String(o.parallel), '-c', String(o.repeat), '-t', '5', '-r', '3', '-f', o.file, `127.0.0.1:${o.port}`, 'auth', o.secret];
    const start = process.hrtime.bigint();
    const pin = o.cpus ? ['taskset', '-c', o.cpus] : [];
    const argv = [...pin, o.radclient, ...args];
    const child = track(spawn('bash', ['-c', '"$0" "$@"; rc=$?; times >&2; exit $rc', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true }), true);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => killNow(child), o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      clearTimeout(timer);
      const all = out + err;
      const num = (label: string): number => Number(all.match(new RegExp(`${label}\\s*:\\s*(\\d+)`))?.[1] ?? NaN);
      // `times` prints the shell's user/sys, then the children's.
      const timesLines = err.trim().split('\n').filter((l) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(l.trim()));
      const childTimes = timesLines[timesLines.length - 1]?.trim().split(' ') ?? [];
      const clientCpuUs = bashTime(childTimes[0] ?? '') + bashTime(childTimes[1] ?? '');
      const accepted = num('Accepted');
      if (signal !== null || Number.isNaN(accepted)) {
        reject(new Error(`radclient round failed (exit ${code}, signal ${signal}):\n${all.trim().split('\n').slice(-10).join('\n')}`));
        return;
      }
      resolve({ seconds, accepted, rejected: num('Rejected'), lost: num('Lost'), clientCpuUs, output: all });
    });
  });
}

/**
 * One request with `radclient -x`; returns its output (reply attributes) and exit code.
 * Exit 0 = Accept (or Status-Server answered), 1 = Reject, other = no answer / error.
 */
export function radclientOnce(radclient: string, port: number, secret: string, type: 'auth' | 'status', attrs: string, timeoutS = 1, retries = 1): { code: number; output: string } {
  if (retries < 1) throw new Error('radclient -r must be at least 1 (it counts sends)');
  const r = spawnSync(radclient, ['-x', '-t', String(timeoutS), '-r', String(retries), `127.0.0.1:${port}`, type, secret], {
    input: attrs,
    encoding: 'utf8',
    timeout: (timeoutS * (retries + 1) + 5) * 1000,
  });
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Reply attributes printed by `radclient -x`, normalised (tags ":0" dropped), Message-Authenticator excluded. */
export function replyAttributes(output: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /^Received Access-(Accept|Reject)/.test(l));
  if (start < 0) return [];
  const attrs: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!/^\s+\S/.test(l)) break;
    const a = l.trim().replace(/^([A-Za-z0-9-]+):0 =/, '$1 =');
    if (!a.startsWith('Message-Authenticator')) attrs.push(a);
  }
  return attrs.sort();
}

/**
 * Waits (bounded) until the server answers a Status-Server, or an Access-Request with
 * `probe`; throws with the server's recent output if it never does or exits meanwhile.
 */
export async function waitUntilAnswering(radclient: string, server: Server, port: number, secret: string, probe: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exited()) throw new Error(`${server.name} exited while starting:\n${server.recent.slice(-20).join('\n')}`);
    const status = radclientOnce(radclient, port, secret, 'status', 'Message-Authenticator = 0x00\n', 1, 1);
    if (/^Received /m.test(status.output)) return 'Status-Server';
    const auth = radclientOnce(radclient, port, secret, 'auth', probe, 1, 1);
    if (/^Received Access-/m.test(auth.output)) return 'Access-Request';
    await sleep(200);
  }
  throw new Error(`${server.name} did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000} s:\n${server.recent.slice(-20).join('\n')}`);
}
