/**
 * Decoding: the full packet model, VSA unpacking, typed value readers, and an
 * allocation-free attribute scanner for the hot path.
 *
 * Zero-copy: `authenticator` and every attribute `value` are subarrays of the input, so they
 * share its memory. Node's dgram hands each 'message' a fresh Buffer, so that is safe there;
 * copy (Buffer.from(value)) anything you keep while reusing the input buffer.
 */
import type { Buffer } from 'node:buffer';
import { check } from './check.js';
import { Attr, HEADER_LENGTH } from './constants.js';
import type { DecodeFailure } from './failures.js';
import { asBuffer } from './bytes.js';

/** One attribute as it sits on the wire (RFC 2865 §5): Type and the raw Value octets. */
export interface RadiusAttribute {
  type: number;
  value: Buffer;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  /** The 16-octet Authenticator field (RFC 2865 §3), a view into the input. */
  authenticator: Buffer;
  /** In wire order: RFC 2865 §5 requires the order of same-type attributes be kept. */
  attributes: RadiusAttribute[];
}

export type DecodeResult = { ok: true; packet: RadiusPacket } | { ok: false; reason: DecodeFailure };

/**
 * Decode a datagram. Never throws: malformed input yields `{ ok: false, reason }` with the
 * same reason check() gives, so `check(buf) === null` exactly when this returns ok.
 */
export function decodePacket(buf: Uint8Array): DecodeResult {
  const reason = check(buf);
  if (reason !== null) return { ok: false, reason };
  const b = asBuffer(buf);
  const length = (b[2]! << 8) | b[3]!; // RFC 2865 §3: octets past Length are padding
  const attributes: RadiusAttribute[] = [];
  for (let off = HEADER_LENGTH; off < length; ) {
    const attrLength = b[off + 1]!;
    attributes.push({ type: b[off]!, value: b.subarray(off + 2, off + attrLength) });
    off += attrLength;
  }
  return {
    ok: true,
    packet: {
      code: b[0]!,
      identifier: b[1]!,
      authenticator: b.subarray(4, HEADER_LENGTH),
      attributes,
    },
  };
}

export interface VendorSubAttribute {
  type: number;
  value: Buffer;
}

export interface VendorSpecific {
  vendorId: number;
  subAttributes: VendorSubAttribute[];
}

/**
 * Unpack a Vendor-Specific value (the octets after Type and Length) laid out in the format
 * RFC 2865 §5.26 recommends: Vendor-Id(4) then Vendor-Type(1) Vendor-Length(1) Data TLVs.
 * Returns null when the value does not follow that layout (some vendors use other ones;
 * RFC 2865 §5.26 says to treat those as undistinguished octets), never throws.
 */
export function decodeVendorSpecific(value: Uint8Array): VendorSpecific | null {
  if (value.length < 5) return null; // RFC 2865 §5.26: Vendor-Id + at least one octet
  // RFC 2865 §5.26: "The high-order octet is 0 and the low-order 3 octets are the SMI
  // Network Management Private Enterprise Code".
  if (value[0] !== 0) return null;
  const b = asBuffer(value);
  const vendorId = b.readUInt32BE(0);
  const subAttributes: VendorSubAttribute[] = [];
  let off = 4;
  while (off < b.length) {
    if (b.length - off < 2) return null;
    const subLength = b[off + 1]!;
    // RFC 2865 §5.26: Vendor-Length counts Vendor-Type, Vendor-Length and the data.
    if (subLength < 2 || subLength > b.length - off) return null;
    subAttributes.push({ type: b[off]!, value: b.subarray(off + 2, off + subLength) });
    off += subLength;
  }
  return { vendorId, subAttributes };
}

// ---------------------------------------------------------------------------------------
// Typed value readers: each takes an attribute value and returns null when the length is
// wrong for the type, so a malformed value never throws.

/** RFC 2865 §5 / RFC 8044 §3.4: text is UTF-8 with no terminator. */
export function readString(value: Uint8Array): string {
  return asBuffer(value).toString('utf8');
}

/** RFC 2865 §5 / RFC 8044 §3.1: 32-bit unsigned, most significant octet first. */
export function readInteger(value: Uint8Array): number | null {
  if (value.length !== 4) return null;
  return ((value[0]! << 24) >>> 0) + ((value[1]! << 16) | (value[2]! << 8) | value[3]!);
}

/** RFC 2865 §5 "address" / RFC 8044 §3.8: four octets, shown in dotted-decimal. */
export function readIpv4(value: Uint8Array): string | null {
  if (value.length !== 4) return null;
  return `${value[0]!}.${value[1]!}.${value[2]!}.${value[3]!}`;
}

/** RFC 2869 §5.3 / RFC 8044 §3.3: seconds since 1970-01-01 00:00 UTC. */
export function readDate(value: Uint8Array): Date | null {
  const seconds = readInteger(value);
  return seconds === null ? null : new Date(seconds * 1000);
}

export interface TaggedValue {
  /** 0 when the value carries no tag, else 0x01..0x1F. */
  tag: number;
  value: Buffer;
}

/**
 * Split a tagged string value (Tunnel-Private-Group-Id, Tunnel-Client-Endpoint, ...).
 * RFC 2868 §3.3/§3.6: a first octet 0x01..0x1F is a Tag; above 0x1F it is the first octet
 * of the String. A first octet 0x00 is read as an explicit "unused" tag and removed too
 * (RFC 2868 §3.1: "If the Tag field is unused, it MUST be zero"), since no text begins with NUL.
 */
export function readTagged(value: Uint8Array): TaggedValue {
  const b = asBuffer(value);
  const first = b[0];
  if (first !== undefined && first <= 0x1f) return { tag: first, value: b.subarray(1) };
  return { tag: 0, value: b };
}

/**
 * Read a tagged integer (Tunnel-Type, Tunnel-Medium-Type, Tunnel-Preference): RFC 2868 §3.1
 * puts the Tag in the first octet and a 3-octet Value after it. Null on a wrong length.
 */
export function readTaggedInteger(value: Uint8Array): { tag: number; value: number } | null {
  if (value.length !== 4) return null;
  return { tag: value[0]!, value: (value[1]! << 16) | (value[2]! << 8) | value[3]! };
}

// ---------------------------------------------------------------------------------------
// Hot-path scanner. Offsets point at an attribute's VALUE; its length is attributeLength().
// The buffer must already have passed check(): these functions trust the framing.

/**
 * Offset of the value of the first attribute of `type`, or -1. To find the next one of the
 * same type, pass the previous result as `after`. Allocates nothing.
 */
export function findAttribute(buf: Uint8Array, type: number, after?: number): number {
  const length = (buf[2]! << 8) | buf[3]!;
  let off = after === undefined ? HEADER_LENGTH : after - 2 + buf[after - 1]!;
  while (off + 2 <= length) {
    const attrLength = buf[off + 1]!;
    if (attrLength < 2) return -1; // defensive: check() would have refused this packet
    if (buf[off] === type) return off + 2;
    off += attrLength;
  }
  return -1;
}

/** Length of the value at `valueOffset` (from findAttribute or findVendorAttribute). */
export function attributeLength(buf: Uint8Array, valueOffset: number): number {
  return buf[valueOffset - 1]! - 2;
}

/**
 * Offset of the data of the first vendor sub-attribute (vendorId, vendorType) in the
 * RFC 2865 §5.26 recommended layout, or -1. attributeLength() works on the result because
 * the octet before it is the Vendor-Length, which also counts its 2 header octets.
 */
export function findVendorAttribute(buf: Uint8Array, vendorId: number, vendorType: number): number {
  let vsa = findAttribute(buf, Attr.VendorSpecific);
  while (vsa !== -1) {
    const end = vsa + attributeLength(buf, vsa);
    const id = ((buf[vsa]! << 24) >>> 0) + ((buf[vsa + 1]! << 16) | (buf[vsa + 2]! << 8) | buf[vsa + 3]!);
    if (id === vendorId) {
      let off = vsa + 4;
      while (off + 2 <= end) {
        const subLength = buf[off + 1]!;
        if (subLength < 2 || off + subLength > end) break; // not the recommended layout
        if (buf[off] === vendorType) return off + 2;
        off += subLength;
      }
    }
    vsa = findAttribute(buf, Attr.VendorSpecific, vsa);
  }
  return -1;
}

/** Read the value at `valueOffset` as UTF-8 text without creating a subarray. */
export function readStringAt(buf: Uint8Array, valueOffset: number): string {
  return asBuffer(buf).toString('utf8', valueOffset, valueOffset + attributeLength(buf, valueOffset));
}

/** Read the value at `valueOffset` as a 32-bit unsigned integer, or null if it is not 4 octets. */
export function readIntegerAt(buf: Uint8Array, valueOffset: number): number | null {
  if (attributeLength(buf, valueOffset) !== 4) return null;
  return (
    ((buf[valueOffset]! << 24) >>> 0) +
    ((buf[valueOffset + 1]! << 16) | (buf[valueOffset + 2]! << 8) | buf[valueOffset + 3]!)
  );
}
