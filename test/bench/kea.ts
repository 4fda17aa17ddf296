/**
 * ISC Kea (kea-dhcp4 2.x, Debian's kea-dhcp4-server), the reference DHCPv4 server, run inside a
 * test namespace from a config of our own (never /etc/kea): memfile leases in a temp dir, raw
 * sockets so it can answer clients that have no address yet.
 *
 * Run directly (`node dist/test/bench/kea.js`, as root) it is the harness check for
 * test/helpers/netns.ts and test/helpers/dhcp-clients.ts: dhclient, udhcpc and dhcpcd each
 * obtain, renew and release a lease from Kea, through dhcrelay and on a directly attached LAN, and
 * the address must come from the right pool. It is not part of `npm test` (Kea is the yardstick,
 * not the product); test/bench/dhcp-compare.ts uses startKea() for the benchmark.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_KINDS, clientCycle, DhcpClient, startRelay, type ClientCycle } from '../helpers/dhcp-clients.js';
import { netnsUnavailable, sleep, Topology, waitForUdpPort, type Netns, type NsProcess } from '../helpers/netns.js';

export interface KeaSubnet {
  readonly subnet: string;
  /** "first - last" ranges. */
  readonly pools: readonly string[];
  readonly router: string;
  readonly dns: readonly string[];
}

export interface KeaOptions {
  readonly iface: string;
  readonly subnets: readonly KeaSubnet[];
  readonly leaseSeconds: number;
  /** Log severity for the root logger (INFO shows start-up; WARN keeps a benchmark quiet). */
  readonly severity?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * raw (default): packet sockets, needed to answer a client that has no address yet on a
   * directly attached LAN; udp: plain UDP sockets, enough when every request is relayed.
   */
  readonly socketType?: 'raw' | 'udp';
}

/** The kea-dhcp4 JSON config: T1 = 0.5 and T2 = 0.875 of the lease, as RFC 2131 §4.4.5 suggests. */
export function keaConfig(opts: KeaOptions, dir: string): object {
  return {
    Dhcp4: {
      'interfaces-config': { interfaces: [opts.iface], 'dhcp-socket-type': opts.socketType ?? 'raw' },
      'lease-database': { type: 'memfile', persist: true, name: path.join(dir, 'kea-leases4.csv'), 'lfc-interval': 0 },
      'valid-lifetime': opts.leaseSeconds,
      'renew-timer': Math.floor(opts.leaseSeconds / 2),
      'rebind-timer': Math.floor((opts.leaseSeconds * 7) / 8),
      subnet4: opts.subnets.map((s, i) => ({
        id: i + 1,
        subnet: s.subnet,
        pools: s.pools.map((p) => ({ pool: p })),
        'option-data': [
          { name: 'routers', data: s.router },
          { name: 'domain-name-servers', data: s.dns.join(', ') },
        ],
      })),
      loggers: [{ name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: opts.severity ?? 'INFO' }],
    },
  };
}

export interface RunningKea {
  readonly proc: NsProcess;
  readonly pid: number;
  readonly dir: string;
  stop(): Promise<void>;
}

/** Starts kea-dhcp4 in `ns` with a private config, pid and lock directory; resolves once port 67 is bound. */
export async function startKea(ns: Netns, opts: KeaOptions, baseDir: string): Promise<RunningKea> {
  const dir = path.join(baseDir, 'kea');
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'kea-dhcp4.conf');
  writeFileSync(conf, JSON.stringify(keaConfig(opts, dir), null, 2));
  // Kea writes its pid file and a log lock file; both go to our directory, not /run/kea.
  const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
  const proc = ns.spawn('kea-dhcp4', ['-c', conf], { env, timeoutMs: 3_600_000 });
  await waitForUdpPort(ns, proc, 67, 'kea-dhcp4');
  return {
    proc,
    pid: proc.pid,
    dir,
    async stop() {
      await proc.stop(5000);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The harness check (run directly)

/** First three octets of an address: enough to tell 10.99.0.x from 10.99.1.x. */
const net24 = (ip: string): string => ip.split('.').slice(0, 3).join('.');

function describeCycle(c: ClientCycle): string {
  const l = c.lease;
  if (l === null) return `${c.kind.padEnd(9)} NO LEASE\n${c.output.slice(-1500)}`;
  return (
    `${c.kind.padEnd(9)} ${l.event} ${l.ip}/${l.mask} router ${l.routers.join(',')} dns ${l.dns.join(',')} lease ${l.leaseSeconds}s server ${l.serverId}; ` +
    `renew: ${c.renewed === null ? 'NONE' : `${c.renewed.event} ${c.renewed.ip}`}; release: ${c.released === null ? 'NONE' : c.released.event}`
  );
}

async function harnessCheck(): Promise<number> {
  const why = netnsUnavailable();
  if (why !== null) {
    process.stderr.write(`kea harness check: ${why}\n`);
    return 2;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-kea-check-'));
  let failures = 0;
  try {
    for (const kind of ['relay', 'direct'] as const) {
      const topo = new Topology({ kind, clients: CLIENT_KINDS.length });
      try {
        const expectNet = net24(topo.clientLan);
        const subnets: KeaSubnet[] = [
          { subnet: topo.serverLan, pools: [`${net24(topo.serverLan)}.100 - ${net24(topo.serverLan)}.199`], router: topo.serverIp, dns: [`${net24(topo.serverLan)}.53`] },
        ];
        if (kind === 'relay') subnets.push({ subnet: topo.clientLan, pools: [`${expectNet}.100 - ${expectNet}.199`], router: topo.relayDownIp!, dns: [`${net24(topo.serverLan)}.53`] });
        const kea = await startKea(topo.server, { iface: topo.serverIf, subnets, leaseSeconds: 3600 }, path.join(dir, kind));
        if (kind === 'relay') await startRelay({ ns: topo.relay!, downIf: topo.relayDownIf!, upIf: topo.relayUpIf! }, topo.serverIp, path.join(dir, kind));
        // The three clients run at once, each in its own namespace on the same LAN.
        const cycles = await Promise.all(CLIENT_KINDS.map((k, i) => clientCycle(new DhcpClient(k, topo.clients[i]!, path.join(dir, kind)))));
        process.stdout.write(`Kea, ${kind === 'relay' ? `through dhcrelay (giaddr ${topo.relayDownIp})` : 'directly attached'}:\n`);
        // The server's side of the release: Kea logs DHCP4_RELEASE with the client's MAC.
        await sleep(300);
        const keaLog = kea.proc.stdout();
        for (const [i, c] of cycles.entries()) {
          const mac = topo.clients[i]!.mac;
          const seen = keaLog.split('\n').some((l) => l.includes('DHCP4_RELEASE ') && l.includes(mac) && l.includes('released properly'));
          const ok = c.lease !== null && net24(c.lease.ip) === expectNet && c.renewed?.ip === c.lease.ip && c.released !== null && seen;
          process.stdout.write(`  Kea saw the release from ${mac}: ${seen ? 'yes' : 'NO'}\n`);
          if (!ok) failures++;
          process.stdout.write(`  ${ok ? 'ok  ' : 'FAIL'} ${describeCycle(c)}\n`);
        }
        await kea.stop();
      } finally {
        await topo.destroy();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(failures === 0 ? 'harness check passed\n' : `harness check: ${failures} failures\n`);
  return failures === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  harnessCheck().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`kea harness check failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
