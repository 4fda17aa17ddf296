/**
 * Malformed datagrams: each gives its own reason from the closed list, never an exception.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  DECODE_FAILURES,
  check,
  decodePacket,
  failureMessage,
  isDecodeFailure,
  type DecodeFailure,
} from '../../../src/protocols/radius/index.js';

/** A header with the given code and Length field, followed by `body`. */
function packet(code: number, body: number[], lengthField?: number): Buffer {
  const length = lengthField ?? 20 + body.length;
  const b = Buffer.alloc(20 + body.length);
  b[0] = code;
  b[1] = 42;
  b.writeUInt16BE(length & 0xffff, 2);
  b.fill(0xab, 4, 20);
  Buffer.from(body).copy(b, 20);
  return b;
}

const cases: [string, Uint8Array, DecodeFailure][] = [
  ['empty datagram', new Uint8Array(0), 'packet-too-short'],
  ['truncated header (19 octets)', packet(1, []).subarray(0, 19), 'packet-too-short'],
  ['Length < 20', packet(1, [], 19), 'length-too-small'],
  ['Length 0', packet(1, [], 0), 'length-too-small'],
  ['Length > 4096', packet(1, [], 4097), 'packet-too-long'],
  ['Length > 4096 with a large datagram', Buffer.concat([packet(1, [], 5000), Buffer.alloc(4980)]), 'packet-too-long'],
  ['Length > datagram', packet(1, [1, 3, 0x61], 24), 'length-field-mismatch'],
  ['unknown code 0', packet(0, []), 'unknown-code'],
  ['unknown code 99', packet(99, []), 'unknown-code'],
  ['one stray octet after the attributes', packet(1, [1, 3, 0x61, 7]), 'attribute-truncated'],
  ['attribute length 0', packet(1, [1, 0, 0x61]), 'attribute-length-invalid'],
  ['attribute length 1', packet(1, [1, 1, 0x61]), 'attribute-length-invalid'],
  ['attribute overrunning the packet', packet(1, [1, 10, 0x61, 0x62]), 'attribute-length-invalid'],
  ['attribute overrunning Length but not the datagram', Buffer.concat([packet(1, [1, 6, 0x61, 0x62], 24), Buffer.alloc(8)]), 'attribute-length-invalid'],
  ['zero-length value', packet(1, [1, 2]), 'attribute-zero-length-value'],
  ['zero-length value after a good attribute', packet(4, [1, 3, 0x61, 31, 2]), 'attribute-zero-length-value'],
  ['Message-Authenticator length 17', packet(1, [80, 17, ...new Array<number>(15).fill(0)]), 'message-authenticator-malformed'],
  ['Message-Authenticator length 2', packet(1, [80, 2]), 'message-authenticator-malformed'],
  ['two Message-Authenticators', packet(1, [80, 18, ...new Array<number>(16).fill(0), 80, 18, ...new Array<number>(16).fill(0)]), 'duplicate-message-authenticator'],
  ['Vendor-Specific shorter than 7', packet(2, [26, 6, 0, 0, 0, 9]), 'vsa-malformed'],
  ['Vendor-Specific length 2', packet(2, [26, 2]), 'vsa-malformed'],
];

describe('malformed inputs', () => {
  it.each(cases)('%s → %s', (_name, bytes, reason) => {
    expect(check(bytes)).toBe(reason);
    expect(decodePacket(bytes)).toEqual({ ok: false, reason });
  });

  it('every listed reason is exercised and has a message', () => {
    const seen = new Set(cases.map(([, , r]) => r));
    for (const r of DECODE_FAILURES) {
      expect(seen.has(r), r).toBe(true);
      expect(failureMessage[r].length).toBeGreaterThan(10);
      expect(isDecodeFailure(r)).toBe(true);
    }
    expect(isDecodeFailure('nope')).toBe(false);
  });

  it('accepts octets beyond Length as padding (RFC 2865 §3)', () => {
    const padded = Buffer.concat([packet(1, [1, 3, 0x61]), Buffer.from([0xff, 0x00, 0x01])]);
    expect(check(padded)).toBeNull();
    const r = decodePacket(padded);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.packet.attributes).toEqual([{ type: 1, value: Buffer.from('a') }]);
  });

  it('accepts a datagram longer than 4096 whose Length is within bounds', () => {
    const big = Buffer.concat([packet(1, [1, 3, 0x61]), Buffer.alloc(5000)]);
    expect(check(big)).toBeNull();
  });

  it('accepts a header-only packet and a 4096-octet packet', () => {
    expect(check(packet(12, []))).toBeNull();
    const body: number[] = [];
    while (body.length < 4076 - 255) body.push(25, 255, ...new Array<number>(253).fill(1));
    const rest = 4076 - body.length;
    body.push(25, rest, ...new Array<number>(rest - 2).fill(2));
    const max = packet(2, body);
    expect(max.length).toBe(4096);
    expect(check(max)).toBeNull();
  });

  it('garbage never throws', () => {
    const garbage = [Buffer.from('hello, world! this is not radius'), Buffer.alloc(3000, 0xff), Buffer.alloc(20, 0)];
    for (const g of garbage) {
      expect(() => check(g)).not.toThrow();
      expect(() => decodePacket(g)).not.toThrow();
      expect(check(g)).not.toBeNull();
    }
  });
});
