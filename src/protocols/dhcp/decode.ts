/**
 * DHCPv4 decoding (RFC 2131 §2-§4.1, RFC 2132 §2-§3 and §9.3, RFC 3396): bytes in, a
 * DhcpPacket or a closed failure reason out. Never throws, whatever the input.
 *
 * Leniency, decided once here so every caller sees the same rules:
 * - Octets after End are padding (RFC 2131 §2 lets the options field run to the datagram's
 *   end) and are not read, so junk a relay or NIC leaves there cannot fail a message.
 * - The options field may lack End when its entries parse exactly up to the datagram's end
 *   (the last option, or trailing Pad octets, ends on the final octet). A sender that forgot
 *   End, or a middlebox that trimmed the datagram right after the last option, leaves nothing
 *   ambiguous: every octet was read as a whole option, so the area counts as ended.
 * - An overloaded file or sname area (option 52) must contain End. Those areas are fixed-size
 *   fields the sender filled on purpose; one without End is almost always a boot file or
 *   server name mislabelled by a bad option 52, whose text would otherwise be read as options.
 * - Zero-length option values are kept (Rapid Commit, RFC 4039 §4, has no value).
 * - An entry whose length runs past its area is a failure: its value would be guessed.
 */
import { Buffer } from 'node:buffer';
import {
  DHCP_DECODE_FAILURES,
  DHCP_OPTION,
  type DhcpDecodeFailure,
  type DhcpDecodeResult,
  type OptionArea,
  type RawOption,
} from './types.js';

/** RFC 2131 §2: the fixed header is 236 octets; the options field follows at 236. */
export const DHCP_HEADER_LENGTH = 236;
/** RFC 2131 §3: 99.130.83.99, the first four octets of the options field. */
export const DHCP_MAGIC_COOKIE = 0x63825363;
/** Header plus magic cookie: where the first option starts. */
export const DHCP_OPTIONS_OFFSET = DHCP_HEADER_LENGTH + 4;
/** RFC 2131 §2 Table 1 offsets of sname (64 octets) and file (128 octets). */
export const SNAME_OFFSET = 44;
export const SNAME_LENGTH = 64;
export const FILE_OFFSET = 108;
export const FILE_LENGTH = 128;
/** RFC 2131 §2: chaddr is 16 octets, so hlen can be at most 16. */
export const CHADDR_LENGTH = 16;

export const dhcpFailureMessage: Readonly<Record<DhcpDecodeFailure, string>> = {
  'too-short':
    'The datagram is shorter than the 236-octet BOOTP header plus the 4-octet magic cookie (RFC 2131 §2, §3).',
  'bad-magic-cookie': 'The options field does not start with the magic cookie 99.130.83.99 (RFC 2131 §3).',
  'bad-hlen': 'The hardware address length is over 16, the size of chaddr (RFC 2131 §2).',
  'option-truncated': 'An option length runs past the end of its area (RFC 2132 §2).',
  'missing-end':
    'An overloaded file or sname area has no End option, so its contents are not known to be options (RFC 2132 §9.3).',
  'bad-overload':
    'Option 52 is not one octet of value 1, 2 or 3, or appears inside file/sname (RFC 2132 §9.3).',
};

export function isDhcpDecodeFailure(value: unknown): value is DhcpDecodeFailure {
  return typeof value === 'string' && (DHCP_DECODE_FAILURES as readonly string[]).includes(value);
}

/** Scan outcome of one area: null when it ended well, else the reason. */
type AreaOutcome = null | 'option-truncated' | 'missing-end';

/**
 * Read the option entries of b[start, end) into `out` (RFC 2132 §2: code, length, value;
 * §3.1 Pad and §3.2 End have no length octet). `endRequired` is false only for the options
 * field, where reaching the datagram's end cleanly counts as End (see the file comment).
 */
function scanArea(
  b: Buffer,
  start: number,
  end: number,
  area: OptionArea,
  endRequired: boolean,
  out: RawOption[],
): AreaOutcome {
  let off = start;
  while (off < end) {
    const code = b[off]!;
    if (code === DHCP_OPTION.PAD) {
      off += 1; // RFC 2132 §3.1: one octet, no length
      continue;
    }
    if (code === DHCP_OPTION.END) return null; // RFC 2132 §3.2: the rest is padding
    if (off + 1 >= end) return 'option-truncated'; // no room for the length octet
    const valueEnd = off + 2 + b[off + 1]!;
    if (valueEnd > end) return 'option-truncated';
    out.push({ code, data: b.subarray(off + 2, valueEnd), area });
    off = valueEnd;
  }
  return endRequired ? 'missing-end' : null;
}

/**
 * Decode one datagram. The packet's buffers (chaddr, sname, file, option values) are views
 * into one private copy of the input, so the caller may reuse or overwrite `buf` afterwards.
 * Header checks come first in the order of DHCP_DECODE_FAILURES, then the options field, then
 * option 52, then file and sname: one datagram always yields the same reason.
 */
export function decodeDhcp(buf: Buffer): DhcpDecodeResult {
  const length = buf.length;
  if (length < DHCP_OPTIONS_OFFSET) return { ok: false, reason: 'too-short' };
  if (buf.readUInt32BE(DHCP_HEADER_LENGTH) !== DHCP_MAGIC_COOKIE) return { ok: false, reason: 'bad-magic-cookie' };
  const hlen = buf[2]!;
  if (hlen > CHADDR_LENGTH) return { ok: false, reason: 'bad-hlen' };

  const b = Buffer.from(buf); // one copy: every view below shares it
  const options: RawOption[] = [];
  const fieldOutcome = scanArea(b, DHCP_OPTIONS_OFFSET, length, 'options', false, options);
  if (fieldOutcome !== null) return { ok: false, reason: fieldOutcome };

  // RFC 2131 §4.1: the options field is read first so option 52 can be found; RFC 3396 §7
  // makes several 52 entries one value, which must then be one octet (RFC 2132 §9.3).
  let overloadSeen = false;
  let overloadLength = 0;
  let overload = 0;
  for (const o of options) {
    if (o.code !== DHCP_OPTION.OVERLOAD) continue;
    overloadSeen = true;
    overloadLength += o.data.length;
    if (o.data.length > 0) overload = o.data[0]!;
  }
  if (overloadSeen && (overloadLength !== 1 || overload < 1 || overload > 3)) {
    return { ok: false, reason: 'bad-overload' };
  }

  // RFC 2131 §4.1: file is interpreted next, then sname (RFC 2132 §9.3: 1 = file, 2 = sname, 3 = both).
  const fieldCount = options.length;
  if ((overload & 1) !== 0) {
    const r = scanArea(b, FILE_OFFSET, FILE_OFFSET + FILE_LENGTH, 'file', true, options);
    if (r !== null) return { ok: false, reason: r };
  }
  if ((overload & 2) !== 0) {
    const r = scanArea(b, SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH, 'sname', true, options);
    if (r !== null) return { ok: false, reason: r };
  }
  // RFC 2132 §9.3: option 52 belongs in the options field only; one in file/sname could
  // point back at an area already read.
  for (let i = fieldCount; i < options.length; i++) {
    if (options[i]!.code === DHCP_OPTION.OVERLOAD) return { ok: false, reason: 'bad-overload' };
  }

  return {
    ok: true,
    packet: {
      op: b[0]!,
      htype: b[1]!,
      hlen,
      hops: b[3]!,
      xid: b.readUInt32BE(4),
      secs: b.readUInt16BE(8),
      flags: b.readUInt16BE(10),
      ciaddr: b.readUInt32BE(12),
      yiaddr: b.readUInt32BE(16),
      siaddr: b.readUInt32BE(20),
      giaddr: b.readUInt32BE(24),
      chaddr: b.subarray(28, 28 + CHADDR_LENGTH),
      sname: b.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH),
      file: b.subarray(FILE_OFFSET, FILE_OFFSET + FILE_LENGTH),
      options,
    },
  };
}
