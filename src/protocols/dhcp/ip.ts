/**
 * IPv4 addresses as unsigned 32-bit integers (the codec's representation, see types.ts) and
 * the few conversions the DHCP server needs at its edges: dotted text, CIDR prefixes, subnet
 * membership and the directed broadcast address. Every result is unsigned (`>>> 0`): the
 * bitwise operators of JavaScript yield signed 32-bit values, and 255.255.255.255 must not
 * come back as -1.
 */

/** Dotted-quad text of an address (RFC 791 §3.2 notation). */
export function ipToString(n: number): string {
  const v = n >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/**
 * Parse a strict dotted quad: exactly four decimal parts of 0..255, no leading zeros, signs,
 * spaces or shorthand forms ("10.1", "0x0a.0.0.1"). Leading zeros are refused because
 * inet_aton reads "010" as octal 8: accepting either reading would put a device in a
 * different subnet than the operator who wrote the configuration meant.
 */
export function parseIp(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet; // multiplication: a << 24 would go negative
  }
  return value >>> 0;
}

/** The netmask of a prefix length 0..32; /0 is special-cased because `x << 32` is `x << 0` in JavaScript. */
export function prefixMask(prefix: number): number {
  return prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
}

/**
 * Parse "a.b.c.d/len" (RFC 4632 §3.1 prefix notation), len 0..32 without leading zeros.
 * Host bits set in the address are cleared in `network` ("10.0.0.5/24" → 10.0.0.0) so an
 * interface address written with its prefix names its subnet.
 */
export function parseCidr(s: string): { network: number; prefix: number; mask: number } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (ip === undefined || !/^(0|[1-9][0-9]?)$/.test(len)) return undefined;
  const prefix = Number(len);
  if (prefix > 32) return undefined;
  const mask = prefixMask(prefix);
  return { network: (ip & mask) >>> 0, prefix, mask };
}

/** Whether `ip` lies in network/prefix (the bits under the mask agree). */
export function inSubnet(ip: number, network: number, prefix: number): boolean {
  return ((ip ^ network) & prefixMask(prefix)) >>> 0 === 0;
}

/** The subnet's directed broadcast address: the network with every host bit set (RFC 919 §7, RFC 922 §7). */
export function broadcastOf(network: number, prefix: number): number {
  return (network | ~prefixMask(prefix)) >>> 0;
}
