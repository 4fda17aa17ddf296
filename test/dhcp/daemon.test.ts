/**
 * The daemon's DHCP service over real UDP on loopback, with a real SQLite file. The test acts
 * as a relay: it binds <relay>:67 on a loopback address of its own (127.x.y.1, unique per run)
 * and sends relayed DISCOVER/REQUEST with giaddr = that address; the configured network's
 * subnet is 127.x.y.0/24, so Lanyard's replies come back to the test (RFC 2131 §4.1: to giaddr,
 * port 67). Renewal is tested by binding the leased address itself on port 68 (loopback owns
 * all of 127/8). Binding port 67 needs root, as do the other interop tests.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/app.js';
import { rejections, whoHad } from '../../src/audit/query.js';
import { loadConfigText } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { BOOTREQUEST, decodeDhcp, DHCP_MESSAGE_TYPES, encodeDhcp, ipToString, type DhcpPacket } from '../../src/protocols/dhcp/index.js';
import {
  AcctStatusType,
  Attr,
  Code,
  encodeInteger,
  encodeRequest,
  encodeString,
  findAttribute,
  readIntegerAt,
  readStringAt,
} from '../../src/protocols/radius/index.js';
import { parseMac } from '../../src/policy/mac.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { clientOptions, ip, macBytes, type ClientMessage } from './helpers.js';

const A = 10 + Math.floor(Math.random() * 200);
const B = 10 + Math.floor(Math.random() * 200);
const NET = `127.${A}.${B}`;
const RELAY = `${NET}.1`;
const SERVER_ID = `${NET}.2`;
const LAPTOP = '00-11-22-33-44-55';
const TABLET = '00-11-22-33-44-66';

function yaml(dataDir: string): string {
  return `
dataDir: ${dataDir}
log: { level: silent }
api: { enabled: false }
radius: { authPort: 0, acctPort: 0 }
profiles:
  internet: { filterId: internet }
networks:
  LOOP:
    vlan: 10
    unknownDevices: reject
    dhcp:
      subnet: ${NET}.0/24
      pools: ["${NET}.100-${NET}.102"]
      router: ${RELAY}
      dns: [${NET}.53]
      domain: school.example
      leaseTime: 1h
classes:
  school-laptop: { ownership: school, network: LOOP, profile: internet }
dhcp:
  mode: serve
  bind: 127.0.0.1
  port: 0
  serverId: ${SERVER_ID}
`;
}

let dir: string;
let daemon: Daemon | null = null;
const sockets: dgram.Socket[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-dhcp-'));
  const db = openDatabase(path.join(dir, 'lanyard.db'));
  const devices = new SqliteDeviceRepository(db);
  devices.add({ mac: LAPTOP, className: 'school-laptop', owner: 'J. Bloggs' }, 'cli:test', Date.now() - 1000);
  devices.add({ mac: TABLET, className: 'school-laptop', owner: 'A. Teacher' }, 'cli:test', Date.now() - 1000);
  db.close();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await daemon?.stop();
  daemon = null;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(text = yaml(dir)): Promise<Daemon> {
  const config = loadConfigText(text, path.join(dir, 'lanyard.yaml'));
  daemon = await startDaemon(config, createLogger('silent'));
  return daemon;
}

async function socketAt(address: string, port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  sockets.push(s);
  s.bind(port, address);
  await once(s, 'listening');
  return s;
}

function encode(m: ClientMessage): Buffer {
  return encodeDhcp({
    op: BOOTREQUEST,
    xid: m.xid ?? 0x5eed,
    flags: m.flags ?? 0,
    hops: m.giaddr === undefined ? 0 : 1,
    ciaddr: m.ciaddr === undefined ? 0 : ip(m.ciaddr),
    giaddr: m.giaddr === undefined ? 0 : ip(m.giaddr),
    chaddr: macBytes(m.mac),
    options: clientOptions(m),
  });
}

/** Sends and waits (bounded) for the next datagram on `on`; null when none comes in time. */
async function exchange(from: dgram.Socket, on: dgram.Socket, port: number, m: ClientMessage, waitMs = 2000): Promise<DhcpPacket | null> {
  const got = new Promise<DhcpPacket | null>((resolve) => {
    const timer = setTimeout(() => {
      on.off('message', onMessage);
      resolve(null);
    }, waitMs);
    function onMessage(buf: Buffer): void {
      clearTimeout(timer);
      on.off('message', onMessage);
      const d = decodeDhcp(buf);
      resolve(d.ok ? d.packet : null);
    }
    on.on('message', onMessage);
  });
  from.send(encode(m), port, '127.0.0.1');
  return got;
}

function option(p: DhcpPacket, code: number): Buffer | undefined {
  const parts = p.options.filter((o) => o.code === code).map((o) => o.data);
  return parts.length === 0 ? undefined : Buffer.concat(parts);
}

describe('DHCP serve mode over loopback UDP', () => {
  it('relayed DISCOVER → OFFER and REQUEST → ACK, option 82 echoed, lease stored; renewal by unicast; survives a restart', async () => {
    let d = await start();
    expect(d.dhcpPort).toBeGreaterThan(0);
    const relay = await socketAt(RELAY, 67);
    const info = Buffer.from('0104706f7274', 'hex'); // circuit-id "port"

    const offer = await exchange(relay, relay, d.dhcpPort!, { type: 'DISCOVER', mac: LAPTOP, giaddr: RELAY, relayInfo: info, xid: 1 });
    expect(offer).not.toBeNull();
    expect(option(offer!, 53)?.[0]).toBe(DHCP_MESSAGE_TYPES.OFFER);
    expect(offer!.xid).toBe(1);
    const leased = ipToString(offer!.yiaddr);
    expect(leased).toBe(`${NET}.100`);
    expect(ipToString(option(offer!, 54)!.readUInt32BE(0))).toBe(SERVER_ID);
    expect(option(offer!, 51)!.readUInt32BE(0)).toBe(3600);
    expect(ipToString(option(offer!, 3)!.readUInt32BE(0))).toBe(RELAY);
    expect(option(offer!, 15)!.toString()).toBe('school.example');
    expect(option(offer!, 82)!.equals(info)).toBe(true);

    const ack = await exchange(relay, relay, d.dhcpPort!, {
      type: 'REQUEST',
      mac: LAPTOP,
      giaddr: RELAY,
      serverId: SERVER_ID,
      requested: leased,
      hostname: 'staff-01',
      xid: 2,
    });
    expect(option(ack!, 53)?.[0]).toBe(DHCP_MESSAGE_TYPES.ACK);
    expect(ipToString(ack!.yiaddr)).toBe(leased);
    // The ACK went out only after its lease was committed.
    expect(d.dhcp!.leases.get(leased)).toMatchObject({ mac: LAPTOP, state: 'bound', hostname: 'staff-01', network: 'LOOP' });

    // A REQUEST that chose another server is ignored (RFC 2131 §4.3.2).
    expect(await exchange(relay, relay, d.dhcpPort!, { type: 'REQUEST', mac: '02-00-00-00-00-09', giaddr: RELAY, serverId: `${NET}.3`, requested: `${NET}.101` }, 300)).toBeNull();
    // An unknown MAC on this school network is refused: no OFFER.
    expect(await exchange(relay, relay, d.dhcpPort!, { type: 'DISCOVER', mac: '02-00-00-00-00-09', giaddr: RELAY }, 300)).toBeNull();

    // RENEWING: unicast from the leased address; the ACK comes back to ciaddr:68.
    const client = await socketAt(leased, 68);
    const renewed = await exchange(client, client, d.dhcpPort!, { type: 'REQUEST', mac: LAPTOP, ciaddr: leased, xid: 3 });
    expect(option(renewed!, 53)?.[0]).toBe(DHCP_MESSAGE_TYPES.ACK);
    expect(ipToString(renewed!.ciaddr)).toBe(leased);

    // Garbage is dropped and counted, never a crash.
    relay.send(Buffer.from('not dhcp at all'), d.dhcpPort!, '127.0.0.1');
    const counters = d.dhcp!.counters;
    await new Promise((r) => setTimeout(r, 100));
    expect(counters.drops['too-short']).toBe(1);
    expect(counters.replies).toEqual({ offer: 1, ack: 2 });
    expect(counters.silences['other-server']).toBe(1);
    expect(counters.refusals['unknown-device']).toBe(1);

    // Restart on the same database: the lease is still there; INIT-REBOOT gets its address back.
    await d.stop();
    for (const s of sockets.splice(0)) s.close();
    d = await start();
    const relay2 = await socketAt(RELAY, 67);
    const rebooted = await exchange(relay2, relay2, d.dhcpPort!, { type: 'REQUEST', mac: LAPTOP, giaddr: RELAY, requested: leased, xid: 4 });
    expect(option(rebooted!, 53)?.[0]).toBe(DHCP_MESSAGE_TYPES.ACK);
    expect(ipToString(rebooted!.yiaddr)).toBe(leased);

    // "Who had this address?" answers from the DHCP lease, with the device's owner.
    const [holder] = whoHad(d.db, leased, Date.now());
    expect(holder).toMatchObject({ mac: LAPTOP, owner: 'J. Bloggs', source: 'dhcp' });
    // The refusal is in the audit log.
    await d.stop();
    daemon = null;
    const db = openDatabase(path.join(dir, 'lanyard.db'));
    const rows = db.prepare(`SELECT actor, method, result, reason, mac, network, nas, nas_address, randomised FROM audit_log WHERE kind = 'decision'`).all();
    expect(rejections(db, { from: 0, to: Date.now() + 1000 }).rejections.map((r) => [r.mac, r.reason])).toEqual([['02-00-00-00-00-09', 'unknown-device']]);
    db.close();
    expect(rows).toEqual([
      { actor: 'dhcp', method: 'dhcp', result: 'reject', reason: 'unknown-device', mac: '02-00-00-00-00-09', network: 'LOOP', nas: 'dhcp', nas_address: RELAY, randomised: 1 },
    ]);
  });

  it('a bound lease gives the web-filter feed the address of a session that started without one', async () => {
    const receiver = await socketAt('127.0.0.1', 0);
    const heard: Buffer[] = [];
    receiver.on('message', (buf) => heard.push(buf));
    const secret = 'feed-and-ap-secret-0123';
    const text = yaml(dir).replace(
      'radius: { authPort: 0, acctPort: 0 }',
      `radius:
  authPort: 0
  acctPort: 0
  clients:
    ap: { address: 127.0.0.1, secret: { value: ${secret} } }
feeds:
  filter: { address: 127.0.0.1, port: ${receiver.address().port}, secret: { value: ${secret} }, expectResponse: false }`,
    );
    const d = await start(text);
    const relay = await socketAt(RELAY, 67);
    // The earlier tests (same data directory) leased the laptop an address: it gives it back, so
    // the session below starts with no address known (one held from a lease would go out at once).
    const earlier = d.dhcp!.table.boundLeaseOf(parseMac(LAPTOP), Date.now());
    if (earlier !== undefined) {
      relay.send(encode({ type: 'RELEASE', mac: LAPTOP, ciaddr: earlier.ip, serverId: SERVER_ID }), d.dhcpPort!, '127.0.0.1');
      for (let i = 0; i < 50 && d.dhcp!.table.get(ip(earlier.ip))?.state === 'bound'; i++) await new Promise((r) => setTimeout(r, 20));
    }
    expect(d.dhcp!.table.boundLeaseOf(parseMac(LAPTOP), Date.now())).toBeUndefined();

    // The access point starts an accounting session with no Framed-IP-Address: the feed holds it.
    const ap = await socketAt('127.0.0.1', 0);
    const answered = once(ap, 'message');
    const attributes = Buffer.concat([
      encodeInteger(Attr.AcctStatusType, AcctStatusType.Start),
      encodeString(Attr.AcctSessionId, 'feed-1'),
      encodeString(Attr.UserName, '001122334455'),
      encodeString(Attr.CallingStationId, LAPTOP),
    ]);
    ap.send(encodeRequest({ code: Code.AccountingRequest, identifier: 7, attributes, secret: Buffer.from(secret), messageAuthenticator: true }), d.acctPort, '127.0.0.1');
    await answered; // the Accounting-Response comes after the session is committed
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toHaveLength(0);

    // The laptop gets its lease through the relay: the held Start goes out with that address.
    const offer = await exchange(relay, relay, d.dhcpPort!, { type: 'DISCOVER', mac: LAPTOP, giaddr: RELAY, xid: 21 });
    const leased = ipToString(offer!.yiaddr);
    const ack = await exchange(relay, relay, d.dhcpPort!, { type: 'REQUEST', mac: LAPTOP, giaddr: RELAY, serverId: SERVER_ID, requested: leased, xid: 22 });
    expect(option(ack!, 53)?.[0]).toBe(DHCP_MESSAGE_TYPES.ACK);
    for (let i = 0; i < 50 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(heard).toHaveLength(1);
    const sent = heard[0]!;
    expect(sent[0]).toBe(Code.AccountingRequest);
    expect(readIntegerAt(sent, findAttribute(sent, Attr.AcctStatusType))).toBe(AcctStatusType.Start);
    const framed = findAttribute(sent, Attr.FramedIpAddress);
    expect(ipToString(sent.readUInt32BE(framed))).toBe(leased);
    expect(readStringAt(sent, findAttribute(sent, Attr.UserName))).toBe('J. Bloggs');
    expect(d.feed!.stats()[0]).toMatchObject({ sent: 1, held: 0 });
  });

  it('serve mode holds its port alone: a second daemon on the same DHCP port fails to start', async () => {
    const d = await start();
    const second = loadConfigText(yaml(dir).replace('port: 0', `port: ${d.dhcpPort}`), path.join(dir, 'lanyard.yaml'));
    await expect(startDaemon(second, createLogger('silent'))).rejects.toMatchObject({ code: 'LANYARD_ERR_LISTEN' });
  });

  it('SIGHUP reload: new pools apply at once; a port change is reported for the next restart', async () => {
    const d = await start();
    const relay = await socketAt(RELAY, 67);
    const next = loadConfigText(
      yaml(dir).replace(`pools: ["${NET}.100-${NET}.102"]`, `pools: ["${NET}.150-${NET}.151"]`).replace('port: 0', 'port: 6899'),
      path.join(dir, 'lanyard.yaml'),
    );
    expect(d.reload(next)).toContain('dhcp.mode/bind/port changed: takes effect at the next restart');
    const offer = await exchange(relay, relay, d.dhcpPort!, { type: 'DISCOVER', mac: TABLET, giaddr: RELAY, xid: 9 });
    expect(ipToString(offer!.yiaddr)).toBe(`${NET}.150`);
  });
});
