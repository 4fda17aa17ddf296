/**
 * The DHCP lease store on a real SQLite file: leases survive closing and reopening, and every
 * bound lease's ip_bindings row (source 'dhcp') lets whoHad answer from DHCP alone.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whoHad } from '../../src/audit/query.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { SqliteLeaseRepository, type LeaseWrite } from '../../src/store/leases.js';
import { tempDir } from './helpers.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const HOUR = 3600_000;
const LAPTOP = '00-11-22-33-44-55';
const PHONE = '02-00-00-00-01-05';
const IP = '10.20.10.100';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('lanyard-leases-'));
});
afterEach(() => cleanup());

function bound(mac: string, starts: number, hours: number, over: Partial<LeaseWrite> = {}): LeaseWrite {
  return { ip: IP, network: 'DCPS', mac, clientId: null, hostname: 'staff-01', state: 'bound', starts, expires: starts + hours * HOUR, at: starts, ...over };
}

describe('the lease store', () => {
  it('keeps leases across a close and reopen', () => {
    const file = path.join(dir, 'leases.db');
    let db = openDatabase(file);
    new SqliteLeaseRepository(db).applyBatch([
      bound(LAPTOP, T0, 8),
      { ...bound(PHONE, T0, 1, { ip: '10.20.20.10', network: 'BYOD', clientId: '01020000000105', hostname: null }) },
    ]);
    db.close();
    db = openDatabase(file);
    const leases = new SqliteLeaseRepository(db).all();
    expect(leases).toEqual([
      { ip: IP, network: 'DCPS', mac: LAPTOP, clientId: null, hostname: 'staff-01', state: 'bound', starts: T0, expires: T0 + 8 * HOUR },
      { ip: '10.20.20.10', network: 'BYOD', mac: PHONE, clientId: '01020000000105', hostname: null, state: 'bound', starts: T0, expires: T0 + HOUR },
    ]);
    db.close();
  });

  it('a batch is one transaction: a failing write stores nothing of it', () => {
    const db = openDatabase(path.join(dir, 'leases.db'));
    const repo = new SqliteLeaseRepository(db);
    expect(() => repo.applyBatch([bound(LAPTOP, T0, 8), bound(PHONE, T0, 1, { ip: '10.20.10.101', state: 'bogus' as never })])).toThrow();
    expect(repo.all()).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM ip_bindings').get()).toEqual({ n: 0 });
    db.close();
  });

  it('bindings: opened on bind, extended on renew, cut on release; whoHad names the MAC, the owner and the times', () => {
    const db = openDatabase(path.join(dir, 'leases.db'));
    new SqliteDeviceRepository(db).add({ mac: LAPTOP, className: 'school-laptop', owner: 'J. Bloggs', label: 'Staff laptop 1' }, 'cli:test', T0 - HOUR);
    const repo = new SqliteLeaseRepository(db);
    repo.applyBatch([bound(LAPTOP, T0, 8)]);
    repo.applyBatch([bound(LAPTOP, T0 + 4 * HOUR, 8)]); // renewed at T1
    repo.applyBatch([{ ...bound(LAPTOP, T0 + 4 * HOUR, 8), state: 'released', expires: T0 + 10 * HOUR, at: T0 + 10 * HOUR }]);
    // The phone gets the address later.
    repo.applyBatch([bound(PHONE, T0 + 11 * HOUR, 1)]);

    const rows = db.prepare(`SELECT ip, mac, from_at, to_at, source, session_row FROM ip_bindings ORDER BY id`).all();
    expect(rows).toEqual([
      { ip: IP, mac: LAPTOP, from_at: T0, to_at: T0 + 10 * HOUR, source: 'dhcp', session_row: null },
      { ip: IP, mac: PHONE, from_at: T0 + 11 * HOUR, to_at: T0 + 12 * HOUR, source: 'dhcp', session_row: null },
    ]);

    const [h, ...rest] = whoHad(db, IP, T0 + 9 * HOUR); // after the first lease's original end: renewed
    expect(rest).toEqual([]);
    expect(h).toMatchObject({ mac: LAPTOP, owner: 'J. Bloggs', className: 'school-laptop', registered: true, heldFrom: T0, heldUntil: T0 + 10 * HOUR, source: 'dhcp' });
    expect(whoHad(db, IP, T0 + 10 * HOUR + 1)).toEqual([]); // released, not yet re-leased
    expect(whoHad(db, IP, T0 + 11 * HOUR + 1)[0]).toMatchObject({ mac: PHONE, registered: false, owner: null });
    expect(whoHad(db, IP, T0 + 12 * HOUR)).toEqual([]); // the phone's lease ran out: it no longer holds it
    db.close();
  });

  it('a new holder of an address ends the previous holding even without a release', () => {
    const db = openDatabase(path.join(dir, 'leases.db'));
    const repo = new SqliteLeaseRepository(db);
    repo.applyBatch([bound(LAPTOP, T0, 8)]);
    repo.applyBatch([bound(PHONE, T0 + 2 * HOUR, 1)]); // e.g. a lease lost in a restore
    expect(whoHad(db, IP, T0 + 3 * HOUR - 1).map((r) => r.mac)).toEqual([PHONE]);
    expect(whoHad(db, IP, T0 + HOUR).map((r) => r.mac)).toEqual([LAPTOP]);
    db.close();
  });

  it('fingerprints: one row per distinct fingerprint per MAC, with first and last seen', () => {
    const db = openDatabase(path.join(dir, 'leases.db'));
    const repo = new SqliteLeaseRepository(db);
    const fp = { mac: LAPTOP, key: '1,3,6,15|MSFT 5.0', params: '1,3,6,15', vendorClass: 'MSFT 5.0', hostname: 'staff-01', clientIdType: 1, family: 'windows' };
    repo.recordFingerprints([{ ...fp, at: T0 }]);
    repo.recordFingerprints([{ ...fp, at: T0 + HOUR }]);
    repo.recordFingerprints([{ ...fp, key: '1,3,6|android-dhcp-14', params: '1,3,6', vendorClass: 'android-dhcp-14', family: 'android', at: T0 + 2 * HOUR }]);
    expect(repo.fingerprints(LAPTOP).map((f) => [f.family, f.firstSeen, f.lastSeen, f.seen])).toEqual([
      ['windows', T0, T0 + HOUR, 2],
      ['android', T0 + 2 * HOUR, T0 + 2 * HOUR, 1],
    ]);
    expect(repo.latestFingerprints()).toEqual([expect.objectContaining({ mac: LAPTOP, family: 'android', lastSeen: T0 + 2 * HOUR })]);
    db.close();
  });
});
