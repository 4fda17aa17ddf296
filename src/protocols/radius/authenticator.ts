/**
 * Authenticators and hidden attributes: Request/Response Authenticator checks,
 * Message-Authenticator, User-Password hiding, CHAP, and the salted encryption of
 * Tunnel-Password / MS-MPPE keys. All comparisons are constant-time (md5.ts digestEquals,
 * crypto.timingSafeEqual for CHAP). The per-packet checks hash byte ranges of the packet and
 * compare digests with its octets in place, so they allocate nothing.
 *
 * The verify functions expect a packet that passed check(); on anything they cannot frame
 * they answer false / 'malformed' rather than throw.
 */
import { Buffer } from 'node:buffer';
import { Attr, AUTHENTICATOR_LENGTH, Code, HEADER_LENGTH, MAX_PACKET_LENGTH } from './constants.js';
import { LanyardCodecError } from './errors.js';
import { equal16, hmacMd5Range, md5, md5Range, scratchCopy } from './bytes.js';
import { digestEquals, xorDigest } from './md5.js';

/**
 * Sixteen zero octets: the authenticator used in the Message-Authenticator calculation of
 * Accounting-Request, CoA-Request and Disconnect-Request (RFC 5176 §3.4). Do not mutate.
 */
export const ZERO_AUTHENTICATOR: Uint8Array = new Uint8Array(AUTHENTICATOR_LENGTH);

/** The Length field, or -1 if the header cannot be trusted. */
function framedLength(buf: Uint8Array): number {
  if (buf.length < HEADER_LENGTH) return -1;
  const length = (buf[2]! << 8) | buf[3]!;
  return length < HEADER_LENGTH || length > buf.length || length > MAX_PACKET_LENGTH ? -1 : length;
}

/**
 * MD5 over the packet with `authenticator` in the Authenticator field, followed by the
 * secret: the construction shared by RFC 2865 §3 (Response) and RFC 2866 §3 (Request).
 * Compared in place with the packet's own Authenticator field (octets 4..19).
 */
function authenticatorMatches(buf: Uint8Array, length: number, authenticator: Uint8Array, secret: Uint8Array): boolean {
  const work = scratchCopy(buf, length);
  work.set(authenticator, 4);
  return digestEquals(md5Range(work, 0, length, secret, 0, secret.length), buf, 4);
}

/**
 * Accounting-Request, CoA-Request, Disconnect-Request: the Authenticator field must equal
 * MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret)
 * (RFC 2866 §3, RFC 5176 §2.3).
 */
export function verifyRequestAuthenticator(buf: Uint8Array, secret: Uint8Array): boolean {
  const length = framedLength(buf);
  return length >= 0 && authenticatorMatches(buf, length, ZERO_AUTHENTICATOR, secret);
}

/**
 * A response's Authenticator must equal MD5(Code + ID + Length + RequestAuth + Attributes + Secret)
 * (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2.3, RFC 5997 §3).
 */
export function verifyResponseAuthenticator(
  buf: Uint8Array,
  requestAuthenticator: Uint8Array,
  secret: Uint8Array,
): boolean {
  const length = framedLength(buf);
  if (length < 0 || requestAuthenticator.length !== AUTHENTICATOR_LENGTH) return false;
  return authenticatorMatches(buf, length, requestAuthenticator, secret);
}

export type MessageAuthenticatorStatus = 'absent' | 'valid' | 'invalid' | 'malformed';

/**
 * Check Message-Authenticator (RFC 3579 §3.2, RFC 5176 §3.4): HMAC-MD5 keyed with the secret
 * over the packet with the Message-Authenticator value as sixteen zero octets and, in the
 * authenticator field:
 * - Access-Request / Status-Server: the field as received (omit `authenticatorForCalc`);
 * - responses: the Request Authenticator of the request (pass it);
 * - Accounting-Request / CoA-Request / Disconnect-Request: 16 zero octets (pass ZERO_AUTHENTICATOR).
 * 'malformed' when the framing is bad, the attribute Length is not 18, or it appears twice.
 * Throws LanyardCodecError only if `authenticatorForCalc` is not 16 octets (a caller bug).
 */
export function verifyMessageAuthenticator(
  buf: Uint8Array,
  secret: Uint8Array,
  authenticatorForCalc?: Uint8Array,
): MessageAuthenticatorStatus {
  const length = framedLength(buf);
  if (length < 0) return 'malformed';
  let maValue = -1;
  for (let off = HEADER_LENGTH; off < length; ) {
    if (length - off < 2) return 'malformed';
    const attrLength = buf[off + 1]!;
    if (attrLength < 2 || attrLength > length - off) return 'malformed';
    if (buf[off] === Attr.MessageAuthenticator) {
      if (attrLength !== 18 || maValue !== -1) return 'malformed'; // RFC 3579 §3.2 Length 18; §3.3 exactly one
      maValue = off + 2;
    }
    off += attrLength;
  }
  if (maValue === -1) return 'absent';
  if (authenticatorForCalc !== undefined && authenticatorForCalc.length !== AUTHENTICATOR_LENGTH) {
    throw new LanyardCodecError('invalid-authenticator', 'authenticatorForCalc must be 16 octets');
  }
  const work = scratchCopy(buf, length);
  if (authenticatorForCalc !== undefined) work.set(authenticatorForCalc, 4);
  work.fill(0, maValue, maValue + 16); // RFC 3579 §3.2: "considered to be sixteen octets of zero"
  // Compared with the received value in place, in constant time (md5.ts digestEquals).
  return digestEquals(hmacMd5Range(secret, work, 0, length), buf, maValue) ? 'valid' : 'invalid';
}

/**
 * verifyMessageAuthenticator for a request, choosing the authenticator substitution from
 * the Code: zeroed for Accounting-Request, CoA-Request and Disconnect-Request
 * (RFC 5176 §3.4), as received for Access-Request and Status-Server (RFC 3579 §3.2).
 */
export function verifyRequestMessageAuthenticator(buf: Uint8Array, secret: Uint8Array): MessageAuthenticatorStatus {
  const code = buf[0];
  const zeroed = code === Code.AccountingRequest || code === Code.CoaRequest || code === Code.DisconnectRequest;
  return verifyMessageAuthenticator(buf, secret, zeroed ? ZERO_AUTHENTICATOR : undefined);
}

// ---------------------------------------------------------------------------------------
// User-Password (RFC 2865 §5.2)

// The MD5 keystream shared by User-Password (RFC 2865 §5.2) and the salted attributes
// (RFC 2868 §3.5, RFC 2548 §2.4.2): b(1) = MD5(S + first), b(i) = MD5(S + c(i-1)), where
// first is the Request Authenticator (with the salt, for the salted ones) and c(i) is the i-th
// 16 octets of ciphertext. Digests are XORed in from md5.ts's words: no Buffer per block.

/** Encrypts buf[at..at+n) in place (n a multiple of 16); `first` is first[firstAt..firstEnd). */
function hideBlocks(
  secret: Uint8Array,
  first: Uint8Array,
  firstAt: number,
  firstEnd: number,
  buf: Uint8Array,
  at: number,
  n: number,
): void {
  xorDigest(md5Range(secret, 0, secret.length, first, firstAt, firstEnd), buf, at, buf, at);
  for (let i = at + 16; i < at + n; i += 16) {
    xorDigest(md5Range(secret, 0, secret.length, buf, i - 16, i), buf, i, buf, i); // c(i-1): just encrypted
  }
}

/** Decrypts src[srcAt..srcAt+n) into out[0..n) (n a multiple of 16); `first` as for hideBlocks. */
function unhideBlocks(
  secret: Uint8Array,
  first: Uint8Array,
  firstAt: number,
  firstEnd: number,
  src: Uint8Array,
  srcAt: number,
  out: Uint8Array,
  n: number,
): void {
  xorDigest(md5Range(secret, 0, secret.length, first, firstAt, firstEnd), src, srcAt, out, 0);
  for (let i = 16; i < n; i += 16) {
    const c = srcAt + i;
    xorDigest(md5Range(secret, 0, secret.length, src, c - 16, c), src, c, out, i); // c(i-1): the received octets
  }
}

/**
 * Hide a password for User-Password (RFC 2865 §5.2): pad with NULs to a multiple of 16
 * (at least 16, at most 128 octets), then c(1) = p(1) xor MD5(S + RA),
 * c(i) = p(i) xor MD5(S + c(i-1)). Throws LanyardCodecError above 128 octets.
 */
export function hidePassword(password: Uint8Array | string, secret: Uint8Array, requestAuthenticator: Uint8Array): Buffer {
  const plain = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (plain.length > 128) {
    // RFC 2865 §5.2: "to no more than 128 characters"
    throw new LanyardCodecError('value-too-long', `password of ${plain.length} octets exceeds 128`);
  }
  if (requestAuthenticator.length !== AUTHENTICATOR_LENGTH) {
    throw new LanyardCodecError('invalid-authenticator', 'requestAuthenticator must be 16 octets');
  }
  const padded = Math.max(16, Math.ceil(plain.length / 16) * 16); // RFC 2865 §5.2: 16..128 octets
  const out = Buffer.alloc(padded); // zero-filled: the NUL padding
  out.set(plain, 0);
  hideBlocks(secret, requestAuthenticator, 0, AUTHENTICATOR_LENGTH, out, 0, padded); // RFC 2865 §5.2: b(1) = MD5(S + RA)
  return out;
}

/**
 * RFC 2865 §5.2 reversed ("the process is reversed"): the n hidden octets at hidden[at..],
 * with the Request Authenticator at ra[raAt..raAt+16), become n clear octets at out[0..n).
 * Returns the length without the trailing NUL padding.
 */
function unhideInto(
  hidden: Uint8Array,
  at: number,
  n: number,
  secret: Uint8Array,
  ra: Uint8Array,
  raAt: number,
  out: Uint8Array,
): number {
  unhideBlocks(secret, ra, raAt, raAt + AUTHENTICATOR_LENGTH, hidden, at, out, n);
  let end = n;
  while (end > 0 && out[end - 1] === 0) end--; // RFC 2865 §5.2: padded at the end with nulls
  return end;
}

/** RFC 2865 §5.2: a hidden User-Password is 16..128 octets in multiples of 16. */
function hiddenLengthOk(n: number): boolean {
  return n >= 16 && n <= 128 && n % 16 === 0;
}

const clearScratch = new Uint8Array(128);

/**
 * Recover a User-Password (RFC 2865 §5.2: "the process is reversed"): p(i) = c(i) xor
 * MD5(S + c(i-1)), then trailing NUL padding is stripped. Null when the value is not
 * 16..128 octets in multiples of 16 (RFC 2865 §5.2).
 */
export function unhidePassword(hidden: Uint8Array, secret: Uint8Array, requestAuthenticator: Uint8Array): Buffer | null {
  const n = hidden.length;
  if (!hiddenLengthOk(n) || requestAuthenticator.length !== AUTHENTICATOR_LENGTH) return null;
  const end = unhideInto(hidden, 0, n, secret, requestAuthenticator, 0, clearScratch);
  const out = Buffer.allocUnsafe(end);
  for (let i = 0; i < end; i++) out[i] = clearScratch[i]!;
  clearScratch.fill(0, 0, n); // no password lingers in module memory
  return out;
}

/**
 * unhidePassword for the hot path, without allocating: the User-Password value of `length`
 * octets at packet[at..] of an Access-Request, hidden with that packet's Request Authenticator
 * (octets 4..19, RFC 2865 §5.2), is recovered into out[0..). Returns the password's length
 * (trailing NULs stripped; out[length..16·k) are zeros), or -1 when the value is not 16..128
 * octets in multiples of 16, does not lie inside the packet, or `out` is shorter than it.
 */
export function unhidePasswordAt(
  packet: Uint8Array,
  at: number,
  length: number,
  secret: Uint8Array,
  out: Uint8Array,
): number {
  if (!hiddenLengthOk(length) || at < HEADER_LENGTH || at + length > packet.length || out.length < length) return -1;
  return unhideInto(packet, at, length, secret, packet, 4, out);
}

// ---------------------------------------------------------------------------------------
// CHAP (RFC 2865 §2.2, §5.3; RFC 1994 §4.1)

/** The 16-octet CHAP response MD5(CHAP Ident + password + challenge) (RFC 2865 §2.2). */
export function chapResponse(chapId: number, password: Uint8Array | string, challenge: Uint8Array): Buffer {
  const secret = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const data = Buffer.allocUnsafe(1 + secret.length + challenge.length);
  data[0] = chapId & 0xff;
  data.set(secret, 1);
  data.set(challenge, 1 + secret.length);
  return md5(data);
}

/**
 * Verify a CHAP-Password value (RFC 2865 §5.3: 1-octet CHAP Ident + 16-octet response)
 * against a cleartext password. `challenge` is the CHAP-Challenge attribute value if the
 * request has one, otherwise its Request Authenticator (RFC 2865 §2.2). Constant-time.
 */
export function verifyChap(chapPassword: Uint8Array, challenge: Uint8Array, password: Uint8Array | string): boolean {
  if (chapPassword.length !== 17) return false; // RFC 2865 §5.3: Length 19
  const expected = chapResponse(chapPassword[0]!, password, challenge);
  return equal16(expected, chapPassword.subarray(1, 17));
}

// ---------------------------------------------------------------------------------------
// Salted encryption: Tunnel-Password (RFC 2868 §3.5), MS-MPPE-Send/Recv-Key (RFC 2548 §2.4.2/§2.4.3)

/**
 * Encrypt `data` with a 2-octet salt: P = length octet + data + zero padding to a multiple of
 * 16; b(1) = MD5(S + R + A), b(i) = MD5(S + c(i-1)); returns Salt + C (RFC 2868 §3.5).
 * The salt's most significant bit is forced on ("MUST be set", RFC 2868 §3.5); the caller
 * supplies random salt octets, unique within the packet, so the codec stays deterministic.
 */
export function encryptSalted(
  data: Uint8Array | string,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
  salt: Uint8Array,
): Buffer {
  const plain = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (salt.length !== 2) throw new LanyardCodecError('value-out-of-range', 'salt must be 2 octets');
  if (requestAuthenticator.length !== AUTHENTICATOR_LENGTH) {
    throw new LanyardCodecError('invalid-authenticator', 'requestAuthenticator must be 16 octets');
  }
  // Tag(1) + Salt(2) + C must fit in 253 octets: C <= 240, so data <= 239.
  if (plain.length > 239) throw new LanyardCodecError('value-too-long', `${plain.length} octets exceeds 239`);
  const cipherLength = Math.ceil((1 + plain.length) / 16) * 16;
  const out = Buffer.alloc(2 + cipherLength); // zero padding (RFC 2868 §3.5 recommends 0x00)
  out[0] = salt[0]! | 0x80;
  out[1] = salt[1]!;
  out[2] = plain.length; // RFC 2868 §3.5: Data-Length sub-field
  out.set(plain, 3);
  const first = Buffer.allocUnsafe(AUTHENTICATOR_LENGTH + 2);
  first.set(requestAuthenticator, 0);
  first[16] = out[0]!;
  first[17] = out[1]!;
  hideBlocks(secret, first, 0, first.length, out, 2, cipherLength); // b(1) = MD5(S + R + A)
  return out;
}

/**
 * Reverse encryptSalted: `value` is Salt(2) + C. Returns the data (without length octet
 * and padding) or null when the length is not 2 + a non-zero multiple of 16 or the
 * Data-Length octet overruns the plaintext (wrong secret or corrupt value).
 */
export function decryptSalted(value: Uint8Array, secret: Uint8Array, requestAuthenticator: Uint8Array): Buffer | null {
  const cipherLength = value.length - 2;
  if (cipherLength < 16 || cipherLength % 16 !== 0 || requestAuthenticator.length !== AUTHENTICATOR_LENGTH) {
    return null;
  }
  const first = Buffer.allocUnsafe(AUTHENTICATOR_LENGTH + 2);
  first.set(requestAuthenticator, 0);
  first[16] = value[0]!;
  first[17] = value[1]!;
  const plain = Buffer.allocUnsafe(cipherLength);
  unhideBlocks(secret, first, 0, first.length, value, 2, plain, cipherLength); // b(1) = MD5(S + R + A)
  const dataLength = plain[0]!;
  if (dataLength > cipherLength - 1) return null;
  return plain.subarray(1, 1 + dataLength);
}

/**
 * Tunnel-Password value (RFC 2868 §3.5): Tag(1) + Salt(2) + encrypted String.
 * `tag` is 0 (unused) or 0x01..0x1F.
 */
export function encryptTunnelPassword(
  password: Uint8Array | string,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
  salt: Uint8Array,
  tag = 0,
): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0x1f) {
    throw new LanyardCodecError('invalid-tag', `tag ${tag} is not 0..31`);
  }
  const body = encryptSalted(password, secret, requestAuthenticator, salt);
  const out = Buffer.allocUnsafe(1 + body.length);
  out[0] = tag;
  out.set(body, 1);
  return out;
}

/** Reverse encryptTunnelPassword; null when the value is malformed (RFC 2868 §3.5: Length >= 5). */
export function decryptTunnelPassword(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
): { tag: number; password: Buffer } | null {
  if (value.length < 3) return null;
  const password = decryptSalted(value.subarray(1), secret, requestAuthenticator);
  return password === null ? null : { tag: value[0]!, password };
}
