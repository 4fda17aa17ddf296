/**
 * MD5 (RFC 1321) in JavaScript, for the short inputs of the RADIUS hot path: a packet of one to
 * three 64-octet blocks. node:crypto's one-shot digest costs about a microsecond per call in
 * fixed overhead (argument checks, an OpenSSL context), several times the hashing itself at
 * these sizes, and a request needs six digests. Doing it here also lets HMAC-MD5 start from
 * the key's precomputed inner and outer states (RFC 2104 §4 "Implementation note"), which
 * saves two of its four blocks. Checked against node:crypto in test/protocols/radius/md5.test.ts.
 *
 * Not constant-time, and need not be: comparisons of digests use crypto.timingSafeEqual.
 */
import { Buffer } from 'node:buffer';

/** RFC 1321 §3.4: T[i] = floor(4294967296 × |sin(i)|), i = 1..64. */
const T = Int32Array.from([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);

/** RFC 1321 §3.4: the rotation of each step, four per round. */
const ROTATE = Uint8Array.from([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);

/** RFC 1321 §3.3: the initial buffer A, B, C, D. */
const INITIAL = Int32Array.from([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);

const X = new Int32Array(16);
/** The last one or two blocks with their padding (RFC 1321 §3.1, §3.2). */
const TAIL = new Uint8Array(128);

/** One 64-octet block at `at` into `state` (RFC 1321 §3.4). */
function compress(state: Int32Array, bytes: Uint8Array, at: number): void {
  for (let j = 0; j < 16; j++) {
    const o = at + 4 * j;
    X[j] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24); // little-endian words
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d); // round 1: F
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c); // round 2: G
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d; // round 3: H
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d); // round 4: I
      g = (7 * i) & 15;
    }
    const t = (a + f + T[i]! + X[g]!) | 0;
    const r = ROTATE[i]!;
    a = d;
    d = c;
    c = b;
    b = (b + ((t << r) | (t >>> (32 - r)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/**
 * Hashes `data` onward from `state` (which it changes), after `prior` octets already hashed into
 * it (whole blocks), and returns the digest.
 */
function finish(state: Int32Array, data: Uint8Array, prior: number): Buffer {
  const n = data.length;
  let off = 0;
  for (; off + 64 <= n; off += 64) compress(state, data, off);
  const rest = n - off;
  TAIL.set(data.subarray(off), 0);
  TAIL[rest] = 0x80; // RFC 1321 §3.1: a single 1 bit, then zeros
  const blocks = rest + 9 <= 64 ? 1 : 2;
  const end = blocks * 64;
  TAIL.fill(0, rest + 1, end - 8);
  // RFC 1321 §3.2: the length in bits, 64-bit little-endian.
  const bits = (prior + n) * 8;
  const low = bits >>> 0;
  const high = Math.floor(bits / 0x1_0000_0000) >>> 0;
  for (let i = 0; i < 4; i++) {
    TAIL[end - 8 + i] = (low >>> (8 * i)) & 0xff;
    TAIL[end - 4 + i] = (high >>> (8 * i)) & 0xff;
  }
  compress(state, TAIL, 0);
  if (blocks === 2) compress(state, TAIL, 64);
  TAIL.fill(0, 0, end); // no secret-derived octets linger in module memory
  const out = Buffer.allocUnsafe(16);
  for (let i = 0; i < 4; i++) out.writeInt32LE(state[i]!, 4 * i);
  return out;
}

const work = new Int32Array(4);

/** MD5 of `data` (RFC 1321). */
export function md5js(data: Uint8Array): Buffer {
  work.set(INITIAL);
  return finish(work, data, 0);
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
  const inner = Int32Array.from(INITIAL);
  const outer = Int32Array.from(INITIAL);
  for (let i = 0; i < BLOCK; i++) pad[i] = (i < k.length ? k[i]! : 0) ^ 0x36; // ipad
  compress(inner, pad, 0);
  for (let i = 0; i < BLOCK; i++) pad[i] = (i < k.length ? k[i]! : 0) ^ 0x5c; // opad
  compress(outer, pad, 0);
  pad.fill(0);
  return { inner, outer };
}

/** HMAC-MD5 (RFC 2104 §2) from a key's precomputed states: MD5(K^opad, MD5(K^ipad, data)). */
export function hmacMd5With(key: HmacKey, data: Uint8Array): Buffer {
  work.set(key.inner);
  const innerDigest = finish(work, data, BLOCK);
  work.set(key.outer);
  return finish(work, innerDigest, BLOCK);
}
