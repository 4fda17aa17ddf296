import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLanyardError } from '../../src/errors.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteEventRepository } from '../../src/store/events.js';
import type { DecisionEvent } from '../../src/store/types.js';
import { tempDir } from './helpers.js';

let cleanup: () => void;
let db: Database.Database;
let events: SqliteEventRepository;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  db = openDatabase(path.join(t.dir, 'events.db'));
  events = new SqliteEventRepository(db);
});
afterEach(() => {
  db.close();
  cleanup();
});

function event(i: number, over: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    at: 1_000 + i,
    result: i % 3 === 0 ? 'reject' : 'accept',
    reason: i % 3 === 0 ? 'unknown-device' : 'ok',
    mac: `02-00-00-00-00-0${i % 4}`,
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
    randomisedMac: i % 2 === 0,
    latencyUs: 120 + i,
    ...over,
  };
}

describe('SqliteEventRepository', () => {
  it('inserts a batch and lists newest first with every field', () => {
    const batch = Array.from({ length: 250 }, (_, i) => event(i));
    events.insertDecisions(batch);
    events.insertDecisions([]);
    const all = events.listDecisions();
    expect(all).toHaveLength(100); // default limit
    expect(all[0]).toEqual(batch[249]);
    expect(all.map((e) => e.at)).toEqual(batch.slice(150).map((e) => e.at).reverse());
    expect(events.listDecisions({ limit: 1000 })).toHaveLength(250);
  });

  it('keeps nulls and filters by time, mac and result', () => {
    events.insertDecisions([
      event(1, { mac: null, userName: null, apMac: null, ssid: null, network: null, vlan: null, className: null, profile: null, result: 'drop', reason: 'unknown-nas', method: 'none' }),
      event(2),
      event(3),
      event(4),
      event(8),
    ]);
    const dropped = events.listDecisions({ result: 'drop' });
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ mac: null, vlan: null, method: 'none', randomisedMac: false });
    expect(events.listDecisions({ from: 1_002, to: 1_004 }).map((e) => e.at)).toEqual([1_003, 1_002]);
    expect(events.listDecisions({ mac: '02:00:00:00:00:00' }).map((e) => e.at)).toEqual([1_008, 1_004]);
    expect(events.listDecisions({ result: 'reject' }).map((e) => e.at)).toEqual([1_003]);
    expect(events.listDecisions({ limit: 2 }).map((e) => e.at)).toEqual([1_008, 1_004]);
  });

  it('rolls the whole batch back when one event is bad', () => {
    expect(() => events.insertDecisions([event(1), event(2, { result: 'maybe' as never })])).toThrow();
    expect(events.listDecisions()).toEqual([]);
  });

  it('validates the filter', () => {
    for (const f of [{ limit: 0 }, { limit: 1.5 }, { mac: 'zz' }]) {
      let caught: unknown;
      try {
        events.listDecisions(f);
      } catch (e) {
        caught = e;
      }
      expect(isLanyardError(caught)).toBe(true);
    }
  });
});
