/**
 * Opening the SQLite store: pragmas, then migrations (ARCHITECTURE.md "Durability").
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LanyardError, isLanyardError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

/** WAL pages between automatic checkpoints (SQLite's default is 1,000). */
export const WAL_CHECKPOINT_PAGES = 16_384;

/**
 * Opens (creating if needed) the database at `file` in WAL mode and brings its schema up to
 * date. Throws LANYARD_ERR_STORE_OPEN when the file cannot be opened or migrated, and
 * LANYARD_ERR_STORE_SCHEMA_NEWER when a newer Lanyard has written it.
 */
export function openDatabase(file: string): Database.Database {
  const inMemory = file === ':memory:' || file === '';
  let db: Database.Database | undefined;
  try {
    if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file);
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // A checkpoint copies every page the WAL holds back into the database (and fsyncs it). The
    // audit log's device index dirties about one page per decision, mostly the same pages batch
    // after batch, so checkpointing every 16,384 pages (64 MiB of WAL) instead of SQLite's 1,000
    // copies each hot page once instead of once per batch: about a third less CPU per appended
    // decision (test/bench/audit-append.ts). journal_size_limit trims the WAL file back to that
    // size after a reset, should a long reader have let it grow further.
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_CHECKPOINT_PAGES * 4096}`);
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    return db;
  } catch (e) {
    db?.close();
    if (isLanyardError(e)) throw e;
    throw new LanyardError('LANYARD_ERR_STORE_OPEN', `cannot open database ${file}: ${(e as Error).message}`, {
      where: file,
      cause: e,
    });
  }
}

/** Applies every migration the database has not seen, each in its own IMMEDIATE transaction. */
export function migrate(db: Database.Database, file = db.name): void {
  const known = MIGRATIONS.length;
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  const current = version();
  if (current > known) {
    throw new LanyardError(
      'LANYARD_ERR_STORE_SCHEMA_NEWER',
      `database ${file} has schema version ${current}; this Lanyard knows up to ${known}`,
      { where: file },
    );
  }
  for (let i = current; i < known; i++) {
    const sql = MIGRATIONS[i]!;
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      if (version() !== i) return;
      db.exec(sql);
      db.pragma(`user_version = ${i + 1}`);
    }).immediate();
  }
}

/**
 * PRAGMA data_version: changes when ANOTHER connection commits to the database (not this one).
 * The daemon polls it to notice writes by the CLI.
 */
export function dataVersion(db: Database.Database): number {
  return db.pragma('data_version', { simple: true }) as number;
}
