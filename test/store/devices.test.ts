import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLanyardError, type ErrorCode } from '../../src/errors.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { tempDir } from './helpers.js';

let cleanup: () => void;
let file: string;
let db: Database.Database;
let repo: SqliteDeviceRepository;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  file = path.join(t.dir, 'lanyard.db');
  db = openDatabase(file);
  repo = new SqliteDeviceRepository(db);
});
afterEach(() => {
  db.close();
  cleanup();
});

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isLanyardError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

const T0 = Date.UTC(2025, 0, 10, 9);
const DAY = 86_400_000;

describe('SqliteDeviceRepository', () => {
  it('adds and gets a device, normalising the MAC', () => {
    const d = repo.add(
      { mac: 'aabb.ccdd.eeff', className: 'staff-laptop', owner: ' J Smith ', label: '', expiresAt: T0 + DAY },
      'cli:alice',
      T0,
    );
    expect(d).toEqual({
      mac: 'AA-BB-CC-DD-EE-FF',
      className: 'staff-laptop',
      owner: 'J Smith',
      label: null,
      status: 'active',
      statusReason: null,
      expiresAt: T0 + DAY,
      source: 'manual',
      createdAt: T0,
      createdBy: 'cli:alice',
      updatedAt: T0,
      updatedBy: 'cli:alice',
    });
    expect(repo.get('aa:bb:cc:dd:ee:ff')).toEqual(d);
    expect(repo.get('02:00:00:00:00:00')).toBeUndefined();
  });

  it('refuses a duplicate MAC in any input format', () => {
    repo.add({ mac: 'aa:bb:cc:dd:ee:ff', className: 'x' }, 'a', T0);
    for (const mac of ['AA-BB-CC-DD-EE-FF', 'aabbccddeeff', 'aabb.ccdd.eeff', 'AA:BB:CC:DD:EE:FF']) {
      expectCode(() => repo.add({ mac, className: 'x' }, 'a', T0), 'LANYARD_ERR_DEVICE_EXISTS');
    }
    expect(repo.count()).toBe(1);
    expect(repo.history('aabbccddeeff')).toHaveLength(1);
  });

  it('rejects invalid MACs and empty classes', () => {
    expectCode(() => repo.add({ mac: 'not-a-mac', className: 'x' }, 'a', T0), 'LANYARD_ERR_MAC_INVALID');
    expectCode(() => repo.get('aa:bb:cc'), 'LANYARD_ERR_MAC_INVALID');
    expectCode(() => repo.add({ mac: '02:00:00:00:00:01', className: '  ' }, 'a', T0), 'LANYARD_ERR_FIELD_INVALID');
    expectCode(
      () => repo.add({ mac: '02:00:00:00:00:01', className: 'x', expiresAt: 1.5 }, 'a', T0),
      'LANYARD_ERR_FIELD_INVALID',
    );
    expect(repo.count()).toBe(0);
  });

  it('lists and counts with filters, newest filter semantics', () => {
    repo.add({ mac: '02:00:00:00:00:01', className: 'staff-laptop', owner: 'Smith', label: 'LT-1' }, 'a', T0);
    repo.add({ mac: '02:00:00:00:00:02', className: 'staff-laptop', owner: 'Jones', label: 'LT_2' }, 'a', T0);
    repo.add({ mac: '02:00:00:00:00:03', className: 'visitor', owner: 'Smith' }, 'a', T0);
    repo.setStatus('02:00:00:00:00:03', 'blocked', 'misuse', 'a', T0 + 1);
    expect(repo.list().map((d) => d.mac)).toEqual(['02-00-00-00-00-01', '02-00-00-00-00-02', '02-00-00-00-00-03']);
    expect(repo.count()).toBe(3);
    expect(repo.list({ className: 'staff-laptop' })).toHaveLength(2);
    expect(repo.list({ owner: 'Smith' }).map((d) => d.mac)).toEqual(['02-00-00-00-00-01', '02-00-00-00-00-03']);
    expect(repo.list({ status: 'blocked' }).map((d) => d.mac)).toEqual(['02-00-00-00-00-03']);
    expect(repo.count({ status: 'active', owner: 'Smith' })).toBe(1);
    expect(repo.list({ search: 'jon' }).map((d) => d.owner)).toEqual(['Jones']);
    expect(repo.list({ search: '00:03' }).map((d) => d.mac)).toEqual(['02-00-00-00-00-03']);
    // LIKE wildcards in the search text are literal.
    expect(repo.list({ search: '_' }).map((d) => d.label)).toEqual(['LT_2']);
    expect(repo.list({ search: '%' })).toEqual([]);
    expect(repo.list({ limit: 1, offset: 1 }).map((d) => d.mac)).toEqual(['02-00-00-00-00-02']);
    expectCode(() => repo.list({ status: 'gone' as never }), 'LANYARD_ERR_FIELD_INVALID');
  });

  it('updates fields, records history, and skips no-op updates', () => {
    repo.add({ mac: '02:00:00:00:00:01', className: 'staff-laptop', owner: 'Smith' }, 'cli:a', T0);
    const u = repo.update('02-00-00-00-00-01', { owner: 'Jones', label: 'LT-9' }, 'cli:b', T0 + 10);
    expect(u).toMatchObject({ owner: 'Jones', label: 'LT-9', className: 'staff-laptop', updatedAt: T0 + 10, updatedBy: 'cli:b' });
    expect(u.createdBy).toBe('cli:a');
    expect(repo.update('02-00-00-00-00-01', { owner: 'Jones' }, 'cli:c', T0 + 20)).toEqual(u);
    expect(repo.update('02-00-00-00-00-01', { owner: null }, 'cli:c', T0 + 30).owner).toBeNull();
    const h = repo.history('02:00:00:00:00:01');
    expect(h.map((r) => [r.op, r.actor, r.at])).toEqual([
      ['create', 'cli:a', T0],
      ['update', 'cli:b', T0 + 10],
      ['update', 'cli:c', T0 + 30],
    ]);
    expect(h[1]!.record.owner).toBe('Jones');
    expectCode(() => repo.update('02:00:00:00:00:09', { owner: 'x' }, 'a', T0), 'LANYARD_ERR_DEVICE_NOT_FOUND');
  });

  it('moves between statuses; retired is final', () => {
    const mac = '02:00:00:00:00:01';
    repo.add({ mac, className: 'x' }, 'a', T0);
    expect(repo.setStatus(mac, 'blocked', 'misuse', 'a', T0 + 1)).toMatchObject({ status: 'blocked', statusReason: 'misuse' });
    expect(repo.setStatus(mac, 'active', null, 'a', T0 + 2)).toMatchObject({ status: 'active', statusReason: null });
    expect(repo.setStatus(mac, 'lost', 'left on bus', 'a', T0 + 3).status).toBe('lost');
    expect(repo.setStatus(mac, 'active', null, 'a', T0 + 4).status).toBe('active');
    // Same status and reason: nothing written.
    const before = repo.history(mac).length;
    repo.setStatus(mac, 'active', null, 'a', T0 + 5);
    expect(repo.history(mac)).toHaveLength(before);

    expect(repo.setStatus(mac, 'retired', 'owner left', 'a', T0 + 6).status).toBe('retired');
    for (const s of ['active', 'blocked', 'lost'] as const) {
      expectCode(() => repo.setStatus(mac, s, 'try', 'a', T0 + 7), 'LANYARD_ERR_DEVICE_STATE');
    }
    expect(repo.get(mac)?.status).toBe('retired');
    // Re-adding a retired MAC is refused, and the message says why.
    let msg = '';
    try {
      repo.add({ mac: '02-00-00-00-00-01', className: 'x' }, 'a', T0 + 8);
    } catch (e) {
      expect(isLanyardError(e, 'LANYARD_ERR_DEVICE_EXISTS')).toBe(true);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/retired/);
    // Corrections to a retired record are allowed but never change its status.
    expect(repo.update(mac, { label: 'returned to stock' }, 'a', T0 + 9)).toMatchObject({ status: 'retired', label: 'returned to stock' });
    expect(repo.history(mac).map((h) => h.op)).toEqual(['create', 'status', 'status', 'status', 'status', 'status', 'update']);
    expectCode(() => repo.setStatus('02:00:00:00:00:09', 'blocked', 'x', 'a', T0), 'LANYARD_ERR_DEVICE_NOT_FOUND');
  });

  it('answers asOf from the history', () => {
    const mac = 'aa:bb:cc:00:00:01';
    repo.add({ mac, className: 'staff-laptop', owner: 'Smith' }, 'a', T0);
    repo.update(mac, { className: 'class-laptop', owner: null }, 'a', T0 + 10 * DAY);
    repo.setStatus(mac, 'lost', 'stolen', 'a', T0 + 20 * DAY);

    expect(repo.asOf(mac, T0 - 1)).toBeUndefined();
    expect(repo.asOf(mac, T0)).toMatchObject({ className: 'staff-laptop', owner: 'Smith', status: 'active' });
    expect(repo.asOf(mac, T0 + 5 * DAY)).toMatchObject({ className: 'staff-laptop', owner: 'Smith' });
    expect(repo.asOf(mac, T0 + 15 * DAY)).toMatchObject({ className: 'class-laptop', owner: null, status: 'active' });
    expect(repo.asOf(mac, T0 + 25 * DAY)).toMatchObject({ className: 'class-laptop', status: 'lost', statusReason: 'stolen' });
    expect(repo.asOf('02:00:00:00:00:99', T0 + 25 * DAY)).toBeUndefined();
  });

  it('asOf is undefined after a delete row', () => {
    const mac = 'AA-BB-CC-00-00-02';
    repo.add({ mac, className: 'x' }, 'a', T0);
    // No delete verb yet: write the history row a future delete would write.
    db.prepare(
      `INSERT INTO device_history (mac, op, at, actor, class, status, source, created_at, created_by, updated_at, updated_by)
       VALUES (?, 'delete', ?, 'a', 'x', 'active', 'manual', ?, 'a', ?, 'a')`,
    ).run(mac, T0 + DAY, T0, T0);
    expect(repo.asOf(mac, T0 + 1)).toMatchObject({ className: 'x' });
    expect(repo.asOf(mac, T0 + 2 * DAY)).toBeUndefined();
  });

  it('snapshot and changesSince together see every change exactly once', () => {
    repo.add({ mac: '02:00:00:00:00:01', className: 'x' }, 'a', T0);
    repo.add({ mac: '02:00:00:00:00:02', className: 'x' }, 'a', T0);
    const snap = repo.snapshot();
    expect(snap.devices).toHaveLength(2);
    expect(snap.seq).toBe(2);
    expect(repo.changesSince(snap.seq)).toEqual([]);

    // Another connection (the CLI) writes.
    const other = openDatabase(file);
    try {
      const cli = new SqliteDeviceRepository(other);
      cli.setStatus('02:00:00:00:00:01', 'lost', 'stolen', 'cli', T0 + 1);
      cli.add({ mac: '02:00:00:00:00:03', className: 'y' }, 'cli', T0 + 2);
    } finally {
      other.close();
    }
    const changes = repo.changesSince(snap.seq);
    expect(changes.map((c) => [c.seq, c.op, c.mac])).toEqual([
      [3, 'status', '02-00-00-00-00-01'],
      [4, 'create', '02-00-00-00-00-03'],
    ]);
    expect(changes[0]!.record.status).toBe('lost');

    // Applying the changes to the snapshot gives the current state.
    const state = new Map(snap.devices.map((d) => [d.mac, d]));
    for (const c of changes) state.set(c.mac, c.record);
    expect([...state.values()].sort((a, b) => a.mac.localeCompare(b.mac))).toEqual(repo.list());
    expect(repo.snapshot().seq).toBe(4);
    expect(new SqliteDeviceRepository(db).snapshot()).toEqual({ devices: repo.list(), seq: 4 });
  });

  it('snapshot of an empty store is seq 0', () => {
    expect(repo.snapshot()).toEqual({ devices: [], seq: 0 });
    const visited: string[] = [];
    expect(repo.snapshotFacts((mac) => visited.push(mac))).toBe(0);
    expect(visited).toEqual([]);
  });

  it('snapshotFacts visits every device once with the fields a decision reads, and the seq of the same snapshot', () => {
    repo.add({ mac: '02:00:00:00:00:01', className: 'x', owner: 'Ann', label: 'not read', expiresAt: T0 + DAY }, 'a', T0);
    repo.add({ mac: '02:00:00:00:00:02', className: 'y' }, 'a', T0);
    repo.add({ mac: '02:00:00:00:00:03', className: 'x', owner: 'Bob' }, 'a', T0);
    repo.setStatus('02:00:00:00:00:02', 'lost', 'stolen', 'a', T0 + 1);
    repo.setStatus('02:00:00:00:00:03', 'retired', null, 'a', T0 + 2);
    const seen: unknown[][] = [];
    const seq = repo.snapshotFacts((...fields) => seen.push(fields));
    expect(seq).toBe(repo.snapshot().seq);
    expect(seen.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual(
      repo.snapshot().devices.map((d) => [d.mac, d.className, d.owner, d.status, d.expiresAt]),
    );
    expect(seen.map((f) => f[0])).toEqual(['02-00-00-00-00-01', '02-00-00-00-00-02', '02-00-00-00-00-03']);
    expect(seen.map((f) => f[3])).toEqual(['active', 'lost', 'retired']);
  });

  it('addMany is one all-or-nothing transaction', () => {
    repo.add({ mac: '02:00:00:00:00:05', className: 'x' }, 'a', T0);
    expectCode(
      () =>
        repo.addMany(
          [
            { mac: '02:00:00:00:00:01', className: 'x' },
            { mac: '02:00:00:00:00:05', className: 'x' },
          ],
          'a',
          T0,
        ),
      'LANYARD_ERR_DEVICE_EXISTS',
    );
    expect(repo.count()).toBe(1);
    expect(repo.changesSince(0)).toHaveLength(1);
    expectCode(
      () => repo.addMany([{ mac: '02:00:00:00:00:01', className: 'x' }, { mac: '020000000001', className: 'x' }], 'a', T0),
      'LANYARD_ERR_DEVICE_EXISTS',
    );
    expect(repo.count()).toBe(1);
    expect(
      repo.addMany(
        [
          { mac: '02:00:00:00:00:01', className: 'x', source: 'import' },
          { mac: '02:00:00:00:00:02', className: 'y', owner: 'o' },
        ],
        'a',
        T0,
      ),
    ).toBe(2);
    expect(repo.get('02:00:00:00:00:01')?.source).toBe('import');
    expect(repo.count()).toBe(3);
  });
});
