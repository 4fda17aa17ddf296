/**
 * encodeDhcp() and the option builders: byte layout (RFC 2131 §2, §3; RFC 2132 §3.2;
 * RFC 3396 split), the 300-octet minimum (RFC 1542 §3.4), and round trips through decodeDhcp().
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  BOOTREPLY,
  BOOTREQUEST,
  DHCP_MESSAGE_TYPES,
  DHCP_OPTION,
  decodeDhcp,
  encodeDhcp,
  encodedLength,
  hardwareAddress,
  ipListOption,
  ipOption,
  leaseTime,
  messageType,
  optionData,
  parseIp,
  rawOption,
  serverId,
  textOption,
  u16Option,
  u32Option,
  u8Option,
  type DhcpOutgoing,
  type DhcpPacket,
} from '../../../src/protocols/dhcp/index.js';
import { LanyardCodecError } from '../../../src/protocols/radius/errors.js';
import { hex, layout } from './helpers.js';

const ip = (s: string): number => {
  const n = parseIp(s);
  if (n === undefined) throw new Error(s);
  return n;
};

function decoded(buf: Buffer): DhcpPacket {
  const r = decodeDhcp(buf);
  if (!r.ok) throw new Error(r.reason);
  return r.packet;
}

const offer: DhcpOutgoing = {
  op: BOOTREPLY,
  xid: 0x3903f326,
  flags: 0x8000,
  yiaddr: ip('192.168.1.100'),
  siaddr: ip('192.168.1.1'),
  giaddr: ip('10.0.0.1'),
  chaddr: hex('00 0b 82 01 fc 42'),
  options: [
    u8Option(DHCP_OPTION.MESSAGE_TYPE, DHCP_MESSAGE_TYPES.OFFER),
    ipOption(DHCP_OPTION.SERVER_ID, ip('192.168.1.1')),
    u32Option(DHCP_OPTION.LEASE_TIME, 3600),
    ipOption(DHCP_OPTION.SUBNET_MASK, ip('255.255.255.0')),
    ipListOption(DHCP_OPTION.DNS_SERVERS, [ip('192.168.1.1'), ip('9.9.9.9')]),
    textOption(DHCP_OPTION.DOMAIN_NAME, 'school.example'),
  ],
};

describe('encodeDhcp', () => {
  it('lays the header, cookie, options and End at their RFC offsets, padded to 300', () => {
    const b = encodeDhcp(offer);
    expect(b.length).toBe(300);
    // The same datagram laid out by hand from RFC 2131 §2 Table 1.
    const expected = layout({
      op: 2,
      xid: 0x3903f326,
      flags: 0x8000,
      yiaddr: ip('192.168.1.100'),
      siaddr: ip('192.168.1.1'),
      giaddr: ip('10.0.0.1'),
      chaddr: '000b8201fc42',
      options:
        '350102 3604c0a80101 330400000e10 0104ffffff00 0608c0a8010109090909 0f0e7363686f6f6c2e6578616d706c65 ff',
    });
    const padded = Buffer.alloc(300);
    expected.copy(padded);
    expect(b.toString('hex')).toBe(padded.toString('hex'));
  });

  it('applies the header defaults (htype 1, hlen 6, hops/secs/addresses 0)', () => {
    const b = encodeDhcp({ op: BOOTREQUEST, xid: 1, chaddr: hex('aabbccddeeff'), options: [] });
    expect([b[0], b[1], b[2], b[3]]).toEqual([1, 1, 6, 0]);
    expect(b.subarray(8, 28).every((x) => x === 0)).toBe(true);
    expect(b[240]).toBe(255);
    expect(b.length).toBe(300);
  });

  it('grows past 300 octets when the options need it and reports the size first', () => {
    const msg: DhcpOutgoing = { ...offer, options: [rawOption(43, Buffer.alloc(200, 7)), rawOption(224, Buffer.alloc(100, 8))] };
    const b = encodeDhcp(msg);
    expect(b.length).toBe(240 + 202 + 102 + 1);
    expect(encodedLength(msg)).toBe(b.length);
    expect(b[b.length - 1]).toBe(255);
  });

  it('splits values over 255 octets into consecutive entries (RFC 3396) and decode joins them', () => {
    const long = Buffer.alloc(600);
    for (let i = 0; i < long.length; i++) long[i] = i & 0xff;
    const b = encodeDhcp({ ...offer, options: [rawOption(77, long), u8Option(DHCP_OPTION.MESSAGE_TYPE, 5)] });
    // entries: 255 + 255 + 90, each with its own code and length octet
    expect([b[240], b[241]]).toEqual([77, 255]);
    expect([b[240 + 257], b[240 + 258]]).toEqual([77, 255]);
    expect([b[240 + 514], b[240 + 515]]).toEqual([77, 90]);
    const p = decoded(b);
    expect(p.options.filter((o) => o.code === 77).map((o) => o.data.length)).toEqual([255, 255, 90]);
    expect(optionData(p, 77)?.equals(long)).toBe(true);
    expect(messageType(p)).toBe(DHCP_MESSAGE_TYPES.ACK);
  });

  it('writes a zero-length option as one empty entry', () => {
    const b = encodeDhcp({ ...offer, options: [rawOption(80, new Uint8Array(0))] });
    expect(b.subarray(240, 243).toString('hex')).toBe('5000ff');
  });

  it('round-trips every header field and the options', () => {
    const p = decoded(encodeDhcp({ ...offer, hops: 2, secs: 9, ciaddr: ip('0.0.0.0') }));
    expect(p).toMatchObject({ op: 2, htype: 1, hlen: 6, hops: 2, xid: 0x3903f326, secs: 9, flags: 0x8000 });
    expect(p.yiaddr).toBe(ip('192.168.1.100'));
    expect(p.giaddr).toBe(ip('10.0.0.1'));
    expect(hardwareAddress(p)).toBe('00-0B-82-01-FC-42');
    expect(serverId(p)).toBe(ip('192.168.1.1'));
    expect(leaseTime(p)).toBe(3600);
    expect(optionData(p, DHCP_OPTION.DNS_SERVERS)?.toString('hex')).toBe('c0a8010109090909');
  });

  it('throws a coded error for what the wire cannot carry', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof LanyardCodecError ? e.code : 'not-a-codec-error';
      }
      return undefined;
    };
    expect(codeOf(() => encodeDhcp({ ...offer, chaddr: new Uint8Array(17) }))).toBe('value-too-long');
    expect(codeOf(() => encodeDhcp({ ...offer, options: [{ code: 255, data: new Uint8Array(1) }] }))).toBe('invalid-type');
    expect(codeOf(() => encodeDhcp({ ...offer, options: [{ code: 0, data: new Uint8Array(1) }] }))).toBe('invalid-type');
    expect(codeOf(() => encodeDhcp({ ...offer, xid: 2 ** 32 }))).toBe('value-out-of-range');
    expect(codeOf(() => encodeDhcp({ ...offer, hlen: 17 }))).toBe('value-out-of-range');
    expect(codeOf(() => encodeDhcp({ ...offer, flags: -1 }))).toBe('value-out-of-range');
  });
});

describe('option builders', () => {
  it('build the RFC 2132 value layouts', () => {
    expect(Buffer.from(ipOption(54, ip('10.1.2.3')).data).toString('hex')).toBe('0a010203');
    expect(Buffer.from(ipListOption(3, []).data).length).toBe(0);
    expect(Buffer.from(u32Option(51, 0xffffffff).data).toString('hex')).toBe('ffffffff');
    expect(Buffer.from(u16Option(57, 1500).data).toString('hex')).toBe('05dc');
    expect(Buffer.from(u8Option(53, 6).data).toString('hex')).toBe('06');
    expect(Buffer.from(textOption(56, 'no lease').data).toString('latin1')).toBe('no lease');
    expect(Buffer.from(textOption(15, 'é').data).toString('hex')).toBe('c3a9');
  });

  it('refuse out-of-range values and the Pad/End codes', () => {
    expect(() => u8Option(53, 256)).toThrow(LanyardCodecError);
    expect(() => u16Option(57, 65536)).toThrow(LanyardCodecError);
    expect(() => u32Option(51, -1)).toThrow(LanyardCodecError);
    expect(() => u32Option(51, 1.5)).toThrow(LanyardCodecError);
    expect(() => ipOption(1, 2 ** 32)).toThrow(LanyardCodecError);
    expect(() => textOption(0, 'x')).toThrow(LanyardCodecError);
    expect(() => rawOption(255, new Uint8Array(1))).toThrow(LanyardCodecError);
  });
});
