/** ip.ts: unsigned 32-bit IPv4 values, strict parsing, CIDR edges (/0, /32), broadcast. */
import { describe, expect, it } from 'vitest';
import { broadcastOf, inSubnet, ipToString, parseCidr, parseIp, prefixMask } from '../../../src/protocols/dhcp/index.js';

describe('parseIp / ipToString', () => {
  it.each([
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['192.168.1.1', 0xc0a80101],
    ['10.0.0.255', 0x0a0000ff],
    ['128.0.0.0', 0x80000000],
  ])('%s ⇄ %d (unsigned)', (text, n) => {
    expect(parseIp(text)).toBe(n);
    expect(ipToString(n)).toBe(text);
  });

  it('prints the unsigned value of a negative int32 (the result of JavaScript bit operators)', () => {
    expect(ipToString(-1)).toBe('255.255.255.255');
    expect(ipToString(0xc0a80101 | 0)).toBe('192.168.1.1');
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.-4',
    '01.2.3.4', // leading zero: octal to inet_aton
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1..3.4',
    '0x0a.0.0.1',
    '1.2.3.4/24',
    '1000.1.1.1',
    '１.2.3.4', // full-width digit
  ])('refuses %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseCidr, inSubnet, broadcastOf', () => {
  it('parses a /24 and clears host bits', () => {
    expect(parseCidr('10.1.2.3/24')).toEqual({ network: 0x0a010200, prefix: 24, mask: 0xffffff00 });
  });

  it('handles /0 (everything) and /32 (one address)', () => {
    expect(parseCidr('0.0.0.0/0')).toEqual({ network: 0, prefix: 0, mask: 0 });
    expect(parseCidr('8.8.8.8/0')).toEqual({ network: 0, prefix: 0, mask: 0 });
    expect(parseCidr('192.0.2.7/32')).toEqual({ network: 0xc0000207, prefix: 32, mask: 0xffffffff });
    expect(inSubnet(0xffffffff, 0, 0)).toBe(true);
    expect(inSubnet(0, 0, 0)).toBe(true);
    expect(inSubnet(0xc0000207, 0xc0000207, 32)).toBe(true);
    expect(inSubnet(0xc0000208, 0xc0000207, 32)).toBe(false);
    expect(broadcastOf(0, 0)).toBe(0xffffffff);
    expect(broadcastOf(0xc0000207, 32)).toBe(0xc0000207);
  });

  it('tests membership at the subnet edges', () => {
    const net = parseCidr('172.16.0.0/12')!;
    expect(inSubnet(parseIp('172.16.0.0')!, net.network, net.prefix)).toBe(true);
    expect(inSubnet(parseIp('172.31.255.255')!, net.network, net.prefix)).toBe(true);
    expect(inSubnet(parseIp('172.32.0.0')!, net.network, net.prefix)).toBe(false);
    expect(inSubnet(parseIp('172.15.255.255')!, net.network, net.prefix)).toBe(false);
    expect(broadcastOf(net.network, net.prefix)).toBe(parseIp('172.31.255.255'));
  });

  it('gives unsigned masks and broadcasts for high networks', () => {
    expect(prefixMask(1)).toBe(0x80000000);
    expect(prefixMask(32)).toBe(0xffffffff);
    expect(broadcastOf(parseIp('224.0.0.0')!, 4)).toBe(0xefffffff);
  });

  it.each(['10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/024', '10.0.0.0/-1', '10.0.0/8', '10.0.0.0/8/8', '/8', '10.0.0.0/ 8'])(
    'refuses %j',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});
