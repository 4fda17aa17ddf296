import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLanyardError } from '../../src/errors.js';
import { dataVersion, openDatabase, WAL_CHECKPOINT_PAGES } from '../../src/store/db.js';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('openDatabase', () => {
  it('creates the parent directory, sets the pragmas and migrates', () => {
    const file = path.join(dir, 'nested', 'deeper', 'lanyard.db');
    const db = openDatabase(file);
    try {
      expect(fs.existsSync(file)).toBe(true);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_CHECKPOINT_PAGES);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all() as string[];
      expect(tables).toEqual(expect.arrayContaining(['devices', 'device_history', 'audit_log', 'audit_chain']));
      // Decisions live in the audit log (migration 5); decision_events is a view of them.
      const views = db.prepare("SELECT name FROM sqlite_master WHERE type = 'view'").pluck().all() as string[];
      expect(views).toContain('decision_events');
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[];
      expect(indexes).toEqual(
        expect.arrayContaining([
          'devices_owner',
          'devices_class',
          'device_history_mac_seq',
          'audit_log_at',
          'audit_log_mac_at',
        ]),
      );
    } finally {
      db.close();
    }
  });

  it('is idempotent on reopen and keeps the data', () => {
    const file = path.join(dir, 'a.db');
    const db1 = openDatabase(file);
    new SqliteDeviceRepository(db1).add({ mac: 'aa:bb:cc:dd:ee:ff', className: 'x' }, 'test', 1);
    db1.close();
    const db2 = openDatabase(file);
    try {
      expect(db2.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(new SqliteDeviceRepository(db2).get('AA-BB-CC-DD-EE-FF')?.className).toBe('x');
    } finally {
      db2.close();
    }
  });

  it('refuses a database from a newer Lanyard', () => {
    const file = path.join(dir, 'newer.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const e = thrown(() => openDatabase(file));
    expect(isLanyardError(e, 'LANYARD_ERR_STORE_SCHEMA_NEWER')).toBe(true);
  });

  it('reports a file that is not a database as STORE_OPEN', () => {
    const file = path.join(dir, 'junk.db');
    fs.writeFileSync(file, 'this is not an SQLite database, not even close; '.repeat(40));
    const e = thrown(() => openDatabase(file));
    expect(isLanyardError(e, 'LANYARD_ERR_STORE_OPEN')).toBe(true);
  });

  it('reports a path it cannot create as STORE_OPEN', () => {
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, '');
    const e = thrown(() => openDatabase(path.join(blocker, 'sub', 'x.db')));
    expect(isLanyardError(e, 'LANYARD_ERR_STORE_OPEN')).toBe(true);
  });
});

describe('dataVersion', () => {
  it('changes when another connection commits, not for our own writes', () => {
    const file = path.join(dir, 'dv.db');
    const daemon = openDatabase(file);
    const cli = openDatabase(file);
    try {
      const v0 = dataVersion(daemon);
      new SqliteDeviceRepository(daemon).add({ mac: '02:00:00:00:00:01', className: 'x' }, 'daemon', 1);
      expect(dataVersion(daemon)).toBe(v0);
      new SqliteDeviceRepository(cli).add({ mac: '02:00:00:00:00:02', className: 'x' }, 'cli', 2);
      const v1 = dataVersion(daemon);
      expect(v1).not.toBe(v0);
      expect(dataVersion(daemon)).toBe(v1); // stable until the next foreign commit
    } finally {
      daemon.close();
      cli.close();
    }
  });
});
