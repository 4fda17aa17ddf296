/**
 * Reading and building DHCP option values (RFC 2132, RFC 3046, RFC 3396, RFC 4361).
 *
 * Readers take a decoded packet and return `undefined` when the option is absent or its value
 * does not have the size RFC 2132 fixes for it: a malformed option is treated as not sent,
 * which is what RFC 2131 expects of a server facing an option it cannot use, and the caller
 * never has to check lengths itself. Builders turn the server's values into OutOption entries
 * and throw LanyardCodecError for values the wire cannot carry (a caller's bug, as in the
 * RADIUS codec).
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { formatMac } from '../../policy/mac.js';
import { LanyardCodecError } from '../radius/errors.js';
import { DHCP_MESSAGE_TYPES, DHCP_OPTION, type DhcpMessageType, type DhcpPacket, type OutOption } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * The value of option `code`: RFC 3396 §7 says every entry of one code forms a single value,
 * joined in the order of §5 (the options field, then file, then sname). `p.options` is already in that
 * order. One entry is returned as is (no copy); several are joined into a new Buffer.
 */
export function optionData(p: DhcpPacket, code: number): Buffer | undefined {
  let first: Buffer | undefined;
  let parts: Buffer[] | undefined;
  for (const o of p.options) {
    if (o.code !== code) continue;
    if (first === undefined) first = o.data;
    else (parts ??= [first]).push(o.data);
  }
  return parts === undefined ? first : Buffer.concat(parts);
}

/** Whether any entry of `code` is present (a zero-length flag option such as Rapid Commit counts). */
export function hasOption(p: DhcpPacket, code: number): boolean {
  return p.options.some((o) => o.code === code);
}

function u32Of(p: DhcpPacket, code: number): number | undefined {
  const d = optionData(p, code);
  return d !== undefined && d.length === 4 ? d.readUInt32BE(0) : undefined;
}

/**
 * Text options (host name, vendor class): UTF-8 when the octets are valid UTF-8, else latin1
 * so that every octet still maps to one character and two different values never read the
 * same. Trailing NULs are dropped: some clients count a C string terminator in the length,
 * which RFC 2132 §2 says not to do.
 */
function textOf(p: DhcpPacket, code: number): string | undefined {
  const d = optionData(p, code);
  if (d === undefined) return undefined;
  let end = d.length;
  while (end > 0 && d[end - 1] === 0) end--;
  const t = d.subarray(0, end);
  return isUtf8(t) ? t.toString('utf8') : t.toString('latin1');
}

const MESSAGE_TYPE_VALUES: ReadonlySet<number> = new Set(Object.values(DHCP_MESSAGE_TYPES));

/** Option 53 (RFC 2132 §9.6): one octet of 1..8. */
export function messageType(p: DhcpPacket): DhcpMessageType | undefined {
  const d = optionData(p, DHCP_OPTION.MESSAGE_TYPE);
  if (d === undefined || d.length !== 1 || !MESSAGE_TYPE_VALUES.has(d[0]!)) return undefined;
  return d[0] as DhcpMessageType;
}

/** Option 50 (RFC 2132 §9.1): the address a client asks for, 4 octets. */
export function requestedIp(p: DhcpPacket): number | undefined {
  return u32Of(p, DHCP_OPTION.REQUESTED_IP);
}

/** Option 54 (RFC 2132 §9.7): the server a REQUEST or RELEASE is meant for, 4 octets. */
export function serverId(p: DhcpPacket): number | undefined {
  return u32Of(p, DHCP_OPTION.SERVER_ID);
}

/** Option 51 (RFC 2132 §9.2): lease time in seconds, 4 octets unsigned (0xffffffff = infinite). */
export function leaseTime(p: DhcpPacket): number | undefined {
  return u32Of(p, DHCP_OPTION.LEASE_TIME);
}

/** Option 55 (RFC 2132 §9.8): requested option codes in the client's order (the order is part of the fingerprint). */
export function parameterList(p: DhcpPacket): readonly number[] | undefined {
  const d = optionData(p, DHCP_OPTION.PARAMETER_LIST);
  return d === undefined ? undefined : Array.from(d);
}

/** Option 12 (RFC 2132 §3.14). */
export function hostname(p: DhcpPacket): string | undefined {
  return textOf(p, DHCP_OPTION.HOSTNAME);
}

/** Option 60 (RFC 2132 §9.13). */
export function vendorClass(p: DhcpPacket): string | undefined {
  return textOf(p, DHCP_OPTION.VENDOR_CLASS);
}

/** Option 61 (RFC 2132 §9.14, RFC 4361 §6.1): type octet then identifier, returned raw. */
export function clientId(p: DhcpPacket): Buffer | undefined {
  return optionData(p, DHCP_OPTION.CLIENT_ID);
}

/** Option 57 (RFC 2132 §9.10): 2 octets. The RFC's minimum of 576 is the caller's to apply. */
export function maxMessageSize(p: DhcpPacket): number | undefined {
  const d = optionData(p, DHCP_OPTION.MAX_MESSAGE_SIZE);
  return d !== undefined && d.length === 2 ? d.readUInt16BE(0) : undefined;
}

/** Option 82 (RFC 3046 §2.0) raw, for the server to copy into its reply unchanged (RFC 3046 §2.2). */
export function relayAgentInfo(p: DhcpPacket): Buffer | undefined {
  return optionData(p, DHCP_OPTION.RELAY_AGENT_INFO);
}

/** RFC 3046 §3: sub-option codes. */
export const RELAY_SUBOPTION = { CIRCUIT_ID: 1, REMOTE_ID: 2 } as const;

/**
 * Option 82's sub-options (RFC 3046 §2.0: code, length, value; no Pad or End). When the value
 * is malformed (a sub-option runs past the end) the list is empty: a half-read circuit id
 * would name the wrong port, and the raw value is still there to echo.
 */
export function relayAgentSubOptions(p: DhcpPacket): readonly { code: number; data: Buffer }[] {
  const d = relayAgentInfo(p);
  if (d === undefined) return [];
  const out: { code: number; data: Buffer }[] = [];
  let off = 0;
  while (off < d.length) {
    if (off + 2 > d.length) return [];
    const end = off + 2 + d[off + 1]!;
    if (end > d.length) return [];
    out.push({ code: d[off]!, data: d.subarray(off + 2, end) });
    off = end;
  }
  return out;
}

/** chaddr as AA-BB-CC-DD-EE-FF when it is an Ethernet address (RFC 1700 htype 1, hlen 6), else undefined. */
export function hardwareAddress(p: DhcpPacket): string | undefined {
  if (p.htype !== 1 || p.hlen !== 6 || p.chaddr.length < 6) return undefined;
  return formatMac(p.chaddr.readUIntBE(0, 6));
}

// ---------------------------------------------------------------------------------------
// Builders (throw LanyardCodecError on values the wire cannot carry)

function checkCode(code: number): void {
  // Pad (0) and End (255) carry no length octet (RFC 2132 §3.1, §3.2), so they cannot hold a value.
  if (!Number.isInteger(code) || code < 1 || code > 254) {
    throw new LanyardCodecError('invalid-type', `DHCP option code ${code} is not 1..254`);
  }
}

function checkUint(n: number, max: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new LanyardCodecError('value-out-of-range', `${what} ${n} is not an integer in 0..${max}`);
  }
}

/** An option with raw octets (checked code; any length, the encoder splits it). */
export function rawOption(code: number, data: Uint8Array): OutOption {
  checkCode(code);
  return { code, data };
}

/** One IPv4 address (RFC 2132 §3.3 subnet mask, §9.7 server id...). */
export function ipOption(code: number, ip: number): OutOption {
  return ipListOption(code, [ip]);
}

/** A list of IPv4 addresses (RFC 2132 §3.5 routers, §3.8 DNS servers). */
export function ipListOption(code: number, ips: readonly number[]): OutOption {
  checkCode(code);
  const data = Buffer.allocUnsafe(ips.length * 4);
  ips.forEach((ip, i) => {
    checkUint(ip, 0xffffffff, 'IPv4 address');
    data.writeUInt32BE(ip, i * 4);
  });
  return { code, data };
}

/** An unsigned big-endian value of 1, 2 or 4 octets (RFC 2132 §2: network byte order). */
function uintOption(code: number, n: number, octets: 1 | 2 | 4): OutOption {
  checkCode(code);
  checkUint(n, 2 ** (8 * octets) - 1, 'value');
  const data = Buffer.allocUnsafe(octets);
  data.writeUIntBE(n, 0, octets);
  return { code, data };
}

/** A 32-bit unsigned value (RFC 2132 §9.2 lease time, §9.11 T1, §9.12 T2). */
export function u32Option(code: number, n: number): OutOption {
  return uintOption(code, n, 4);
}

/** A 16-bit unsigned value (RFC 2132 §9.10 maximum message size). */
export function u16Option(code: number, n: number): OutOption {
  return uintOption(code, n, 2);
}

/** One octet (RFC 2132 §9.6 message type). */
export function u8Option(code: number, n: number): OutOption {
  return uintOption(code, n, 1);
}

/** UTF-8 text, with no terminating NUL (RFC 2132 §2 advises against one in text options). */
export function textOption(code: number, s: string): OutOption {
  checkCode(code);
  return { code, data: s.length === 0 ? EMPTY : Buffer.from(s, 'utf8') };
}
