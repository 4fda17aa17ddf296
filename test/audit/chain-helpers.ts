/** Shared by the audit log's chain, log and retention tests. */
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/store/db.js';
import type { DecisionEvent } from '../../src/store/types.js';
import { tempDir } from '../store/helpers.js';

export const DAY = 86_400_000;
/** 2025-01-01T00:00:00Z: the fake clock's origin. */
export const T0 = Date.UTC(2025, 0, 1);

export interface Store {
  readonly file: string;
  readonly db: Database.Database;
  /** A second connection to the same file (another process's view). */
  other(): Database.Database;
  /** A plain connection for tampering, as someone with the file would (no Lanyard code). */
  raw(): Database.Database;
  cleanup(): void;
}

export function openStore(prefix = 'lanyard-audit-'): Store {
  const t = tempDir(prefix);
  const file = path.join(t.dir, 'audit.db');
  const db = openDatabase(file);
  const opened: Database.Database[] = [db];
  return {
    file,
    db,
    other: () => {
      const d = openDatabase(file);
      opened.push(d);
      return d;
    },
    raw: () => {
      const d = new Database(file);
      opened.push(d);
      return d;
    },
    cleanup: () => {
      for (const d of opened) if (d.open) d.close();
      t.cleanup();
    },
  };
}

export function decision(at: number, i: number, over: Partial<DecisionEvent> = {}): DecisionEvent {
  const hex = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();
  return {
    at,
    result: i % 5 === 0 ? 'reject' : 'accept',
    reason: i % 5 === 0 ? 'unknown-device' : 'ok',
    mac: `02-00-00-${hex((i >> 16) & 255)}-${hex((i >> 8) & 255)}-${hex(i & 255)}`,
    userName: `user${i}`,
    nas: 'ap-hall',
    nasAddress: '10.0.0.2',
    apMac: '11-22-33-44-55-66',
    ssid: 'DCPS',
    network: 'dcps',
    vlan: 20,
    className: 'staff-laptop',
    profile: 'full',
    method: 'mab',
    randomisedMac: false,
    latencyUs: 100 + (i % 50),
    ...over,
  };
}

export function kindsById(db: Database.Database): { id: number; kind: string }[] {
  return db.prepare('SELECT id, kind FROM audit_log ORDER BY id').all() as { id: number; kind: string }[];
}
