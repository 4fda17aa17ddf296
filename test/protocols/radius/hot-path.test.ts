/**
 * The allocation-free hot path of the codec against node:crypto (OpenSSL) and against the
 * general functions it stands beside: digests over byte ranges (md5Range, hmacMd5Range,
 * writeDigest, digestEquals, xorDigest), encodeReply (byte-identical to encodeResponse),
 * the in-place verifications, and unhidePasswordAt. Packets reach past the 1,024-octet switch
 * to OpenSSL in bytes.ts, and secrets past the 64-octet HMAC block, so both paths are covered.
 */
import { Buffer } from 'node:buffer';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacMd5Range, md5Range } from '../../../src/protocols/radius/bytes.js';
import { digestEquals, writeDigest, xorDigest } from '../../../src/protocols/radius/md5.js';
import {
  Attr,
  AttributeWriter,
  Code,
  LanyardCodecError,
  ZERO_AUTHENTICATOR,
  encodeAttributes,
  encodeReply,
  encodeResponse,
  decryptTunnelPassword,
  encryptTunnelPassword,
  hidePassword,
  unhidePassword,
  unhidePasswordAt,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  verifyResponseAuthenticator,
  type RadiusAttribute,
} from '../../../src/protocols/radius/index.js';

// size 'max': lengths over the whole range (fast-check's default keeps them near ten octets),
// so passwords span several 16-octet blocks and packets pass the OpenSSL switch.
const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max, size: 'max' }).map((u) => Buffer.from(u));
const secretArb = bytes(1, 100);
const authenticatorArb = bytes(16, 16);
/** Attribute TLVs without Message-Authenticator, up to about 1,500 octets (past the OpenSSL switch). */
const attributesArb = fc
  .array(
    fc.record({
      type: fc.integer({ min: 1, max: 255 }).filter((t) => t !== Attr.MessageAuthenticator),
      value: bytes(1, 253),
    }),
    { maxLength: 6, size: 'max' },
  )
  .map((list: RadiusAttribute[]) => encodeAttributes(list));
// Every response code of RFC 2865 §4, RFC 2866 §4 and RFC 5176 §2.
const { AccessAccept, AccessReject, AccessChallenge, AccountingResponse, DisconnectAck, DisconnectNak, CoaAck, CoaNak } = Code;
const responseCodes = [AccessAccept, AccessReject, AccessChallenge, AccountingResponse, DisconnectAck, DisconnectNak, CoaAck, CoaNak];
const responseCodeArb = fc.constantFrom(...responseCodes);

/** The words of md5.ts as the sixteen octets they stand for. */
function octets(words: Int32Array): Buffer {
  const out = Buffer.alloc(16);
  writeDigest(words, out, 0);
  return out;
}

/** A request header (and arbitrary attribute octets): all encodeReply reads is octets 1 and 4..19. */
function request(code: number, identifier: number, authenticator: Uint8Array, rest: Uint8Array): Buffer {
  const out = Buffer.concat([Buffer.alloc(4), authenticator, rest]);
  out[0] = code;
  out[1] = identifier;
  out.writeUInt16BE(Math.min(out.length, 4096), 2);
  return out;
}

describe('digests over byte ranges', () => {
  it('md5Range of two ranges is the MD5 of their concatenation', () => {
    fc.assert(
      fc.property(bytes(0, 1500), bytes(0, 300), fc.nat(), fc.nat(), (a, b, i, j) => {
        const aStart = a.length === 0 ? 0 : i % a.length;
        const bEnd = b.length === 0 ? 0 : j % (b.length + 1);
        const expected = createHash('md5').update(a.subarray(aStart)).update(b.subarray(0, bEnd)).digest('hex');
        expect(octets(md5Range(a, aStart, a.length, b, 0, bEnd)).toString('hex')).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('hmacMd5Range of a range is the HMAC-MD5 of that range, for any key', () => {
    fc.assert(
      fc.property(bytes(0, 150), bytes(0, 1500), fc.nat(), (key, data, i) => {
        const start = data.length === 0 ? 0 : i % data.length;
        const expected = createHmac('md5', key).update(data.subarray(start)).digest('hex');
        expect(octets(hmacMd5Range(key, data, start, data.length)).toString('hex')).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps one set of states per key object, and notices a key buffer overwritten in place', () => {
    const first = Buffer.from('first-nas-secret');
    const second = Buffer.from('second-nas-secret');
    const data = Buffer.from('an Access-Request');
    const mac = (key: Buffer): string => octets(hmacMd5Range(key, data, 0, data.length)).toString('hex');
    for (let round = 0; round < 3; round++) {
      expect(mac(first)).toBe(createHmac('md5', 'first-nas-secret').update(data).digest('hex'));
      expect(mac(second)).toBe(createHmac('md5', 'second-nas-secret').update(data).digest('hex'));
    }
    first.write('fresh-nas-secret'); // same length, same object
    expect(mac(first)).toBe(createHmac('md5', 'fresh-nas-secret').update(data).digest('hex'));
  });

  it('digestEquals is true exactly for the same sixteen octets, and false past the end', () => {
    fc.assert(
      fc.property(bytes(16, 16), bytes(0, 40), fc.nat(15), fc.integer({ min: 1, max: 255 }), (digest, pad, k, flip) => {
        const words = new Int32Array(4);
        const packet = Buffer.concat([pad, digest, pad]);
        for (let i = 0; i < 4; i++) words[i] = digest.readInt32LE(4 * i);
        expect(digestEquals(words, packet, pad.length)).toBe(true);
        packet[pad.length + k] = packet[pad.length + k]! ^ flip;
        expect(digestEquals(words, packet, pad.length)).toBe(false);
        expect(digestEquals(words, digest.subarray(0, 15), 0)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('xorDigest XORs the digest octets into a range, in place too', () => {
    fc.assert(
      fc.property(bytes(0, 64), bytes(16, 16), (data, src) => {
        const words = md5Range(data, 0, data.length);
        const digest = createHash('md5').update(data).digest();
        const expected = Buffer.from(src.map((o, i) => o ^ digest[i]!));
        const out = Buffer.alloc(20);
        xorDigest(words, src, 0, out, 4);
        expect(out.subarray(4).equals(expected)).toBe(true);
        xorDigest(words, out, 4, out, 4); // XOR twice: back to the source
        expect(out.subarray(4).equals(src)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('encodeReply', () => {
  it('gives the same bytes as encodeResponse, and both match node:crypto', () => {
    fc.assert(
      fc.property(
        responseCodeArb,
        fc.integer({ min: 0, max: 255 }),
        authenticatorArb,
        bytes(0, 60),
        attributesArb,
        secretArb,
        fc.boolean(),
        fc.boolean(),
        (code, identifier, authenticator, requestRest, attributes, secret, withMa, zeroed) => {
          const req = request(Code.AccessRequest, identifier, authenticator, requestRest);
          const reply = encodeReply(code, req, attributes, secret, withMa, zeroed);
          const general = encodeResponse({
            code,
            identifier,
            requestAuthenticator: authenticator,
            attributes,
            secret,
            messageAuthenticator: withMa,
            ...(zeroed ? { messageAuthenticatorAuthenticator: ZERO_AUTHENTICATOR } : {}),
          });
          expect(reply.equals(general)).toBe(true);
          // The attributes as the front of a longer buffer: a reused AttributeWriter's storage.
          const writer = new AttributeWriter().append(attributes).append(requestRest);
          expect(encodeReply(code, req, writer.storage, secret, withMa, zeroed, attributes.length).equals(reply)).toBe(true);

          // Independently: the layout, then RFC 3579 §3.2 and RFC 2865 §3 through OpenSSL.
          const maLength = withMa ? 18 : 0;
          expect(reply.length).toBe(20 + maLength + attributes.length);
          expect([reply[0], reply[1], reply.readUInt16BE(2)]).toEqual([code, identifier, reply.length]);
          expect(reply.subarray(20 + maLength).equals(attributes)).toBe(true);
          const work = Buffer.from(reply);
          work.set(authenticator, 4);
          if (withMa) {
            expect([reply[20], reply[21]]).toEqual([Attr.MessageAuthenticator, 18]);
            work.fill(0, 22, 38);
            if (zeroed) work.fill(0, 4, 20);
            expect(reply.subarray(22, 38).equals(createHmac('md5', secret).update(work).digest())).toBe(true);
            work.set(reply.subarray(22, 38), 22);
            work.set(authenticator, 4);
          }
          expect(reply.subarray(4, 20).equals(createHash('md5').update(work).update(secret).digest())).toBe(true);
          expect(verifyResponseAuthenticator(reply, authenticator, secret)).toBe(true);
          if (withMa) {
            expect(verifyMessageAuthenticator(reply, secret, zeroed ? ZERO_AUTHENTICATOR : authenticator)).toBe('valid');
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses a code that is not a response, a request without a full header, an attributesEnd outside the attributes', () => {
    const req = request(Code.AccessRequest, 1, Buffer.alloc(16, 7), Buffer.alloc(0));
    expect(() => encodeReply(Code.AccessRequest, req, Buffer.alloc(0), Buffer.from('s'), true, false)).toThrow(LanyardCodecError);
    expect(() => encodeReply(Code.AccessAccept, req.subarray(0, 19), Buffer.alloc(0), Buffer.from('s'), true, false)).toThrow(
      LanyardCodecError,
    );
    for (const end of [-1, 3, 1.5]) {
      expect(() => encodeReply(Code.AccessAccept, req, Buffer.alloc(2), Buffer.from('s'), true, false, end)).toThrow(LanyardCodecError);
    }
  });
});

describe('in-place verification against node:crypto', () => {
  it('Message-Authenticator anywhere in the packet, trailing octets after Length ignored', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        authenticatorArb,
        attributesArb,
        attributesArb,
        secretArb,
        bytes(0, 20),
        fc.boolean(),
        fc.nat(),
        (identifier, authenticator, before, after, secret, trailing, zeroed, flipAt) => {
          const length = 20 + before.length + 18 + after.length;
          fc.pre(length <= 4096);
          const packet = Buffer.concat([Buffer.alloc(4), authenticator, before, Buffer.from([80, 18]), Buffer.alloc(16), after]);
          packet[0] = zeroed ? Code.AccountingRequest : Code.AccessRequest;
          packet[1] = identifier;
          packet.writeUInt16BE(length, 2);
          const maAt = 20 + before.length + 2;
          const work = Buffer.from(packet);
          if (zeroed) work.fill(0, 4, 20);
          createHmac('md5', secret).update(work).digest().copy(packet, maAt);
          const datagram = Buffer.concat([packet, trailing]); // RFC 2865 §3: octets past Length are padding
          const calc = zeroed ? ZERO_AUTHENTICATOR : undefined;
          expect(verifyMessageAuthenticator(datagram, secret, calc)).toBe('valid');
          const bad = Buffer.from(datagram);
          const at = maAt + (flipAt % 16);
          bad[at] = bad[at]! ^ 0x01;
          expect(verifyMessageAuthenticator(bad, secret, calc)).toBe('invalid');
          expect(datagram.subarray(maAt, maAt + 16).equals(packet.subarray(maAt, maAt + 16))).toBe(true); // input untouched
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Request Authenticator of an Accounting-Request', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), attributesArb, secretArb, bytes(0, 10), (identifier, attributes, secret, tail) => {
        const packet = Buffer.concat([Buffer.alloc(20), attributes]);
        packet[0] = Code.AccountingRequest;
        packet[1] = identifier;
        packet.writeUInt16BE(packet.length, 2);
        createHash('md5').update(packet).update(secret).digest().copy(packet, 4); // RFC 2866 §3
        expect(verifyRequestAuthenticator(Buffer.concat([packet, tail]), secret)).toBe(true);
        packet[19] = packet[19]! ^ 0x80;
        expect(verifyRequestAuthenticator(packet, secret)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

/** RFC 2865 §5.2 written directly with node:crypto: c(i) = p(i) xor MD5(S + c(i-1)), c(0) = RA. */
function referenceHide(padded: Buffer, secret: Uint8Array, ra: Uint8Array): Buffer {
  const out = Buffer.alloc(padded.length);
  let previous: Uint8Array = ra;
  for (let i = 0; i < padded.length; i += 16) {
    const b = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = padded[i + j]! ^ b[j]!;
    previous = out.subarray(i, i + 16);
  }
  return out;
}

describe('User-Password (RFC 2865 §5.2)', () => {
  it('hidePassword, unhidePassword and unhidePasswordAt agree with node:crypto', () => {
    fc.assert(
      fc.property(
        bytes(1, 128).filter((p) => p[p.length - 1] !== 0),
        secretArb,
        authenticatorArb,
        bytes(0, 40),
        (password, secret, ra, before) => {
          const padded = Buffer.alloc(Math.max(16, Math.ceil(password.length / 16) * 16));
          password.copy(padded);
          const hidden = referenceHide(padded, secret, ra);
          expect(hidePassword(password, secret, ra).equals(hidden)).toBe(true);
          expect(unhidePassword(hidden, secret, ra)?.equals(password)).toBe(true);

          const packet = Buffer.concat([Buffer.alloc(4), ra, before, hidden]);
          const out = Buffer.alloc(128, 0xee);
          const n = unhidePasswordAt(packet, 20 + before.length, hidden.length, secret, out);
          expect(n).toBe(password.length);
          expect(out.subarray(0, n).equals(password)).toBe(true);
          expect(out.subarray(n, hidden.length).equals(Buffer.alloc(hidden.length - n))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('unhidePasswordAt answers -1 for lengths RFC 2865 §5.2 does not allow and ranges outside the packet', () => {
    const secret = Buffer.from('s');
    const packet = Buffer.alloc(20 + 144);
    const out = Buffer.alloc(128);
    for (const length of [0, 15, 17, 31, 144]) expect(unhidePasswordAt(packet, 20, length, secret, out)).toBe(-1);
    expect(unhidePasswordAt(packet, 10, 16, secret, out)).toBe(-1); // inside the header
    expect(unhidePasswordAt(packet, 20 + 144 - 15, 16, secret, out)).toBe(-1); // past the end
    expect(unhidePasswordAt(packet, 20, 32, secret, Buffer.alloc(31))).toBe(-1); // out too short
    expect(unhidePasswordAt(packet, 20, 128, secret, out)).toBeGreaterThanOrEqual(0);
  });
});

describe('Tunnel-Password (RFC 2868 §3.5)', () => {
  it('encryptTunnelPassword and decryptTunnelPassword agree with node:crypto', () => {
    fc.assert(
      fc.property(bytes(1, 239), secretArb, authenticatorArb, bytes(2, 2), fc.nat(31), (data, secret, ra, salt, tag) => {
        // RFC 2868 §3.5: P = Data-Length + data, zero-padded to a multiple of 16;
        // b(1) = MD5(S + R + A), c(i) = p(i) xor b(i), b(i) = MD5(S + c(i-1)).
        const salted = Buffer.from([salt[0]! | 0x80, salt[1]!]);
        const plain = Buffer.alloc(Math.ceil((1 + data.length) / 16) * 16);
        plain[0] = data.length;
        data.copy(plain, 1);
        const cipher = Buffer.alloc(plain.length);
        let previous: Uint8Array = Buffer.concat([ra, salted]);
        for (let i = 0; i < plain.length; i += 16) {
          const b = createHash('md5').update(secret).update(previous).digest();
          for (let j = 0; j < 16; j++) cipher[i + j] = plain[i + j]! ^ b[j]!;
          previous = cipher.subarray(i, i + 16);
        }
        const value = encryptTunnelPassword(data, secret, ra, salt, tag);
        expect(value.equals(Buffer.concat([Buffer.from([tag]), salted, cipher]))).toBe(true);
        const back = decryptTunnelPassword(value, secret, ra);
        expect(back?.tag).toBe(tag);
        expect(back?.password.equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
