/** MAC parsing and formatting: every form access points send, and everything else refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMac, isMulticastMac, isRandomisedMac, normaliseMac, parseMac, parseMacBytes } from '../../src/policy/mac.js';

const N = 0x001b63a1b2c3;

describe('parseMac', () => {
  it.each([
    '001b63a1b2c3',
    '001B63A1B2C3',
    '00-1B-63-A1-B2-C3',
    '00-1b-63-a1-b2-c3',
    '00:1b:63:a1:b2:c3',
    '00:1B:63:A1:B2:C3',
    '001b.63a1.b2c3',
    '001B.63A1.B2C3',
    '00-1b-63-A1-b2-C3',
    '001b63-a1b2c3',
    '001B63-A1B2C3',
  ])('reads %s', (text) => {
    expect(parseMac(text)).toBe(N);
    expect(parseMacBytes(Buffer.from(`..${text}..`), 2, 2 + text.length)).toBe(N);
  });

  it.each([
    ['empty', ''],
    ['11 digits', '001b63a1b2c'],
    ['13 digits', '001b63a1b2c30'],
    ['16 characters', '00-1b-63-a1-b2-c'],
    ['18 characters', '00-1b-63-a1-b2-c3-'],
    ['mixed separators', '00-1b:63-a1-b2-c3'],
    ['mixed separators (colon first)', '00:1b-63:a1:b2:c3'],
    ['dots in the 17-character form', '00.1b.63.a1.b2.c3'],
    ['underscore separators', '00_1b_63_a1_b2_c3'],
    ['space separators', '00 1b 63 a1 b2 c3'],
    ['dashes in the Cisco form', '001b-63a1-b2c3'],
    ['a colon in the single-separator form', '001b63:a1b2c3'],
    ['the single separator misplaced', '001b6-3a1b2c3'],
    ['Cisco form with a misplaced dot', '001b6.3a1.b2c3'],
    ['a non-hex letter', '00-1b-63-a1-b2-g3'],
    ['a non-hex letter (bare)', '001b63a1b2cz'],
    ['a separator where a digit belongs', '00--1b-63-a1-b2c'],
    ['leading whitespace', ' 0-1b-63-a1-b2-c3'],
    ['single-digit groups', '0:1b:63:a1:b2:c3:'],
    ['a sign', '+01b63a1b2c3'],
    ['unicode digits', '٠٠1b63a1b2c3'],
  ])('refuses %s', (_name, text) => {
    expect(parseMac(text)).toBe(-1);
    expect(parseMacBytes(Buffer.from(text), 0, Buffer.byteLength(text))).toBe(-1);
  });

  it('reads the extremes exactly (48 bits do not fit in int32)', () => {
    expect(parseMac('ffffffffffff')).toBe(2 ** 48 - 1);
    expect(parseMac('00-00-00-00-00-00')).toBe(0);
    expect(parseMac('80:00:00:00:00:01')).toBe(2 ** 47 + 1);
  });

  it('parseMacBytes stays inside its range', () => {
    const buf = Buffer.from('001b63a1b2c3');
    expect(parseMacBytes(buf, 0, 11)).toBe(-1);
    expect(parseMacBytes(buf, 1, 13)).toBe(-1); // runs past the end
  });
});

describe('formatMac / normaliseMac', () => {
  it('prints the RFC 3580 form: upper case, hyphens', () => {
    expect(formatMac(N)).toBe('00-1B-63-A1-B2-C3');
    expect(formatMac(0)).toBe('00-00-00-00-00-00');
    expect(formatMac(2 ** 48 - 1)).toBe('FF-FF-FF-FF-FF-FF');
  });

  it('normalises any accepted form, trimming surrounding whitespace, or returns null', () => {
    expect(normaliseMac('  001b.63a1.b2c3\n')).toBe('00-1B-63-A1-B2-C3');
    expect(normaliseMac('00:1b:63:a1:b2:c3')).toBe('00-1B-63-A1-B2-C3');
    expect(normaliseMac('nope')).toBeNull();
  });

  const anyMac = fc.integer({ min: 0, max: 2 ** 48 - 1 });

  it('round-trips every MAC through every form', () => {
    fc.assert(
      fc.property(anyMac, fc.boolean(), (mac, lower) => {
        const canonical = formatMac(mac);
        const hex = canonical.replace(/-/g, '');
        const forms = [
          canonical,
          canonical.replace(/-/g, ':'),
          hex,
          `${hex.slice(0, 4)}.${hex.slice(4, 8)}.${hex.slice(8)}`,
        ].map((f) => (lower ? f.toLowerCase() : f));
        for (const f of forms) {
          expect(parseMac(f)).toBe(mac);
          expect(parseMacBytes(Buffer.from(f), 0, f.length)).toBe(mac);
          expect(normaliseMac(f)).toBe(canonical);
        }
      }),
      { numRuns: 2000, seed: 802 },
    );
  });

  it('formatMac is always 17 characters of the canonical shape', () => {
    fc.assert(
      fc.property(anyMac, (mac) => {
        expect(formatMac(mac)).toMatch(/^[0-9A-F]{2}(-[0-9A-F]{2}){5}$/);
        // The same octets as the number's hex digits, most significant first.
        expect(formatMac(mac).replace(/-/g, '')).toBe(mac.toString(16).toUpperCase().padStart(12, '0'));
      }),
      { numRuns: 1000, seed: 17 },
    );
  });

  it('refuses text with characters outside ASCII, even where their low byte is a hex digit', () => {
    // U+0141 and U+0130 have low bytes 0x41 ('A') and 0x30 ('0').
    expect(parseMac('00-1B-63-A1-B2-C\u0141')).toBe(-1);
    expect(parseMac('\u0130\u01300-1b-63-a1-b2-c3'.slice(0, 17))).toBe(-1);
    expect(parseMac('001b63a1b2c\u0133')).toBe(-1);
  });

  it('parseMacBytes refuses a range that runs past the end of the bytes', () => {
    expect(parseMacBytes(Buffer.from('001b63a1b2c'), 0, 12)).toBe(-1);
  });

  it('parseMac never throws and returns -1 or a 48-bit number for any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        const r = parseMac(text);
        expect(r === -1 || (Number.isInteger(r) && r >= 0 && r < 2 ** 48)).toBe(true);
      }),
      { numRuns: 3000, seed: 48 },
    );
  });
});

describe('address bits', () => {
  it.each([
    ['00-1B-63-A1-B2-C3', false, false],
    ['02-00-00-00-00-01', true, false], // locally administered: "private" address
    ['DA-A1-19-00-00-01', true, false], // second hex digit A
    ['F6-00-00-00-00-01', true, false], // 6
    ['5E-00-00-00-00-01', true, false], // E
    ['01-00-5E-00-00-01', false, true], // IPv4 multicast
    ['33-33-00-00-00-01', true, true], // IPv6 multicast (both bits)
    ['FF-FF-FF-FF-FF-FF', true, true], // broadcast
    ['FC-FF-FF-FF-FF-FF', false, false],
  ])('%s: randomised %s, multicast %s', (text, randomised, multicast) => {
    const mac = parseMac(text);
    expect(isRandomisedMac(mac)).toBe(randomised);
    expect(isMulticastMac(mac)).toBe(multicast);
  });

  it('reads only the first octet', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 ** 40 - 1 }), (first, rest) => {
        const mac = first * 2 ** 40 + rest;
        expect(isRandomisedMac(mac)).toBe((first & 2) !== 0);
        expect(isMulticastMac(mac)).toBe((first & 1) !== 0);
      }),
      { numRuns: 1000, seed: 2 },
    );
  });
});
