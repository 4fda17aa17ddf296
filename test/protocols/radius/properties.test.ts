/**
 * Property tests (fast-check): encode/decode round trip, and check/decodePacket agreement
 * on arbitrary bytes.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttributeWriter,
  KNOWN_CODES,
  attributeLength,
  check,
  decodePacket,
  decodeVendorSpecific,
  encodePacket,
  encodeVsa,
  findAttribute,
  readTagged,
  encodeTagged,
  unhidePassword,
  hidePassword,
  encryptTunnelPassword,
  decryptTunnelPassword,
  type RadiusAttribute,
} from '../../../src/protocols/radius/index.js';
import { hmacMd5, hmacMd5Reference, md5Two } from '../../../src/protocols/radius/bytes.js';
import { createHash } from 'node:crypto';

const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((u) => Buffer.from(u));

// Any type 1..255 with a 1..253-octet value, except that Message-Authenticator (80) must be
// exactly 16 octets (RFC 3579 §3.2) and Vendor-Specific (26) at least 5 (RFC 2865 §5.26).
const attribute: fc.Arbitrary<RadiusAttribute> = fc.integer({ min: 1, max: 255 }).chain((type) => {
  if (type === 80) return bytes(16, 16).map((value) => ({ type, value }));
  if (type === 26) return bytes(5, 253).map((value) => ({ type, value }));
  return bytes(1, 253).map((value) => ({ type, value }));
});

const packetArb = fc
  .record({
    code: fc.constantFrom(...KNOWN_CODES),
    identifier: fc.integer({ min: 0, max: 255 }),
    authenticator: bytes(16, 16),
    attributes: fc.array(attribute, { maxLength: 40 }),
  })
  .map((p) => {
    // At most one Message-Authenticator (RFC 3579 §3.3) and at most 4096 octets (RFC 2865 §3).
    let seenMa = false;
    let total = 20;
    const attributes: RadiusAttribute[] = [];
    for (const a of p.attributes) {
      if (a.type === 80) {
        if (seenMa) continue;
        seenMa = true;
      }
      if (total + 2 + a.value.length > 4096) break;
      total += 2 + a.value.length;
      attributes.push(a);
    }
    return { ...p, attributes };
  });

describe('properties', () => {
  it('decode(encode(p)) deep-equals p', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const wire = encodePacket(p);
        expect(check(wire)).toBeNull();
        const r = decodePacket(wire);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.packet).toEqual(p);
        // The hot-path scanner agrees with the full decoder on the first attribute of each type.
        for (const a of p.attributes) {
          const off = findAttribute(wire, a.type);
          const first = p.attributes.find((x) => x.type === a.type)!;
          expect(off).toBeGreaterThan(0);
          expect(attributeLength(wire, off)).toBe(first.value.length);
          expect(wire.subarray(off, off + first.value.length).equals(first.value)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('check and decodePacket never throw on arbitrary bytes and agree', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 4200 }), (u) => {
        const reason = check(u);
        const r = decodePacket(u);
        expect(r.ok).toBe(reason === null);
        if (!r.ok) expect(r.reason).toBe(reason);
      }),
      { numRuns: 1000 },
    );
  });

  it('check and decodePacket agree on a valid header followed by random attribute octets', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN_CODES), bytes(0, 600), (code, body) => {
        const wire = Buffer.alloc(20 + body.length);
        wire[0] = code;
        wire.writeUInt16BE(wire.length, 2);
        body.copy(wire, 20);
        const reason = check(wire);
        const r = decodePacket(wire);
        expect(r.ok).toBe(reason === null);
        if (!r.ok) expect(r.reason).toBe(reason);
      }),
      { numRuns: 1000 },
    );
  });

  it('check and decodePacket agree on mutated valid packets (deep in the attribute list)', () => {
    fc.assert(
      fc.property(packetArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (p, pos, octet) => {
        const wire = encodePacket(p);
        wire[pos % wire.length] = octet;
        const reason = check(wire);
        const r = decodePacket(wire);
        expect(r.ok).toBe(reason === null);
        if (!r.ok) expect(r.reason).toBe(reason);
      }),
      { numRuns: 500 },
    );
  });

  it('VSA encode/decode round trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 255 }), bytes(1, 247), (id, t, v) => {
        const enc = encodeVsa(id, t, v);
        const dec = decodeVendorSpecific(enc.subarray(2));
        expect(dec).toEqual({ vendorId: id, subAttributes: [{ type: t, value: v }] });
      }),
    );
  });

  it('tagged strings round trip through readTagged for every tag and value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 31 }), bytes(1, 252), (tag, v) => {
        const enc = encodeTagged(81, tag, v);
        const w = new AttributeWriter().tagged(81, tag, v).bytes();
        expect(w.equals(enc)).toBe(true);
        const back = readTagged(enc.subarray(2));
        expect(back.tag).toBe(tag);
        expect(back.value.equals(v)).toBe(true);
      }),
    );
  });

  it('User-Password and Tunnel-Password hide/unhide round trip', () => {
    const noTrailingNul = bytes(0, 128).map((b) => {
      let end = b.length;
      while (end > 0 && b[end - 1] === 0) end--;
      return b.subarray(0, end);
    });
    fc.assert(
      fc.property(noTrailingNul, bytes(1, 64), bytes(16, 16), (pw, secret, ra) => {
        const hidden = hidePassword(pw, secret, ra);
        expect(hidden.length % 16).toBe(0);
        expect(unhidePassword(hidden, secret, ra)?.equals(pw)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(bytes(0, 239), bytes(1, 64), bytes(16, 16), bytes(2, 2), fc.integer({ min: 0, max: 31 }), (pw, secret, ra, salt, tag) => {
        const v = encryptTunnelPassword(pw, secret, ra, salt, tag);
        expect(v.length).toBeLessThanOrEqual(253);
        const back = decryptTunnelPassword(v, secret, ra);
        expect(back?.tag).toBe(tag);
        expect(back?.password.equals(pw)).toBe(true);
      }),
    );
  });

  it('the hand-built HMAC-MD5 equals crypto.createHmac for any key and message (RFC 2104)', () => {
    fc.assert(
      fc.property(bytes(0, 200), bytes(0, 4096), (key, data) => {
        expect(hmacMd5(key, data).equals(hmacMd5Reference(key, data))).toBe(true);
        expect(md5Two(key, data).equals(createHash('md5').update(key).update(data).digest())).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
