/**
 * Property tests (fast-check): decodeDhcp never throws, and decode∘encode gives back the
 * header and every option, long values split into 255-octet entries and joined again.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcp, optionData, type DhcpOutgoing, type OutOption } from '../../../src/protocols/dhcp/index.js';
import { fixture } from './helpers.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });

// Any code but Pad, End and Overload (52 would make the decoder read file/sname, which the
// encoder leaves zero; overload has its own vectors in decode.test.ts).
const code = fc.integer({ min: 1, max: 254 }).filter((c) => c !== 52);
const option: fc.Arbitrary<OutOption> = fc.record({
  code,
  data: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 200, maxLength: 800 })),
});

const outgoing: fc.Arbitrary<DhcpOutgoing> = fc.record({
  op: fc.constantFrom(1, 2),
  htype: u8,
  hlen: fc.integer({ min: 0, max: 16 }),
  hops: u8,
  xid: u32,
  secs: u16,
  flags: u16,
  ciaddr: u32,
  yiaddr: u32,
  siaddr: u32,
  giaddr: u32,
  chaddr: fc.uint8Array({ maxLength: 16 }),
  options: fc.array(option, { maxLength: 12 }),
});

/** The entries RFC 3396 says an option becomes on the wire: 255-octet pieces, at least one. */
function entries(options: readonly OutOption[]): { code: number; hex: string }[] {
  const out: { code: number; hex: string }[] = [];
  for (const o of options) {
    let pos = 0;
    do {
      const piece = o.data.subarray(pos, pos + 255);
      out.push({ code: o.code, hex: Buffer.from(piece).toString('hex') });
      pos += 255;
    } while (pos < o.data.length);
  }
  return out;
}

describe('decodeDhcp on arbitrary input', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        const r = decodeDhcp(Buffer.from(bytes));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on valid datagrams with corrupted octets (reaches the option scanner)', () => {
    fc.assert(
      fc.property(
        outgoing,
        fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (msg, flips, cut) => {
          const b = encodeDhcp(msg);
          for (const [at, value] of flips) b[at % b.length] = value;
          const r = decodeDhcp(b.subarray(0, Math.max(0, b.length - (cut % 64))));
          if (r.ok) {
            for (const o of r.packet.options) expect(o.data.length).toBeLessThanOrEqual(255);
          } else {
            expect(r.reason.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('decodeDhcp on every truncation of the captured DISCOVERs', () => {
  it.each(['udhcpc-1.35.0-discover.hex', 'dhclient-4.4.3-discover.hex', 'dhcpcd-9.4.1-discover.hex'])('%s', (name) => {
    const full = fixture(name);
    let end = 240; // walk the captured options to End: every longer prefix still holds it
    while (end < full.length && full[end] !== 0xff) end += full[end] === 0 ? 1 : 2 + (full[end + 1] ?? 0);
    expect(end).toBeLessThan(full.length);
    const reasons = new Set<string>();
    for (let n = 0; n <= full.length; n++) {
      const r = decodeDhcp(full.subarray(0, n));
      if (n < 240) expect(r).toEqual({ ok: false, reason: 'too-short' });
      else if (n > end) expect(r.ok).toBe(true);
      reasons.add(r.ok ? 'ok' : r.reason);
    }
    // Cut inside an option: truncated; cut between options: accepted without End.
    expect(reasons).toEqual(new Set(['too-short', 'option-truncated', 'ok']));
  });
});

describe('decode ∘ encode', () => {
  it('gives back the header, chaddr and every option entry in order', () => {
    fc.assert(
      fc.property(outgoing, (msg) => {
        const b = encodeDhcp(msg);
        expect(b.length).toBeGreaterThanOrEqual(300);
        const r = decodeDhcp(b);
        if (!r.ok) throw new Error(r.reason);
        const p = r.packet;
        expect([p.op, p.htype, p.hlen, p.hops, p.xid, p.secs, p.flags]).toEqual([
          msg.op,
          msg.htype,
          msg.hlen,
          msg.hops,
          msg.xid,
          msg.secs,
          msg.flags,
        ]);
        expect([p.ciaddr, p.yiaddr, p.siaddr, p.giaddr]).toEqual([msg.ciaddr, msg.yiaddr, msg.siaddr, msg.giaddr]);
        const chaddr = Buffer.alloc(16);
        Buffer.from(msg.chaddr).copy(chaddr);
        expect(p.chaddr.equals(chaddr)).toBe(true);
        expect(p.options.map((o) => ({ code: o.code, hex: o.data.toString('hex') }))).toEqual(entries(msg.options));
        for (const c of new Set(msg.options.map((o) => o.code))) {
          const joined = Buffer.concat(msg.options.filter((o) => o.code === c).map((o) => o.data));
          expect(optionData(p, c)?.equals(joined)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
