/**
 * The JavaScript MD5 and HMAC-MD5 of md5.ts against node:crypto (OpenSSL): the RFC 1321 test
 * suite, the RFC 2104 examples, every padding boundary, and arbitrary keys and messages.
 */
import { Buffer } from 'node:buffer';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacMd5, md5 } from '../../../src/protocols/radius/bytes.js';
import { hmacKey, hmacMd5With, md5js } from '../../../src/protocols/radius/md5.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('md5js (RFC 1321)', () => {
  it('gives the RFC 1321 §A.5 test suite digests', () => {
    const suite: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
      ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
    ];
    for (const [text, digest] of suite) expect(hex(md5js(Buffer.from(text)))).toBe(digest);
  });

  it('equals OpenSSL at every length around the padding boundaries (55, 56, 63, 64 … octets)', () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff));
    for (let n = 0; n <= 300; n++) {
      const part = data.subarray(0, n);
      expect(hex(md5js(part))).toBe(createHash('md5').update(part).digest('hex'));
    }
  });

  it('equals OpenSSL for arbitrary input, through the size switch in bytes.ts as well', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2100, size: 'max' }), (u) => {
        const expected = createHash('md5').update(u).digest('hex');
        expect(hex(md5js(u))).toBe(expected);
        expect(hex(md5(u))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('HMAC-MD5 from precomputed key states (RFC 2104 §4)', () => {
  it('gives the RFC 2104 §Appendix test vectors', () => {
    expect(hex(hmacMd5With(hmacKey(Buffer.alloc(16, 0x0b)), Buffer.from('Hi There')))).toBe('9294727a3638bb1c13f48ef8158bfc9d');
    expect(hex(hmacMd5With(hmacKey(Buffer.from('Jefe')), Buffer.from('what do ya want for nothing?')))).toBe(
      '750c783e6ab0b503eaa86e310a5db738',
    );
    expect(hex(hmacMd5With(hmacKey(Buffer.alloc(16, 0xaa)), Buffer.alloc(50, 0xdd)))).toBe('56be34521d144c88dbb8c733f0e8b3f6');
  });

  it('equals OpenSSL for any key (longer than a block too) and message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150, size: 'max' }), fc.uint8Array({ maxLength: 1500, size: 'max' }), (key, data) => {
        const expected = createHmac('md5', key).update(data).digest('hex');
        expect(hex(hmacMd5With(hmacKey(key), data))).toBe(expected);
        expect(hex(hmacMd5(key, data))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('never reuses the states of a key whose buffer was since overwritten with another key', () => {
    const key = Buffer.from('first-shared-secret');
    const data = Buffer.from('a packet');
    expect(hex(hmacMd5(key, data))).toBe(createHmac('md5', 'first-shared-secret').update(data).digest('hex'));
    key.write('other-shared-secret');
    expect(hex(hmacMd5(key, data))).toBe(createHmac('md5', 'other-shared-secret').update(data).digest('hex'));
  });
});
