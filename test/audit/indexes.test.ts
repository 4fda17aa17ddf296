/**
 * Which indexes a decision row enters (the hot path's cost, issue 5) and that the SLT queries
 * over decisions still read through an index. Counts come from SQLite's dbstat table on a real
 * file: the cells in each index's leaf pages.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendDecisions, recordAdminAction } from '../../src/audit/log.js';
import { openDatabase } from '../../src/store/db.js';
import type { DecisionEvent } from '../../src/store/types.js';
import { tempDir } from '../store/helpers.js';

const T0 = Date.UTC(2025, 2, 4, 9, 0, 0);
let db: Database.Database;
let cleanup: () => void;

beforeEach(() => {
  const t = tempDir('lanyard-indexes-');
  cleanup = t.cleanup;
  db = openDatabase(path.join(t.dir, 'i.db'));
});
afterEach(() => {
  db.close();
  cleanup();
});

function decision(i: number, result: DecisionEvent['result']): DecisionEvent {
  return {
    at: T0 + i,
    result,
    reason: result === 'accept' ? 'ok' : 'unknown-device',
    mac: `02-00-5E-00-00-${(i % 256).toString(16).padStart(2, '0').toUpperCase()}`,
    userName: null,
    nas: 'ap',
    nasAddress: '127.0.0.1',
    apMac: null,
    ssid: 'Staff',
    network: result === 'accept' ? 'staff' : null,
    vlan: result === 'accept' ? 20 : null,
    className: 'staff-laptop',
    person: `person ${i % 7}`,
    profile: null,
    method: 'mab',
    randomisedMac: false,
    latencyUs: 10,
  };
}

/** Entries in an index: its cells (an index B-tree keeps entries in interior pages too). */
function entries(name: string): number {
  return db.prepare<[string], { n: number | null }>("SELECT sum(ncell) AS n FROM dbstat WHERE name = ?").get(name)?.n ?? 0;
}

function plan(sql: string, ...params: unknown[]): string {
  return db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((r) => r.detail)
    .join('; ');
}

describe('audit_log indexes', () => {
  it('a decision enters only the period index (which ends in the MAC), and the refused index when refused', () => {
    const batch: DecisionEvent[] = [];
    for (let i = 0; i < 900; i++) batch.push(decision(i, 'accept'));
    for (let i = 900; i < 1000; i++) batch.push(decision(i, 'reject'));
    appendDecisions(db, batch);
    recordAdminAction(db, { actor: 'cli:test', source: 'cli', action: 'device.block', subject: 'x', before: null, after: null, at: T0, mac: '02-00-5E-00-00-01', person: 'person 1' });

    expect(entries('audit_log_kind_at')).toBe(1001);
    expect(entries('audit_log_decision_refused_at')).toBe(100);
    // Only the admin row: no decision query reads these three.
    expect(entries('audit_log_mac_at')).toBe(1);
    expect(entries('audit_log_at')).toBe(1);
    expect(entries('audit_log_person_at')).toBe(1);
  });

  it('the decision queries of src/audit/query.ts and the session network lookup still seek an index', () => {
    // The shapes query.ts tableDecisionSource and sessions.ts decisionNetworkLookup prepare.
    expect(plan('SELECT d.* FROM decision_events AS d WHERE d.at >= ? AND d.at < ? ORDER BY d.at, d.id', 0, 1)).toContain(
      'USING INDEX audit_log_kind_at',
    );
    expect(
      plan(
        "SELECT d.* FROM decision_events AS d WHERE d.at >= ? AND d.at < ? AND d.result = ? AND d.result <> 'accept' ORDER BY d.at, d.id",
        0,
        1,
        'reject',
      ),
    ).toContain('USING INDEX audit_log_decision_refused_at');
    // A device's or a person's decisions: the period's range, the MAC tested inside the index.
    expect(
      plan(
        'SELECT d.* FROM decision_events AS d WHERE d.at >= ? AND d.at < ? AND d.mac IN (SELECT value FROM json_each(?)) ORDER BY d.at, d.id',
        0,
        1,
        '["02-00-5E-00-00-01"]',
      ),
    ).toMatch(/USING INDEX audit_log_kind_at \(kind=\? AND at>\? AND at<\?\)/);
    expect(
      plan("SELECT network, vlan FROM decision_events WHERE mac = ? AND at <= ? AND at >= ? AND +result = 'accept' ORDER BY at DESC LIMIT 1", 'm', 1, 0),
    ).toMatch(/USING INDEX audit_log_kind_at \(kind=\? AND at>\? AND at<\?\)/);
  });
});
