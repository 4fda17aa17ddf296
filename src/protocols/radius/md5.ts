/**
 * MD5 (RFC 1321) in JavaScript, for the short inputs of the RADIUS hot path: a packet of one to
 * three 64-octet blocks. node:crypto's one-shot digest costs about a microsecond per call in
 * fixed overhead (argument checks, an OpenSSL context), several times the hashing itself at
 * these sizes, and a request needs six digests. Doing it here also lets HMAC-MD5 start from
 * the key's precomputed inner and outer states (RFC 2104 §4 "Implementation note"), which
 * saves two of its four blocks. Checked against node:crypto in test/protocols/radius/md5.test.ts.
 *
 * The hot path allocates nothing here: md5Words and hmacMd5Words hash byte ranges (no views)
 * and leave the digest in one module-owned array of four words, which the caller writes into
 * a packet (writeDigest) or compares with the octets of a packet in place (digestEquals).
 * md5js and hmacMd5With return the same digests as new Buffers, for everything else.
 *
 * The hashing is not constant-time and need not be (its timing depends on lengths, not on
 * secret values); digestEquals is, so a forged authenticator learns nothing from timing.
 */
import { Buffer } from 'node:buffer';

/** RFC 1321 §3.3: the initial buffer A, B, C, D. */
const A0 = 0x67452301;
const B0 = 0xefcdab89 | 0;
const C0 = 0x98badcfe | 0;
const D0 = 0x10325476;

/** The sixteen little-endian words of the block being hashed (RFC 1321 §3.4 "X[j]"). */
const X = new Int32Array(16);
/** The partial last block of a message and its padding (RFC 1321 §3.1, §3.2). All zeros between calls. */
const TAIL = new Uint8Array(64);
const EMPTY = new Uint8Array(0);

/** Loads the 64-octet block at `at` into X, least significant octet first (RFC 1321 §2). */
function load(bytes: Uint8Array, at: number): void {
  for (let j = 0; j < 16; j++) {
    const o = at + 4 * j;
    X[j] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
  }
}

/**
 * Hashes the block in X into `state` (RFC 1321 §3.4). Unrolled by hand: each of the 64 steps
 * "a = b + ((a + F(b,c,d) + X[k] + T[i]) <<< s)" is written out with its word index, rotation
 * and T[i] = floor(4294967296 × |sin(i)|), so no table lookup, branch or call runs per step
 * (calls to a step function are too many for the optimiser to inline). Arithmetic is modulo
 * 2^32 through | 0.
 */
function transform(state: Int32Array): void {
  const x0 = X[0]!, x1 = X[1]!, x2 = X[2]!, x3 = X[3]!, x4 = X[4]!, x5 = X[5]!, x6 = X[6]!, x7 = X[7]!;
  const x8 = X[8]!, x9 = X[9]!, x10 = X[10]!, x11 = X[11]!, x12 = X[12]!, x13 = X[13]!, x14 = X[14]!, x15 = X[15]!;
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let n: number;
  // Round 1: F(X,Y,Z) = XY v not(X) Z
  n = (a + ((b & c) | (~b & d)) + x0 + 0xd76aa478) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x1 + 0xe8c7b756) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x2 + 0x242070db) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x3 + 0xc1bdceee) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x4 + 0xf57c0faf) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x5 + 0x4787c62a) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x6 + 0xa8304613) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x7 + 0xfd469501) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x8 + 0x698098d8) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x9 + 0x8b44f7af) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x10 + 0xffff5bb1) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x11 + 0x895cd7be) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x12 + 0x6b901122) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x13 + 0xfd987193) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x14 + 0xa679438e) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x15 + 0x49b40821) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  // Round 2: G(X,Y,Z) = XZ v Y not(Z)
  n = (a + ((b & d) | (c & ~d)) + x1 + 0xf61e2562) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x6 + 0xc040b340) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x11 + 0x265e5a51) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x0 + 0xe9b6c7aa) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x5 + 0xd62f105d) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x10 + 0x02441453) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x15 + 0xd8a1e681) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x4 + 0xe7d3fbc8) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x9 + 0x21e1cde6) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x14 + 0xc33707d6) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x3 + 0xf4d50d87) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x8 + 0x455a14ed) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x13 + 0xa9e3e905) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x2 + 0xfcefa3f8) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x7 + 0x676f02d9) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x12 + 0x8d2a4c8a) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  // Round 3: H(X,Y,Z) = X xor Y xor Z
  n = (a + (b ^ c ^ d) + x5 + 0xfffa3942) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x8 + 0x8771f681) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x11 + 0x6d9d6122) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x14 + 0xfde5380c) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x1 + 0xa4beea44) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x4 + 0x4bdecfa9) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x7 + 0xf6bb4b60) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x10 + 0xbebfbc70) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x13 + 0x289b7ec6) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x0 + 0xeaa127fa) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x3 + 0xd4ef3085) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x6 + 0x04881d05) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x9 + 0xd9d4d039) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x12 + 0xe6db99e5) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x15 + 0x1fa27cf8) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x2 + 0xc4ac5665) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  // Round 4: I(X,Y,Z) = Y xor (X v not(Z))
  n = (a + (c ^ (b | ~d)) + x0 + 0xf4292244) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x7 + 0x432aff97) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x14 + 0xab9423a7) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x5 + 0xfc93a039) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x12 + 0x655b59c3) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x3 + 0x8f0ccc92) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x10 + 0xffeff47d) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x1 + 0x85845dd1) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x8 + 0x6fa87e4f) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x15 + 0xfe2ce6e0) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x6 + 0xa3014314) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x13 + 0x4e0811a1) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x4 + 0xf7537e82) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x11 + 0xbd3af235) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x2 + 0x2ad7d2bb) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x9 + 0xeb86d391) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

function reset(state: Int32Array): void {
  state[0] = A0;
  state[1] = B0;
  state[2] = C0;
  state[3] = D0;
}

/**
 * Hashes a[aStart..aEnd) followed by b[bStart..bEnd) onward from `state`, after `prior` octets
 * already hashed into it (whole blocks), and pads (RFC 1321 §3.1, §3.2). Whole blocks of `a`
 * are read in place; only the last partial block and `b` pass through TAIL.
 */
function absorb(
  state: Int32Array,
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
  prior: number,
): void {
  let off = aStart;
  for (; off + 64 <= aEnd; off += 64) {
    load(a, off);
    transform(state);
  }
  let r = 0;
  for (; off < aEnd; off++) TAIL[r++] = a[off]!;
  for (let i = bStart; i < bEnd; i++) {
    TAIL[r++] = b[i]!;
    if (r === 64) {
      load(TAIL, 0);
      transform(state);
      TAIL.fill(0);
      r = 0;
    }
  }
  TAIL[r] = 0x80; // RFC 1321 §3.1: a single 1 bit, then zeros up to 56 octets modulo 64
  load(TAIL, 0);
  TAIL.fill(0, 0, r + 1); // back to all zeros: no secret octets linger in module memory
  if (r >= 56) {
    // No room left for the length: it goes in one more block of zeros.
    transform(state);
    X.fill(0);
  }
  // RFC 1321 §3.2: the length in bits as a 64-bit little-endian number, in words 14 and 15.
  const bits = (prior + (aEnd - aStart) + (bEnd - bStart)) * 8;
  X[14] = bits | 0;
  X[15] = Math.floor(bits / 0x1_0000_0000) | 0;
  transform(state);
  X.fill(0);
}

/**
 * The digest of the last md5Words / hmacMd5Words call, as the words A, B, C, D (RFC 1321 §3.5:
 * the output is A first, each word least significant octet first). Overwritten by the next call.
 */
const RESULT = new Int32Array(4);
const INNER = new Int32Array(4);

/**
 * MD5 of a[aStart..aEnd) followed by b[bStart..bEnd) (RFC 1321). Returns the module's result
 * words, valid until the next digest here: read them with writeDigest or digestEquals at once.
 */
export function md5Words(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): Int32Array {
  reset(RESULT);
  absorb(RESULT, a, aStart, aEnd, b, bStart, bEnd, 0);
  return RESULT;
}

/** Writes a digest's sixteen octets into `out` at `at` (RFC 1321 §3.5 order). */
export function writeDigest(digest: Int32Array, out: Uint8Array, at: number): void {
  for (let i = 0; i < 4; i++) {
    const w = digest[i]!;
    const o = at + 4 * i;
    out[o] = w;
    out[o + 1] = w >>> 8;
    out[o + 2] = w >>> 16;
    out[o + 3] = w >>> 24;
  }
}

/**
 * Whether bytes[at..at+16) holds `digest`, in constant time: every octet is compared and the
 * differences accumulated with OR, with no exit before the end, so the time taken does not
 * tell a forger how many leading octets of a guessed authenticator were right (what
 * crypto.timingSafeEqual does, without the two Buffers it needs). False if the range overruns.
 */
export function digestEquals(digest: Int32Array, bytes: Uint8Array, at: number): boolean {
  if (at < 0 || at + 16 > bytes.length) return false;
  let diff = 0;
  for (let i = 0; i < 4; i++) {
    const w = digest[i]!;
    const o = at + 4 * i;
    diff |= (bytes[o]! ^ (w & 0xff)) | (bytes[o + 1]! ^ ((w >>> 8) & 0xff));
    diff |= (bytes[o + 2]! ^ ((w >>> 16) & 0xff)) | (bytes[o + 3]! ^ (w >>> 24));
  }
  return diff === 0;
}

/**
 * XORs sixteen octets of src from `srcAt` with a digest into out at `outAt` (the keystream
 * step of RFC 2865 §5.2 and RFC 2868 §3.5). src and out may be the same array.
 */
export function xorDigest(digest: Int32Array, src: Uint8Array, srcAt: number, out: Uint8Array, outAt: number): void {
  for (let i = 0; i < 16; i++) out[outAt + i] = src[srcAt + i]! ^ (digest[i >> 2]! >>> (8 * (i & 3)));
}

/** The digest in bytes[at..at+16) as words, in the module's result array (as md5Words returns). */
export function readDigest(bytes: Uint8Array, at = 0): Int32Array {
  for (let i = 0; i < 4; i++) {
    const o = at + 4 * i;
    RESULT[i] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
  }
  return RESULT;
}

/** A digest's sixteen octets as a new Buffer. */
export function digestToBuffer(digest: Int32Array): Buffer {
  const out = Buffer.allocUnsafe(16);
  writeDigest(digest, out, 0);
  return out;
}

/** MD5 of `data` (RFC 1321), as a new Buffer. */
export function md5js(data: Uint8Array): Buffer {
  return digestToBuffer(md5Words(data, 0, data.length, EMPTY, 0, 0));
}

/** A key's HMAC-MD5 states after its padded block (RFC 2104 §4): reused for every message. */
export interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

const BLOCK = 64;

/** RFC 2104 §2: K padded to B octets, XORed with ipad / opad, each hashed as one block. */
export function hmacKey(key: Uint8Array): HmacKey {
  const k = key.length > BLOCK ? md5js(key) : key; // RFC 2104 §2: keys longer than B are hashed first
  const pad = new Uint8Array(BLOCK);
  const inner = new Int32Array(4);
  const outer = new Int32Array(4);
  reset(inner);
  reset(outer);
  for (let i = 0; i < BLOCK; i++) pad[i] = (i < k.length ? k[i]! : 0) ^ 0x36; // ipad
  load(pad, 0);
  transform(inner);
  for (let i = 0; i < BLOCK; i++) pad[i] = (i < k.length ? k[i]! : 0) ^ 0x5c; // opad
  load(pad, 0);
  transform(outer);
  pad.fill(0);
  X.fill(0);
  return { inner, outer };
}

/**
 * HMAC-MD5 (RFC 2104 §2) of data[start..end) from a key's precomputed states:
 * MD5(K^opad, MD5(K^ipad, data)). Returns the module's result words, as md5Words does.
 */
export function hmacMd5Words(key: HmacKey, data: Uint8Array, start: number, end: number): Int32Array {
  INNER[0] = key.inner[0]!;
  INNER[1] = key.inner[1]!;
  INNER[2] = key.inner[2]!;
  INNER[3] = key.inner[3]!;
  absorb(INNER, data, start, end, EMPTY, 0, 0, BLOCK);
  // The outer message is the 16-octet inner digest: one block, built as words. The digest's
  // octets are the inner state's words in the same little-endian order X is read in.
  X[0] = INNER[0]!;
  X[1] = INNER[1]!;
  X[2] = INNER[2]!;
  X[3] = INNER[3]!;
  X[4] = 0x80; // RFC 1321 §3.1 padding right after the 16 octets
  X[14] = (BLOCK + 16) * 8; // RFC 1321 §3.2: length in bits, after K^opad's block (X[5..13], X[15] are 0)
  RESULT[0] = key.outer[0]!;
  RESULT[1] = key.outer[1]!;
  RESULT[2] = key.outer[2]!;
  RESULT[3] = key.outer[3]!;
  transform(RESULT);
  X.fill(0);
  INNER.fill(0);
  return RESULT;
}

/** HMAC-MD5 (RFC 2104 §2) from a key's precomputed states, as a new Buffer. */
export function hmacMd5With(key: HmacKey, data: Uint8Array): Buffer {
  return digestToBuffer(hmacMd5Words(key, data, 0, data.length));
}
