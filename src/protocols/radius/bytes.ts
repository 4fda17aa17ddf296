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
import { hmacKey, hmacMd5With, md5js, type HmacKey } from './md5.js';

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

let twoScratch: Buffer = Buffer.alloc(128);
/** MD5(a + b) (the "MD5(S + RA)" / "MD5(S + c(i-1))" chains of RFC 2865 §5.2, RFC 2868 §3.5). */
export function md5Two(a: Uint8Array, b: Uint8Array): Buffer {
  const n = a.length + b.length;
  twoScratch = ensure(twoScratch, n);
  twoScratch.set(a, 0);
  twoScratch.set(b, a.length);
  const digest = md5(twoScratch.subarray(0, n));
  twoScratch.fill(0, 0, a.length); // the secret does not linger in module memory
  return digest;
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
 * The last key's HMAC states (RFC 2104 §4), with a copy of the key they were made from: a
 * daemon answers many packets in a row with the same NAS secret. The copy is compared on every
 * use, so a caller that reuses its key buffer for another key never gets stale states.
 */
let lastKey: Buffer = Buffer.alloc(0);
let lastStates: HmacKey | null = null;

function statesFor(key: Uint8Array): HmacKey {
  if (lastStates === null || !lastKey.equals(key)) {
    lastKey.fill(0);
    lastKey = Buffer.from(key);
    lastStates = hmacKey(key);
  }
  return lastStates;
}

/** HMAC-MD5 (RFC 2104); packet-sized data through md5.ts from the key's precomputed states. */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Buffer {
  if (data.length <= JS_MD5_MAX) return hmacMd5With(statesFor(key), data);
  return typeof oneShotHash === 'function' ? hmacByHand(key, data) : crypto.createHmac('md5', key).update(data).digest();
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
/** Scratch for the verify functions in authenticator.ts (one packet + secret). */
export function scratchOf(size: number): Buffer {
  packetScratch = ensure(packetScratch, size);
  return packetScratch;
}
