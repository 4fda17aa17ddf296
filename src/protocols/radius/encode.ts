/**
 * Encoding: attributes, raw packets, and the authenticated request/response paths.
 *
 * Error policy: encoding throws LanyardCodecError when asked for something the wire format
 * cannot carry (value over 253 octets, tag over 31, packet over 4096 octets...). These are
 * programmer errors, found in tests, so they are exceptions rather than result values.
 */
import { Buffer } from 'node:buffer';
import {
  Attr,
  AUTHENTICATOR_LENGTH,
  Code,
  HEADER_LENGTH,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_PACKET_LENGTH,
  MAX_VSA_DATA_LENGTH,
  MESSAGE_AUTHENTICATOR_LENGTH,
} from './constants.js';
import type { RadiusAttribute } from './decode.js';
import { LanyardCodecError } from './errors.js';
import { hmacMd5Range, md5Range } from './bytes.js';
import { writeDigest } from './md5.js';
import { ZERO_AUTHENTICATOR } from './authenticator.js';

export type AttributeValue = Uint8Array | string | number;

// ---------------------------------------------------------------------------------------
// Validation (throws LanyardCodecError)

function checkType(type: number): void {
  // RFC 2865 §5: Type is one octet; 0 is not an attribute type.
  if (!Number.isInteger(type) || type < 1 || type > 255) {
    throw new LanyardCodecError('invalid-type', `attribute type ${type} is not 1..255`);
  }
}

function checkValueLength(type: number, length: number, max: number): void {
  // RFC 2865 §5: text/string of length zero MUST NOT be sent; Length is one octet.
  if (length === 0) throw new LanyardCodecError('value-empty', `attribute ${type}: empty value`);
  if (length > max) {
    throw new LanyardCodecError('value-too-long', `attribute ${type}: value of ${length} octets exceeds ${max}`);
  }
}

function checkUint32(n: number): void {
  // RFC 2865 §5 "integer": 32-bit unsigned.
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new LanyardCodecError('value-out-of-range', `${n} is not a 32-bit unsigned integer`);
  }
}

function checkTag(tag: number): void {
  // RFC 2868 §3.1: valid tags are 0x01..0x1F; 0 means "unused".
  if (!Number.isInteger(tag) || tag < 0 || tag > 0x1f) {
    throw new LanyardCodecError('invalid-tag', `tag ${tag} is not 0..31`);
  }
}

function checkAuthenticator(name: string, a: Uint8Array | undefined): asserts a is Uint8Array {
  // RFC 2865 §3: the Authenticator field is 16 octets.
  if (a === undefined || a.length !== AUTHENTICATOR_LENGTH) {
    throw new LanyardCodecError('invalid-authenticator', `${name} must be ${AUTHENTICATOR_LENGTH} octets`);
  }
}

function checkIdentifier(identifier: number): void {
  // RFC 2865 §3: Identifier is one octet.
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new LanyardCodecError('invalid-identifier', `identifier ${identifier} is not 0..255`);
  }
}

function checkPacketLength(length: number): void {
  // RFC 2865 §3: "maximum length is 4096".
  if (length > MAX_PACKET_LENGTH) {
    throw new LanyardCodecError('packet-too-long', `packet of ${length} octets exceeds ${MAX_PACKET_LENGTH}`);
  }
}

/** Parse dotted-decimal IPv4 into 4 octets (RFC 2865 §5 "address": most significant octet first). */
function parseIpv4(address: string): [number, number, number, number] {
  const parts = address.split('.');
  if (parts.length === 4) {
    const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : 256));
    const [a, b, c, d] = octets;
    if (a !== undefined && b !== undefined && c !== undefined && d !== undefined && octets.every((o) => o <= 255)) {
      return [a, b, c, d];
    }
  }
  throw new LanyardCodecError('invalid-ipv4', `"${address}" is not a dotted-decimal IPv4 address`);
}

// ---------------------------------------------------------------------------------------
// Single attributes. Each returns a new Buffer holding Type, Length, Value.

/** Raw octets (RFC 2865 §5 / RFC 8044 §3.5 "string"). */
export function encodeOctets(type: number, value: Uint8Array): Buffer {
  checkType(type);
  checkValueLength(type, value.length, MAX_ATTRIBUTE_VALUE_LENGTH);
  const out = Buffer.allocUnsafe(2 + value.length);
  out[0] = type;
  out[1] = 2 + value.length; // RFC 2865 §5: Length includes Type and Length octets
  out.set(value, 2);
  return out;
}

/** UTF-8 text (RFC 2865 §5 / RFC 8044 §3.4): 1..253 octets, no terminator. */
export function encodeString(type: number, value: string): Buffer {
  return encodeOctets(type, Buffer.from(value, 'utf8'));
}

/** 32-bit unsigned integer, most significant octet first (RFC 2865 §5 / RFC 8044 §3.1). */
export function encodeInteger(type: number, value: number): Buffer {
  checkType(type);
  checkUint32(value);
  const out = Buffer.allocUnsafe(6);
  out[0] = type;
  out[1] = 6;
  out.writeUInt32BE(value, 2);
  return out;
}

/** IPv4 address from dotted-decimal (RFC 2865 §5 "address" / RFC 8044 §3.8). */
export function encodeIpv4(type: number, address: string): Buffer {
  checkType(type);
  const [a, b, c, d] = parseIpv4(address);
  return Buffer.from([type, 6, a, b, c, d]);
}

/** Time as seconds since 1970-01-01 UTC (RFC 2869 §5.3 / RFC 8044 §3.3). Accepts a Date or seconds. */
export function encodeDate(type: number, when: Date | number): Buffer {
  const seconds = typeof when === 'number' ? when : Math.floor(when.getTime() / 1000);
  return encodeInteger(type, seconds);
}

/** number → 4-octet integer, string → UTF-8 text, bytes → raw octets. */
export function encodeAttribute(type: number, value: AttributeValue): Buffer {
  if (typeof value === 'number') return encodeInteger(type, value);
  if (typeof value === 'string') return encodeString(type, value);
  return encodeOctets(type, value);
}

// Tagged and vendor attributes are sized first (validating), then written in place, so the
// same code serves encodeTagged/encodeVsa (fresh Buffer) and AttributeWriter (shared buffer).

/** Octets of `value` as UTF-8 or raw. */
function dataLength(value: Uint8Array | string): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

function putData(out: Buffer, pos: number, value: Uint8Array | string, length: number): void {
  if (typeof value === 'string') out.write(value, pos, length, 'utf8');
  else out.set(value, pos);
}

/** True when a tagged string needs a Tag octet in front (see encodeTagged). */
function needsTagOctet(tag: number, value: Uint8Array | string): boolean {
  if (tag !== 0) return true;
  // For strings the first UTF-8 octet is below 0x20 exactly when the first code unit is.
  const first = typeof value === 'string' ? value.charCodeAt(0) : value[0];
  return first !== undefined && first <= 0x1f;
}

/** Validate a tagged attribute and return its value length. */
function taggedValueLength(type: number, tag: number, value: AttributeValue): number {
  checkType(type);
  checkTag(tag);
  if (typeof value === 'number') {
    // RFC 2868 §3.1: "The Value field is three octets".
    if (!Number.isInteger(value) || value < 0 || value > 0xffffff) {
      throw new LanyardCodecError('value-out-of-range', `tagged integer ${value} is not 0..16777215`);
    }
    return 4;
  }
  const n = dataLength(value);
  if (n === 0) throw new LanyardCodecError('value-empty', `attribute ${type}: empty value`); // RFC 2868 §3.6: String must be present
  const valueLength = n + (needsTagOctet(tag, value) ? 1 : 0);
  checkValueLength(type, valueLength, MAX_ATTRIBUTE_VALUE_LENGTH);
  return valueLength;
}

function putTagged(out: Buffer, pos: number, type: number, tag: number, value: AttributeValue, valueLength: number): void {
  out[pos] = type;
  out[pos + 1] = 2 + valueLength;
  if (typeof value === 'number') {
    // RFC 2868 §3.1: Tag in the first octet, 3-octet Value after it.
    out[pos + 2] = tag;
    out[pos + 3] = (value >>> 16) & 0xff;
    out[pos + 4] = (value >>> 8) & 0xff;
    out[pos + 5] = value & 0xff;
  } else if (needsTagOctet(tag, value)) {
    out[pos + 2] = tag; // RFC 2868 §3.6: Tag octet, then the String
    putData(out, pos + 3, value, valueLength - 1);
  } else {
    putData(out, pos + 2, value, valueLength);
  }
}

/**
 * A tagged attribute (RFC 2868 §3):
 * - number → tagged integer (Tunnel-Type, Tunnel-Medium-Type, Tunnel-Preference): Length 6,
 *   the Tag octet replaces the high octet and the Value is 3 octets (RFC 2868 §3.1), so
 *   Tunnel-Type tag 0 VLAN is 40 06 00 00 00 0d.
 * - string/bytes → tagged string (Tunnel-Private-Group-Id ...): a Tag octet is prefixed when
 *   tag is 1..31 (RFC 2868 §3.6). With tag 0 no octet is added ("20" → 51 04 32 30), unless
 *   the value itself starts with 0x00..0x1F, which a receiver would take for a tag; then an
 *   explicit 0x00 ("unused", RFC 2868 §3.1) is prefixed to keep the value intact.
 */
export function encodeTagged(type: number, tag: number, value: AttributeValue): Buffer {
  const valueLength = taggedValueLength(type, tag, value);
  const out = Buffer.allocUnsafe(2 + valueLength);
  putTagged(out, 0, type, tag, value, valueLength);
  return out;
}

/** Validate a one-sub-attribute VSA and return its data length. */
function vsaDataLength(vendorId: number, vendorType: number, value: AttributeValue): number {
  // RFC 2865 §5.26: the high-order octet of Vendor-Id is 0 (an SMI enterprise code).
  if (!Number.isInteger(vendorId) || vendorId < 0 || vendorId > 0xffffff) {
    throw new LanyardCodecError('value-out-of-range', `vendor id ${vendorId} is not 0..16777215`);
  }
  if (!Number.isInteger(vendorType) || vendorType < 0 || vendorType > 255) {
    throw new LanyardCodecError('invalid-type', `vendor type ${vendorType} is not 0..255`);
  }
  if (typeof value === 'number') {
    checkUint32(value);
    return 4;
  }
  const n = dataLength(value);
  checkValueLength(Attr.VendorSpecific, n, MAX_VSA_DATA_LENGTH);
  return n;
}

function putVsa(out: Buffer, pos: number, vendorId: number, vendorType: number, value: AttributeValue, n: number): void {
  out[pos] = Attr.VendorSpecific;
  out[pos + 1] = 8 + n;
  out.writeUInt32BE(vendorId, pos + 2);
  out[pos + 6] = vendorType;
  out[pos + 7] = 2 + n; // RFC 2865 §5.26: Vendor-Length counts its type and length octets
  if (typeof value === 'number') out.writeUInt32BE(value, pos + 8);
  else putData(out, pos + 8, value, n);
}

/**
 * A Vendor-Specific attribute holding one sub-attribute in the RFC 2865 §5.26 recommended
 * layout: 26, Length, Vendor-Id(4), Vendor-Type(1), Vendor-Length(1), data.
 * number → 4-octet integer data, string → UTF-8, bytes → raw.
 */
export function encodeVsa(vendorId: number, vendorType: number, value: AttributeValue): Buffer {
  const n = vsaDataLength(vendorId, vendorType, value);
  const out = Buffer.allocUnsafe(8 + n);
  putVsa(out, 0, vendorId, vendorType, value, n);
  return out;
}

/** Concatenate attributes into one Buffer of wire TLVs (order kept, RFC 2865 §5). */
export function encodeAttributes(attributes: readonly RadiusAttribute[]): Buffer {
  let total = 0;
  for (const a of attributes) {
    checkType(a.type);
    checkValueLength(a.type, a.value.length, MAX_ATTRIBUTE_VALUE_LENGTH);
    total += 2 + a.value.length;
  }
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const a of attributes) {
    out[off] = a.type;
    out[off + 1] = 2 + a.value.length;
    out.set(a.value, off + 2);
    off += 2 + a.value.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Packets

export interface RawPacket {
  code: number;
  identifier: number;
  authenticator: Uint8Array;
  attributes: readonly RadiusAttribute[];
}

/**
 * Serialise a packet exactly as given: no authenticator is computed and no
 * Message-Authenticator is added. For tests and tools; servers use encodeResponse.
 */
export function encodePacket(packet: RawPacket): Buffer {
  if (!Number.isInteger(packet.code) || packet.code < 0 || packet.code > 255) {
    throw new LanyardCodecError('invalid-code', `code ${packet.code} is not 0..255`);
  }
  checkIdentifier(packet.identifier);
  checkAuthenticator('authenticator', packet.authenticator);
  const body = encodeAttributes(packet.attributes);
  const length = HEADER_LENGTH + body.length;
  checkPacketLength(length);
  const out = Buffer.allocUnsafe(length);
  out[0] = packet.code;
  out[1] = packet.identifier;
  out.writeUInt16BE(length, 2);
  out.set(packet.authenticator, 4);
  out.set(body, HEADER_LENGTH);
  return out;
}

const RESPONSE_CODES = new Set<number>([
  Code.AccessAccept,
  Code.AccessReject,
  Code.AccessChallenge,
  Code.AccountingResponse,
  Code.DisconnectAck,
  Code.DisconnectNak,
  Code.CoaAck,
  Code.CoaNak,
]);

export interface ResponseOptions {
  code: number;
  identifier: number;
  /** The Authenticator field of the request being answered. */
  requestAuthenticator: Uint8Array;
  /** Already-encoded attribute TLVs, WITHOUT Message-Authenticator. */
  attributes: Uint8Array;
  secret: Uint8Array;
  /** Add Message-Authenticator as the first attribute. */
  messageAuthenticator: boolean;
  /**
   * The authenticator to hold in the header while the Message-Authenticator is computed, when
   * it is not the Request Authenticator. No RFC defines Message-Authenticator in an
   * Accounting-Response to an Accounting-Request; FreeRADIUS (and so radclient and most
   * deployments) computes it with sixteen zero octets there, as for the request itself
   * (RFC 5176 §3.3 / RFC 3579 §3.2 rule for Accounting-Request). Pass ZERO_AUTHENTICATOR then.
   */
  messageAuthenticatorAuthenticator?: Uint8Array;
}

/**
 * A packet of exactly its length with the header (its Authenticator field still to be
 * written), Message-Authenticator reserved first when asked (value zero), and the attributes
 * attributes[0..attributesEnd). The one allocation of an encoded packet.
 */
function startPacket(
  code: number,
  identifier: number,
  attributes: Uint8Array,
  attributesEnd: number,
  withMessageAuthenticator: boolean,
): Buffer {
  checkIdentifier(identifier);
  const maLength = withMessageAuthenticator ? MESSAGE_AUTHENTICATOR_LENGTH : 0;
  const length = HEADER_LENGTH + maLength + attributesEnd;
  checkPacketLength(length);
  const out = Buffer.allocUnsafe(length);
  out[0] = code;
  out[1] = identifier;
  out[2] = length >>> 8; // RFC 2865 §3: Length, most significant octet first
  out[3] = length & 0xff;
  if (withMessageAuthenticator) {
    // Message-Authenticator goes first, as the BlastRADIUS (CVE-2024-3596) guidance asks of
    // servers and clients; RFC 3579 §3.2 itself allows any position. Its value is sixteen
    // zero octets until signed (RFC 3579 §3.2).
    out[HEADER_LENGTH] = Attr.MessageAuthenticator;
    out[HEADER_LENGTH + 1] = MESSAGE_AUTHENTICATOR_LENGTH;
    out.fill(0, HEADER_LENGTH + 2, HEADER_LENGTH + MESSAGE_AUTHENTICATOR_LENGTH);
  }
  const at = HEADER_LENGTH + maLength;
  if (attributesEnd === attributes.length) out.set(attributes, at);
  else for (let i = 0; i < attributesEnd; i++) out[at + i] = attributes[i]!; // a view to copy from would allocate
  return out;
}

/** The Authenticator field from source[at..at+16), or sixteen zeros when source is null. */
function putAuthenticator(out: Buffer, source: Uint8Array | null, at: number): void {
  for (let i = 0; i < AUTHENTICATOR_LENGTH; i++) out[4 + i] = source === null ? 0 : source[at + i]!;
}

/**
 * RFC 3579 §3.2 / RFC 5176 §3.4: HMAC-MD5 keyed with the secret over the whole packet as it
 * stands, its Message-Authenticator value (first attribute, still zero) counted as sixteen zero
 * octets, written into that value. Runs BEFORE the Response or Request Authenticator.
 */
function signMessageAuthenticator(out: Buffer, secret: Uint8Array): void {
  writeDigest(hmacMd5Range(secret, out, 0, out.length), out, HEADER_LENGTH + 2);
}

/**
 * RFC 2865 §3 (Response Authenticator) / RFC 2866 §3 (Request Authenticator):
 * MD5(Code + Identifier + Length + <Authenticator field as it stands> + Attributes + Secret),
 * written into the Authenticator field. The secret is hashed from where it lies.
 */
function signAuthenticator(out: Buffer, secret: Uint8Array): Buffer {
  writeDigest(md5Range(out, 0, out.length, secret, 0, secret.length), out, 4);
  return out;
}

/**
 * A reply to the request whose Authenticator is source[at..at+16): Message-Authenticator first
 * when asked, computed with `macAuthenticator` in the header if not null (else the Request
 * Authenticator), then the Response Authenticator over the Request Authenticator.
 */
function writeResponse(
  code: number,
  identifier: number,
  source: Uint8Array,
  at: number,
  attributes: Uint8Array,
  attributesEnd: number,
  secret: Uint8Array,
  withMessageAuthenticator: boolean,
  macAuthenticator: Uint8Array | null,
): Buffer {
  const out = startPacket(code, identifier, attributes, attributesEnd, withMessageAuthenticator);
  if (withMessageAuthenticator) {
    if (macAuthenticator === null) putAuthenticator(out, source, at);
    else putAuthenticator(out, macAuthenticator, 0);
    signMessageAuthenticator(out, secret);
  }
  putAuthenticator(out, source, at);
  return signAuthenticator(out, secret);
}

function checkResponseCode(code: number): void {
  if (!RESPONSE_CODES.has(code)) throw new LanyardCodecError('invalid-code', `code ${code} is not a response code`);
}

/**
 * Build a reply (Access-Accept/Reject/Challenge, Accounting-Response, CoA/Disconnect ACK/NAK)
 * in one Buffer: Message-Authenticator first when asked (RFC 3579 §3.2, RFC 5176 §3.4,
 * computed with the Request Authenticator in the authenticator field), then the Response
 * Authenticator MD5(Code+ID+Length+RequestAuth+Attributes+Secret) (RFC 2865 §3, RFC 2866 §3,
 * RFC 5176 §2.3).
 */
export function encodeResponse(options: ResponseOptions): Buffer {
  checkResponseCode(options.code);
  checkAuthenticator('requestAuthenticator', options.requestAuthenticator);
  const macAuthenticator = options.messageAuthenticatorAuthenticator;
  if (macAuthenticator !== undefined) checkAuthenticator('messageAuthenticatorAuthenticator', macAuthenticator);
  return writeResponse(
    options.code,
    options.identifier,
    options.requestAuthenticator,
    0,
    options.attributes,
    options.attributes.length,
    options.secret,
    options.messageAuthenticator,
    macAuthenticator ?? null,
  );
}

/**
 * encodeResponse for the server's hot path, same bytes, with positional arguments and the
 * Identifier and Request Authenticator read from the request itself (octets 1 and 4..19,
 * RFC 2865 §3), so a reply costs one allocation: the reply. `zeroedMacAuthenticator` computes
 * Message-Authenticator over sixteen zero octets in the authenticator field, as for
 * messageAuthenticatorAuthenticator: ZERO_AUTHENTICATOR (Accounting-Response, see there).
 * The attributes are attributes[0..attributesEnd), all of it by default: a reused buffer
 * (AttributeWriter.storage and .length) needs no view. Throws LanyardCodecError on a code
 * that is not a response, a request under 20 octets, or an attributesEnd outside attributes.
 */
export function encodeReply(
  code: number,
  request: Uint8Array,
  attributes: Uint8Array,
  secret: Uint8Array,
  messageAuthenticator: boolean,
  zeroedMacAuthenticator: boolean,
  attributesEnd: number = attributes.length,
): Buffer {
  checkResponseCode(code);
  if (request.length < HEADER_LENGTH) {
    throw new LanyardCodecError('invalid-authenticator', `a request of ${request.length} octets has no Request Authenticator`);
  }
  if (!Number.isInteger(attributesEnd) || attributesEnd < 0 || attributesEnd > attributes.length) {
    throw new LanyardCodecError('value-out-of-range', `attributesEnd ${attributesEnd} is not 0..${attributes.length}`);
  }
  const macAuthenticator = messageAuthenticator && zeroedMacAuthenticator ? ZERO_AUTHENTICATOR : null;
  return writeResponse(code, request[1]!, request, 4, attributes, attributesEnd, secret, messageAuthenticator, macAuthenticator);
}

export interface RequestOptions {
  code: number;
  identifier: number;
  /**
   * Access-Request / Status-Server / Status-Client: the 16 random octets of the Request
   * Authenticator, chosen by the caller (the codec has no randomness, RFC 2865 §3).
   * Accounting-Request / CoA-Request / Disconnect-Request: must be omitted, it is computed.
   */
  authenticator?: Uint8Array;
  /** Already-encoded attribute TLVs, WITHOUT Message-Authenticator (hide User-Password first). */
  attributes: Uint8Array;
  secret: Uint8Array;
  /** Add Message-Authenticator first. Always added for Status-Server (RFC 5997 §3). */
  messageAuthenticator?: boolean;
}

/**
 * Build a request.
 * - Access-Request, Status-Client: the caller's random authenticator is used as is; a
 *   Message-Authenticator (if asked) is the HMAC over the packet with it (RFC 3579 §3.2).
 * - Status-Server: same, and Message-Authenticator is mandatory (RFC 5997 §3).
 * - Accounting-Request, CoA-Request, Disconnect-Request: the Message-Authenticator (if asked)
 *   is computed with the authenticator field zeroed, then the Request Authenticator is
 *   MD5(Code+ID+Length+16 zero octets+Attributes+Secret) (RFC 2866 §3, RFC 5176 §2.3/§3.4).
 */
export function encodeRequest(options: RequestOptions): Buffer {
  const { code } = options;
  let withMa = options.messageAuthenticator === true;
  if (code === Code.AccessRequest || code === Code.StatusServer || code === Code.StatusClient) {
    checkAuthenticator('authenticator', options.authenticator);
    if (code === Code.StatusServer) withMa = true; // RFC 5997 §3: MUST include Message-Authenticator
    const out = startPacket(code, options.identifier, options.attributes, options.attributes.length, withMa);
    putAuthenticator(out, options.authenticator, 0);
    // RFC 3579 §3.2: HMAC-MD5 over the whole Access-Request, its own value as 16 zeros.
    if (withMa) signMessageAuthenticator(out, options.secret);
    return out;
  }
  if (code === Code.AccountingRequest || code === Code.CoaRequest || code === Code.DisconnectRequest) {
    if (options.authenticator !== undefined) {
      throw new LanyardCodecError(
        'invalid-authenticator',
        `code ${code}: the Request Authenticator is computed (RFC 2866 §3), do not pass one`,
      );
    }
    // RFC 2866 §3 / RFC 5176 §3.4: the authenticator field is 16 zero octets while hashing.
    const out = startPacket(code, options.identifier, options.attributes, options.attributes.length, withMa);
    putAuthenticator(out, null, 0);
    if (withMa) signMessageAuthenticator(out, options.secret);
    return signAuthenticator(out, options.secret);
  }
  throw new LanyardCodecError('invalid-code', `code ${code} is not a request code`);
}

// ---------------------------------------------------------------------------------------
// AttributeWriter: build reply attributes into one reusable buffer, no per-attribute Buffer.

/**
 * Appends attribute TLVs into a preallocated buffer. `bytes()` returns a view that stays
 * valid until the next write or reset(), which is all encodeResponse needs (it copies).
 * Reusing one writer per socket avoids allocating a Buffer per attribute per reply.
 */
export class AttributeWriter {
  private readonly buf: Buffer;
  private pos = 0;

  constructor(capacity: number = MAX_PACKET_LENGTH - HEADER_LENGTH) {
    this.buf = Buffer.alloc(capacity);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  get length(): number {
    return this.pos;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * The whole backing buffer, without making a view: the attributes are its first `length`
   * octets (encodeReply's attributesEnd). Valid until the next write or reset().
   */
  get storage(): Buffer {
    return this.buf;
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new LanyardCodecError('packet-too-long', `attributes exceed ${this.buf.length} octets`);
    }
  }

  octets(type: number, value: Uint8Array): this {
    checkType(type);
    checkValueLength(type, value.length, MAX_ATTRIBUTE_VALUE_LENGTH);
    this.room(2 + value.length);
    this.buf[this.pos] = type;
    this.buf[this.pos + 1] = 2 + value.length;
    this.buf.set(value, this.pos + 2);
    this.pos += 2 + value.length;
    return this;
  }

  string(type: number, value: string): this {
    checkType(type);
    const n = Buffer.byteLength(value, 'utf8');
    checkValueLength(type, n, MAX_ATTRIBUTE_VALUE_LENGTH);
    this.room(2 + n);
    this.buf[this.pos] = type;
    this.buf[this.pos + 1] = 2 + n;
    this.buf.write(value, this.pos + 2, n, 'utf8');
    this.pos += 2 + n;
    return this;
  }

  integer(type: number, value: number): this {
    checkType(type);
    checkUint32(value);
    this.room(6);
    this.buf[this.pos] = type;
    this.buf[this.pos + 1] = 6;
    this.buf.writeUInt32BE(value, this.pos + 2);
    this.pos += 6;
    return this;
  }

  ipv4(type: number, address: string): this {
    checkType(type);
    const [a, b, c, d] = parseIpv4(address);
    this.room(6);
    this.buf[this.pos] = type;
    this.buf[this.pos + 1] = 6;
    this.buf[this.pos + 2] = a;
    this.buf[this.pos + 3] = b;
    this.buf[this.pos + 4] = c;
    this.buf[this.pos + 5] = d;
    this.pos += 6;
    return this;
  }

  /** Same rules as encodeTagged (RFC 2868 §3). */
  tagged(type: number, tag: number, value: AttributeValue): this {
    const valueLength = taggedValueLength(type, tag, value);
    this.room(2 + valueLength);
    putTagged(this.buf, this.pos, type, tag, value, valueLength);
    this.pos += 2 + valueLength;
    return this;
  }

  /** Same rules as encodeVsa (RFC 2865 §5.26). */
  vsa(vendorId: number, vendorType: number, value: AttributeValue): this {
    const n = vsaDataLength(vendorId, vendorType, value);
    this.room(8 + n);
    putVsa(this.buf, this.pos, vendorId, vendorType, value, n);
    this.pos += 8 + n;
    return this;
  }

  /** Append already-encoded TLVs as they are. */
  append(encoded: Uint8Array): this {
    this.room(encoded.length);
    this.buf.set(encoded, this.pos);
    this.pos += encoded.length;
    return this;
  }
}
