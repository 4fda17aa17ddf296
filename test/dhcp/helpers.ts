/**
 * Test helpers: DHCP configs written as YAML (through the real loader) and client messages
 * built as plain DhcpPacket values (RFC 2131 §2 fields, options as raw entries).
 */
import { loadConfigText } from '../../src/config/load.js';
import type { LanyardConfig } from '../../src/config/types.js';
import { BOOTREQUEST, DHCP_MESSAGE_TYPES, type DhcpPacket, type RawOption } from '../../src/protocols/dhcp/types.js';
import { parseIp } from '../../src/protocols/dhcp/index.js';

export const SERVER_ID = '10.99.0.1';

/** A school config with DCPS (relayed, 10.20.10.0/24) and BYOD (10.20.20.0/24); extra YAML appended under dhcp. */
export function dhcpConfigYaml(opts: { dhcp?: string; dcpsPools?: string; byodPools?: string; extraNetworks?: string } = {}): string {
  return `
profiles:
  internet: { filterId: internet }
networks:
  DCPS:
    vlan: 10
    unknownDevices: reject
    dhcp:
      subnet: 10.20.10.0/24
      pools: ${opts.dcpsPools ?? '["10.20.10.100-10.20.10.199"]'}
      router: 10.20.10.1
      dns: [10.20.0.53, 10.20.0.54]
      domain: school.example
      leaseTime: 8h
      reservations:
        printer-staffroom: { mac: "aa:bb:cc:00:00:01", ip: 10.20.10.5 }
  BYOD:
    vlan: 20
    unknownDevices: { admitAs: visitor }
    dhcp:
      subnet: 10.20.20.0/24
      pools: ${opts.byodPools ?? '["10.20.20.10-10.20.20.250"]'}
      router: 10.20.20.1
      leaseTime: 1h
${opts.extraNetworks ?? ''}
classes:
  school-laptop: { ownership: school, network: DCPS, profile: internet }
  printer: { ownership: school, network: DCPS, profile: internet }
  visitor: { ownership: visitor, network: BYOD, profile: internet }
dhcp:
  mode: serve
  serverId: ${SERVER_ID}
${opts.dhcp ?? ''}
`;
}

export function loadDhcpConfig(yaml: string = dhcpConfigYaml()): LanyardConfig {
  return loadConfigText(yaml, '/tmp/lanyard-dhcp-test.yaml');
}

export function ip(text: string): number {
  const n = parseIp(text);
  if (n === undefined) throw new Error(`not an address: ${text}`);
  return n;
}

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.replace(/[^0-9a-fA-F]/g, ''), 'hex');
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export interface ClientMessage {
  type: keyof typeof DHCP_MESSAGE_TYPES;
  mac: string;
  xid?: number;
  flags?: number;
  ciaddr?: string;
  giaddr?: string;
  requested?: string;
  serverId?: string;
  clientId?: Buffer;
  hostname?: string;
  params?: number[];
  relayInfo?: Buffer;
}

/** The options a client message carries, in wire order. */
export function clientOptions(m: ClientMessage): RawOption[] {
  const opts: RawOption[] = [{ code: 53, data: Buffer.of(DHCP_MESSAGE_TYPES[m.type]), area: 'options' }];
  const add = (code: number, data: Buffer): void => void opts.push({ code, data, area: 'options' });
  if (m.clientId !== undefined) add(61, m.clientId);
  if (m.requested !== undefined) add(50, u32(ip(m.requested)));
  if (m.serverId !== undefined) add(54, u32(ip(m.serverId)));
  if (m.hostname !== undefined) add(12, Buffer.from(m.hostname));
  if (m.params !== undefined) add(55, Buffer.from(m.params));
  if (m.relayInfo !== undefined) add(82, m.relayInfo);
  return opts;
}

export function packet(m: ClientMessage): DhcpPacket {
  const chaddr = Buffer.alloc(16);
  macBytes(m.mac).copy(chaddr);
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: m.giaddr === undefined ? 0 : 1,
    xid: m.xid ?? 0x1234,
    secs: 0,
    flags: m.flags ?? 0,
    ciaddr: m.ciaddr === undefined ? 0 : ip(m.ciaddr),
    yiaddr: 0,
    siaddr: 0,
    giaddr: m.giaddr === undefined ? 0 : ip(m.giaddr),
    chaddr,
    sname: Buffer.alloc(64),
    file: Buffer.alloc(128),
    options: clientOptions(m),
  };
}
