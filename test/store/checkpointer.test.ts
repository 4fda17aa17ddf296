/** WAL checkpoints on a worker thread (src/store/checkpointer.ts), on a real SQLite file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendDecisions } from '../../src/audit/log.js';
import { createLogger } from '../../src/log.js';
import { BACKSTOP_CHECKPOINT_PAGES, Checkpointer } from '../../src/store/checkpointer.js';
import { openDatabase, WAL_CHECKPOINT_PAGES } from '../../src/store/db.js';
import type { DecisionEvent } from '../../src/store/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function decisions(n: number, at: number): DecisionEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    at: at + i,
    result: 'accept',
    reason: 'ok',
    mac: '02-00-5E-00-00-01',
    userName: '02005e000001',
    nas: 'ap',
    nasAddress: '127.0.0.1',
    apMac: null,
    ssid: 'Staff',
    network: 'staff',
    vlan: 20,
    className: 'staff-laptop',
    profile: 'staff',
    method: 'pap',
    randomisedMac: false,
    latencyUs: 10,
  }));
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Checkpointer', () => {
  it('copies the WAL into the database from its own thread, and hands checkpoints back when stopped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-ckpt-'));
    dirs.push(dir);
    const file = path.join(dir, 'store.db');
    const db = openDatabase(file);
    const cp = Checkpointer.start(db, createLogger('silent'), 50)!;
    expect(cp).not.toBeNull();
    // The daemon's connection checkpoints only as a backstop while the worker runs.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_CHECKPOINT_PAGES);

    const before = fs.statSync(file).size;
    for (let b = 0; b < 10; b++) appendDecisions(db, decisions(500, 1_700_000_000_000 + b * 500));
    // About 400 pages of WAL, far below the backstop: only the worker's checkpoints can copy
    // them into the database file.
    await until(() => fs.statSync(file).size > before && cp.runs >= 2);
    expect(cp.failures).toBe(0);

    // Once everything is copied, the next commit starts the WAL again from its beginning.
    await until(() => {
      appendDecisions(db, decisions(1, 1_800_000_000_000 + cp.runs));
      return cp.lastWalPages > 0 && cp.lastWalPages < 50;
    });

    await cp.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_CHECKPOINT_PAGES);
    const n = (db.prepare("SELECT count(*) AS n FROM audit_log WHERE kind = 'decision'").get() as { n: number }).n;
    expect(n).toBeGreaterThanOrEqual(5001);
    db.close();
  });

  it('is not started for an in-memory store', () => {
    const db = openDatabase(':memory:');
    expect(Checkpointer.start(db, createLogger('silent'))).toBeNull();
    db.close();
  });
});
