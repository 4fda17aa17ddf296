/**
 * Real DHCP clients (Debian's isc-dhcp-client, BusyBox udhcpc, dhcpcd) driven inside a test
 * namespace (test/helpers/netns.ts), each with a hook script of our own that appends what the
 * client got — event, address, mask, routers, DNS, lease time, server identifier — to a file the
 * test reads. The stock hooks are never used: they would rewrite the host's resolv.conf.
 *
 * Every run is bounded: a client that has no lease within its time limit is killed, and stop()
 * kills whatever is left. The flags are PEERS.md's; each client keeps its stock request list
 * (dhclient's /etc/dhcp/dhclient.conf and dhcpcd's /etc/dhcpcd.conf are copied, not replaced), so
 * the three send the option-55 lists real machines send.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import {
  BOOTREPLY,
  BOOTREQUEST,
  decodeDhcp,
  DHCP_MESSAGE_TYPES,
  DHCP_OPTION,
  encodeDhcp,
  ipOption,
  ipToString,
  messageType,
  parseIp,
  rawOption,
  serverId,
  u8Option,
  type DhcpPacket,
  type OutOption,
} from '../../src/protocols/dhcp/index.js';
import { sleep, waitForOutput, waitForUdpPort, type ClientSide, type Netns, type NsProcess } from './netns.js';

export type ClientKind = 'dhclient' | 'udhcpc' | 'dhcpcd';
export const CLIENT_KINDS: readonly ClientKind[] = ['dhclient', 'udhcpc', 'dhcpcd'];

/** One hook invocation. */
export interface LeaseEvent {
  /** The client's own event name: dhclient/dhcpcd `reason` (BOUND, RENEW, REBOOT, RELEASE…), udhcpc's argument (bound, renew, deconfig…). */
  readonly event: string;
  readonly ip: string;
  readonly mask: string;
  readonly routers: readonly string[];
  readonly dns: readonly string[];
  readonly leaseSeconds: number | null;
  readonly serverId: string;
}

/** Events after which the client holds an address. */
const BOUND_EVENTS = new Set(['BOUND', 'RENEW', 'REBIND', 'REBOOT', 'bound', 'renew']);
/** Events after which it holds none. */
const RELEASE_EVENTS = new Set(['RELEASE', 'EXPIRE', 'FAIL', 'STOP', 'STOPPED', 'deconfig', 'leasefail', 'nak']);
export const isBound = (e: LeaseEvent): boolean => BOUND_EVENTS.has(e.event);

/**
 * The hook: one tab-separated line per call, then (for dhclient and udhcpc, which leave it to the
 * script) the address and default route on the interface, so renewals and releases can be sent by
 * unicast from the leased address (RFC 2131 §4.4.5). dhcpcd configures the interface itself.
 */
function hookScript(out: string, configure: boolean): string {
  return `#!/bin/sh
# Written by test/helpers/dhcp-clients.ts. udhcpc passes the event as $1; dhclient and dhcpcd as $reason.
ev="\${reason:-$1}"
case "$ev" in
  deconfig|bound|renew|leasefail|nak)
    a="$ip"; m="$subnet"; r="$router"; d="$dns"; l="$lease"; s="$serverid" ;;
  *)
    a="$new_ip_address"; m="$new_subnet_mask"; r="$new_routers"; d="$new_domain_name_servers"; l="$new_dhcp_lease_time"; s="$new_dhcp_server_identifier" ;;
esac
printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$ev" "$a" "$m" "$r" "$d" "$l" "$s" >> '${out}'
${
  configure
    ? `case "$ev" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT|bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$a/$m" dev "$interface"
    gw=\${r%% *}
    [ -n "$gw" ] && ip route replace default via "$gw" dev "$interface" ;;
  EXPIRE|FAIL|RELEASE|STOP|deconfig) ip -4 addr flush dev "$interface" ;;
esac`
    : ''
}
exit 0
`;
}

function parseEvents(file: string): LeaseEvent[] {
  if (!existsSync(file)) return [];
  const list = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [event = '', ip = '', mask = '', routers, dns, lease = '', serverId = ''] = line.split('\t');
      return { event, ip, mask, routers: list(routers), dns: list(dns), leaseSeconds: lease === '' ? null : Number(lease), serverId };
    });
}

/**
 * One DHCP client of a given kind on one client interface. obtain() starts it and waits for a
 * lease; it keeps running (so it can renew) until release() or stop().
 */
export class DhcpClient {
  readonly dir: string;
  private readonly hook: string;
  private readonly eventsFile: string;
  private proc: NsProcess | null = null;

  constructor(
    readonly kind: ClientKind,
    readonly side: ClientSide,
    baseDir: string,
    /** Hostname sent in option 12 where the client takes one on the command line (udhcpc). */
    readonly hostname = `${kind}-test`,
  ) {
    this.dir = path.join(baseDir, `${kind}-${side.iface}`);
    mkdirSync(this.dir, { recursive: true });
    this.eventsFile = path.join(this.dir, 'events.tsv');
    this.hook = path.join(this.dir, 'hook.sh');
    writeFileSync(this.hook, hookScript(this.eventsFile, kind !== 'dhcpcd'));
    chmodSync(this.hook, 0o755);
    if (kind === 'dhclient') {
      // The stock request list (the fingerprint real Debian machines send) plus a bounded timeout.
      const stock = existsSync('/etc/dhcp/dhclient.conf') ? readFileSync('/etc/dhcp/dhclient.conf', 'utf8') : '';
      writeFileSync(path.join(this.dir, 'dhclient.conf'), `${stock}\ntimeout 30;\n`);
    } else if (kind === 'dhcpcd') {
      // The stock options minus what would touch the host outside the namespace: `duid` would
      // create /var/lib/dhcpcd/duid, `persistent` would leave the address behind, and slaac is IPv6.
      const stock = existsSync('/etc/dhcpcd.conf') ? readFileSync('/etc/dhcpcd.conf', 'utf8') : '';
      const conf = stock
        .split('\n')
        .filter((l) => !/^\s*(duid|persistent|slaac)\b/.test(l))
        .join('\n');
      writeFileSync(path.join(this.dir, 'dhcpcd.conf'), conf);
    }
  }

  /** Every hook call so far, oldest first. */
  events(): LeaseEvent[] {
    return parseEvents(this.eventsFile);
  }

  /** The client's output so far (for failure messages). */
  output(): string {
    return this.proc === null ? '' : `${this.proc.stdout()}${this.proc.stderr()}`;
  }

  private argv(): [string, string[]] {
    const iface = this.side.iface;
    switch (this.kind) {
      case 'dhclient':
        return ['dhclient', ['-4', '-v', '-1', '-d', '-cf', path.join(this.dir, 'dhclient.conf'), '-sf', this.hook, '-lf', path.join(this.dir, 'leases'), '-pf', path.join(this.dir, 'pid'), iface]];
      case 'udhcpc':
        // -f foreground, -R release on exit, -n exit when no lease: 4 DISCOVERs 2 s apart.
        return ['udhcpc', ['-i', iface, '-f', '-R', '-n', '-t', '4', '-T', '2', '-s', this.hook, '-x', `hostname:${this.hostname}`]];
      case 'dhcpcd':
        // -B foreground, -A no ARP probe, -L no IPv4LL, -t 15 give up after 15 s.
        return ['dhcpcd', ['-f', path.join(this.dir, 'dhcpcd.conf'), '-c', this.hook, '-4', '-B', '-A', '-L', '-t', '15', iface]];
    }
  }

  /** Waits (bounded) for a hook event after index `from` that `pred` accepts; null when the client exits or time runs out. */
  private async waitEvent(from: number, pred: (e: LeaseEvent) => boolean, timeoutMs: number, stopOnExit = true): Promise<LeaseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events().slice(from).find(pred);
      if (found !== undefined) return found;
      if (Date.now() > deadline) return null;
      if (stopOnExit && (this.proc === null || this.proc.exited())) {
        // The last lines may still be on their way to the file.
        await sleep(100);
        return this.events().slice(from).find(pred) ?? null;
      }
      await sleep(50);
    }
  }

  /** Starts the client and waits for a lease; null (and the client stopped) when none came within `timeoutMs`. */
  async obtain(timeoutMs = 25_000): Promise<LeaseEvent | null> {
    if (this.proc !== null && !this.proc.exited()) throw new Error(`${this.kind} on ${this.side.iface} is already running`);
    const from = this.events().length;
    const [cmd, args] = this.argv();
    this.proc = this.side.ns.spawn(cmd, args, { timeoutMs: 300_000 });
    const lease = await this.waitEvent(from, isBound, timeoutMs);
    if (lease === null) await this.stop();
    else await this.leaseWritten(lease);
    return lease;
  }

  /**
   * dhclient runs its hook before it writes the lease file, and both a restart (INIT-REBOOT) and
   * `dhclient -r` read that file: wait (bounded) until the lease is in it, so neither races the write.
   */
  private async leaseWritten(lease: LeaseEvent): Promise<void> {
    if (this.kind !== 'dhclient') return;
    const file = path.join(this.dir, 'leases');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (existsSync(file) && readFileSync(file, 'utf8').includes(`fixed-address ${lease.ip};`)) return;
      await sleep(20);
    }
  }

  /**
   * Renews the lease the way each client can be made to on demand: udhcpc on SIGUSR1 (a unicast
   * REQUEST from the leased address, RFC 2131 §4.4.5 RENEWING); dhcpcd with `dhcpcd -n`; dhclient
   * by starting again with the same lease file (INIT-REBOOT, RFC 2131 §4.3.2: a REQUEST for the
   * address it had). Returns the client's next bound event.
   */
  async renew(timeoutMs = 20_000): Promise<LeaseEvent | null> {
    const from = this.events().length;
    switch (this.kind) {
      case 'udhcpc':
        this.proc?.signal('SIGUSR1');
        break;
      case 'dhcpcd':
        await this.dhcpcdControl('-n');
        break;
      case 'dhclient': {
        await this.proc?.stop();
        const [cmd, args] = this.argv();
        this.proc = this.side.ns.spawn(cmd, args, { timeoutMs: 300_000 });
        break;
      }
    }
    const lease = await this.waitEvent(from, isBound, timeoutMs);
    if (lease !== null) await this.leaseWritten(lease);
    return lease;
  }

  /** Tells the running dhcpcd (through its control socket) to rebind (-n) or release (-k). */
  private async dhcpcdControl(flag: '-n' | '-k'): Promise<void> {
    const r = await this.side.ns.exec('dhcpcd', ['-f', path.join(this.dir, 'dhcpcd.conf'), '-4', flag, this.side.iface], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`dhcpcd ${flag} failed (exit ${r.code}): ${r.stderr}`);
  }

  /** Releases the lease (a DHCPRELEASE to the server, RFC 2131 §4.4.6) and stops the client; returns the release event. */
  async release(timeoutMs = 10_000): Promise<LeaseEvent | null> {
    const from = this.events().length;
    switch (this.kind) {
      case 'udhcpc':
        // -R: SIGTERM makes it send RELEASE, run the hook with deconfig, and exit.
        this.proc?.signal('SIGTERM');
        break;
      case 'dhcpcd':
        await this.dhcpcdControl('-k');
        break;
      case 'dhclient': {
        // -r reads the pid file, stops the running client and sends the RELEASE itself.
        const [, args] = this.argv();
        const r = await this.side.ns.exec('dhclient', ['-r', ...args.filter((a) => a !== '-1' && a !== '-d')], { timeoutMs: 10_000 });
        if (r.code !== 0) throw new Error(`dhclient -r failed (exit ${r.code}): ${r.stderr}`);
        break;
      }
    }
    const ev = await this.waitEvent(from, (e) => RELEASE_EVENTS.has(e.event), timeoutMs, false);
    await this.stop();
    return ev;
  }

  /** Kills the client outright (SIGKILL): no RELEASE, no hook; the server still holds the lease. */
  async abandon(): Promise<void> {
    if (this.proc !== null && !this.proc.exited()) {
      this.proc.signal('SIGKILL');
      await this.proc.done();
    }
    if (this.kind === 'dhcpcd') removeDhcpcdState(this.side.iface);
  }

  /** Stops the client without releasing (SIGTERM, then SIGKILL) and removes dhcpcd's lease files. */
  async stop(): Promise<void> {
    if (this.proc !== null) await this.proc.stop(3000);
    if (this.kind === 'dhcpcd') removeDhcpcdState(this.side.iface);
  }
}

/** dhcpcd keeps its leases in /var/lib/dhcpcd/<iface>*.lease; the interface names are ours and unique. */
export function removeDhcpcdState(iface: string): void {
  const dir = '/var/lib/dhcpcd';
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.startsWith(`${iface}.`) || f.startsWith(`${iface}-`)) rmSync(path.join(dir, f), { force: true });
}

/** What one client did in a full cycle: the lease, the renewed lease, the release event. */
export interface ClientCycle {
  readonly kind: ClientKind;
  readonly lease: LeaseEvent | null;
  readonly renewed: LeaseEvent | null;
  readonly released: LeaseEvent | null;
  /** Every hook event, for failure messages. */
  readonly events: readonly LeaseEvent[];
  readonly output: string;
}

/** obtain → renew → release with one client; stops at the first step that gets nothing. `onBound` runs once the lease is there. */
export async function clientCycle(client: DhcpClient, onBound?: (lease: LeaseEvent) => void): Promise<ClientCycle> {
  let renewed: LeaseEvent | null = null;
  let released: LeaseEvent | null = null;
  const lease = await client.obtain();
  if (lease !== null) {
    onBound?.(lease);
    renewed = await client.renew();
    if (renewed !== null) released = await client.release();
  }
  const output = client.output();
  await client.stop();
  return { kind: client.kind, lease, renewed, released, events: client.events(), output };
}

/**
 * ISC dhcrelay in the relay namespace: listens on the client LAN bridge, sets giaddr to the
 * bridge's address (RFC 1542 §4.1.1) and forwards to `server`; `-a` adds option 82 (RFC 3046).
 * Resolves once it has opened its interfaces ("Sending on ..." in its foreground output).
 */
export async function startRelay(relay: { ns: Netns; downIf: string; upIf: string }, server: string, dir: string, agentInfo = false): Promise<NsProcess> {
  mkdirSync(dir, { recursive: true });
  const proc = relay.ns.spawn('dhcrelay', ['-4', '-d', ...(agentInfo ? ['-a'] : []), '-pf', path.join(dir, `dhcrelay-${relay.downIf}.pid`), '-id', relay.downIf, '-iu', relay.upIf, server], { timeoutMs: 600_000 });
  await waitForOutput(proc, /^Sending on/m, 'dhcrelay');
  return proc;
}

// ---------------------------------------------------------------------------------------------
// Lanyard's daemon inside a namespace

export interface NsDaemon {
  readonly proc: NsProcess;
  readonly db: string;
  readonly config: string;
  /** stderr so far (JSON log lines). */
  logs(): string;
  /** The CLI against the same store and config (runs outside the namespace: it only opens the SQLite file). */
  cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** SIGTERM, bounded; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** The DHCP counters of the SIGUSR2 stats line (src/cli/serve.ts), or null when none came within 3 s. */
  dhcpStats(): Promise<DhcpStats | null>;
}

/** The `dhcp` object of the daemon's SIGUSR2 stats line. */
export interface DhcpStats {
  readonly received: number;
  readonly replies: Readonly<Record<string, number>>;
  /** Requests answered with silence, by reason (only the non-zero ones). */
  readonly unanswered: Readonly<Record<string, number>>;
  readonly drops: Readonly<Record<string, number>>;
  readonly leases: number;
}

/**
 * Starts `node dist/src/main.js serve` inside `ns` with DHCP on port 67 (RADIUS on free ports, admin
 * API off through the config) and waits until port 67 is bound.
 */
export async function startLanyardIn(ns: Netns, opts: { cli: string; config: string; db: string; env?: NodeJS.ProcessEnv; logLevel?: string }): Promise<NsDaemon> {
  const env = { ...process.env, LANYARD_LOOPBACK_SECRET: 'dhcp-interop-secret', ...opts.env };
  const proc = ns.spawn(process.execPath, [opts.cli, 'serve', '--config', opts.config, '--db', opts.db, '--auth-port', '0', '--acct-port', '0', '--dhcp-port', '67', '--log-level', opts.logLevel ?? 'debug'], { env, timeoutMs: 600_000 });
  await waitForUdpPort(ns, proc, 67, 'lanyard serve');
  return {
    proc,
    db: opts.db,
    config: opts.config,
    logs: () => proc.stderr(),
    cli: (args) =>
      new Promise((resolve) => {
        execFile(process.execPath, [opts.cli, ...args, '--db', opts.db, '--config', opts.config], { env, timeout: 20_000 }, (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
        });
      }),
    async stop() {
      const r = await proc.stop(10_000);
      return r.code;
    },
    async dhcpStats() {
      const from = proc.stderr().length;
      proc.signal('SIGUSR2');
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline) {
        for (const line of proc.stderr().slice(from).split('\n')) {
          if (!line.includes('"stats"')) continue;
          try {
            const j = JSON.parse(line) as { msg?: string; dhcp?: DhcpStats };
            if (j.msg === 'stats' && j.dhcp !== undefined) return j.dhcp;
          } catch {
            /* a partial line: read again */
          }
        }
        await sleep(50);
      }
      return null;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A crafted client: DISCOVER, then a REQUEST naming another server

export interface ProbeResult {
  /** The OFFER our DISCOVER got: offered address and the server identifier, or null. */
  readonly offer: { readonly yiaddr: string; readonly serverId: string } | null;
  /** DHCP message types (RFC 2132 §9.6) of every reply to the REQUEST for the other server (ought to be none). */
  readonly afterForeignRequest: readonly number[];
}

export interface ProbeSpec {
  readonly mac: string;
  /** Where to send (the LAN's broadcast address), port 67. */
  readonly to: string;
  /** The server identifier (option 54) the REQUEST names: not the server under test. */
  readonly foreignServer: string;
  readonly listenMs: number;
}

/**
 * Runs the probe inside `ns` (a separate node process, so its socket lives in that namespace). The
 * namespace's interface needs an address in the LAN, so the kernel can send to its broadcast.
 */
export async function probeForeignRequest(ns: Netns, spec: ProbeSpec): Promise<ProbeResult> {
  const r = await ns.exec(process.execPath, [compiledSelf(), 'probe', JSON.stringify(spec)], { timeoutMs: spec.listenMs * 2 + 10_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !line.startsWith('{')) throw new Error(`probe failed (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return JSON.parse(line) as ProbeResult;
}

/** This module as node can run it: under vitest it is the .ts source, so take the tsc output in dist/. */
function compiledSelf(): string {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.ts')) return self;
  const root = path.resolve(path.dirname(self), '../..');
  return path.join(root, 'dist', path.relative(root, self)).replace(/\.ts$/, '.js');
}

/** The probe itself (runs in the namespace): one DISCOVER, then the REQUEST for `foreignServer` (RFC 2131 §4.3.2, SELECTING). */
async function runProbe(spec: ProbeSpec): Promise<ProbeResult> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(68, '0.0.0.0', () => resolve());
  });
  sock.setBroadcast(true);
  const chaddr = Buffer.from(spec.mac.split(/[:-]/).map((h) => parseInt(h, 16)));
  const xid = (Math.random() * 0xffffffff) >>> 0;
  const replies: DhcpPacket[] = [];
  sock.on('message', (msg: Buffer) => {
    const d = decodeDhcp(msg);
    if (d.ok && d.packet.op === BOOTREPLY && d.packet.xid === xid) replies.push(d.packet);
  });
  const send = (options: OutOption[]): Promise<void> =>
    new Promise((resolve, reject) => {
      // Broadcast flag: the answer may come before the client has an address (RFC 2131 §4.1).
      const msg = encodeDhcp({ op: BOOTREQUEST, xid, flags: 0x8000, chaddr, options });
      sock.send(msg, 67, spec.to, (e) => (e ? reject(e) : resolve()));
    });
  const params = rawOption(DHCP_OPTION.PARAMETER_LIST, Uint8Array.from([1, 3, 6, 51, 54]));
  await send([u8Option(DHCP_OPTION.MESSAGE_TYPE, DHCP_MESSAGE_TYPES.DISCOVER), params]);
  await sleep(spec.listenMs);
  const offered = replies.find((p) => messageType(p) === DHCP_MESSAGE_TYPES.OFFER);
  let offer: ProbeResult['offer'] = null;
  const after: number[] = [];
  if (offered !== undefined) {
    offer = { yiaddr: ipToString(offered.yiaddr), serverId: ipToString(serverId(offered) ?? 0) };
    replies.length = 0;
    // SELECTING: option 54 names the server the client chose — here not the one under test, which
    // must then stay silent (and may free its offer).
    await send([
      u8Option(DHCP_OPTION.MESSAGE_TYPE, DHCP_MESSAGE_TYPES.REQUEST),
      ipOption(DHCP_OPTION.SERVER_ID, parseIp(spec.foreignServer)!),
      ipOption(DHCP_OPTION.REQUESTED_IP, offered.yiaddr),
      params,
    ]);
    await sleep(spec.listenMs);
    after.push(...replies.map((p) => messageType(p) ?? 0));
  }
  sock.close();
  return { offer, afterForeignRequest: after };
}

if (process.argv[2] === 'probe' && process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runProbe(JSON.parse(process.argv[3] ?? '{}') as ProbeSpec).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`probe: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Lanyard's configuration for DHCP tests and benchmarks

export interface ScopeSpec {
  readonly subnet: string;
  /** "first-last" ranges. */
  readonly pools: readonly string[];
  readonly router: string;
  readonly dns: readonly string[];
  /** Seconds. */
  readonly leaseTime: number;
}

/**
 * Writes `file`: the shipped config/lanyard.yaml (its networks, classes and profiles) with its
 * data in `dataDir`, the admin API off, DHCP in serve mode on port 67 with `serverId`, and a dhcp
 * section on each network named in `scopes`.
 */
export function writeDhcpConfig(file: string, o: { base: string; dataDir: string; serverId: string; directNetwork: string | null; scopes: Readonly<Record<string, ScopeSpec>>; logLevel?: string }): void {
  const doc = parseDocument(readFileSync(o.base, 'utf8'));
  doc.setIn(['dataDir'], o.dataDir);
  if (o.logLevel !== undefined) doc.setIn(['log', 'level'], o.logLevel);
  doc.setIn(['api', 'enabled'], false);
  doc.setIn(['dhcp'], doc.createNode({ mode: 'serve', bind: '0.0.0.0', port: 67, serverId: o.serverId, directNetwork: o.directNetwork }));
  for (const [network, s] of Object.entries(o.scopes)) {
    doc.setIn(['networks', network, 'dhcp'], doc.createNode({ subnet: s.subnet, pools: [...s.pools], router: s.router, dns: [...s.dns], leaseTime: s.leaseTime }));
  }
  writeFileSync(file, String(doc));
}

// ---------------------------------------------------------------------------------------------
// Captures

/**
 * The UDP payloads of an Ethernet pcap file written by `tcpdump -w` (classic format, either byte
 * order, µs or ns timestamps). Frames that are not IPv4/UDP are skipped; a truncated tail is ignored.
 */
export function readPcapUdp(file: string): Buffer[] {
  const b = readFileSync(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file} is not a pcap file`);
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${file}: link type ${u32(20)}, expected Ethernet (1)`);
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const len = u32(off + 8);
    const frame = b.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    if (frame.length < 14 + 20 + 8 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ihl = (frame[14]! & 0x0f) * 4;
    if (frame[14 + 9] !== 17) continue;
    const udp = 14 + ihl;
    const udpLen = frame.readUInt16BE(udp + 4);
    out.push(Buffer.from(frame.subarray(udp + 8, udp + Math.min(udpLen, frame.length - udp))));
  }
  return out;
}
