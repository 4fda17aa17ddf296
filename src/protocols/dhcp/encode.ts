/**
 * DHCPv4 encoding (RFC 2131 §2 header, §3 magic cookie; RFC 2132 option layout; RFC 3396
 * long options). The server encodes one reply per request, so this sizes the datagram first
 * and writes it into a single zero-filled allocation: no per-option Buffer, no concat.
 *
 * Throws LanyardCodecError only for a message the wire cannot carry (option code 0 or 255,
 * chaddr over 16 octets, a header field out of range): a bug in the caller, as in the RADIUS codec.
 */
import { Buffer } from 'node:buffer';
import { LanyardCodecError } from '../radius/errors.js';
import { CHADDR_LENGTH, DHCP_HEADER_LENGTH, DHCP_MAGIC_COOKIE, DHCP_OPTIONS_OFFSET } from './decode.js';
import type { DhcpOutgoing, OutOption } from './types.js';

/** RFC 1542 §2.1: a BOOTP message is at least 300 octets, which some old relays and clients rely on. */
export const DHCP_MIN_DATAGRAM = 300;
/** RFC 2132 §2: one entry's length octet holds at most 255. */
const MAX_ENTRY = 255;

/** Octets one option takes on the wire: an entry per 255-octet piece (RFC 3396 §6), at least one entry. */
function optionWireLength(o: OutOption): number {
  const n = o.data.length;
  const entries = n === 0 ? 1 : Math.ceil(n / MAX_ENTRY);
  return entries * 2 + n;
}

/** The size encodeDhcp() will produce, so a caller can check it against a client's option 57 first. */
export function encodedLength(msg: DhcpOutgoing): number {
  let n = DHCP_OPTIONS_OFFSET + 1; // header, cookie, End
  for (const o of msg.options) n += optionWireLength(o);
  return Math.max(n, DHCP_MIN_DATAGRAM);
}

function field(value: number | undefined, fallback: number, max: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new LanyardCodecError('value-out-of-range', `DHCP ${name} ${v} is not an integer in 0..${max}`);
  }
  return v;
}

export function encodeDhcp(msg: DhcpOutgoing): Buffer {
  if (msg.chaddr.length > CHADDR_LENGTH) {
    throw new LanyardCodecError('value-too-long', `chaddr of ${msg.chaddr.length} octets exceeds ${CHADDR_LENGTH}`);
  }
  for (const o of msg.options) {
    // Pad and End have no length octet (RFC 2132 §3.1, §3.2): they cannot carry a value.
    if (!Number.isInteger(o.code) || o.code < 1 || o.code > 254) {
      throw new LanyardCodecError('invalid-type', `DHCP option code ${o.code} is not 1..254`);
    }
  }
  // Zero-filled so sname, file and the padding stay 0. allocUnsafe draws on Node's shared pool
  // for datagram-sized buffers, which costs less than a fresh zeroed allocation.
  const b = Buffer.allocUnsafe(encodedLength(msg)).fill(0);

  // RFC 2131 §2 Table 1.
  b[0] = field(msg.op, 0, 0xff, 'op');
  b[1] = field(msg.htype, 1, 0xff, 'htype');
  b[2] = field(msg.hlen, 6, CHADDR_LENGTH, 'hlen');
  b[3] = field(msg.hops, 0, 0xff, 'hops');
  b.writeUInt32BE(field(msg.xid, 0, 0xffffffff, 'xid'), 4);
  b.writeUInt16BE(field(msg.secs, 0, 0xffff, 'secs'), 8);
  b.writeUInt16BE(field(msg.flags, 0, 0xffff, 'flags'), 10);
  b.writeUInt32BE(field(msg.ciaddr, 0, 0xffffffff, 'ciaddr'), 12);
  b.writeUInt32BE(field(msg.yiaddr, 0, 0xffffffff, 'yiaddr'), 16);
  b.writeUInt32BE(field(msg.siaddr, 0, 0xffffffff, 'siaddr'), 20);
  b.writeUInt32BE(field(msg.giaddr, 0, 0xffffffff, 'giaddr'), 24);
  b.set(msg.chaddr, 28);
  b.writeUInt32BE(DHCP_MAGIC_COOKIE, DHCP_HEADER_LENGTH); // RFC 2131 §3

  let off = DHCP_OPTIONS_OFFSET;
  for (const o of msg.options) {
    const data = o.data;
    let pos = 0;
    // RFC 3396 §6: a value over 255 octets goes out as consecutive entries of the same code,
    // which the receiver joins in order (§7). A zero-length value is one empty entry.
    do {
      const piece = Math.min(MAX_ENTRY, data.length - pos);
      b[off] = o.code;
      b[off + 1] = piece;
      // The whole value when it fits one entry (the usual case): no view object to make.
      b.set(piece === data.length ? data : data.subarray(pos, pos + piece), off + 2);
      off += 2 + piece;
      pos += piece;
    } while (pos < data.length);
  }
  b[off] = 255; // RFC 2132 §3.2: End; what follows stays zero (Pad)
  return b;
}
