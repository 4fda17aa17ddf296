/**
 * The SLT queries over a real SQLite file: who had an address (boundaries, reuse, owner as it
 * was), activity of a device or a person, devices on a network / AP, rejections, paging.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceActivity, iterateActivity, onNetwork, rejections, whoHad, type ActivityEvent } from '../../src/audit/query.js';
import { isLanyardError } from '../../src/errors.js';
import type { AccountingRecord } from '../../src/radius/handlers/accounting-request.js';
import { SqliteAccountingRepository } from '../../src/store/accounting.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { SqliteEventRepository } from '../../src/store/events.js';
import type { DecisionEvent } from '../../src/store/types.js';
import { tempDir } from '../store/helpers.js';
import { accountingRecord } from '../helpers/accounting.js';

const DAY = 86_400_000;
const MIN = 60_000;
const T0 = Date.UTC(2025, 2, 4, 9, 0, 0);
const AP1 = '11-22-33-44-55-66';
const AP2 = '11-22-33-44-55-77';
const LAPTOP = '02-00-00-00-01-01';
const PHONE = '02-00-00-00-01-05';
const IP = '10.10.1.5';

let cleanup: () => void;
let db: Database.Database;
let devices: SqliteDeviceRepository;
let events: SqliteEventRepository;
let acct: SqliteAccountingRepository;

beforeEach(() => {
  const t = tempDir('lanyard-query-');
  cleanup = t.cleanup;
  db = openDatabase(path.join(t.dir, 'q.db'));
  devices = new SqliteDeviceRepository(db);
  events = new SqliteEventRepository(db);
  acct = new SqliteAccountingRepository(db);
  devices.add({ mac: LAPTOP, className: 'school-staff-laptop', owner: 'J Smith', label: 'LT-042' }, 'test', T0 - 30 * DAY);
  devices.add({ mac: PHONE, className: 'staff-personal-phone', owner: 'A Patel' }, 'test', T0 - 30 * DAY);
});
afterEach(() => {
  db.close();
  cleanup();
});

function rec(statusType: number, over: Partial<AccountingRecord>): AccountingRecord {
  return accountingRecord(over.at ?? T0, { statusType, sessionId: 's', mac: LAPTOP, calledStationId: `${AP1}:DCPS`, apMac: AP1, framedIp: IP, terminateCause: statusType === 2 ? 1 : null, ...over });
}

/** A whole session: accept decision just before, Start, and Stop unless `until` is null. */
function session(sessionId: string, mac: string, from: number, until: number | null, over: Partial<AccountingRecord> = {}): void {
  decision({ at: from - 1_000, mac, result: 'accept', reason: 'ok', apMac: over.apMac ?? AP1, ssid: over.ssid ?? 'DCPS' });
  const records = [rec(1, { sessionId, mac, at: from, ...over })];
  if (until !== null) records.push(rec(2, { sessionId, mac, at: until, sessionTime: Math.round((until - from) / 1000), ...over }));
  acct.insertBatch(records);
}

function decision(over: Partial<DecisionEvent> & { at: number; result: DecisionEvent['result']; reason: string }): void {
  const network = over.result === 'accept' ? (over.ssid === 'BYOD' ? 'BYOD' : 'DCPS') : null;
  events.insertDecisions([
    {
      mac: LAPTOP,
      userName: null,
      nas: 'ap-hall',
      nasAddress: '10.0.0.2',
      apMac: AP1,
      ssid: 'DCPS',
      network,
      vlan: network === 'DCPS' ? 10 : network === 'BYOD' ? 20 : null,
      className: null,
      profile: null,
      method: 'mab',
      randomisedMac: false,
      latencyUs: 50,
      ...over,
    },
  ]);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isLanyardError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('whoHad', () => {
  beforeEach(() => session('s-1', LAPTOP, T0, T0 + 60 * MIN));

  it('finds the device, owner, class, network, AP and session exactly at the start', () => {
    const [h, ...rest] = whoHad(db, IP, T0);
    expect(rest).toEqual([]);
    expect(h).toMatchObject({
      ip: IP,
      at: T0,
      mac: LAPTOP,
      owner: 'J Smith',
      className: 'school-staff-laptop',
      label: 'LT-042',
      registered: true,
      network: 'DCPS',
      vlan: 10,
      nas: 'ap-hall',
      apMac: AP1,
      ssid: 'DCPS',
      sessionId: 's-1',
      startedAt: T0,
      stoppedAt: T0 + 60 * MIN,
      heldFrom: T0,
      heldUntil: T0 + 60 * MIN,
      source: 'accounting',
    });
  });

  it('nobody holds it before the start or from the stop on', () => {
    expect(whoHad(db, IP, T0 - 1)).toEqual([]);
    expect(whoHad(db, IP, T0 + 60 * MIN - 1)).toHaveLength(1);
    expect(whoHad(db, IP, T0 + 60 * MIN)).toEqual([]);
  });

  it('an open session holds it from its start on', () => {
    session('s-2', PHONE, T0 + 2 * DAY, null, { framedIp: '10.20.0.9' });
    const [h] = whoHad(db, '10.20.0.9', T0 + 2 * DAY + 5 * 3_600_000);
    expect(h).toMatchObject({ mac: PHONE, owner: 'A Patel', stoppedAt: null, heldUntil: null });
  });

  it('two sessions reusing the address one after the other: each holds it in its own time', () => {
    session('s-3', PHONE, T0 + 60 * MIN, T0 + 120 * MIN);
    expect(whoHad(db, IP, T0 + 60 * MIN - 1).map((h) => h.mac)).toEqual([LAPTOP]);
    expect(whoHad(db, IP, T0 + 60 * MIN).map((h) => h.mac)).toEqual([PHONE]);
    expect(whoHad(db, IP, T0 + 90 * MIN).map((h) => h.owner)).toEqual(['A Patel']);
  });

  it('gives the owner and class as they were at that time, not as they are now', () => {
    devices.update(LAPTOP, { owner: 'K Jones', className: 'school-shared-laptop' }, 'test', T0 + DAY);
    const [h] = whoHad(db, IP, T0 + 30 * MIN);
    expect(h).toMatchObject({ owner: 'J Smith', className: 'school-staff-laptop' });
    session('s-4', LAPTOP, T0 + 2 * DAY, T0 + 2 * DAY + MIN);
    expect(whoHad(db, IP, T0 + 2 * DAY)[0]).toMatchObject({ owner: 'K Jones', className: 'school-shared-laptop' });
  });

  it('an unregistered device is reported as such', () => {
    session('s-5', '02-00-00-00-09-99', T0 + DAY, T0 + DAY + MIN, { framedIp: '10.20.0.50' });
    expect(whoHad(db, '10.20.0.50', T0 + DAY)[0]).toMatchObject({ mac: '02-00-00-00-09-99', registered: false, owner: null });
  });

  it('reads a DHCP lease from ip_bindings with the session the MAC had then (the issue 4 seam)', () => {
    db.prepare(`INSERT INTO ip_bindings (ip, mac, from_at, to_at, source) VALUES ('10.10.1.200', ?, ?, ?, 'dhcp')`).run(LAPTOP, T0, T0 + DAY);
    const [h] = whoHad(db, '10.10.1.200', T0 + 10 * MIN);
    expect(h).toMatchObject({ source: 'dhcp', mac: LAPTOP, owner: 'J Smith', apMac: AP1, sessionId: 's-1', heldUntil: T0 + DAY });
  });

  it('accepts the address in IPv4-mapped IPv6 form and refuses what is not an address', () => {
    expect(whoHad(db, '::ffff:10.10.1.5', T0)).toHaveLength(1);
    expect(code(() => whoHad(db, '010.10.1.5', T0))).toBe('LANYARD_ERR_FIELD_INVALID');
    expect(code(() => whoHad(db, 'nonsense', T0))).toBe('LANYARD_ERR_FIELD_INVALID');
    expect(code(() => whoHad(db, IP, Number.NaN))).toBe('LANYARD_ERR_FIELD_INVALID');
  });
});

describe('deviceActivity', () => {
  beforeEach(() => {
    session('a', LAPTOP, T0, T0 + 60 * MIN);
    decision({ at: T0 + 2 * 3_600_000, result: 'reject', reason: 'wrong-network', ssid: 'BYOD', className: 'school-staff-laptop' });
    session('b', PHONE, T0 + 30 * MIN, T0 + 40 * MIN, { framedIp: '10.20.0.9', ssid: 'BYOD' });
  });

  it('lists a device’s decisions and sessions in time order, with words for each', () => {
    const page = deviceActivity(db, { mac: '0200.0000.0101', from: T0 - DAY, to: T0 + DAY });
    expect(page.next).toBeNull();
    expect(page.events.map((e) => [e.at - T0, e.kind, e.event])).toEqual([
      [-1_000, 'decision', 'Access granted'],
      [0, 'session-start', 'Connected'],
      [60 * MIN, 'session-stop', 'Disconnected'],
      [2 * 3_600_000, 'decision', 'Access refused'],
    ]);
    expect(page.events[2]).toMatchObject({ ip: IP, owner: 'J Smith', reasonText: 'Disconnected by the device (user request)', apMac: AP1 });
    expect(page.events[3]).toMatchObject({ reason: 'wrong-network', reasonText: expect.stringContaining('different network') });
  });

  it('filters by kind', () => {
    const q = { mac: LAPTOP, from: T0 - DAY, to: T0 + DAY };
    expect(deviceActivity(db, { ...q, kind: 'decision' }).events.map((e) => e.kind)).toEqual(['decision', 'decision']);
    expect(deviceActivity(db, { ...q, kind: 'session' }).events.map((e) => e.kind)).toEqual(['session-start', 'session-stop']);
  });

  it('lists a session already in progress at the start of the period with its real start', () => {
    const page = deviceActivity(db, { mac: LAPTOP, from: T0 + 10 * MIN, to: T0 + 20 * MIN });
    expect(page.events.map((e) => [e.kind, e.at])).toEqual([['session-start', T0]]);
  });

  it('follows a person’s devices only while they owned them', () => {
    devices.update(PHONE, { owner: 'j smith' }, 'test', T0 + 3 * 3_600_000);
    session('c', PHONE, T0 + 4 * 3_600_000, T0 + 5 * 3_600_000, { framedIp: '10.20.0.9', ssid: 'BYOD' });
    const smith = deviceActivity(db, { person: 'J SMITH ', from: T0 - DAY, to: T0 + DAY, kind: 'session' }).events;
    expect(smith.map((e) => [e.mac, e.sessionId, e.kind])).toEqual([
      [LAPTOP, 'a', 'session-start'],
      [LAPTOP, 'a', 'session-stop'],
      [PHONE, 'c', 'session-start'],
      [PHONE, 'c', 'session-stop'],
    ]);
    const patel = deviceActivity(db, { person: ['A Patel', 'a.patel@school.example'], from: T0 - DAY, to: T0 + DAY, kind: 'session' }).events;
    expect(patel.map((e) => e.sessionId)).toEqual(['b', 'b']);
    expect(deviceActivity(db, { person: 'Nobody', from: T0 - DAY, to: T0 + DAY }).events).toEqual([]);
  });

  it('pages with a cursor, the pages together being the whole list', () => {
    const q = { from: T0 - DAY, to: T0 + DAY };
    const all = deviceActivity(db, { ...q, limit: 1000 }).events;
    expect(all.length).toBe(7); // 3 decisions, 2 sessions × start and stop
    const paged: ActivityEvent[] = [];
    let after: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = deviceActivity(db, { ...q, limit: 2, ...(after === undefined ? {} : { after }) });
      paged.push(...page.events);
      if (page.next === null) break;
      after = page.next;
    }
    expect(paged).toEqual(all);
    expect(code(() => deviceActivity(db, { ...q, after: 'junk' }))).toBe('LANYARD_ERR_FIELD_INVALID');
    expect(code(() => deviceActivity(db, { from: T0, to: T0 }))).toBe('LANYARD_ERR_FIELD_INVALID');
  });

  it('streams with iterateActivity and releases the statements when stopped early', () => {
    const it = iterateActivity(db, { from: T0 - DAY, to: T0 + DAY });
    expect(it.next().done).toBe(false);
    it.return();
    // The connection is free for writes again.
    session('d', LAPTOP, T0 + 3 * DAY, null);
  });
});

describe('onNetwork', () => {
  it('lists the devices on an access point, SSID or network between two times', () => {
    session('a', LAPTOP, T0, T0 + 60 * MIN);
    session('b', PHONE, T0 + 30 * MIN, T0 + 40 * MIN, { framedIp: '10.20.0.9', ssid: 'BYOD', apMac: AP2 });
    session('c', LAPTOP, T0 + DAY, T0 + DAY + MIN);
    const window = { from: T0 + 35 * MIN, to: T0 + 50 * MIN };
    expect(onNetwork(db, { ...window, apMac: AP1 }).map((p) => p.mac)).toEqual([LAPTOP]);
    const [p] = onNetwork(db, { ...window, apMac: '11:22:33:44:55:77' });
    expect(p).toMatchObject({ mac: PHONE, owner: 'A Patel', firstSeen: window.from, lastSeen: T0 + 40 * MIN, sessions: 1, ips: ['10.20.0.9'], ssids: ['BYOD'] });
    expect(onNetwork(db, { ...window, ssid: 'DCPS' })).toHaveLength(1);
    expect(onNetwork(db, { ...window, network: 'DCPS' }).map((x) => [x.mac, x.connectedAtEnd])).toEqual([[LAPTOP, true]]);
    expect(onNetwork(db, { from: T0 + 2 * DAY, to: T0 + 3 * DAY, apMac: AP1 })).toEqual([]);
    expect(code(() => onNetwork(db, window))).toBe('LANYARD_ERR_FIELD_INVALID');
  });

  it('finds a session longer than a week that began long before the period', () => {
    session('long', LAPTOP, T0 - 20 * DAY, null);
    session('long-closed', PHONE, T0 - 30 * DAY, T0 + DAY, { framedIp: '10.20.0.9' });
    expect(onNetwork(db, { from: T0, to: T0 + MIN, apMac: AP1 }).map((p) => p.mac).sort()).toEqual([LAPTOP, PHONE]);
    expect(deviceActivity(db, { from: T0, to: T0 + MIN, kind: 'session' }).events.map((e) => e.sessionId).sort()).toEqual(['long', 'long-closed']);
  });
});

describe('rejections', () => {
  it('lists refused attempts with the owner at the time, filtered by reason, paged', () => {
    decision({ at: T0, result: 'reject', reason: 'unknown-device', mac: '02-00-00-00-09-99' });
    decision({ at: T0 + MIN, result: 'reject', reason: 'device-lost', mac: LAPTOP, className: 'school-staff-laptop', apMac: AP2 });
    decision({ at: T0 + 2 * MIN, result: 'accept', reason: 'ok' });
    decision({ at: T0 + 3 * MIN, result: 'reject', reason: 'device-lost', mac: LAPTOP, className: 'school-staff-laptop' });
    const all = rejections(db, { from: T0 - DAY, to: T0 + DAY });
    expect(all.rejections.map((r) => r.reason)).toEqual(['unknown-device', 'device-lost', 'device-lost']);
    const lost = rejections(db, { from: T0 - DAY, to: T0 + DAY, reason: 'device-lost', limit: 1 });
    expect(lost.rejections[0]).toMatchObject({ mac: LAPTOP, owner: 'J Smith', apMac: AP2, reasonText: expect.stringContaining('lost or stolen') });
    const rest = rejections(db, { from: T0 - DAY, to: T0 + DAY, reason: 'device-lost', after: lost.next! });
    expect(rest.rejections.map((r) => r.at)).toEqual([T0 + 3 * MIN]);
    expect(rest.next).toBeNull();
  });
});
