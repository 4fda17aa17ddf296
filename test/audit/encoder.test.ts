/**
 * The append path's row writer (RowEncoder) against the definition of the canonical encoding
 * (encodeRow, docs/audit-log.md), and the decision fast path against the generic append: the
 * same bytes hashed, the same row stored.
 */
import fc from 'fast-check';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_COLUMNS,
  GENESIS,
  INTEGER_COLUMNS,
  RowEncoder,
  encodeRow,
  hashRow,
  intValue,
  readChains,
  textValue,
  verifyChain,
  type AuditValue,
} from '../../src/audit/chain.js';
import { appendDecisions, appendValues, decisionValues } from '../../src/audit/log.js';
import type { DecisionEvent } from '../../src/store/types.js';
import { decision, openStore, T0, type Store } from './chain-helpers.js';

/** Characters JSON escapes or that UTF-8 encodes in 2, 3 or 4 bytes, and lone surrogates. */
const AWKWARD = ['"', '\\', '\u0000', '\n', '\u001f', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '€', '\u2028', '\uffff', '😀', '\ud800', '\udbff', '\udc00', '\udfff', '/'];

/** Any UTF-16 text: arbitrary code units (lone surrogates included), pairs, and the awkward ones. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.constantFrom(...AWKWARD),
    fc.constantFrom('a', 'Z', '0', '-', ':', ' '),
  ),
  maxLength: 40,
});

const anyInt = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.maxSafeInteger(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, -0, 9, 10, 99, 100, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, T0),
);

/** A stored value of any column: text after textValue (as it is stored), a safe integer, or null. */
const storedValue: fc.Arbitrary<AuditValue> = fc.oneof(
  fc.constant(null),
  anyInt,
  anyText.map((s) => textValue(s)),
);

const row = fc.record({
  id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  values: fc.array(storedValue, { minLength: AUDIT_COLUMNS.length, maxLength: AUDIT_COLUMNS.length }),
  prev: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b)),
});

describe('RowEncoder', () => {
  // One encoder for every case, as the appender keeps one per connection: rows of every size
  // follow each other through the same buffer.
  const encoder = new RowEncoder();

  it('writes exactly the UTF-8 of encodeRow and hashes it as hashRow does', () => {
    fc.assert(
      fc.property(row, ({ id, values, prev }) => {
        const hash = encoder.hash(id, values, prev);
        expect(encoder.written().toString('latin1')).toBe(Buffer.from(encodeRow(id, values, prev), 'utf8').toString('latin1'));
        expect(hash.toString('hex')).toBe(hashRow(id, values, prev).toString('hex'));
      }),
      { numRuns: 500 },
    );
  });

  it('stores text and numbers as textValue and intValue would, whatever it is given', () => {
    const raw = fc.oneof(fc.constant(null), fc.constant(undefined), anyText, anyInt, fc.boolean(), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
    fc.assert(
      fc.property(fc.array(raw, { minLength: AUDIT_COLUMNS.length, maxLength: AUDIT_COLUMNS.length }), fc.nat(), (given, id) => {
        const stored: AuditValue[] = [];
        encoder.begin(id);
        AUDIT_COLUMNS.forEach((column, i) => {
          const v = given[i];
          if (INTEGER_COLUMNS.has(column)) {
            const n = typeof v === 'string' ? null : v; // a text would not be a whole number
            stored.push(encoder.int(n, column));
            expect(stored[i]).toBe(intValue(n, column));
          } else {
            stored.push(encoder.text(v));
            expect(stored[i]).toBe(textValue(v));
          }
        });
        const hash = encoder.finish(GENESIS);
        expect(encoder.written().toString('utf8')).toBe(encodeRow(id, stored, GENESIS));
        expect(hash.equals(hashRow(id, stored, GENESIS))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('handles rows far larger than its first buffer, and short ones after them', () => {
    const big = 'é"\\😀\u0001'.repeat(2_000) + 'x'.repeat(5_000);
    const rows: AuditValue[][] = [
      AUDIT_COLUMNS.map((_, i) => (i === 0 ? T0 : `v${i}`)),
      AUDIT_COLUMNS.map((_, i) => (i === 0 ? T0 : i === 24 ? big : null)),
      AUDIT_COLUMNS.map((_, i) => (i === 0 ? T0 : 'ü'.repeat(100 * i))),
      AUDIT_COLUMNS.map((_, i) => (i === 0 ? T0 : null)),
    ];
    for (const values of [...rows, ...rows.reverse()]) {
      expect(encoder.hash(7, values, GENESIS).equals(hashRow(7, values, GENESIS))).toBe(true);
      expect(encoder.written().toString('utf8')).toBe(encodeRow(7, values, GENESIS));
    }
  });

  it('refuses what intValue refuses', () => {
    encoder.begin(1);
    expect(() => encoder.int(1.5e300, 'at')).toThrow(/whole number/);
    expect(() => encoder.int('soon', 'at')).toThrow(/whole number/);
  });
});

// ---------------------------------------------------------------------------------------------
// The decision fast path

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });

const decisionEvent: fc.Arbitrary<DecisionEvent> = fc
  .record(
    {
      at: fc.integer({ min: T0, max: T0 + 1e10 }),
      result: fc.constantFrom('accept', 'reject', 'drop'),
      reason: anyText,
      mac: opt(anyText),
      userName: opt(anyText),
      nas: anyText,
      nasAddress: anyText,
      apMac: opt(anyText),
      ssid: opt(anyText),
      network: opt(anyText),
      vlan: opt(fc.integer({ min: 0, max: 4094 })),
      className: opt(anyText),
      profile: opt(anyText),
      method: fc.constantFrom('mab', 'pap', 'chap', 'none'),
      randomisedMac: fc.boolean(),
      latencyUs: fc.oneof(fc.nat({ max: 10_000_000 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
      person: fc.oneof(fc.constant(undefined), opt(anyText)),
    },
    { requiredKeys: ['at', 'result', 'reason', 'mac', 'userName', 'nas', 'nasAddress', 'apMac', 'ssid', 'network', 'vlan', 'className', 'profile', 'method', 'randomisedMac', 'latencyUs'] },
  )
  .map((e) => e as DecisionEvent);

/** Every stored column with its SQLite storage class, so an integer stored as a real shows. */
function storedRows(db: Database.Database, fromId: number): unknown[][] {
  const cols = ['id', ...AUDIT_COLUMNS, 'prev_hash', 'hash'];
  return db
    .prepare(`SELECT ${cols.map((c) => `${c}, typeof(${c})`).join(', ')} FROM audit_log WHERE id >= ? ORDER BY id`)
    .raw()
    .all(fromId) as unknown[][];
}

describe('appendDecisions (the fast path)', () => {
  let fast: Store;
  let generic: Store;
  beforeAll(() => {
    fast = openStore('lanyard-fast-');
    generic = openStore('lanyard-generic-');
  });
  afterAll(() => {
    fast.cleanup();
    generic.cleanup();
  });

  it('stores the very rows the generic append stores for decisionValues', () => {
    let next = 1;
    fc.assert(
      fc.property(fc.array(decisionEvent, { minLength: 1, maxLength: 20 }), (events) => {
        const a = appendDecisions(fast.db, events);
        const b = appendValues(generic.db, events.map(decisionValues));
        expect(a).toEqual(b);
        expect(a.firstId).toBe(next);
        const fastRows = storedRows(fast.db, next);
        expect(fastRows).toHaveLength(events.length);
        expect(fastRows).toEqual(storedRows(generic.db, next));
        next = a.lastId + 1;
      }),
      { numRuns: 60 },
    );
    expect(readChains(fast.db).get('decision')).toEqual(readChains(generic.db).get('decision'));
    expect(verifyChain(fast.db)).toMatchObject({ ok: true, rows: next - 1 });
    expect(verifyChain(generic.db)).toMatchObject({ ok: true, rows: next - 1 });
  });

  it('links across batches, other kinds and a caller transaction, and refuses a bad time without writing', () => {
    const s = openStore();
    try {
      appendDecisions(s.db, [decision(T0, 1), decision(T0 + 1, 2)]);
      appendValues(s.db, [decisionValues(decision(T0 + 2, 3))]); // the generic path continues the same chain
      appendValues(s.db, [AUDIT_COLUMNS.map((c) => (c === 'at' ? T0 + 3 : c === 'kind' ? 'admin' : c === 'actor' ? 'cli:alice' : null))]);
      s.db.transaction(() => appendDecisions(s.db, [decision(T0 + 4, 4)])).immediate();
      expect(() => appendDecisions(s.db, [decision(T0 + 5, 5), decision(Number.NaN, 6)])).toThrow(/whole number/);
      expect(appendDecisions(s.db, [])).toEqual({ firstId: 0, lastId: -1 });
      const kinds = s.db.prepare('SELECT kind FROM audit_log ORDER BY id').pluck().all();
      expect(kinds).toEqual(['decision', 'decision', 'decision', 'admin', 'decision']);
      expect(readChains(s.db).get('decision')).toMatchObject({ headId: 5 });
      expect(verifyChain(s.db)).toMatchObject({ ok: true, rows: 5 });
    } finally {
      s.cleanup();
    }
  });
});
