/**
 * verifyChain against tampering done the way someone with the SQLite file would do it: raw SQL
 * on the file through a separate connection, no Lanyard code involved.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS, hashRow, verifyChain, type AuditValue } from '../../src/audit/chain.js';
import { appendAuditEntries, recordAdminAction } from '../../src/audit/log.js';
import { purgeExpired } from '../../src/audit/retention.js';
import { SqliteEventRepository } from '../../src/store/events.js';
import { DAY, decision, openStore, T0, type Store } from './chain-helpers.js';

let store: Store;
let events: SqliteEventRepository;

beforeEach(() => {
  store = openStore();
  events = new SqliteEventRepository(store.db);
});
afterEach(() => store.cleanup());

function admin(at: number, subject: string): void {
  recordAdminAction(store.db, { actor: 'cli:alice', source: 'cli', action: 'device.block', subject, mac: subject, before: { status: 'active' }, after: { status: 'blocked' }, at });
}

/** ids 1-3 decisions, 4 admin, 5-7 decisions, 8 admin, 9-10 decisions. */
function fill(): void {
  events.insertDecisions([decision(T0, 1), decision(T0 + 1, 2), decision(T0 + 2, 3)]);
  admin(T0 + 3, 'AA-BB-CC-DD-EE-01');
  events.insertDecisions([decision(T0 + 4, 4), decision(T0 + 5, 5), decision(T0 + 6, 6)]);
  admin(T0 + 7, 'AA-BB-CC-DD-EE-02');
  events.insertDecisions([decision(T0 + 8, 7), decision(T0 + 9, 8)]);
}

/** A forged row whose own hash is right: the columns, its link and hash computed as Lanyard would. */
function forge(db: Database.Database, id: number, kind: string, at: number, prev: Buffer, over: Record<string, AuditValue> = {}): Buffer {
  const values: AuditValue[] = AUDIT_COLUMNS.map((c) => (c === 'at' ? at : c === 'kind' ? kind : c === 'actor' ? 'cli:mallory' : (over[c] ?? null)));
  if (kind === 'decision') values[AUDIT_COLUMNS.indexOf('result')] = 'accept';
  const hash = hashRow(id, values, prev);
  db.prepare(`INSERT INTO audit_log (id, ${AUDIT_COLUMNS.join(', ')}, prev_hash, hash) VALUES (${new Array(AUDIT_COLUMNS.length + 3).fill('?').join(', ')})`).run(
    id,
    ...values,
    prev,
    hash,
  );
  return hash;
}

function hashOf(db: Database.Database, id: number): Buffer {
  return db.prepare('SELECT hash FROM audit_log WHERE id = ?').pluck().get(id) as Buffer;
}

describe('verifyChain', () => {
  it('reports an intact log with the rows checked and the head', () => {
    expect(verifyChain(store.db)).toEqual({ ok: true, rows: 0, firstId: null, lastId: null, purged: 0, head: null });
    fill();
    const r = verifyChain(store.db);
    expect(r).toMatchObject({ ok: true, rows: 10, firstId: 1, lastId: 10, purged: 0 });
    expect(r.ok && r.head).toEqual({ id: 10, hash: hashOf(store.db, 10).toString('hex') });
  });

  it('an edited column: "edited" at that row', () => {
    fill();
    store.raw().prepare("UPDATE audit_log SET result = 'reject', reason = 'device-blocked' WHERE id = 5").run();
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 5, kind: 'decision', at: T0 + 4, problem: 'edited' });
  });

  it('an edited time, actor or detail of an admin row: "edited"', () => {
    fill();
    const raw = store.raw();
    raw.prepare("UPDATE audit_log SET detail = json_set(detail, '$.after.status', 'active') WHERE id = 8").run();
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 8, kind: 'admin', problem: 'edited' });
  });

  it('an edited row whose hash was recomputed too: the next row of its kind no longer links to it', () => {
    fill();
    const raw = store.raw();
    const row = raw.prepare(`SELECT ${AUDIT_COLUMNS.join(', ')}, prev_hash FROM audit_log WHERE id = 4`).raw().get() as unknown[];
    const values = row.slice(0, AUDIT_COLUMNS.length) as AuditValue[];
    values[AUDIT_COLUMNS.indexOf('subject')] = 'AA-BB-CC-DD-EE-99';
    raw.prepare('UPDATE audit_log SET subject = ?, hash = ? WHERE id = 4').run('AA-BB-CC-DD-EE-99', hashRow(4, values, row[AUDIT_COLUMNS.length] as Buffer));
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 8, kind: 'admin', problem: 'broken-link' });
  });

  it('a deleted row in the middle: "deleted", naming the gap', () => {
    fill();
    store.raw().prepare('DELETE FROM audit_log WHERE id = 6').run();
    const r = verifyChain(store.db);
    expect(r).toMatchObject({ ok: false, id: 7, problem: 'deleted' });
    expect(!r.ok && r.detail).toContain('row 6 is missing');
  });

  it('the newest row of a kind deleted while later rows exist: "deleted"', () => {
    fill();
    store.raw().prepare('DELETE FROM audit_log WHERE id = 8').run();
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 9, problem: 'deleted' });
  });

  it('the newest rows of the whole log deleted: "deleted" at the recorded head', () => {
    fill();
    store.raw().prepare('DELETE FROM audit_log WHERE id >= 9').run();
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 10, kind: 'decision', at: null, problem: 'deleted' });
  });

  it('a deleted row hidden by renumbering the rows after it: "edited" (ids are hashed)', () => {
    fill();
    const raw = store.raw();
    raw.prepare('DELETE FROM audit_log WHERE id = 10').run();
    raw.prepare('UPDATE audit_log SET id = 10 WHERE id = 9').run();
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 10, problem: 'edited' });
  });

  it('a forged row appended with a correct hash: "inserted" (newer than the recorded head)', () => {
    fill();
    const raw = store.raw();
    forge(raw, 11, 'admin', T0 + 20, hashOf(raw, 8), { action: 'device.unblock', mac: 'AA-BB-CC-DD-EE-02' });
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 11, kind: 'admin', problem: 'inserted' });
  });

  it('a forged row of an unknown kind: "inserted"', () => {
    fill();
    const raw = store.raw();
    raw.pragma('ignore_check_constraints = ON');
    forge(raw, 11, 'note', T0 + 20, Buffer.alloc(32));
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 11, problem: 'inserted' });
  });

  it('a forged row slipped into the middle of a chain (an id freed by a purge): "inserted" at that row', () => {
    // Old decisions 1-3 and 5-7 are purged; admin rows 4 and 8 stay. Ids 5-7 become free.
    fill();
    for (let i = 0; i < 3; i++) admin(T0 + 400 * DAY + i, `AA-BB-CC-DD-EE-1${i}`); // 11-13
    events.insertDecisions([decision(T0 + 400 * DAY, 50)]); // 14
    const p = purgeExpired(store.db, { now: T0 + 400 * DAY, retentionDays: { decision: 30, session: 30, admin: 3650, alert: 30, purge: 3650 } });
    expect(p.kinds.decision.rows).toBe(8);
    expect(verifyChain(store.db).ok).toBe(true);
    // Forge an admin action between rows 4 and 8, linked to row 4 as Lanyard would have.
    const raw = store.raw();
    forge(raw, 6, 'admin', T0 + 5, hashOf(raw, 4), { action: 'device.unblock', mac: 'AA-BB-CC-DD-EE-01' });
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 6, kind: 'admin', problem: 'inserted' });
  });

  it('a forged row placed after an existing one, linking to the same row: "inserted" at the forged row', () => {
    fill();
    for (let i = 0; i < 3; i++) admin(T0 + 400 * DAY + i, `AA-BB-CC-DD-EE-2${i}`); // 11-13
    purgeExpired(store.db, { now: T0 + 400 * DAY, retentionDays: { decision: 30, session: 30, admin: 3650, alert: 30, purge: 3650 } });
    // Free ids 9 and 10 (purged decisions): forge admin row 9 that links to row 4, as row 8 does.
    const raw = store.raw();
    forge(raw, 9, 'admin', T0 + 8, hashOf(raw, 4));
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 9, kind: 'admin', problem: 'inserted' });
  });

  it('a row added to a purged range: "inserted"', () => {
    fill();
    purgeExpired(store.db, { now: T0 + 400 * DAY, retentionDays: { decision: 30, session: 30, admin: 3650, alert: 30, purge: 3650 } });
    const raw = store.raw();
    forge(raw, 2, 'decision', T0 + 1, Buffer.alloc(32));
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 2, kind: 'decision', problem: 'inserted' });
  });

  it('old rows deleted and the anchor moved to hide it: caught by the purge record', () => {
    fill();
    events.insertDecisions([decision(T0 + 100 * DAY, 60)]); // 11
    purgeExpired(store.db, { now: T0 + 100 * DAY, retentionDays: { decision: 3650, session: 30, admin: 3650, alert: 30, purge: 3650 } }); // nothing due
    expect(verifyChain(store.db).ok).toBe(true);
    const raw = store.raw();
    // Delete admin row 4 (the oldest admin row) and set the admin anchor as a purge would have.
    raw.prepare("UPDATE audit_chain SET anchor_id = 4, anchor_hash = (SELECT hash FROM audit_log WHERE id = 4), purged = 1 WHERE kind = 'admin'").run();
    raw.prepare('DELETE FROM audit_log WHERE id = 4').run();
    expect(verifyChain(store.db)).toMatchObject({ ok: false, id: 4, kind: 'admin', problem: 'deleted' });
  });

  it('an anchor moved without any purge recorded: "deleted"', () => {
    fill();
    const raw = store.raw();
    raw.prepare("UPDATE audit_chain SET anchor_id = 4, anchor_hash = (SELECT hash FROM audit_log WHERE id = 4) WHERE kind = 'admin'").run();
    raw.prepare('DELETE FROM audit_log WHERE id = 4').run();
    expect(verifyChain(store.db)).toMatchObject({ ok: false, problem: 'deleted' });
  });

  it('streams: reports progress and does not need the rows in memory', () => {
    events.insertDecisions(Array.from({ length: 2500 }, (_, i) => decision(T0 + i, i)));
    const seen: number[] = [];
    expect(verifyChain(store.db, { onProgress: (n) => seen.push(n), progressEvery: 1000 })).toMatchObject({ ok: true, rows: 2500 });
    expect(seen).toEqual([1000, 2000]);
  });

  it('is not confused by appends from another connection while it runs (one read snapshot)', () => {
    fill();
    const other = store.other();
    const otherEvents = new SqliteEventRepository(other);
    let appended = 0;
    const r = verifyChain(store.db, {
      progressEvery: 1,
      onProgress: () => {
        if (appended++ < 3) otherEvents.insertDecisions([decision(T0 + 50, 100 + appended)]);
      },
    });
    expect(r).toMatchObject({ ok: true, rows: 10 });
    expect(verifyChain(store.db)).toMatchObject({ ok: true, rows: 13 });
  });
});

describe('lanyard audit verify (the compiled CLI)', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const cli = path.join(root, 'dist/src/main.js');
  const config = path.join(root, 'test/fixtures/store/lanyard.yaml');

  function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [cli, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      });
    });
  }

  it.skipIf(!existsSync(cli))('exits 0 when intact and non-zero naming the first bad row after tampering', async () => {
    fill();
    store.db.close();
    const ok = await run('audit', 'verify', '--config', config, '--db', store.file);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^audit log intact: 10 rows checked/);

    const raw = store.raw();
    raw.prepare("UPDATE audit_log SET result = 'accept', reason = 'ok' WHERE id = 6").run();
    raw.close();
    const bad = await run('audit', 'verify', '--config', config, '--db', store.file);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('first bad row 6 (decision, 2025-01-01T00:00:00.005Z): edited');

    const json = await run('audit', 'verify', '--json', '--config', config, '--db', store.file);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, id: 6, kind: 'decision', problem: 'edited' });

    const dry = await run('audit', 'purge', '--dry-run', '--config', config, '--db', store.file);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^KIND +KEEP DAYS +REMOVE BEFORE +WOULD REMOVE\ndecision +365 /);
    expect(dry.stdout).toMatch(/dry run: \d+ rows would be removed; nothing changed/);
  });
});
