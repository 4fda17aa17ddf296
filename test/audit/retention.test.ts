process.env.TZ = 'Europe/London'; // the daily purge time is local: test it across a DST change

import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readChains, verifyChain } from '../../src/audit/chain.js';
import { appendAuditEntries, appendDecisions, recordSessionEvents, type AuditEntry } from '../../src/audit/log.js';
import {
  nextPurgeTime,
  purgeExpired,
  purgeExpiredAsync,
  purgeSteps,
  schedulePurge,
  type PurgeReport,
  type RetentionDays,
} from '../../src/audit/retention.js';
import { DAY, decision, kindsById, openStore, T0, type Store } from './chain-helpers.js';

let store: Store;
beforeEach(() => {
  store = openStore('lanyard-retention-');
});
afterEach(() => store.cleanup());

const KEEP: RetentionDays = { decision: 30, session: 90, admin: 365, alert: 60, purge: 3650 };

function adminAt(at: number, person: string): AuditEntry {
  return { at, kind: 'admin', actor: 'cli:alice', source: 'cli', action: 'device.update', mac: 'AA-BB-CC-DD-EE-01', person, detail: { before: { owner: null }, after: { owner: person } } };
}

/** Day d (0..199): 5 decisions, a session start/stop, an admin row every 10 days, an alert every 20. */
function fillDays(days: number): void {
  for (let d = 0; d < days; d++) {
    const at = T0 + d * DAY;
    appendDecisions(store.db, Array.from({ length: 5 }, (_, i) => decision(at + i, d * 5 + i, { userName: `pupil-${d}-${i}` })));
    recordSessionEvents(store.db, [
      { kind: 'session-start', at: at + 10, sessionId: `S${d}`, nas: 'ap', nasAddress: '10.0.0.2', mac: 'AA-BB-CC-00-00-01', ip: '10.20.0.9', userName: `pupil-${d}` },
      { kind: 'session-stop', at: at + 20, sessionId: `S${d}`, nas: 'ap', nasAddress: '10.0.0.2', mac: 'AA-BB-CC-00-00-01', reason: 'stop' },
    ]);
    if (d % 10 === 0) appendAuditEntries(store.db, [adminAt(at + 30, `owner-${d}`)]);
    if (d % 20 === 0) appendAuditEntries(store.db, [{ at: at + 40, kind: 'alert', actor: 'radius', action: 'lost-device-attempt', mac: 'AA-BB-CC-00-00-02' }]);
  }
}

function count(kind: string): number {
  return store.db.prepare('SELECT count(*) FROM audit_log WHERE kind = ?').pluck().get(kind) as number;
}

function oldest(kind: string): number | null {
  return store.db.prepare('SELECT min(at) FROM audit_log WHERE kind = ?').pluck().get(kind) as number | null;
}

describe('purge', () => {
  it('removes each kind by its own retention, records a purge row, and keeps the log verifiable', () => {
    fillDays(200);
    const now = T0 + 200 * DAY;
    const before = { decision: count('decision'), start: count('session-start'), admin: count('admin'), alert: count('alert') };
    expect(before).toEqual({ decision: 1000, start: 200, admin: 20, alert: 10 });

    const r = purgeExpired(store.db, { now, retentionDays: KEEP, actor: 'cli:alice', source: 'cli' });
    // Rows older than now - N days go: decisions of days 0..169, sessions 0..109, alerts 0..139.
    expect(r.kinds.decision).toMatchObject({ rows: 850, retentionDays: 30, cutoff: now - 30 * DAY });
    expect(r.kinds['session-start'].rows).toBe(110);
    expect(r.kinds['session-stop'].rows).toBe(110);
    expect(r.kinds.admin.rows).toBe(0);
    expect(r.kinds.alert.rows).toBe(7);
    expect(r.kinds.purge.rows).toBe(0);
    expect(r.total).toBe(850 + 220 + 7);
    expect(r.walTruncated).toBe(true);

    expect(oldest('decision')).toBeGreaterThanOrEqual(now - 30 * DAY);
    expect(oldest('session-start')).toBeGreaterThanOrEqual(now - 90 * DAY);
    expect(oldest('alert')).toBeGreaterThanOrEqual(now - 60 * DAY);
    expect(count('admin')).toBe(20);

    // The purge row: who, and what it removed per kind (the checkpoint verify uses).
    const row = store.db.prepare("SELECT * FROM audit_log WHERE kind = 'purge'").get() as { id: number; actor: string; source: string; at: number; detail: string };
    expect(row).toMatchObject({ id: r.purgeRowId, actor: 'cli:alice', source: 'cli', at: now });
    const detail = JSON.parse(row.detail) as { plan: Record<string, { rows: number; fromId: number; toId: number }>; retentionDays: RetentionDays };
    expect(detail.retentionDays).toEqual(KEEP);
    expect(detail.plan.decision).toMatchObject({ rows: 850, fromId: 0 });
    expect(readChains(store.db).get('decision')).toMatchObject({ anchorId: detail.plan.decision!.toId, purged: 850 });

    const v = verifyChain(store.db);
    expect(v).toMatchObject({ ok: true, purged: 1077 });
    expect(v.ok && v.rows).toBe(1000 + 400 + 20 + 10 - 1077 + 1);

    // Later appends continue each chain from where it is; a second purge the same day removes nothing.
    appendDecisions(store.db, [decision(now + 1, 9999)]);
    const again = purgeExpired(store.db, { now, retentionDays: KEEP });
    expect(again.total).toBe(0);
    expect(verifyChain(store.db)).toMatchObject({ ok: true });
    // A day later the next day's rows go, and the log still verifies across both purges.
    const next = purgeExpired(store.db, { now: now + DAY, retentionDays: KEEP });
    expect(next.kinds.decision.rows).toBe(5);
    expect(verifyChain(store.db)).toMatchObject({ ok: true });
  });

  it("really removes the purged rows' personal data from the database and WAL files (R-14)", () => {
    for (let d = 0; d < 40; d++) {
      appendDecisions(store.db, [decision(T0 + d * DAY, d, { userName: `MARKER-OLD-${d}-pupil`, mac: `02-AA-00-00-00-${(d + 16).toString(16).toUpperCase()}` })]);
      appendAuditEntries(store.db, [adminAt(T0 + d * DAY + 1, `MARKER-KEPT-${d}-teacher`)]);
    }
    // Enough churn that pages are split and rebalanced, as in real life.
    appendDecisions(store.db, Array.from({ length: 3000 }, (_, i) => decision(T0 + 39 * DAY + i, 1000 + i)));
    const r = purgeExpired(store.db, { now: T0 + 40 * DAY, retentionDays: { ...KEEP, decision: 5 } });
    expect(r.kinds.decision.rows).toBe(35);
    expect(r.walTruncated).toBe(true);
    const files = [store.file, `${store.file}-wal`].filter((f) => fs.existsSync(f));
    const bytes = Buffer.concat(files.map((f) => fs.readFileSync(f)));
    expect(bytes.includes('MARKER-OLD-3-pupil')).toBe(false);
    expect(bytes.includes('MARKER-OLD-34-pupil')).toBe(false);
    expect(bytes.includes('MARKER-OLD-35-pupil')).toBe(true); // kept (5 days)
    expect(bytes.includes('MARKER-KEPT-0-teacher')).toBe(true); // admin rows kept a year
    for (let d = 0; d < 35; d++) expect(bytes.includes(`MARKER-OLD-${d}-`)).toBe(false);
    expect(verifyChain(store.db).ok).toBe(true);
  });

  it('is verifiable after every step of a chunked purge, and after one abandoned half-way', () => {
    fillDays(60);
    const now = T0 + 60 * DAY;
    const steps = purgeSteps(store.db, { now, retentionDays: KEEP, chunk: 7 });
    let n = 0;
    for (let s = steps.next(); !s.done && n < 35; s = steps.next(), n++) {
      expect(verifyChain(store.db).ok).toBe(true);
    }
    steps.return(undefined as never); // a crash or a stop between chunks
    expect(store.db.pragma('secure_delete', { simple: true })).toBe(1); // on for every connection writing the log
    expect(verifyChain(store.db).ok).toBe(true);
    const partly = count('decision');
    expect(partly).toBeLessThan(300);
    expect(partly).toBeGreaterThan(150);
    // The next purge carries on from the anchor.
    const rest = purgeExpired(store.db, { now, retentionDays: KEEP });
    expect(count('decision')).toBe(150);
    expect(rest.kinds.decision.rows).toBe(partly - 150);
    expect(verifyChain(store.db).ok).toBe(true);
  });

  it('purge rows have a retention too; the latest one always stays as the checkpoint', () => {
    const keep = { ...KEEP, purge: 2 };
    for (let d = 0; d < 6; d++) {
      appendDecisions(store.db, [decision(T0 + d * DAY, d)]);
      purgeExpired(store.db, { now: T0 + d * DAY + 1, retentionDays: keep });
      expect(verifyChain(store.db).ok).toBe(true);
    }
    const purges = store.db.prepare("SELECT at FROM audit_log WHERE kind = 'purge' ORDER BY id").pluck().all();
    expect(purges).toEqual([T0 + 3 * DAY + 1, T0 + 4 * DAY + 1, T0 + 5 * DAY + 1]); // not older than 2 days
    expect(readChains(store.db).get('purge')!.purged).toBe(3);
  });

  it('a dry run counts and changes nothing', () => {
    fillDays(50);
    const rows = kindsById(store.db).length;
    const r = purgeExpired(store.db, { now: T0 + 50 * DAY, retentionDays: KEEP, dryRun: true });
    expect(r).toMatchObject({ dryRun: true, purgeRowId: null, total: 100 });
    expect(kindsById(store.db)).toHaveLength(rows);
    expect(readChains(store.db).get('decision')!.anchorId).toBe(0);
  });

  it('removes rows in order only: a row dated in the future holds back the ones after it, and says so', () => {
    appendDecisions(store.db, [decision(T0, 1), decision(T0 + 400 * DAY, 2), decision(T0 + 1, 3)]); // clock jumped ahead, then back
    const r = purgeExpired(store.db, { now: T0 + 100 * DAY, retentionDays: KEEP });
    expect(r.kinds.decision).toMatchObject({ rows: 1, heldBackBy: { id: 2, at: T0 + 400 * DAY } });
    expect(verifyChain(store.db).ok).toBe(true);
  });

  it('the async form yields to the event loop and can be stopped', async () => {
    fillDays(60);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const r = await purgeExpiredAsync(store.db, { now: T0 + 60 * DAY, retentionDays: KEEP, chunk: 20 });
    clearInterval(timer);
    expect(r.total).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(0);
    expect(verifyChain(store.db).ok).toBe(true);

    appendDecisions(store.db, Array.from({ length: 500 }, (_, i) => decision(T0 + 61 * DAY + i, i)));
    const abort = new AbortController();
    const p = purgeExpiredAsync(store.db, { now: T0 + 200 * DAY, retentionDays: KEEP, chunk: 10 }, abort.signal);
    setImmediate(() => abort.abort());
    await expect(p).rejects.toThrow(/stopped/);
    expect(verifyChain(store.db).ok).toBe(true);
  });
});

describe('purge of connection records (R-14)', () => {
  it('removes ended sessions, their bindings and accounting records older than the session retention; open sessions stay', () => {
    const now = T0 + 200 * DAY;
    const old = now - 100 * DAY; // older than KEEP.session (90 days)
    const recent = now - 10 * DAY;
    const session = store.db.prepare(
      `INSERT INTO sessions (nas, nas_address, session_id, mac, started_at, updated_at, stopped_at, stop_reason)
       VALUES ('ap', '10.0.0.2', ?, 'AA-BB-CC-00-00-01', ?, ?, ?, ?)`,
    );
    const binding = store.db.prepare(`INSERT INTO ip_bindings (ip, mac, from_at, to_at, source) VALUES ('10.20.0.9', 'AA-BB-CC-00-00-01', ?, ?, 'accounting')`);
    const record = store.db.prepare(`INSERT INTO accounting_records (at, nas, nas_address) VALUES (?, 'ap', '10.0.0.2')`);
    session.run('old-ended', old, old, old + 1000, 'stop');
    session.run('old-open', old, old, null, null);
    session.run('recent-ended', recent, recent, recent + 1000, 'stop');
    binding.run(old, old + 1000);
    binding.run(old, null);
    binding.run(recent, recent + 1000);
    record.run(old);
    record.run(recent);

    const dry = purgeExpired(store.db, { now, retentionDays: KEEP, dryRun: true });
    expect(dry.operational).toMatchObject({ sessions: 1, ipBindings: 1, accountingRecords: 1 });
    expect(store.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(3);

    const r = purgeExpired(store.db, { now, retentionDays: KEEP });
    expect(r.operational).toMatchObject({ sessions: 1, ipBindings: 1, accountingRecords: 1 });
    expect(store.db.prepare('SELECT session_id FROM sessions ORDER BY session_id').pluck().all()).toEqual(['old-open', 'recent-ended']);
    expect(store.db.prepare('SELECT count(*) FROM ip_bindings').pluck().get()).toBe(2);
    expect(store.db.prepare('SELECT count(*) FROM accounting_records').pluck().get()).toBe(1);
  });
});

describe('the daily schedule', () => {
  it('next purge time is the next local HH:MM, across a DST change', () => {
    expect(nextPurgeTime('03:00', new Date(2025, 0, 10, 2, 59).getTime())).toBe(new Date(2025, 0, 10, 3, 0).getTime());
    expect(nextPurgeTime('03:00', new Date(2025, 0, 10, 3, 0).getTime())).toBe(new Date(2025, 0, 11, 3, 0).getTime());
    // Europe/London springs forward on 2025-03-30: 03:00 BST is 02:00 UTC, 23 hours after 03:00 GMT.
    const sat = Date.UTC(2025, 2, 29, 3, 0);
    expect(nextPurgeTime('03:00', sat)).toBe(Date.UTC(2025, 2, 30, 2, 0));
    expect(() => nextPurgeTime('25:00', sat)).toThrow();
  });

  it('runs the purge at purgeAt with the current settings, re-arms, and stops cleanly', async () => {
    fillDays(40);
    const purgeAt = new Date(2025, 1, 10, 3, 0).getTime();
    let clock = purgeAt - 30; // 30 ms before 03:00: the timer fires for real in 30 ms
    const reports: PurgeReport[] = [];
    const schedule = schedulePurge({
      db: store.db,
      settings: () => ({ retentionDays: KEEP, purgeAt: '03:00' }),
      now: () => clock,
      onDone: (r) => {
        reports.push(r);
        clock += 60_000;
      },
      onError: (e) => {
        throw e;
      },
    });
    expect(schedule.nextAt()).toBe(purgeAt);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reports).toHaveLength(1);
    expect(reports[0]!.at).toBe(purgeAt - 30); // ran with the injected clock
    expect(reports[0]!.kinds.decision.rows).toBe(55); // days 0-10: older than 30 days at 2025-02-10 03:00
    expect(schedule.nextAt()).toBe(new Date(2025, 1, 11, 3, 0).getTime());
    await schedule.stop();
    expect(verifyChain(store.db).ok).toBe(true);
  });
});
