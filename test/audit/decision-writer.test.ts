/**
 * Decisions appended on the audit thread through the shared ring (src/audit/decision-writer.ts,
 * decision-ring.ts, decision-thread.ts): a real SQLite file and a real worker thread (the built
 * copy in dist/, so build first).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DecisionWriter, decisionWriterFor, type DecisionWriterOptions } from '../../src/audit/decision-writer.js';
import { verifyChain } from '../../src/audit/chain.js';
import { alertEntry, appendAuditEntries, appendDecisions } from '../../src/audit/log.js';
import { isLanyardError, isStoreBusy } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/db.js';
import { decisionFromRow, type DecisionEventRow } from '../../src/store/decision-row.js';
import type { DecisionEvent } from '../../src/store/types.js';

const dirs: string[] = [];
const open: { db: Database.Database; writer: DecisionWriter }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.writer.close();
    if (o.db.open) o.db.close();
  }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const T0 = 1_700_000_000_000;
const RESULTS = ['accept', 'reject', 'drop'] as const;
const METHODS = ['mab', 'pap', 'chap', 'none'] as const;
const SSIDS = ['Staff', 'Élèves', 'Гости', '学生', 'café ☕', null] as const;

/** Varied decisions: every nullable field null in some, non-ASCII text in others. */
function decision(i: number): DecisionEvent {
  const mac = `02-00-5E-${(i >> 16 & 0xff).toString(16).padStart(2, '0')}-${(i >> 8 & 0xff).toString(16).padStart(2, '0')}-${(i & 0xff).toString(16).padStart(2, '0')}`.toUpperCase();
  return {
    at: T0 + i * 7,
    result: RESULTS[i % 3]!,
    reason: i % 3 === 0 ? 'ok' : `reason-${i % 11}`,
    mac: i % 13 === 0 ? null : mac,
    userName: i % 5 === 0 ? null : `user${i}@école.example`,
    nas: `ap-${i % 17}`,
    nasAddress: `127.0.${i % 4}.${1 + (i % 200)}`,
    apMac: i % 2 === 0 ? null : 'AA-BB-CC-DD-EE-FF',
    ssid: SSIDS[i % SSIDS.length]!,
    network: i % 7 === 0 ? null : 'staff',
    vlan: i % 9 === 0 ? null : 1 + (i % 4094),
    className: i % 4 === 0 ? null : 'staff-laptop',
    profile: i % 6 === 0 ? null : 'staff',
    method: METHODS[i % 4]!,
    randomisedMac: i % 8 === 0,
    latencyUs: (i * 31) % 100_000,
    ...(i % 10 === 0 ? { person: null } : i % 3 === 0 ? { person: `p-${i}` } : {}),
  };
}

/** What the log gives back for an event: `person` only when it is set. */
function stored(e: DecisionEvent): DecisionEvent {
  const { person, ...rest } = e;
  return person === null || person === undefined ? rest : { ...rest, person };
}

function rows(db: Database.Database): DecisionEvent[] {
  return db.prepare<[], DecisionEventRow>('SELECT * FROM decision_events ORDER BY id').all().map(decisionFromRow);
}

function setup(options: Partial<DecisionWriterOptions> = {}): { db: Database.Database; writer: DecisionWriter; file: string; fallbackErrors: unknown[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-ring-'));
  dirs.push(dir);
  const file = path.join(dir, 'store.db');
  const db = openDatabase(file);
  const fallbackErrors: unknown[] = [];
  const writer = DecisionWriter.start(db, {
    flushIntervalMs: 50,
    slice: 64,
    maxQueued: 100_000,
    fallback: {
      flushIntervalMs: 50,
      batchSize: 1000,
      sliceSize: 64,
      maxQueued: 100_000,
      write: (batch) => void appendDecisions(db, batch),
      onError: (err) => fallbackErrors.push(err),
    },
    log: createLogger('silent'),
    ...options,
  })!;
  expect(writer).not.toBeNull();
  open.push({ db, writer });
  return { db, writer, file, fallbackErrors };
}

describe('DecisionWriter', () => {
  it('stores 10,000 decisions in order and exactly as pushed, alongside rows the main connection appends', () => {
    const { db, writer } = setup();
    const sent: DecisionEvent[] = [];
    for (let i = 0; i < 10_000; i++) {
      const e = decision(i);
      expect(writer.push(e)).toBe(true);
      sent.push(e);
      // Another kind, appended by the daemon's own connection meanwhile (R-4 alerts).
      if (i % 1000 === 999) appendAuditEntries(db, [alertEntry(e)]);
    }
    writer.flush();
    expect(writer.pending).toBe(0);
    expect(writer.written).toBe(10_000);
    expect(writer.dropped).toBe(0);
    expect(rows(db)).toEqual(sent.map(stored));
    expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE kind = 'alert'").get()).toEqual({ n: 10 });
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 10_010 });
    expect(writer.threaded).toBe(true);
  });

  it('counts and drops what does not fit in a full ring, and stores everything it took intact', () => {
    const { db, writer, file } = setup({ ringBytes: 8192 });
    // Another process holds the write lock: the audit thread cannot commit, the ring fills.
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const taken: DecisionEvent[] = [];
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const e = decision(i);
      if (writer.push(e)) taken.push(e);
      else refused++;
    }
    expect(refused).toBeGreaterThan(0);
    expect(taken.length).toBeGreaterThan(0);
    expect(writer.dropped).toBe(refused);
    expect(writer.pending).toBe(taken.length);
    other.exec('COMMIT');
    other.close();
    writer.flush();
    // Room again: the ring wraps around and keeps going.
    for (let i = 500; i < 1500; i++) {
      const e = decision(i);
      expect(writer.push(e)).toBe(true);
      taken.push(e);
      if (i % 50 === 0) writer.flush();
    }
    writer.flush();
    expect(rows(db)).toEqual(taken.map(stored));
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: taken.length });
  });

  it('keeps non-ASCII and long text exact, and refuses a string too long for a record without harm', () => {
    const { db, writer } = setup();
    const long = 'x'.repeat(60_000);
    const wide = '学'.repeat(20_000); // 60,000 bytes of UTF-8
    const sent = [
      { ...decision(1), userName: '👩‍🎓 Zoë O’Brien', ssid: 'Straße\u0301' },
      { ...decision(2), reason: long, ssid: wide },
      { ...decision(3), nas: '', network: '' },
    ];
    for (const e of sent) expect(writer.push(e)).toBe(true);
    expect(writer.push({ ...decision(4), userName: 'y'.repeat(70_000) })).toBe(false);
    expect(writer.push({ ...decision(5), ssid: '€'.repeat(30_000) })).toBe(false); // 90,000 bytes
    expect(writer.refused).toBe(2);
    expect(writer.dropped).toBe(2);
    const after = decision(6);
    expect(writer.push(after)).toBe(true);
    writer.flush();
    expect(rows(db)).toEqual([...sent, after].map(stored));
    expect(verifyChain(db).ok).toBe(true);
  });

  it('close() drains the ring into the file and ends the thread', async () => {
    const { db, writer, file } = setup();
    const sent = Array.from({ length: 3000 }, (_, i) => decision(i));
    for (const e of sent) writer.push(e);
    await writer.close();
    expect(writer.pending).toBe(0);
    expect(writer.push(decision(9999))).toBe(false); // closed
    db.close();
    const check = new Database(file, { readonly: true });
    try {
      expect(rows(check)).toEqual(sent.map(stored));
    } finally {
      check.close();
    }
  });

  it('flush() returns while another process holds the write lock, the records staying queued', async () => {
    const { db, writer, file, fallbackErrors } = setup();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const sent = Array.from({ length: 100 }, (_, i) => decision(i));
    try {
      for (const e of sent) writer.push(e);
      writer.flush(); // the thread's batch fails on the lock: reported, kept
      expect(writer.pending).toBe(100);
      expect(writer.failedBatches).toBeGreaterThan(0);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    // The thread's report arrives on the event loop (bounded wait).
    for (let i = 0; i < 100 && fallbackErrors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(isStoreBusy(fallbackErrors[0])).toBe(true);
    writer.flush();
    expect(writer.pending).toBe(0);
    expect(rows(db)).toEqual(sent.map(stored));
  });

  it('flush() throws LANYARD_ERR_AUDIT_FLUSH_TIMEOUT when the thread has not committed in time, and loses nothing', () => {
    const { db, writer } = setup({ flushTimeoutMs: 1 });
    const sent = Array.from({ length: 10_000 }, (_, i) => decision(i));
    for (const e of sent) writer.push(e);
    let error: unknown = null;
    try {
      writer.flush(); // 10,000 appends take far longer than a millisecond
    } catch (e) {
      error = e;
    }
    expect(isLanyardError(error, 'LANYARD_ERR_AUDIT_FLUSH_TIMEOUT')).toBe(true);
    for (let i = 0; i < 1000 && writer.pending > 0; i++) {
      try {
        writer.flush();
      } catch (e) {
        if (!isLanyardError(e, 'LANYARD_ERR_AUDIT_FLUSH_TIMEOUT')) throw e;
      }
    }
    expect(writer.pending).toBe(0);
    expect(rows(db)).toEqual(sent.map(stored));
  });

  it("lets the event loop's own writes wait for the thread's batch instead of failing on its lock", () => {
    const { db, writer } = setup();
    db.pragma('busy_timeout = 0'); // as the daemon's connection: SQLITE_BUSY at once
    const sent: DecisionEvent[] = [];
    for (let i = 0; i < 20_000; i++) {
      const e = decision(i);
      writer.push(e);
      sent.push(e);
      // While the thread appends, the loop appends alerts: none may fail with SQLITE_BUSY.
      if (i % 200 === 0) writer.exclusive(() => appendAuditEntries(db, [alertEntry(e)]));
    }
    writer.flush();
    expect(rows(db)).toEqual(sent.map(stored));
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 20_100 });
  });

  it('falls back to the event loop when the thread dies, losing nothing that was queued', async () => {
    const { db, writer } = setup();
    const sent = Array.from({ length: 5000 }, (_, i) => decision(i));
    for (const e of sent) writer.push(e);
    await writer.terminateThread();
    expect(writer.threaded).toBe(false);
    for (let i = 5000; i < 5100; i++) {
      const e = decision(i);
      expect(writer.push(e)).toBe(true);
      sent.push(e);
    }
    writer.flush();
    expect(writer.pending).toBe(0);
    expect(writer.written).toBe(5100);
    expect(rows(db)).toEqual(sent.map(stored));
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 5100 });
  });
});

describe('decisionWriterFor (events.decisionWriter)', () => {
  it('auto takes the thread only with a second core; loop and thread are taken as they are', () => {
    expect(decisionWriterFor('auto', 1)).toBe('loop');
    expect(decisionWriterFor('auto', 2)).toBe('thread');
    expect(decisionWriterFor('auto', 64)).toBe('thread');
    expect(decisionWriterFor('loop', 8)).toBe('loop');
    expect(decisionWriterFor('thread', 1)).toBe('thread');
  });
});
