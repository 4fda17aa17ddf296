/**
 * The DHCP engine without sockets: every message type and RFC 2131 §4.3.2 client state, with a
 * fake clock. Requests are plain DhcpPacket values; replies are checked field by field.
 */
import { describe, expect, it } from 'vitest';
import type { LanyardConfig } from '../../src/config/types.js';
import { handleDhcp } from '../../src/dhcp/handlers/index.js';
import { DHCP_SILENCES, type DhcpContext, type DhcpOutcome } from '../../src/dhcp/engine.js';
import { LeaseTable } from '../../src/dhcp/pools.js';
import { viewOf } from '../../src/dhcp/request.js';
import { ipToString as ipv4Text } from '../../src/protocols/dhcp/index.js';
import { parseMac } from '../../src/policy/mac.js';
import type { DeviceFacts } from '../../src/policy/model.js';
import { DHCP_MESSAGE_TYPES, type DhcpOutgoing } from '../../src/protocols/dhcp/types.js';
import { dhcpConfigYaml, ip, loadDhcpConfig, packet, SERVER_ID, type ClientMessage } from './helpers.js';

const RELAY_DCPS = '10.20.10.1';
const RELAY_BYOD = '10.20.20.1';
const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

class Harness {
  now = T0;
  readonly devices = new Map<number, DeviceFacts>();
  readonly table: LeaseTable;
  constructor(readonly config: LanyardConfig = loadDhcpConfig()) {
    this.table = new LeaseTable(config.dhcp, [], this.now);
  }
  register(mac: string, className: string, status: DeviceFacts['status'] = 'active'): void {
    const m = parseMac(mac);
    this.devices.set(m, { mac: m, className, owner: 'j.bloggs', status, expiresAt: null });
  }
  ctx(): DhcpContext {
    return { config: this.config.dhcp, policy: this.config.policy, table: this.table, devices: this.devices, now: this.now };
  }
  run(m: ClientMessage): DhcpOutcome {
    const view = viewOf(packet(m));
    if (typeof view === 'string') throw new Error(view);
    return handleDhcp(view, this.ctx());
  }
  advance(seconds: number): void {
    this.now += seconds * 1000;
    this.table.sweep(this.now);
  }
}

function reply(o: DhcpOutcome, type: number): DhcpOutgoing {
  if (o.kind !== 'reply') throw new Error(`expected a reply, got silence: ${o.reason}`);
  expect(o.type).toBe(type);
  return o.reply;
}
const offer = (o: DhcpOutcome) => reply(o, DHCP_MESSAGE_TYPES.OFFER);
const ack = (o: DhcpOutcome) => reply(o, DHCP_MESSAGE_TYPES.ACK);
const nak = (o: DhcpOutcome) => reply(o, DHCP_MESSAGE_TYPES.NAK);
function silence(o: DhcpOutcome): string {
  if (o.kind !== 'silent') throw new Error(`expected silence, got message type ${o.type}`);
  return o.reason;
}

function opt(r: DhcpOutgoing, code: number): Buffer | undefined {
  const o = r.options.find((x) => x.code === code);
  return o === undefined ? undefined : Buffer.from(o.data);
}
const optU32 = (r: DhcpOutgoing, code: number) => opt(r, code)?.readUInt32BE(0);
const optIp = (r: DhcpOutgoing, code: number) => {
  const v = optU32(r, code);
  return v === undefined ? undefined : ipv4Text(v);
};

/** DISCOVER → OFFER → REQUEST (selecting) → ACK through a relay; returns the address. */
function lease(h: Harness, mac: string, giaddr = RELAY_DCPS, extra: Partial<ClientMessage> = {}): string {
  const o = offer(h.run({ type: 'DISCOVER', mac, giaddr, ...extra }));
  const addr = ipv4Text(o.yiaddr!);
  ack(h.run({ type: 'REQUEST', mac, giaddr, ...extra, serverId: SERVER_ID, requested: addr }));
  return addr;
}

describe('DISCOVER → OFFER (RFC 2131 §4.3.1)', () => {
  it('offers a pool address of the network whose subnet holds giaddr, with every option', () => {
    const h = new Harness();
    h.register('00-11-22-33-44-55', 'school-laptop');
    const out = h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-55', giaddr: RELAY_DCPS, xid: 0xabcdef01 });
    const r = offer(out);
    expect(out.kind === 'reply' && out.to).toEqual({ address: ip(RELAY_DCPS), port: 67 });
    expect(ipv4Text(r.yiaddr!)).toBe('10.20.10.100');
    expect(r.xid).toBe(0xabcdef01);
    expect(ipv4Text(r.giaddr!)).toBe(RELAY_DCPS);
    expect(ipv4Text(r.siaddr!)).toBe(SERVER_ID);
    expect(r.ciaddr).toBe(0);
    expect(optIp(r, 54)).toBe(SERVER_ID);
    expect(optU32(r, 51)).toBe(8 * 3600);
    expect(optU32(r, 58)).toBe(4 * 3600); // T1 = 0.5
    expect(optU32(r, 59)).toBe(7 * 3600); // T2 = 0.875
    expect(optIp(r, 1)).toBe('255.255.255.0');
    expect(optIp(r, 3)).toBe('10.20.10.1');
    expect([...opt(r, 6)!]).toEqual([10, 20, 0, 53, 10, 20, 0, 54]);
    expect(opt(r, 15)!.toString()).toBe('school.example');
    expect(optIp(r, 28)).toBe('10.20.10.255');
    expect(out.kind === 'reply' && out.write).toBeNull(); // an offer is not stored
  });

  it('picks the BYOD pool for a BYOD relay and admits an unknown device there', () => {
    const h = new Harness();
    const r = offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-01', giaddr: RELAY_BYOD }));
    expect(ipv4Text(r.yiaddr!)).toBe('10.20.20.10');
    expect(optU32(r, 51)).toBe(3600);
    expect(opt(r, 15)).toBeUndefined(); // no domain configured
  });

  it('gives a returning client the same address, by client identifier or by chaddr', () => {
    const h = new Harness();
    h.register('00-11-22-33-44-55', 'school-laptop');
    h.register('00-11-22-33-44-66', 'school-laptop');
    const first = lease(h, '00-11-22-33-44-55');
    const other = lease(h, '00-11-22-33-44-66', RELAY_DCPS, { clientId: Buffer.from('01001122334466', 'hex') });
    expect(other).not.toBe(first);
    h.run({ type: 'RELEASE', mac: '00-11-22-33-44-55', ciaddr: first, serverId: SERVER_ID });
    h.run({ type: 'RELEASE', mac: '00-11-22-33-44-66', ciaddr: other, serverId: SERVER_ID, clientId: Buffer.from('01001122334466', 'hex') });
    h.advance(3600);
    expect(ipv4Text(offer(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-55', giaddr: RELAY_DCPS })).yiaddr!)).toBe(first);
    const again = offer(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-66', giaddr: RELAY_DCPS, clientId: Buffer.from('01001122334466', 'hex') }));
    expect(ipv4Text(again.yiaddr!)).toBe(other);
  });

  it('honours the requested address (option 50) when it is free, and not when it is taken', () => {
    const h = new Harness();
    for (const m of ['00-11-22-33-44-01', '00-11-22-33-44-02']) h.register(m, 'school-laptop');
    const a = lease(h, '00-11-22-33-44-01', RELAY_DCPS, { requested: '10.20.10.150' });
    expect(a).toBe('10.20.10.150');
    const b = offer(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-02', giaddr: RELAY_DCPS, requested: '10.20.10.150' }));
    expect(ipv4Text(b.yiaddr!)).not.toBe('10.20.10.150');
    const outside = offer(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-02', giaddr: RELAY_DCPS, requested: '10.20.10.20' }));
    expect(ipv4Text(outside.yiaddr!)).not.toBe('10.20.10.20'); // outside the pools
  });

  it('always gives a reservation its address, and never gives that address to anyone else', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ dcpsPools: '["10.20.10.4-10.20.10.6"]' })));
    h.register('AA-BB-CC-00-00-01', 'printer');
    for (const m of ['00-11-22-33-44-01', '00-11-22-33-44-02', '00-11-22-33-44-03']) h.register(m, 'school-laptop');
    expect(lease(h, '00-11-22-33-44-01')).toBe('10.20.10.4');
    expect(lease(h, '00-11-22-33-44-02')).toBe('10.20.10.6'); // .5 is the printer's, inside the pool
    expect(silence(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-03', giaddr: RELAY_DCPS }))).toBe('pool-exhausted');
    expect(lease(h, 'aa:bb:cc:00:00:01', RELAY_DCPS, { requested: '10.20.10.100' })).toBe('10.20.10.5');
  });

  it('holds an offered address until the offer expires, then offers it again', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ dcpsPools: '["10.20.10.100-10.20.10.100"]' })));
    for (const m of ['00-11-22-33-44-01', '00-11-22-33-44-02']) h.register(m, 'school-laptop');
    expect(ipv4Text(offer(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-01', giaddr: RELAY_DCPS })).yiaddr!)).toBe('10.20.10.100');
    expect(silence(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-02', giaddr: RELAY_DCPS }))).toBe('pool-exhausted');
    h.advance(59);
    expect(silence(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-02', giaddr: RELAY_DCPS }))).toBe('pool-exhausted');
    h.advance(2); // offerHoldSeconds 60
    expect(ipv4Text(offer(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-02', giaddr: RELAY_DCPS })).yiaddr!)).toBe('10.20.10.100');
  });

  it('answers an exhausted pool with silence in bounded time, however many clients ask', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ byodPools: '["10.20.20.10-10.20.20.13"]' })));
    const reasons = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const mac = `02-00-00-00-${(i >> 8).toString(16).padStart(2, '0')}-${(i & 255).toString(16).padStart(2, '0')}`;
      const out = h.run({ type: 'DISCOVER', mac, giaddr: RELAY_BYOD });
      const key = out.kind === 'reply' ? 'offer' : out.reason;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(reasons)).toEqual({ offer: 4, 'pool-exhausted': 1996 });
  });

  it('is silent for a relay whose giaddr no network contains, and for giaddr 0 without directNetwork', () => {
    const h = new Harness();
    expect(silence(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-01', giaddr: '192.0.2.1' }))).toBe('no-scope');
    expect(silence(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-01' }))).toBe('no-scope');
  });

  it('answers a directly attached client at the subnet broadcast, port 68', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ dhcp: '  directNetwork: BYOD' })));
    const out = h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-01', flags: 0x8000 });
    const r = offer(out);
    expect(out.kind === 'reply' && out.to).toEqual({ address: ip('10.20.20.255'), port: 68 });
    expect(r.flags).toBe(0x8000);
    expect(r.giaddr).toBe(0);
  });

  it('echoes option 82 unchanged, last (RFC 3046 §2.2), and follows the option 55 order', () => {
    const h = new Harness();
    const info = Buffer.from('0106766c616e3130020401020304', 'hex');
    const r = offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-01', giaddr: RELAY_BYOD, relayInfo: info, params: [28, 3, 1] }));
    expect(r.options.at(-1)?.code).toBe(82);
    expect(Buffer.from(r.options.at(-1)!.data).equals(info)).toBe(true);
    const codes = r.options.map((o) => o.code).filter((c) => [1, 3, 28].includes(c));
    expect(codes).toEqual([28, 3, 1]);
  });
});

describe('the network check (issue 4 item 3)', () => {
  it('refuses a school device on BYOD, an unknown MAC on DCPS, and a blocked device anywhere — with an audit row', () => {
    const h = new Harness();
    h.register('00-11-22-33-44-55', 'school-laptop');
    h.register('00-11-22-33-44-66', 'school-laptop', 'blocked');
    const cases: [string, string, string][] = [
      ['00-11-22-33-44-55', RELAY_BYOD, 'wrong-network'],
      ['02-00-00-00-00-09', RELAY_DCPS, 'unknown-device'],
      ['00-11-22-33-44-66', RELAY_DCPS, 'device-blocked'],
    ];
    for (const [mac, giaddr, reason] of cases) {
      const out = h.run({ type: 'DISCOVER', mac, giaddr });
      expect(out.kind === 'silent' && out.reason).toBe('refused');
      expect(out.audit).toMatchObject({ kind: 'decision', actor: 'dhcp', method: 'dhcp', result: 'reject', reason, mac: mac.toUpperCase(), nasAddress: giaddr });
    }
  });

  it('NAKs a renewal once the device has been blocked since its lease', () => {
    const h = new Harness();
    h.register('00-11-22-33-44-55', 'school-laptop');
    const addr = lease(h, '00-11-22-33-44-55');
    h.register('00-11-22-33-44-55', 'school-laptop', 'lost');
    const out = h.run({ type: 'REQUEST', mac: '00-11-22-33-44-55', ciaddr: addr, giaddr: RELAY_DCPS });
    nak(out);
    expect(out.audit).toMatchObject({ reason: 'device-lost', ip: addr, network: 'DCPS', vlan: 10, person: 'j.bloggs' });
  });

  it('is off when checkDevices is false', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ dhcp: '  checkDevices: false' })));
    offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-09', giaddr: RELAY_DCPS }));
  });
});

describe('REQUEST (RFC 2131 §4.3.2)', () => {
  it('SELECTING: ACKs our offer and stores a bound lease', () => {
    const h = new Harness();
    h.register('00-11-22-33-44-55', 'school-laptop');
    const o = offer(h.run({ type: 'DISCOVER', mac: '00-11-22-33-44-55', giaddr: RELAY_DCPS }));
    const out = h.run({ type: 'REQUEST', mac: '00-11-22-33-44-55', giaddr: RELAY_DCPS, serverId: SERVER_ID, requested: ipv4Text(o.yiaddr!), hostname: 'staff-01' });
    const r = ack(out);
    expect(r.yiaddr).toBe(o.yiaddr);
    expect(out.kind === 'reply' && out.write).toEqual({
      ip: '10.20.10.100',
      network: 'DCPS',
      mac: '00-11-22-33-44-55',
      clientId: null,
      hostname: 'staff-01',
      state: 'bound',
      starts: T0,
      expires: T0 + 8 * 3600_000,
      at: T0,
    });
  });

  it('SELECTING with another server identifier: silent, and our offer is withdrawn', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ byodPools: '["10.20.20.10-10.20.20.10"]' })));
    offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-01', giaddr: RELAY_BYOD }));
    expect(silence(h.run({ type: 'REQUEST', mac: '02-00-00-00-00-01', giaddr: RELAY_BYOD, serverId: '10.99.0.2', requested: '10.20.20.10' }))).toBe('other-server');
    // The address is free for the next client at once, not after offerHoldSeconds.
    expect(ipv4Text(offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-02', giaddr: RELAY_BYOD })).yiaddr!)).toBe('10.20.20.10');
  });

  it('SELECTING for an address we did not offer (or after the offer expired and went to someone else): NAK', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ byodPools: '["10.20.20.10-10.20.20.10"]' })));
    offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-01', giaddr: RELAY_BYOD }));
    h.advance(61);
    lease(h, '02-00-00-00-00-02', RELAY_BYOD);
    const out = h.run({ type: 'REQUEST', mac: '02-00-00-00-00-01', giaddr: RELAY_BYOD, serverId: SERVER_ID, requested: '10.20.20.10' });
    const r = nak(out);
    expect(r.flags! & 0x8000).toBe(0x8000); // relay must broadcast the NAK
    expect(r.yiaddr ?? 0).toBe(0);
    expect(out.kind === 'reply' && out.to).toEqual({ address: ip(RELAY_BYOD), port: 67 });
  });

  it('INIT-REBOOT: ACK for its own address, NAK for the wrong network or a wrong address, silence with no record', () => {
    const h = new Harness();
    h.register('00-11-22-33-44-55', 'school-laptop');
    const addr = lease(h, '00-11-22-33-44-55');
    h.advance(3600);
    ack(h.run({ type: 'REQUEST', mac: '00-11-22-33-44-55', giaddr: RELAY_DCPS, requested: addr }));
    nak(h.run({ type: 'REQUEST', mac: '00-11-22-33-44-55', giaddr: RELAY_DCPS, requested: '10.20.20.50' })); // BYOD's subnet
    nak(h.run({ type: 'REQUEST', mac: '00-11-22-33-44-55', giaddr: RELAY_DCPS, requested: '10.20.10.180' })); // not its address
    h.register('00-11-22-33-44-77', 'school-laptop');
    expect(silence(h.run({ type: 'REQUEST', mac: '00-11-22-33-44-77', giaddr: RELAY_DCPS, requested: '10.20.10.180' }))).toBe('no-record');
    nak(h.run({ type: 'REQUEST', mac: '00-11-22-33-44-77', giaddr: RELAY_DCPS, requested: addr })); // held by another
  });

  it('RENEWING (unicast, ciaddr) extends the lease and replies to ciaddr; REBINDING through a relay goes to the relay', () => {
    const h = new Harness();
    h.register('00-11-22-33-44-55', 'school-laptop');
    const addr = lease(h, '00-11-22-33-44-55');
    h.advance(4 * 3600);
    const out = h.run({ type: 'REQUEST', mac: '00-11-22-33-44-55', ciaddr: addr });
    const r = ack(out);
    expect(out.kind === 'reply' && out.to).toEqual({ address: ip(addr), port: 68 });
    expect(ipv4Text(r.ciaddr!)).toBe(addr);
    expect(out.write).toMatchObject({ state: 'bound', starts: T0 + 4 * 3600_000, expires: T0 + 12 * 3600_000 });
    // The renewed lease outlives the first one's end.
    h.advance(5 * 3600);
    expect(h.table.get(ip(addr))?.state).toBe('bound');
    const rebind = h.run({ type: 'REQUEST', mac: '00-11-22-33-44-55', ciaddr: addr, giaddr: RELAY_DCPS });
    ack(rebind);
    expect(rebind.kind === 'reply' && rebind.to).toEqual({ address: ip(RELAY_DCPS), port: 67 });
  });

  it('RENEWING an address someone else holds: NAK; an address we never leased: silence', () => {
    const h = new Harness();
    for (const m of ['00-11-22-33-44-01', '00-11-22-33-44-02']) h.register(m, 'school-laptop');
    const a = lease(h, '00-11-22-33-44-01');
    nak(h.run({ type: 'REQUEST', mac: '00-11-22-33-44-02', ciaddr: a }));
    expect(silence(h.run({ type: 'REQUEST', mac: '00-11-22-33-44-02', ciaddr: '10.20.10.190' }))).toBe('no-record');
  });

  it('a lease that is not renewed expires and its address is offered to others', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ byodPools: '["10.20.20.10-10.20.20.10"]' })));
    lease(h, '02-00-00-00-00-01', RELAY_BYOD);
    expect(silence(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-02', giaddr: RELAY_BYOD }))).toBe('pool-exhausted');
    h.now += 3600_000;
    const writes = h.table.sweep(h.now);
    expect(writes).toEqual([expect.objectContaining({ ip: '10.20.20.10', state: 'expired', at: T0 + 3600_000 })]);
    expect(ipv4Text(offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-02', giaddr: RELAY_BYOD })).yiaddr!)).toBe('10.20.20.10');
  });
});

describe('DECLINE, RELEASE, INFORM', () => {
  it('DECLINE quarantines the address for declineHoldSeconds; then it is free again', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ byodPools: '["10.20.20.10-10.20.20.11"]', dhcp: '  declineHoldSeconds: 600' })));
    const a = lease(h, '02-00-00-00-00-01', RELAY_BYOD);
    const out = h.run({ type: 'DECLINE', mac: '02-00-00-00-00-01', giaddr: RELAY_BYOD, requested: a, serverId: SERVER_ID });
    expect(silence(out)).toBe('declined');
    expect(out.write).toMatchObject({ ip: a, state: 'declined', expires: T0 + 600_000 });
    // The client gets another address; nobody gets the declined one.
    const b = lease(h, '02-00-00-00-00-01', RELAY_BYOD, { requested: a }); // even when it asks for it again
    expect(b).not.toBe(a);
    expect(silence(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-02', giaddr: RELAY_BYOD }))).toBe('pool-exhausted');
    h.advance(601);
    expect(ipv4Text(offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-02', giaddr: RELAY_BYOD })).yiaddr!)).toBe(a);
  });

  it('RELEASE frees the address at once; a RELEASE from another client is ignored', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ byodPools: '["10.20.20.10-10.20.20.10"]' })));
    const a = lease(h, '02-00-00-00-00-01', RELAY_BYOD);
    expect(silence(h.run({ type: 'RELEASE', mac: '02-00-00-00-00-02', ciaddr: a, serverId: SERVER_ID }))).toBe('unknown-lease');
    expect(silence(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-02', giaddr: RELAY_BYOD }))).toBe('pool-exhausted');
    h.now += 1000;
    const out = h.run({ type: 'RELEASE', mac: '02-00-00-00-00-01', ciaddr: a, serverId: SERVER_ID });
    expect(silence(out)).toBe('released');
    expect(out.write).toMatchObject({ ip: a, state: 'released', expires: T0 + 1000, at: T0 + 1000 });
    expect(ipv4Text(offer(h.run({ type: 'DISCOVER', mac: '02-00-00-00-00-02', giaddr: RELAY_BYOD })).yiaddr!)).toBe(a);
  });

  it('INFORM: an ACK with configuration, no address and no lease options (RFC 2131 §3.4)', () => {
    const h = new Harness();
    const out = h.run({ type: 'INFORM', mac: '02-00-00-00-00-01', ciaddr: '10.20.20.77' });
    const r = ack(out);
    expect(out.kind === 'reply' && out.to).toEqual({ address: ip('10.20.20.77'), port: 68 });
    expect(r.yiaddr).toBe(0);
    expect(ipv4Text(r.ciaddr!)).toBe('10.20.20.77');
    expect(opt(r, 51)).toBeUndefined();
    expect(opt(r, 58)).toBeUndefined();
    expect(optIp(r, 3)).toBe('10.20.20.1');
    expect(out.write).toBeNull();
  });

  it('server-to-client message types are ignored', () => {
    const h = new Harness();
    expect(silence(h.run({ type: 'OFFER', mac: '02-00-00-00-00-01', giaddr: RELAY_BYOD }))).toBe('unexpected-type');
    expect(DHCP_SILENCES).toContain('unexpected-type');
  });
});

describe('leases survive a restart of the table', () => {
  it('a table rebuilt from stored leases keeps bound addresses out of the pool and gives them back to their clients', () => {
    const h = new Harness(loadDhcpConfig(dhcpConfigYaml({ byodPools: '["10.20.20.10-10.20.20.11"]' })));
    const a = lease(h, '02-00-00-00-00-01', RELAY_BYOD);
    const stored = [{ ip: a, network: 'BYOD', mac: '02-00-00-00-00-01', clientId: null, hostname: null, state: 'bound' as const, starts: T0, expires: T0 + 3600_000 }];
    const h2 = new Harness(h.config);
    const table = new LeaseTable(h.config.dhcp, stored, T0 + 60_000);
    Object.assign(h2, { table, now: T0 + 60_000 });
    expect(ipv4Text(offer(h2.run({ type: 'DISCOVER', mac: '02-00-00-00-00-02', giaddr: RELAY_BYOD })).yiaddr!)).not.toBe(a);
    ack(h2.run({ type: 'REQUEST', mac: '02-00-00-00-00-01', ciaddr: a }));
  });
});
