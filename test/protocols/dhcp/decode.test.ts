/**
 * decodeDhcp() against hand-laid RFC 2131/2132/3396/3046 vectors and against DISCOVERs
 * captured from the three Debian clients (test/fixtures/dhcp/).
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  DHCP_DECODE_FAILURES,
  DHCP_MESSAGE_TYPES,
  clientId,
  decodeDhcp,
  dhcpFailureMessage,
  hardwareAddress,
  hasOption,
  hostname,
  isDhcpDecodeFailure,
  leaseTime,
  maxMessageSize,
  messageType,
  optionData,
  parameterList,
  parseIp,
  relayAgentInfo,
  relayAgentSubOptions,
  requestedIp,
  serverId,
  vendorClass,
  type DhcpDecodeFailure,
  type DhcpPacket,
} from '../../../src/protocols/dhcp/index.js';
import { fixture, hex, layout } from './helpers.js';

function ok(buf: Buffer): DhcpPacket {
  const r = decodeDhcp(buf);
  if (!r.ok) throw new Error(`expected a packet, got ${r.reason}`);
  return r.packet;
}

function failure(buf: Buffer): DhcpDecodeFailure | null {
  const r = decodeDhcp(buf);
  return r.ok ? null : r.reason;
}

describe('real DISCOVERs captured from the Debian clients', () => {
  it('udhcpc 1.35.0', () => {
    const buf = fixture('udhcpc-1.35.0-discover.hex');
    expect(buf.length).toBe(300);
    const p = ok(buf);
    expect(p.op).toBe(1);
    expect(p.xid).toBe(0x4162a536);
    expect(hardwareAddress(p)).toBe('EA-BF-47-96-C1-00');
    expect(messageType(p)).toBe(DHCP_MESSAGE_TYPES.DISCOVER);
    expect(parameterList(p)).toEqual([1, 3, 6, 12, 15, 28, 42]);
    expect(hostname(p)).toBe('lab-udhcpc');
    expect(vendorClass(p)).toBe('udhcp 1.35.0');
    expect(maxMessageSize(p)).toBe(576);
    expect(clientId(p)?.toString('hex')).toBe('01eabf4796c100');
    expect(p.options.map((o) => o.code)).toEqual([53, 57, 55, 12, 60, 61]);
    expect(p.options.every((o) => o.area === 'options')).toBe(true);
  });

  it('ISC dhclient 4.4.3', () => {
    const p = ok(fixture('dhclient-4.4.3-discover.hex'));
    expect(p.xid).toBe(0xa7df814d);
    expect(hardwareAddress(p)).toBe('BA-E1-BB-92-15-65');
    expect(messageType(p)).toBe(DHCP_MESSAGE_TYPES.DISCOVER);
    expect(parameterList(p)).toEqual([1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]);
    expect(hostname(p)).toBe('vm');
    expect(vendorClass(p)).toBeUndefined();
    expect(clientId(p)).toBeUndefined();
  });

  it('dhcpcd 9.4.1 (358 octets, RFC 4361 client id, zero-length Rapid Commit)', () => {
    const buf = fixture('dhcpcd-9.4.1-discover.hex');
    expect(buf.length).toBe(358);
    const p = ok(buf);
    expect(hardwareAddress(p)).toBe('D2-B7-76-90-55-51');
    expect(parameterList(p)).toEqual([1, 121, 3, 6, 12, 15, 26, 28, 33, 51, 54, 58, 59, 119]);
    expect(hostname(p)).toBe('lab-dhcpcd');
    expect(vendorClass(p)).toBe('dhcpcd-9.4.1:Linux-6.18.44-fc-v669:x86_64:AuthenticAMD');
    expect(maxMessageSize(p)).toBe(1472);
    expect(clientId(p)?.[0]).toBe(0xff);
    // RFC 4039 Rapid Commit (80) has no value: kept as an empty entry.
    expect(hasOption(p, 80)).toBe(true);
    expect(optionData(p, 80)?.length).toBe(0);
  });

  it('keeps its views valid after the caller overwrites the input', () => {
    const buf = fixture('udhcpc-1.35.0-discover.hex');
    const p = ok(buf);
    buf.fill(0);
    expect(hostname(p)).toBe('lab-udhcpc');
    expect(hardwareAddress(p)).toBe('EA-BF-47-96-C1-00');
  });
});

describe('RFC 2131 §2 header', () => {
  it('reads every fixed field at its Table 1 offset', () => {
    const header = {
      op: 2,
      htype: 1,
      hlen: 6,
      hops: 3,
      xid: 0xdeadbeef,
      secs: 0x1234,
      flags: 0x8000,
      ciaddr: 0x0a000001,
      yiaddr: 0xc0a80164,
      siaddr: 0xffffffff,
      giaddr: 0xac100001,
    };
    const p = ok(layout({ ...header, chaddr: '0a1b2c3d4e5f', sname: '6e7331', file: '626f6f74', options: '350102 ff' }));
    expect(p).toMatchObject(header);
    expect(p.chaddr.length).toBe(16);
    expect(p.sname.length).toBe(64);
    expect(p.file.length).toBe(128);
    expect(p.sname.subarray(0, 3).toString('latin1')).toBe('ns1');
    expect(p.file.subarray(0, 4).toString('latin1')).toBe('boot');
    expect(messageType(p)).toBe(DHCP_MESSAGE_TYPES.OFFER);
  });

  it('gives a hardware address only for Ethernet (htype 1, hlen 6)', () => {
    expect(hardwareAddress(ok(layout({ chaddr: '0a1b2c3d4e5f', options: 'ff' })))).toBe('0A-1B-2C-3D-4E-5F');
    expect(hardwareAddress(ok(layout({ htype: 6, options: 'ff' })))).toBeUndefined();
    expect(hardwareAddress(ok(layout({ hlen: 8, options: 'ff' })))).toBeUndefined();
    expect(hardwareAddress(ok(layout({ hlen: 16, options: 'ff' })))).toBeUndefined();
  });
});

describe('RFC 2132 options field', () => {
  it('skips Pad octets between options and keeps wire order', () => {
    const p = ok(layout({ options: '00 350101 0000 3204c0a80a0a 00 3604c0a80a01 ff' }));
    expect(p.options.map((o) => o.code)).toEqual([53, 50, 54]);
    expect(requestedIp(p)).toBe(parseIp('192.168.10.10'));
    expect(serverId(p)).toBe(parseIp('192.168.10.1'));
  });

  it('ignores everything after End (padding, even junk)', () => {
    const p = ok(layout({ options: '350103 ff 0c03616263 deadbeef' }));
    expect(p.options.map((o) => o.code)).toEqual([53]);
    expect(hostname(p)).toBeUndefined();
  });

  it('accepts a missing End when the last option ends exactly at the datagram end', () => {
    const p = ok(layout({ options: '350101 0c0474657374' }));
    expect(hostname(p)).toBe('test');
  });

  it('accepts a missing End when Pad octets run to the datagram end', () => {
    const p = ok(layout({ options: '350101', trailer: 20 }));
    expect(messageType(p)).toBe(DHCP_MESSAGE_TYPES.DISCOVER);
  });

  it('accepts a message with no options at all (a bare BOOTP header and cookie)', () => {
    expect(ok(layout({ options: '' })).options).toEqual([]);
  });

  it('reads lease time, and refuses values of the wrong size as absent', () => {
    const p = ok(layout({ options: '3304ffffffff 3203c0a801 390105 ff' }));
    expect(leaseTime(p)).toBe(0xffffffff);
    expect(requestedIp(p)).toBeUndefined(); // 3 octets, RFC 2132 §9.1 says 4
    expect(maxMessageSize(p)).toBeUndefined(); // 1 octet, RFC 2132 §9.10 says 2
  });

  it('returns undefined for an unknown or malformed message type', () => {
    expect(messageType(ok(layout({ options: '350109 ff' })))).toBeUndefined();
    expect(messageType(ok(layout({ options: '35020101 ff' })))).toBeUndefined();
    expect(messageType(ok(layout({ options: 'ff' })))).toBeUndefined();
  });

  it('strips trailing NULs from text options and reads non-UTF-8 octets as latin1', () => {
    const p = ok(layout({ options: '0c07 70632d3132 0000 3c03 e9e0ff ff' }));
    expect(hostname(p)).toBe('pc-12');
    expect(vendorClass(p)).toBe('\u00e9\u00e0\u00ff');
    const utf8 = ok(layout({ options: '0c06c3a9636f6c65 ff' }));
    expect(hostname(utf8)).toBe('\u00e9cole');
  });
});

describe('RFC 3396 long options', () => {
  it('keeps split entries separate and joins them in order', () => {
    const first = 'aa'.repeat(255);
    const p = ok(layout({ options: `3c ff ${first} 0c0168 3c 03 626262 ff` }));
    const entries = p.options.filter((o) => o.code === 60);
    expect(entries.map((o) => o.data.length)).toEqual([255, 3]);
    const joined = optionData(p, 60);
    expect(joined?.length).toBe(258);
    expect(joined?.subarray(255).toString('latin1')).toBe('bbb');
    expect(hostname(p)).toBe('h');
  });

  it('joins a parameter list split across the options field and file (RFC 3396 §7 order)', () => {
    const p = ok(
      layout({
        file: '3703 1c 2a 77 ff',
        options: '340101 3703 01 03 06 ff',
      }),
    );
    expect(parameterList(p)).toEqual([1, 3, 6, 28, 42, 119]);
    expect(p.options.filter((o) => o.code === 55).map((o) => o.area)).toEqual(['options', 'file']);
  });
});

describe('RFC 2132 §9.3 option overload', () => {
  it('reads options from file (1)', () => {
    const p = ok(layout({ file: '0c0466696c65 ff', options: '350105 340101 ff' }));
    expect(hostname(p)).toBe('file');
    expect(p.options.find((o) => o.code === 12)?.area).toBe('file');
  });

  it('reads options from sname (2)', () => {
    const p = ok(layout({ sname: '0f0b6578616d706c652e6f7267 ff', options: '340102 ff' }));
    expect(optionData(p, 15)?.toString('latin1')).toBe('example.org');
    expect(p.options.find((o) => o.code === 15)?.area).toBe('sname');
  });

  it('reads file then sname (3), with pads', () => {
    const p = ok(
      layout({
        file: '00 0c0161 ff',
        sname: '0000 0c0162 ff',
        options: '340103 0c0178 ff',
      }),
    );
    expect(p.options.filter((o) => o.code === 12).map((o) => o.area)).toEqual(['options', 'file', 'sname']);
    expect(hostname(p)).toBe('xab');
  });

  it('does not read file or sname as options without option 52', () => {
    const p = ok(layout({ file: '0c0466696c65 ff', options: 'ff' }));
    expect(hostname(p)).toBeUndefined();
    expect(p.file.subarray(0, 2).toString('hex')).toBe('0c04');
  });
});

describe('RFC 3046 relay agent information (82)', () => {
  it('returns the raw value to echo and its circuit-id / remote-id sub-options', () => {
    const value = '0106 000400010001 0208 0006a0b1c2d3e4f5'.replace(/ /g, '');
    const p = ok(layout({ giaddr: 0x0a000001, options: `350101 52${(value.length / 2).toString(16).padStart(2, '0')}${value} ff` }));
    expect(relayAgentInfo(p)?.toString('hex')).toBe(value);
    const subs = relayAgentSubOptions(p);
    expect(subs.map((s) => s.code)).toEqual([1, 2]);
    expect(subs[0]!.data.toString('hex')).toBe('000400010001');
    expect(subs[1]!.data.toString('hex')).toBe('0006a0b1c2d3e4f5');
  });

  it('gives no sub-options when option 82 is absent or malformed', () => {
    expect(relayAgentSubOptions(ok(layout({ options: 'ff' })))).toEqual([]);
    const bad = ok(layout({ options: '5205 0109 616263 ff' }));
    expect(relayAgentInfo(bad)?.length).toBe(5);
    expect(relayAgentSubOptions(bad)).toEqual([]);
    expect(relayAgentSubOptions(ok(layout({ options: '5204 01016102 ff' })))).toEqual([]);
  });
});

describe('failures (a closed list; every reason reached)', () => {
  const cases: readonly [DhcpDecodeFailure, string, Buffer][] = [
    ['too-short', 'empty datagram', Buffer.alloc(0)],
    ['too-short', 'header without the cookie', Buffer.alloc(236)],
    ['too-short', 'one octet short of the cookie', layout({ options: '' }).subarray(0, 239)],
    ['bad-magic-cookie', 'BOOTP vendor area (RFC 1497 cookie missing)', layout({ cookie: '00000000', options: 'ff' })],
    ['bad-magic-cookie', 'cookie bytes swapped', layout({ cookie: '63825336', options: 'ff' })],
    ['bad-hlen', 'hlen 17', layout({ hlen: 17, options: 'ff' })],
    ['option-truncated', 'length runs past the datagram', layout({ options: '350101 0c0861' })],
    ['option-truncated', 'length octet missing at the end', layout({ options: '350101 0c' })],
    ['option-truncated', 'length runs past file', layout({ file: `${'00'.repeat(126)}0c05`, options: '340101 ff' })],
    ['option-truncated', 'length runs past sname', layout({ sname: `${'00'.repeat(62)}0f09`, options: '340102 ff' })],
    ['missing-end', 'file overloaded but holds a boot file name', layout({ file: Buffer.from('pxelinux.0').toString('hex'), options: '340101 ff' })],
    ['missing-end', 'sname overloaded, options but no End', layout({ sname: '0c0161', options: '340102 ff' })],
    ['bad-overload', 'value 0', layout({ options: '340100 ff' })],
    ['bad-overload', 'value 4', layout({ options: '340104 ff' })],
    ['bad-overload', 'two octets', layout({ options: '34020101 ff' })],
    ['bad-overload', 'empty value', layout({ options: '3400 ff' })],
    ['bad-overload', 'two entries (joined: two octets)', layout({ options: '340101 340101 ff' })],
    ['bad-overload', 'option 52 inside file', layout({ file: '340102 ff', options: '340101 ff' })],
  ];

  it.each(cases)('%s: %s', (reason, _what, buf) => {
    expect(failure(buf)).toBe(reason);
  });

  it('reaches every reason in DHCP_DECODE_FAILURES', () => {
    expect(new Set(cases.map(([r]) => r))).toEqual(new Set(DHCP_DECODE_FAILURES));
  });

  it('has a message citing the RFC for every reason, and recognises reasons', () => {
    for (const r of DHCP_DECODE_FAILURES) {
      expect(dhcpFailureMessage[r]).toMatch(/RFC \d+ §/);
      expect(isDhcpDecodeFailure(r)).toBe(true);
    }
    expect(isDhcpDecodeFailure('packet-too-short')).toBe(false);
    expect(isDhcpDecodeFailure(42)).toBe(false);
  });
});
