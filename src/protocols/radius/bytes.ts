/**
 * Internal helpers shared by the codec files (not part of the public API): byte views,
 * MD5 / HMAC-MD5 tuned for the per-packet hot path, constant-time compare, scratch space.
 *
 * The scratch buffers are module-level and reused. JavaScript runs each of these functions
 * to completion on one thread and none of them calls back into caller code, so no two
 * uses can interleave; each buffer is owned by exactly one helper below.
 */
import { Buffer } from 'node:buffer';
import * as crypto from 'node:crypto';
import { digestToBuffer, hmacKey, hmacMd5Words, md5js, md5Words, readDigest, type HmacKey } from './md5.js';

/** A Buffer view of the same memory (no copy) so Buffer methods are available. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Grow-only scratch buffer: returns `current` if it is big enough, else a new one. */
function ensure(current: Buffer, size: number): Buffer {
  return current.length >= size ? current : Buffer.alloc(Math.max(size, current.length * 2));
}

// crypto.hash() (Node >= 20.12) digests one range without creating a Hash object, which is
// most of the cost for packet-sized inputs. Older Node 20 releases fall back to createHash.
const oneShotHash = (crypto as { hash?: typeof crypto.hash }).hash;

const cryptoMd5: (data: Uint8Array) => Buffer =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('md5', data, 'buffer')
    : (data) => crypto.createHash('md5').update(data).digest();

/**
 * Up to this many octets the JavaScript MD5 (md5.ts) is cheaper than a call into OpenSSL, whose
 * fixed cost per call dominates at packet sizes; above it OpenSSL's hashing speed wins.
 */
const JS_MD5_MAX = 1024;

/** MD5 of one contiguous byte range. */
export function md5(data: Uint8Array): Buffer {
  return data.length <= JS_MD5_MAX ? md5js(data) : cryptoMd5(data);
}

const EMPTY = new Uint8Array(0);
let joinScratch: Buffer = Buffer.alloc(128);

/**
 * MD5 of a[aStart..aEnd) followed by b[bStart..bEnd), as the words of md5.ts (valid until the
 * next digest: write or compare them at once). Ranges instead of views, so that hashing a
 * packet and its secret, or a secret and a Request Authenticator inside a packet, allocates
 * nothing. Inputs over JS_MD5_MAX go to OpenSSL through one contiguous copy.
 */
export function md5Range(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array = EMPTY,
  bStart = 0,
  bEnd = 0,
): Int32Array {
  const n = aEnd - aStart + (bEnd - bStart);
  if (n <= JS_MD5_MAX) return md5Words(a, aStart, aEnd, b, bStart, bEnd);
  joinScratch = ensure(joinScratch, n);
  joinScratch.set(a.subarray(aStart, aEnd), 0);
  joinScratch.set(b.subarray(bStart, bEnd), aEnd - aStart);
  const words = readDigest(cryptoMd5(joinScratch.subarray(0, n)));
  joinScratch.fill(0, 0, n); // the secret does not linger in module memory
  return words;
}

/** MD5(a + b) (the "MD5(S + RA)" / "MD5(S + c(i-1))" chains of RFC 2865 §5.2, RFC 2868 §3.5). */
export function md5Two(a: Uint8Array, b: Uint8Array): Buffer {
  return digestToBuffer(md5Range(a, 0, a.length, b, 0, b.length));
}

const BLOCK = 64; // MD5 block size, "B" in RFC 2104 §2
let innerScratch: Buffer = Buffer.alloc(BLOCK + 4096);
const outerScratch = Buffer.alloc(BLOCK + 16);

/**
 * HMAC-MD5 (RFC 2104 §2): MD5((K ^ opad) + MD5((K ^ ipad) + data)), keys longer than the
 * 64-octet block first replaced by MD5(K). Built from two one-shot digests because that is
 * cheaper than crypto.createHmac for one packet; identical output (checked in the tests).
 */
function hmacByHand(key: Uint8Array, data: Uint8Array): Buffer {
  const k = key.length > BLOCK ? cryptoMd5(key) : key; // RFC 2104 §2: hash keys longer than B
  innerScratch = ensure(innerScratch, BLOCK + data.length);
  for (let i = 0; i < BLOCK; i++) {
    const octet = i < k.length ? k[i]! : 0; // RFC 2104 §2: pad K with zeros to B octets
    innerScratch[i] = octet ^ 0x36; // ipad
    outerScratch[i] = octet ^ 0x5c; // opad
  }
  innerScratch.set(data, BLOCK);
  cryptoMd5(innerScratch.subarray(0, BLOCK + data.length)).copy(outerScratch, BLOCK);
  const mac = cryptoMd5(outerScratch);
  innerScratch.fill(0, 0, BLOCK);
  outerScratch.fill(0, 0, BLOCK);
  return mac;
}

/**
 * Each key's HMAC states (RFC 2104 §4), made once per key object: a daemon answers many packets
 * with the same few NAS secrets, and a key buffer is a NAS's for as long as its config lives.
 * A copy of the key is kept and compared on every use, so a caller that reuses its key buffer
 * for another key never gets stale states.
 */
const keyStates = new WeakMap<Uint8Array, { readonly copy: Uint8Array; readonly states: HmacKey }>();

/** Whether two byte strings are equal; looks at every octet (secrets are compared here). */
function sameOctets(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function statesFor(key: Uint8Array): HmacKey {
  const cached = keyStates.get(key);
  if (cached !== undefined && sameOctets(cached.copy, key)) return cached.states;
  cached?.copy.fill(0);
  const entry = { copy: Uint8Array.from(key), states: hmacKey(key) };
  keyStates.set(key, entry);
  return entry.states;
}

/** HMAC-MD5 (RFC 2104); packet-sized data through md5.ts from the key's precomputed states. */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Buffer {
  return digestToBuffer(hmacMd5Range(key, data, 0, data.length));
}

/**
 * HMAC-MD5 (RFC 2104) of data[start..end), as the words of md5.ts (valid until the next
 * digest). Allocates nothing for packet-sized data once the key's states are made.
 */
export function hmacMd5Range(key: Uint8Array, data: Uint8Array, start: number, end: number): Int32Array {
  if (end - start <= JS_MD5_MAX) return hmacMd5Words(statesFor(key), data, start, end);
  const part = data.subarray(start, end);
  return readDigest(
    typeof oneShotHash === 'function' ? hmacByHand(key, part) : crypto.createHmac('md5', key).update(part).digest(),
  );
}

/** Reference HMAC through crypto.createHmac, for tests that cross-check hmacMd5. */
export function hmacMd5Reference(key: Uint8Array, data: Uint8Array): Buffer {
  return crypto.createHmac('md5', key).update(data).digest();
}

/** Constant-time equality of two 16-octet values (crypto.timingSafeEqual needs equal lengths). */
export function equal16(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === 16 && b.length === 16 && crypto.timingSafeEqual(a, b);
}

let packetScratch: Buffer = Buffer.alloc(4096 + 64);
/**
 * The first `length` octets of `packet` in the module's packet scratch (for the verify
 * functions in authenticator.ts, which hash a packet with some fields replaced). A whole
 * datagram is one memcpy; anything else a loop, since a view to copy from would allocate.
 */
export function scratchCopy(packet: Uint8Array, length: number): Buffer {
  packetScratch = ensure(packetScratch, length);
  const work = packetScratch;
  if (packet.length === length) work.set(packet, 0);
  else for (let i = 0; i < length; i++) work[i] = packet[i]!;
  return work;
}
