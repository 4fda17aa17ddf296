/** DeviceCache: snapshot load, change-feed apply in sequence order, deletes; against a real SQLite store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceCache, factsOf } from '../../src/cache/decision-cache.js';
import { parseMac } from '../../src/policy/mac.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import type { DeviceHistoryRow, DeviceRecord } from '../../src/store/types.js';

let dir: string;
let db: Database.Database;
let repo: SqliteDeviceRepository;
const T = 1_700_000_000_000;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-cache-'));
  db = openDatabase(path.join(dir, 'lanyard.db'));
  repo = new SqliteDeviceRepository(db);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function record(mac: string, over: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    mac,
    className: 'laptop',
    owner: null,
    label: null,
    status: 'active',
    statusReason: null,
    expiresAt: null,
    source: 'manual',
    createdAt: T,
    createdBy: 'test',
    updatedAt: T,
    updatedBy: 'test',
    ...over,
  };
}

function row(seq: number, op: DeviceHistoryRow['op'], rec: DeviceRecord): DeviceHistoryRow {
  return { seq, mac: rec.mac, op, at: T + seq, actor: 'test', record: rec };
}

describe('DeviceCache', () => {
  it('starts empty', () => {
    const c = new DeviceCache();
    expect(c.size).toBe(0);
    expect(c.appliedSeq).toBe(0);
    expect(c.get(parseMac('02-00-00-00-00-01'))).toBeUndefined();
  });

  it('loads a store snapshot, keyed by the MAC as a number', () => {
    repo.add({ mac: 'aa:bb:cc:00:00:01', className: 'laptop', owner: 'Ms Smith' }, 'test', T);
    repo.add({ mac: '02-00-00-00-00-02', className: 'tablet', expiresAt: T + 1000 }, 'test', T);
    const c = new DeviceCache();
    c.load(repo.snapshot());
    expect(c.size).toBe(2);
    expect(c.appliedSeq).toBe(2);
    expect(c.get(0xaabbcc000001)).toEqual({ mac: 0xaabbcc000001, className: 'laptop', owner: 'Ms Smith', status: 'active', expiresAt: null });
    expect(c.get(0x020000000002)).toMatchObject({ className: 'tablet', expiresAt: T + 1000 });
    expect(Object.isFrozen(c.get(0xaabbcc000001))).toBe(true);
  });

  it('replaces its whole content on load', () => {
    const c = new DeviceCache();
    c.load({ devices: [record('02-00-00-00-00-01'), record('02-00-00-00-00-02')], seq: 5 });
    c.load({ devices: [record('02-00-00-00-00-03')], seq: 9 });
    expect(c.size).toBe(1);
    expect(c.get(0x020000000001)).toBeUndefined();
    expect(c.appliedSeq).toBe(9);
  });

  it('follows the store change feed: creates, updates, status changes', () => {
    const c = new DeviceCache();
    c.load(repo.snapshot());
    repo.add({ mac: '02-00-00-00-00-01', className: 'laptop' }, 'test', T);
    repo.update('02-00-00-00-00-01', { className: 'tablet' }, 'test', T + 1);
    repo.setStatus('02-00-00-00-00-01', 'lost', 'stolen', 'test', T + 2);
    expect(c.catchUp(repo)).toBe(3);
    expect(c.get(0x020000000001)).toMatchObject({ className: 'tablet', status: 'lost' });
    expect(c.appliedSeq).toBe(3);
    expect(c.catchUp(repo)).toBe(0); // nothing new
  });

  it('applies a delete', () => {
    const c = new DeviceCache();
    const r = record('02-00-00-00-00-01');
    c.apply([row(1, 'create', r), row(2, 'delete', r)]);
    expect(c.get(0x020000000001)).toBeUndefined();
    expect(c.size).toBe(0);
    expect(c.appliedSeq).toBe(2);
  });

  it('skips rows at or below the sequence number already applied (snapshot/feed overlap)', () => {
    const c = new DeviceCache();
    c.load({ devices: [record('02-00-00-00-00-01', { className: 'new' })], seq: 10 });
    const applied = c.apply([row(9, 'update', record('02-00-00-00-00-01', { className: 'old' })), row(10, 'delete', record('02-00-00-00-00-01'))]);
    expect(applied).toBe(0);
    expect(c.get(0x020000000001)?.className).toBe('new');
  });

  it('applies rows in the order given and never goes back', () => {
    const c = new DeviceCache();
    const mac = '02-00-00-00-00-01';
    expect(c.apply([row(1, 'create', record(mac, { className: 'a' })), row(3, 'update', record(mac, { className: 'c' })), row(2, 'update', record(mac, { className: 'b' }))])).toBe(2);
    expect(c.get(0x020000000001)?.className).toBe('c');
    expect(c.appliedSeq).toBe(3);
  });

  it('sees a write made through another connection (another process, e.g. the CLI)', () => {
    const c = new DeviceCache();
    c.load(repo.snapshot());
    const other = openDatabase(path.join(dir, 'lanyard.db'));
    try {
      new SqliteDeviceRepository(other).add({ mac: '0011.2233.4455', className: 'laptop' }, 'cli', T);
    } finally {
      other.close();
    }
    expect(c.catchUp(repo)).toBe(1);
    expect(c.get(0x001122334455)?.className).toBe('laptop');
  });

  it('loadFrom streams the same snapshot as load(snapshot())', () => {
    repo.add({ mac: '02-00-00-00-00-01', className: 'laptop', owner: 'A' }, 'test', T);
    repo.add({ mac: '02-00-00-00-00-02', className: 'laptop' }, 'test', T);
    repo.setStatus('02-00-00-00-00-02', 'lost', 'stolen', 'test', T);
    const a = new DeviceCache();
    a.load(repo.snapshot());
    const b = new DeviceCache();
    b.loadFrom(repo);
    expect(b.size).toBe(2);
    expect(b.appliedSeq).toBe(a.appliedSeq);
    for (const mac of ['02-00-00-00-00-01', '02-00-00-00-00-02']) expect(b.get(parseMac(mac))).toEqual(a.get(parseMac(mac)));
  });

  it('catches up in chunks and misses nothing', async () => {
    const cache = new DeviceCache();
    cache.load(repo.snapshot());
    const many = Array.from({ length: 2_500 }, (_, i) => ({ mac: `02-00-00-00-${(i >> 8).toString(16).padStart(2, '0')}-${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase(), className: 'laptop' }));
    repo.addMany(many, 'test', T);
    const applied = await cache.catchUpInChunks(repo, 1000);
    expect(applied).toBe(2_500);
    expect(cache.size).toBe(2_500);
    expect(cache.appliedSeq).toBe(repo.snapshot().seq);
    expect(cache.get(parseMac(many[2_499]!.mac))?.className).toBe('laptop');
    expect(await cache.catchUpInChunks(repo, 1000)).toBe(0);
  });

  it('ignores a record whose MAC is not normalised (defensive)', () => {
    const c = new DeviceCache();
    c.apply([row(1, 'create', record('not-a-mac'))]);
    expect(c.size).toBe(0);
    expect(c.appliedSeq).toBe(1);
  });

  it('factsOf keeps only what a decision needs', () => {
    expect(factsOf(record('02-00-00-00-00-09', { owner: 'x', label: 'y', expiresAt: 5 }))).toEqual({
      mac: 0x020000000009,
      className: 'laptop',
      owner: 'x',
      status: 'active',
      expiresAt: 5,
    });
  });
});
