/**
 * The hot-path gate: validate the header and the attribute framing of a datagram without
 * allocating anything. The server calls this first; every other reader in this codec
 * (findAttribute, the authenticator checks) may then assume the framing is sound.
 */
import {
  Attr,
  HEADER_LENGTH,
  MAX_PACKET_LENGTH,
  MESSAGE_AUTHENTICATOR_LENGTH,
  MIN_VSA_LENGTH,
  isKnownCode,
} from './constants.js';
import type { DecodeFailure } from './failures.js';

/**
 * Returns null when `buf` is a well-framed RADIUS packet, otherwise the first failure found,
 * tested in the order of DECODE_FAILURES. Never throws. Octets past the Length field are
 * padding and are not looked at (RFC 2865 §3).
 */
export function check(buf: Uint8Array): DecodeFailure | null {
  const received = buf.length;
  if (received < HEADER_LENGTH) return 'packet-too-short'; // RFC 2865 §3: header is 20 octets
  const length = (buf[2]! << 8) | buf[3]!;
  if (length < HEADER_LENGTH) return 'length-too-small'; // RFC 2865 §3: "minimum length is 20"
  if (length > MAX_PACKET_LENGTH) return 'packet-too-long'; // RFC 2865 §3: "maximum length is 4096"
  if (length > received) return 'length-field-mismatch'; // RFC 2865 §3: shorter than Length → discard
  if (!isKnownCode(buf[0]!)) return 'unknown-code'; // RFC 2865 §3: invalid Code → silently discard

  let sawMessageAuthenticator = false;
  let off = HEADER_LENGTH;
  while (off < length) {
    if (length - off < 2) return 'attribute-truncated'; // RFC 2865 §5: Type + Length octets needed
    const type = buf[off]!;
    const attrLength = buf[off + 1]!;
    // RFC 2865 §5: Length covers Type, Length and Value, so < 2 is impossible; and the
    // attribute list ends exactly at the packet Length (RFC 2865 §5 "end of the list ... Length").
    if (attrLength < 2 || attrLength > length - off) return 'attribute-length-invalid';
    if (type === Attr.MessageAuthenticator) {
      if (attrLength !== MESSAGE_AUTHENTICATOR_LENGTH) return 'message-authenticator-malformed'; // RFC 3579 §3.2: Length = 18
      if (sawMessageAuthenticator) return 'duplicate-message-authenticator'; // RFC 3579 §3.3: exactly one
      sawMessageAuthenticator = true;
    } else if (type === Attr.VendorSpecific) {
      if (attrLength < MIN_VSA_LENGTH) return 'vsa-malformed'; // RFC 2865 §5.26: Length >= 7
    } else if (attrLength === 2) {
      // RFC 2865 §5 and RFC 8044 §3.4/§3.5: zero-length text/string MUST NOT be sent, and
      // every other data type has a fixed non-zero size.
      return 'attribute-zero-length-value';
    }
    off += attrLength;
  }
  return null;
}

/**
 * The Length field of a packet that passed check(): the octets that count. Datagram octets
 * beyond it are padding (RFC 2865 §3).
 */
export function packetLength(buf: Uint8Array): number {
  return (buf[2]! << 8) | buf[3]!;
}
