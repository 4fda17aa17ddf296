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
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { ClientSide, Netns, NsProcess } from './netns.js';

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
export const isReleased = (e: LeaseEvent): boolean => RELEASE_EVENTS.has(e.event) && e.ip === '';

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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
    return lease;
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
      case 'dhcpcd': {
        const r = await this.side.ns.exec('dhcpcd', ['-f', path.join(this.dir, 'dhcpcd.conf'), '-4', '-n', this.side.iface], { timeoutMs: 10_000 });
        if (r.code !== 0) throw new Error(`dhcpcd -n failed (exit ${r.code}): ${r.stderr}`);
        break;
      }
      case 'dhclient': {
        await this.proc?.stop();
        const [cmd, args] = this.argv();
        this.proc = this.side.ns.spawn(cmd, args, { timeoutMs: 300_000 });
        break;
      }
    }
    return this.waitEvent(from, isBound, timeoutMs);
  }

  /** Releases the lease (a DHCPRELEASE to the server, RFC 2131 §4.4.6) and stops the client; returns the release event. */
  async release(timeoutMs = 10_000): Promise<LeaseEvent | null> {
    const from = this.events().length;
    switch (this.kind) {
      case 'udhcpc':
        // -R: SIGTERM makes it send RELEASE, run the hook with deconfig, and exit.
        this.proc?.signal('SIGTERM');
        break;
      case 'dhcpcd': {
        const r = await this.side.ns.exec('dhcpcd', ['-f', path.join(this.dir, 'dhcpcd.conf'), '-4', '-k', this.side.iface], { timeoutMs: 10_000 });
        if (r.code !== 0) throw new Error(`dhcpcd -k failed (exit ${r.code}): ${r.stderr}`);
        break;
      }
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

/** obtain → renew → release with one client; stops at the first step that gets nothing. */
export async function clientCycle(client: DhcpClient): Promise<ClientCycle> {
  let renewed: LeaseEvent | null = null;
  let released: LeaseEvent | null = null;
  const lease = await client.obtain();
  if (lease !== null) {
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
 */
export function startRelay(relay: { ns: Netns; downIf: string; upIf: string }, server: string, dir: string, agentInfo = false): NsProcess {
  mkdirSync(dir, { recursive: true });
  return relay.ns.spawn('dhcrelay', ['-4', '-d', ...(agentInfo ? ['-a'] : []), '-pf', path.join(dir, `dhcrelay-${relay.downIf}.pid`), '-id', relay.downIf, '-iu', relay.upIf, server], { timeoutMs: 600_000 });
}
