/**
 * Lanyard's DHCP serve mode against real clients (issue 4, "What must show"), in network
 * namespaces this file creates and removes (test/helpers/netns.ts): the daemon runs inside the
 * server namespace on port 67; ISC dhclient, BusyBox udhcpc and dhcpcd run in client namespaces,
 * behind ISC dhcrelay (giaddr, RFC 1542 §4.1.1; option 82 added with -a) or on the server's own LAN.
 *
 *   relay:  [srv] 10.99.0.1 ── 10.99.0.2 [rly] 10.99.1.1 (dhcrelay) ── clients   → network BYOD, 10.99.1.100-199
 *   direct: [srv] 10.99.0.1 (bridge) ── clients                                   → network DCPS, 10.99.0.100-199
 *
 * Needs root and `ip netns`; skipped (with the reason in the suite name) otherwise. Nothing here
 * sends traffic outside the namespaces.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BOOTREPLY,
  BOOTREQUEST,
  decodeDhcp,
  DHCP_MESSAGE_TYPES,
  fingerprintKey,
  fingerprintOf,
  hardwareAddress,
  messageType,
  parseIp,
  relayAgentInfo,
  type DhcpFingerprint,
  type DhcpPacket,
} from '../../src/protocols/dhcp/index.js';
import { normaliseMac } from '../../src/policy/mac.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteLeaseRepository } from '../../src/store/leases.js';
import {
  CLIENT_KINDS,
  clientCycle,
  DhcpClient,
  probeForeignRequest,
  readPcapUdp,
  startLanyardIn,
  startRelay,
  writeDhcpConfig,
  type ClientCycle,
  type ClientKind,
  type NsDaemon,
  type ScopeSpec,
} from '../helpers/dhcp-clients.js';
import { CLI, runCli } from '../helpers/daemon.js';
import { netnsUnavailable, sleep, Topology, waitForOutput, type NsProcess } from '../helpers/netns.js';

const why = netnsUnavailable();
const BASE = path.resolve('config/lanyard.yaml');
const SERVER = '10.99.0.1';
const DNS = '10.99.0.53';
const LEASE = 3600;
const DCPS: ScopeSpec = { subnet: '10.99.0.0/24', pools: ['10.99.0.100-10.99.0.199'], router: SERVER, dns: [DNS], leaseTime: LEASE };
const BYOD: ScopeSpec = { subnet: '10.99.1.0/24', pools: ['10.99.1.100-10.99.1.199'], router: '10.99.1.1', dns: [DNS], leaseTime: LEASE };
/** The hook event each client reports after its kind of renewal (DhcpClient.renew). */
const RENEWAL_EVENTS: Readonly<Record<ClientKind, readonly string[]>> = { dhclient: ['REBOOT'], udhcpc: ['renew'], dhcpcd: ['RENEW', 'REBIND', 'REBOOT'] };
/** Classes of the shipped config whose network is DCPS / BYOD. */
const DCPS_CLASS = 'school-tablet';
const BYOD_CLASS = 'staff-personal-phone';

/** AA-BB-CC-DD-EE-FF, the form Lanyard stores and shows. */
const storedMac = (mac: string): string => normaliseMac(mac) ?? mac;
const inRange = (ip: string, range: string): boolean => {
  const [a, b] = range.split('-').map((s) => parseIp(s)!);
  const v = parseIp(ip);
  return v !== undefined && v >= a! && v <= b!;
};

let dir = '';
const topologies: Topology[] = [];
const daemons: NsDaemon[] = [];

/** A fresh config + database directory and the daemon in `topo`'s server namespace, with `devices` registered first. */
async function daemonFor(topo: Topology, name: string, scopes: Record<string, ScopeSpec>, devices: readonly { mac: string; cls: string }[], directNetwork: string | null = 'DCPS'): Promise<NsDaemon> {
  const d = path.join(dir, name);
  const config = path.join(d, 'lanyard.yaml');
  const db = path.join(d, 'lanyard.db');
  mkdirSync(d, { recursive: true });
  writeDhcpConfig(config, { base: BASE, dataDir: d, serverId: SERVER, directNetwork, scopes });
  const env = { ...process.env, LANYARD_LOOPBACK_SECRET: 'dhcp-interop-secret' };
  for (const dev of devices) {
    const r = await runCli(['devices', 'add', dev.mac, '--class', dev.cls, '--owner', `owner of ${dev.mac}`, '--db', db, '--config', config], env);
    if (r.code !== 0) throw new Error(`devices add ${dev.mac} failed: ${r.stderr}`);
  }
  const daemon = await startLanyardIn(topo.server, { cli: CLI, config, db });
  daemons.push(daemon);
  return daemon;
}

interface Holder {
  mac: string | null;
  source: string;
  heldFrom: number;
  heldUntil: number | null;
}

async function who(daemon: NsDaemon, ip: string, at: number): Promise<Holder[]> {
  const r = await daemon.cli(['audit', 'who', '--ip', ip, '--at', new Date(at).toISOString(), '--json']);
  if (r.code !== 0) throw new Error(`audit who failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Holder);
}

/** Polls `check` (bounded) until it returns true; the daemon batches its store writes. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

/** Runs the three clients at once (one per client namespace) and records when each was bound. */
async function cycleAll(topo: Topology): Promise<(ClientCycle & { mac: string; boundAt: number })[]> {
  return Promise.all(
    CLIENT_KINDS.map(async (kind, i) => {
      const side = topo.clients[i]!;
      const client = new DhcpClient(kind, side, path.join(dir, `${topo.tag}-${kind}`));
      let boundAt = 0;
      const c = await clientCycle(client, () => (boundAt = Date.now()));
      return { ...c, mac: side.mac, boundAt };
    }),
  );
}

/** The lease, renewal and release of each client, and what the store says about them afterwards. */
async function checkCycles(daemon: NsDaemon, cycles: Awaited<ReturnType<typeof cycleAll>>, scope: ScopeSpec): Promise<void> {
  for (const c of cycles) {
    const context = `${c.kind}: events ${JSON.stringify(c.events)}\n${c.output.slice(-2000)}\n${daemon.logs().slice(-3000)}`;
    expect(c.lease, context).not.toBeNull();
    const l = c.lease!;
    expect(inRange(l.ip, scope.pools[0]!), `${c.kind} got ${l.ip}, outside ${scope.pools[0]}`).toBe(true);
    expect(l.mask).toBe('255.255.255.0');
    expect(l.routers).toEqual([scope.router]);
    expect(l.dns).toEqual(scope.dns);
    expect(l.serverId).toBe(SERVER);
    expect(l.leaseSeconds).toBe(scope.leaseTime);
    expect(c.renewed?.ip, `${c.kind} renewal: ${context}`).toBe(l.ip);
    // …through the renewal path, not a fresh DISCOVER: dhclient restarted reboots (INIT-REBOOT,
    // RFC 2131 §4.3.2), udhcpc on SIGUSR1 and dhcpcd -n renew from the leased address.
    expect(RENEWAL_EVENTS[c.kind], `${c.kind} renewal event ${c.renewed?.event}`).toContain(c.renewed?.event);
    expect(c.released, `${c.kind} release: ${context}`).not.toBeNull();
  }
  expect(new Set(cycles.map((c) => c.lease!.ip)).size).toBe(cycles.length);
  // The store: while bound, "who had IP X" names the client's MAC from a DHCP binding; the RELEASE
  // (RFC 2131 §4.4.6) ends that binding now — without it, it would run to the lease's end, an hour
  // ahead — so nobody holds the address any more.
  for (const c of cycles) {
    const ip = c.lease!.ip;
    const closed = await eventually(async () => {
      const h = await who(daemon, ip, c.boundAt);
      return h.length === 1 && h[0]!.mac === storedMac(c.mac) && h[0]!.source === 'dhcp' && h[0]!.heldUntil !== null && h[0]!.heldUntil <= Date.now();
    });
    expect(closed, `${c.kind} ${ip}: ${JSON.stringify(await who(daemon, ip, c.boundAt))}`).toBe(true);
    expect(await who(daemon, ip, Date.now())).toEqual([]);
  }
}

describe.skipIf(why !== null)(`DHCP serve mode with dhclient, udhcpc, dhcpcd and dhcrelay in network namespaces${why === null ? '' : ` — skipped: ${why}`}`, () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-dhcp-interop-'));
  });
  afterAll(async () => {
    for (const d of daemons) await d.stop();
    for (const t of topologies) await t.destroy();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  describe('through dhcrelay (giaddr)', () => {
    let topo: Topology;
    let daemon: NsDaemon;
    let capture: NsProcess;
    /** Every DHCP message captured on the server's interface (filled by the fingerprint test). */
    let packets: DhcpPacket[] = [];
    const pcap = (): string => path.join(dir, 'relay.pcap');

    beforeAll(async () => {
      // Clients 0-2: the three kinds; 3: a school device on the wrong LAN; 4, 5: the restart pair.
      topo = new Topology({ kind: 'relay', clients: 6 });
      topologies.push(topo);
      const devices = [
        ...topo.clients.slice(0, 3).map((c) => ({ mac: c.mac, cls: BYOD_CLASS })),
        { mac: topo.clients[3]!.mac, cls: DCPS_CLASS },
        ...topo.clients.slice(4).map((c) => ({ mac: c.mac, cls: BYOD_CLASS })),
      ];
      daemon = await daemonFor(topo, 'relay', { DCPS, BYOD }, devices);
      // What the server receives, for the fingerprint check (immediate mode and -U: each packet is
      // written as it comes, so stopping tcpdump loses none).
      capture = topo.server.spawn('tcpdump', ['-i', topo.serverIf, '--immediate-mode', '-U', '-n', '-s', '0', '-w', pcap(), 'udp', 'port', '67'], { timeoutMs: 300_000 });
      // -a: the relay adds option 82 (RFC 3046), which the server must echo for the relay to pass replies on.
      await startRelay({ ns: topo.relay!, downIf: topo.relayDownIf!, upIf: topo.relayUpIf! }, SERVER, path.join(dir, 'relay'), true);
      await waitForOutput(capture, /listening on/, 'tcpdump');
    });

    let cycles: Awaited<ReturnType<typeof cycleAll>> = [];
    let wrongNetwork: Awaited<ReturnType<DhcpClient['obtain']>> | undefined;
    const started = Date.now();

    it('dhclient, udhcpc and dhcpcd each lease from the relayed LAN pool, renew and release; the store shows the lease and its end', async () => {
      const odd = new DhcpClient('udhcpc', topo.clients[3]!, path.join(dir, 'wrong-network'));
      [cycles, wrongNetwork] = await Promise.all([cycleAll(topo), odd.obtain(15_000).finally(() => odd.stop())]);
      await checkCycles(daemon, cycles, BYOD);
    }, 90_000);

    it('refuses a school device that asks from the BYOD LAN, and records why (network check)', async () => {
      expect(wrongNetwork, 'a DCPS-class device must get no lease through the BYOD relay').toBeNull();
      expect(daemon.proc.exited()).toBe(false);
      expect((await daemon.dhcpStats())?.unanswered.refused ?? 0).toBeGreaterThan(0);
      const r = await daemon.cli(['audit', 'rejections', '--from', new Date(started).toISOString(), '--to', 'now', '--mac', topo.clients[3]!.mac, '--json']);
      const reasons = r.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { reason: string }).reason);
      expect(reasons, r.stderr).toContain('wrong-network');
    });

    it("tells the three clients' fingerprints apart (DISCOVERs as the server received them)", async () => {
      await sleep(300);
      await capture.stop();
      packets = readPcapUdp(pcap()).flatMap((b) => {
        const d = decodeDhcp(b);
        return d.ok ? [d.packet] : [];
      });
      const discovers = packets.filter((p) => messageType(p) === DHCP_MESSAGE_TYPES.DISCOVER);
      const byMac = new Map<string, DhcpFingerprint>();
      for (const p of discovers) {
        const mac = hardwareAddress(p);
        if (mac !== undefined && !byMac.has(mac)) byMac.set(mac, fingerprintOf(p));
      }
      const fps = cycles.map((c) => byMac.get(storedMac(c.mac)));
      expect(fps.every((f) => f !== undefined), `DISCOVERs seen from ${[...byMac.keys()].join(', ')}`).toBe(true);
      const keys = fps.map((f) => fingerprintKey(f!));
      expect(new Set(keys).size, keys.join(' | ')).toBe(3);
      // The daemon stored the same three fingerprints (the store's own record, read from the file).
      const db = openDatabase(daemon.db);
      try {
        const stored = cycles.map((c) => new SqliteLeaseRepository(db).fingerprints(storedMac(c.mac)).map((f) => f.key));
        expect(stored).toEqual(keys.map((k) => [k]));
      } finally {
        db.close();
      }
    });

    it('echoes the relay agent information (option 82) in every reply to the relay (RFC 3046 §2.2)', () => {
      // Only relayed messages (giaddr set): renewals are unicast by the client straight to the server
      // (RFC 2131 §4.4.5), carry no option 82, and get none back.
      const relayed = packets.filter((p) => p.giaddr !== 0);
      const requests = new Map(relayed.filter((p) => p.op === BOOTREQUEST).map((p) => [p.xid, relayAgentInfo(p)]));
      const replies = relayed.filter((p) => p.op === BOOTREPLY);
      expect(replies.length).toBeGreaterThanOrEqual(6); // an OFFER and an ACK for each of the three clients at least
      for (const r of replies) {
        const sent = requests.get(r.xid);
        expect(sent, `the relay added option 82 to xid ${r.xid}`).toBeDefined();
        expect(relayAgentInfo(r)?.toString('hex'), `reply ${messageType(r)} xid ${r.xid}`).toBe(sent!.toString('hex'));
      }
    });

    it('keeps leases across a daemon restart: a client comes back to the same address', async () => {
      const [a, b] = [topo.clients[4]!, topo.clients[5]!].map((s) => new DhcpClient('udhcpc', s, path.join(dir, 'restart')));
      // A first, then B: B holds the later address, which a server that forgot would give to whoever asks first.
      const la = await a!.obtain();
      const lb = await b!.obtain();
      expect(la, a!.output()).not.toBeNull();
      expect(lb, b!.output()).not.toBeNull();
      await a!.abandon();
      await b!.abandon();
      const code = await daemon.stop();
      expect(code).toBe(0);
      daemon = await startLanyardIn(topo.server, { cli: CLI, config: daemon.config, db: daemon.db });
      daemons.push(daemon);
      const lb2 = await b!.obtain();
      const la2 = await a!.obtain();
      expect(lb2?.ip, b!.output()).toBe(lb!.ip);
      expect(la2?.ip, a!.output()).toBe(la!.ip);
      await a!.stop();
      await b!.stop();
    }, 60_000);
  });

  describe('on a directly attached LAN', () => {
    let topo: Topology;
    let daemon: NsDaemon;

    beforeAll(async () => {
      // Clients 0-2: the three kinds; 3: the crafted client.
      topo = new Topology({ kind: 'direct', clients: 4 });
      topologies.push(topo);
      daemon = await daemonFor(topo, 'direct', { DCPS, BYOD }, topo.clients.map((c) => ({ mac: c.mac, cls: DCPS_CLASS })));
    });

    it('dhclient, udhcpc and dhcpcd each lease from the LAN pool, renew and release; the store shows the lease and its end', async () => {
      await checkCycles(daemon, await cycleAll(topo), DCPS);
    }, 90_000);

    it('ignores a REQUEST that names another server', async () => {
      const probe = topo.clients[3]!;
      // The crafted client sends from a socket, so it needs an address, and a route for the limited
      // broadcast that real clients send to (RFC 2131 §4.1; the namespace has no default route).
      probe.ns.ip('addr', 'add', '10.99.0.250/24', 'dev', probe.iface);
      probe.ns.ip('route', 'add', '255.255.255.255/32', 'dev', probe.iface);
      const r = await probeForeignRequest(probe.ns, { mac: probe.mac, to: '255.255.255.255', foreignServer: '10.99.0.77', listenMs: 1500 });
      // The DISCOVER shows the server answers this client at all; the REQUEST for 10.99.0.77 gets nothing.
      expect(r.offer, daemon.logs().slice(-3000)).not.toBeNull();
      expect(r.offer!.serverId).toBe(SERVER);
      expect(r.afterForeignRequest).toEqual([]);
      expect((await daemon.dhcpStats())?.unanswered['other-server']).toBe(1);
      expect(await who(daemon, r.offer!.yiaddr, Date.now())).toEqual([]);
      expect(daemon.proc.exited()).toBe(false);
    }, 30_000);

    it('with a two-address pool, a third client gets nothing and the daemon carries on', async () => {
      await daemon.stop();
      const small: ScopeSpec = { ...DCPS, pools: ['10.99.0.100-10.99.0.101'] };
      daemon = await daemonFor(topo, 'exhaust', { DCPS: small, BYOD }, topo.clients.map((c) => ({ mac: c.mac, cls: DCPS_CLASS })));
      const clients = topo.clients.slice(0, 3).map((s) => new DhcpClient('udhcpc', s, path.join(dir, 'exhaust')));
      const first = await clients[0]!.obtain();
      const second = await clients[1]!.obtain();
      expect(first, clients[0]!.output()).not.toBeNull();
      expect(second, clients[1]!.output()).not.toBeNull();
      expect(new Set([first!.ip, second!.ip])).toEqual(new Set(['10.99.0.100', '10.99.0.101']));
      const third = await clients[2]!.obtain(12_000);
      expect(third, 'the pool has two addresses, both leased').toBeNull();
      // Still serving: the first client renews its lease (a unicast REQUEST, RFC 2131 §4.4.5).
      expect(daemon.proc.exited()).toBe(false);
      const renewed = await clients[0]!.renew();
      expect(renewed?.ip, daemon.logs().slice(-3000)).toBe(first!.ip);
      // Exhaustion is counted and logged.
      expect((await daemon.dhcpStats())?.unanswered['pool-exhausted'] ?? 0).toBeGreaterThan(0);
      expect(daemon.logs()).toMatch(/pool exhausted/i);
      for (const c of clients) await c.stop();
    }, 60_000);
  });
});
