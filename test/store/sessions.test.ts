/**
 * Sessions derived from accounting records (RFC 2866): lifecycle, duplicates, Accounting-On/Off,
 * Gigawords and Acct-Delay-Time, address bindings, stale sessions, and the one-transaction rule.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Attr, Code, encodeInteger, encodeIpv4, encodeRequest, encodeString } from '../../src/protocols/radius/index.js';
import type { NasClientConfig } from '../../src/config/types.js';
import type { Exchange } from '../../src/radius/exchange.js';
import { parseAccounting, type AccountingRecord } from '../../src/radius/handlers/accounting-request.js';
import { SqliteAccountingRepository } from '../../src/store/accounting.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteEventRepository } from '../../src/store/events.js';
import { SqliteSessionRepository, type SessionChange } from '../../src/store/sessions.js';
import { tempDir } from './helpers.js';
import { accountingRecord } from '../helpers/accounting.js';

const T0 = Date.UTC(2025, 2, 4, 9, 0, 0);
const MIN = 60_000;
const AP = '11-22-33-44-55-66';
const STAFF = '02-00-00-00-01-01';
const PHONE = '02-00-00-00-01-05';

let cleanup: () => void;
let db: Database.Database;
let acct: SqliteAccountingRepository;
let sessions: SqliteSessionRepository;
let heard: SessionChange[];

beforeEach(() => {
  const t = tempDir('lanyard-sessions-');
  cleanup = t.cleanup;
  db = openDatabase(path.join(t.dir, 'sessions.db'));
  sessions = new SqliteSessionRepository(db);
  acct = new SqliteAccountingRepository(db, sessions);
  heard = [];
  sessions.onChange((changes) => heard.push(...changes));
  // The accept decision the sessions take their network and VLAN from.
  new SqliteEventRepository(db).insertDecisions([
    {
      at: T0 - 2_000,
      result: 'accept',
      reason: 'ok',
      mac: STAFF,
      userName: '020000000101',
      nas: 'ap-hall',
      nasAddress: '10.0.0.2',
      apMac: AP,
      ssid: 'DCPS',
      network: 'DCPS',
      vlan: 10,
      className: 'school-staff-laptop',
      profile: 'school-staff',
      method: 'mab',
      randomisedMac: false,
      latencyUs: 100,
    },
  ]);
});
afterEach(() => {
  db.close();
  cleanup();
});

function rec(over: Partial<AccountingRecord> = {}): AccountingRecord {
  return accountingRecord(over.at ?? T0, { nasPort: 1, userName: '020000000101', mac: STAFF, calledStationId: `${AP}:DCPS`, apMac: AP, framedIp: '10.10.1.5', ...over });
}

const start = (over: Partial<AccountingRecord> = {}): AccountingRecord => rec({ statusType: 1, ...over });
const interim = (over: Partial<AccountingRecord> = {}): AccountingRecord => rec({ statusType: 3, ...over });
const stop = (over: Partial<AccountingRecord> = {}): AccountingRecord => rec({ statusType: 2, terminateCause: 1, ...over });

function bindings(): { ip: string; mac: string | null; from_at: number; to_at: number | null; session_row: number }[] {
  return db.prepare('SELECT ip, mac, from_at, to_at, session_row FROM ip_bindings ORDER BY id').all() as never;
}

describe('session lifecycle', () => {
  it('Start creates an open session with AP, SSID, address and the network of the accept', () => {
    const result = acct.insertBatch([start()]);
    expect(result).toMatchObject({ stored: 1, duplicates: 0 });
    const [s] = sessions.list();
    expect(s).toMatchObject({
      nas: 'ap-hall',
      nasAddress: '10.0.0.2',
      sessionId: 's-1',
      mac: STAFF,
      apMac: AP,
      ssid: 'DCPS',
      network: 'DCPS',
      vlan: 10,
      framedIp: '10.10.1.5',
      nasPort: 1,
      startedAt: T0,
      updatedAt: T0,
      stoppedAt: null,
      stopReason: null,
    });
    expect(bindings()).toEqual([{ ip: '10.10.1.5', mac: STAFF, from_at: T0, to_at: null, session_row: s!.id }]);
    expect(heard.map((c) => c.kind)).toEqual(['start']);
  });

  it('Interim-Update moves counters forward, never back (UDP reorders)', () => {
    acct.insertBatch([start()]);
    acct.insertBatch([interim({ at: T0 + 10 * MIN, sessionTime: 600, inputOctets: 5000, outputOctets: 9000, inputPackets: 50, outputPackets: 90 })]);
    acct.insertBatch([interim({ at: T0 + 5 * MIN, sessionTime: 300, inputOctets: 2000, outputOctets: 3000 })]);
    const [s] = sessions.list();
    expect(s).toMatchObject({ updatedAt: T0 + 10 * MIN, sessionTime: 600, inputOctets: 5000, outputOctets: 9000, inputPackets: 50 });
    expect(acct.count()).toBe(3); // all three records kept as received
  });

  it('Interim-Update whose Start was lost creates the session, started Acct-Session-Time earlier', () => {
    acct.insertBatch([interim({ at: T0 + 20 * MIN, sessionTime: 1200, inputOctets: 1 })]);
    const [s] = sessions.list();
    expect(s).toMatchObject({ startedAt: T0, updatedAt: T0 + 20 * MIN, stoppedAt: null, network: 'DCPS' });
    expect(bindings()[0]).toMatchObject({ from_at: T0, to_at: null });
    // The late Start then changes nothing but what it alone knew.
    acct.insertBatch([start({ at: T0 - 1_000 })]);
    expect(sessions.list()).toHaveLength(1);
    expect(sessions.list()[0]!.startedAt).toBe(T0 - 1_000);
    expect(bindings()[0]).toMatchObject({ from_at: T0 - 1_000 });
    expect(heard.map((c) => c.kind)).toEqual(['start']);
  });

  it('Stop closes the session with its final counters, cause and the end of its address', () => {
    acct.insertBatch([start()]);
    acct.insertBatch([stop({ at: T0 + 60 * MIN, sessionTime: 3600, inputOctets: 7, outputOctets: 8, terminateCause: 4 })]);
    const [s] = sessions.list();
    expect(s).toMatchObject({ stoppedAt: T0 + 60 * MIN, stopReason: 'stop', terminateCause: 4, inputOctets: 7, sessionTime: 3600 });
    expect(bindings()[0]).toMatchObject({ from_at: T0, to_at: T0 + 60 * MIN });
    expect(heard.map((c) => c.kind)).toEqual(['start', 'stop']);
    expect(heard[1]!.session.stoppedAt).toBe(T0 + 60 * MIN);
  });

  it('a Stop alone creates the session already closed', () => {
    acct.insertBatch([stop({ at: T0 + 30 * MIN, sessionTime: 1800 })]);
    const [s] = sessions.list();
    expect(s).toMatchObject({ startedAt: T0, stoppedAt: T0 + 30 * MIN, stopReason: 'stop' });
    expect(bindings()[0]).toMatchObject({ from_at: T0, to_at: T0 + 30 * MIN });
    expect(heard.map((c) => c.kind)).toEqual(['start', 'stop']);
  });

  it('records a duplicate Start once (same batch, later batch, or resent with a larger Acct-Delay-Time)', () => {
    const first = start();
    acct.insertBatch([first, first]);
    acct.insertBatch([start({ at: T0 + 5_000, eventAt: T0, delayTime: 5 })]);
    const r = acct.insertBatch([first]);
    expect(r).toMatchObject({ stored: 0, duplicates: 1 });
    expect(acct.count()).toBe(1);
    expect(sessions.list()).toHaveLength(1);
    expect(heard.map((c) => c.kind)).toEqual(['start']);
  });

  it('a late Start retransmitted after the Stop does not reopen the session', () => {
    acct.insertBatch([start(), stop({ at: T0 + 10 * MIN, sessionTime: 600 })]);
    acct.insertBatch([start({ at: T0 + 11 * MIN, eventAt: T0 + 40_000, delayTime: 620 })]);
    expect(sessions.list()).toHaveLength(1);
    expect(sessions.list()[0]).toMatchObject({ stopReason: 'stop', stoppedAt: T0 + 10 * MIN });
  });

  it('uses the event time, receipt minus Acct-Delay-Time (RFC 2866 §5.2)', () => {
    acct.insertBatch([start({ at: T0 + 30_000, eventAt: T0, delayTime: 30 })]);
    expect(sessions.list()[0]!.startedAt).toBe(T0);
    const row = db.prepare('SELECT at, event_at, delay_time FROM accounting_records').get();
    expect(row).toEqual({ at: T0 + 30_000, event_at: T0, delay_time: 30 });
  });
});

describe('Accounting-On / Accounting-Off', () => {
  it('closes only that NAS’s sessions that began before it', () => {
    acct.insertBatch([
      start({ sessionId: 'a-1' }),
      start({ sessionId: 'a-2', mac: PHONE, framedIp: '10.20.0.9' }),
      start({ sessionId: 'b-1', nas: 'ap-library', nasAddress: '10.0.0.3', framedIp: '10.10.1.6' }),
    ]);
    heard = [];
    acct.insertBatch([rec({ statusType: 7, sessionId: null, mac: null, framedIp: null, at: T0 + 30 * MIN })]);
    const byId = new Map(sessions.list().map((s) => [s.sessionId, s]));
    expect(byId.get('a-1')).toMatchObject({ stoppedAt: T0 + 30 * MIN, stopReason: 'accounting-on' });
    expect(byId.get('a-2')).toMatchObject({ stoppedAt: T0 + 30 * MIN, stopReason: 'accounting-on' });
    expect(byId.get('b-1')).toMatchObject({ stoppedAt: null, stopReason: null });
    expect(heard.map((c) => `${c.kind} ${c.session.sessionId}`).sort()).toEqual(['stop a-1', 'stop a-2']);
    expect(bindings().filter((b) => b.to_at === null).map((b) => b.ip)).toEqual(['10.10.1.6']);
  });

  it('Accounting-Off closes too; a Session-Id reused after the reboot starts a new session', () => {
    acct.insertBatch([start({ sessionId: 'x' })]);
    acct.insertBatch([rec({ statusType: 8, sessionId: null, at: T0 + MIN })]);
    acct.insertBatch([start({ sessionId: 'x', at: T0 + 5 * MIN })]);
    const list = sessions.list();
    expect(list).toHaveLength(2);
    expect(list[1]).toMatchObject({ stopReason: 'accounting-off', stoppedAt: T0 + MIN });
    expect(list[0]).toMatchObject({ startedAt: T0 + 5 * MIN, stoppedAt: null });
  });

  it('keeps the Accounting-On time when the old session’s Stop arrives afterwards, but takes its counters', () => {
    acct.insertBatch([start()]);
    acct.insertBatch([rec({ statusType: 7, sessionId: null, at: T0 + 10 * MIN })]);
    acct.insertBatch([stop({ at: T0 + 11 * MIN, eventAt: T0 + 9 * MIN, sessionTime: 540, inputOctets: 99 })]);
    const list = sessions.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ stopReason: 'accounting-on', stoppedAt: T0 + 10 * MIN, inputOctets: 99, terminateCause: 1 });
  });
});

describe('addresses', () => {
  it('a new address mid-session ends the old binding and starts a new one', () => {
    acct.insertBatch([start()]);
    acct.insertBatch([interim({ at: T0 + 10 * MIN, sessionTime: 600, framedIp: '10.10.1.77' })]);
    expect(bindings().map((b) => [b.ip, b.from_at, b.to_at])).toEqual([
      ['10.10.1.5', T0, T0 + 10 * MIN],
      ['10.10.1.77', T0 + 10 * MIN, null],
    ]);
    expect(sessions.list()[0]!.framedIp).toBe('10.10.1.77');
  });

  it('the first address, learnt after the Start, counts from the session start', () => {
    acct.insertBatch([start({ framedIp: null })]);
    acct.insertBatch([interim({ at: T0 + 10 * MIN, sessionTime: 600 })]);
    expect(bindings()).toEqual([expect.objectContaining({ ip: '10.10.1.5', from_at: T0, to_at: null })]);
  });

  it('a new holder of an address ends the previous holder’s binding (its Stop was lost)', () => {
    acct.insertBatch([start({ sessionId: 'old' })]);
    acct.insertBatch([start({ sessionId: 'new', mac: PHONE, at: T0 + 60 * MIN })]);
    expect(bindings().map((b) => [b.mac, b.from_at, b.to_at])).toEqual([
      [STAFF, T0, T0 + 60 * MIN],
      [PHONE, T0 + 60 * MIN, null],
    ]);
  });
});

describe('Gigawords and the packet parser', () => {
  it('folds Acct-Input/Output-Gigawords into the octets and reads delay, NAS-Port, AP and SSID', () => {
    const secret = Buffer.from('s3cret-s3cret');
    const buf = encodeRequest({
      code: Code.AccountingRequest,
      identifier: 7,
      attributes: Buffer.concat([
        encodeInteger(Attr.AcctStatusType, 3),
        encodeString(Attr.AcctSessionId, 'g-1'),
        encodeString(Attr.CallingStationId, '02:00:00:00:01:01'),
        encodeString(Attr.CalledStationId, 'aa-bb-cc-00-00-01:DCPS'),
        encodeIpv4(Attr.FramedIpAddress, '10.10.1.5'),
        encodeInteger(Attr.NasPort, 12),
        encodeInteger(Attr.AcctDelayTime, 4),
        encodeInteger(Attr.AcctSessionTime, 3600),
        encodeInteger(Attr.AcctInputOctets, 5),
        encodeInteger(Attr.AcctInputGigawords, 3),
        encodeInteger(Attr.AcctOutputOctets, 0xffffffff),
        encodeInteger(Attr.AcctOutputGigawords, 1),
        encodeInteger(Attr.AcctInputPackets, 100),
        encodeInteger(Attr.AcctOutputPackets, 200),
      ]),
      secret,
    });
    const ex = { buf, address: '10.0.0.2', port: 1, service: 'acct', receivedAt: 0, nas: { name: 'ap-hall' } as NasClientConfig, nasIndex: 0, dupEntry: null } satisfies Exchange;
    const r = parseAccounting(ex, T0);
    expect(r).toMatchObject({
      at: T0,
      eventAt: T0 - 4_000,
      delayTime: 4,
      statusType: 3,
      sessionId: 'g-1',
      mac: STAFF,
      apMac: 'AA-BB-CC-00-00-01',
      ssid: 'DCPS',
      framedIp: '10.10.1.5',
      nasPort: 12,
      sessionTime: 3600,
      inputOctets: 3 * 2 ** 32 + 5,
      outputOctets: 2 ** 32 + 0xffffffff,
      inputPackets: 100,
      outputPackets: 200,
    });
    acct.insertBatch([r]);
    expect(sessions.list()[0]).toMatchObject({ inputOctets: 3 * 2 ** 32 + 5, outputOctets: 2 ** 33 - 1, startedAt: T0 - 4_000 - 3_600_000 });
  });
});

describe('stale sessions', () => {
  it('closes a silent session at its last update; a later Interim resumes it, a later Stop corrects its end', () => {
    acct.insertBatch([start(), interim({ at: T0 + 10 * MIN, sessionTime: 600 })]);
    expect(sessions.closeStale(T0 + 10 * MIN + 25 * 3_600_000)).toBe(1);
    expect(sessions.list()[0]).toMatchObject({ stoppedAt: T0 + 10 * MIN, stopReason: 'stale' });
    expect(bindings()[0]!.to_at).toBe(T0 + 10 * MIN);

    acct.insertBatch([interim({ at: T0 + 26 * 3_600_000, sessionTime: 26 * 3600 - 0 })]);
    expect(sessions.list()[0]).toMatchObject({ stoppedAt: null, stopReason: null });
    expect(bindings()[0]!.to_at).toBeNull();
    expect(sessions.closeStale(T0 + 60 * 3_600_000)).toBe(1);
    acct.insertBatch([stop({ at: T0 + 27 * 3_600_000, sessionTime: 27 * 3600 })]);
    expect(sessions.list()).toHaveLength(1);
    expect(sessions.list()[0]).toMatchObject({ stoppedAt: T0 + 27 * 3_600_000, stopReason: 'stop' });
    expect(bindings()[0]!.to_at).toBe(T0 + 27 * 3_600_000);
    expect(heard.map((c) => c.kind)).toEqual(['start', 'stop', 'resume', 'stop']);
  });
});

describe('one transaction', () => {
  it('stores nothing of a batch whose session update fails (the NAS gets no response and retransmits)', () => {
    const failing = new SqliteSessionRepository(db, {
      networkOf: (mac) => {
        if (mac === PHONE) throw new Error('disk on fire');
        return null;
      },
    });
    const repo = new SqliteAccountingRepository(db, failing);
    expect(() => repo.insertBatch([start({ sessionId: 'ok' }), start({ sessionId: 'bad', mac: PHONE })])).toThrow('disk on fire');
    expect(repo.count()).toBe(0);
    expect(failing.list()).toHaveLength(0);
  });

  it('a listener that throws neither undoes the write nor stops the other listeners', () => {
    const errors: unknown[] = [];
    const s = new SqliteSessionRepository(db, { onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    s.onChange(() => {
      throw new Error('listener bug');
    });
    s.onChange((c) => seen.push(...c.map((x) => x.kind)));
    new SqliteAccountingRepository(db, s).insertBatch([start()]);
    expect(seen).toEqual(['start']);
    expect(errors).toHaveLength(1);
    expect(s.list()).toHaveLength(1);
  });
});

describe('list', () => {
  it('filters open sessions, by MAC and by address, newest first', () => {
    acct.insertBatch([
      start({ sessionId: '1' }),
      start({ sessionId: '2', mac: PHONE, framedIp: '10.20.0.9', at: T0 + MIN }),
      stop({ sessionId: '1', at: T0 + 2 * MIN, sessionTime: 120 }),
    ]);
    expect(sessions.list().map((s) => s.sessionId)).toEqual(['2', '1']);
    expect(sessions.list({ open: true }).map((s) => s.sessionId)).toEqual(['2']);
    expect(sessions.list({ mac: '02:00:00:00:01:01' }).map((s) => s.sessionId)).toEqual(['1']);
    expect(sessions.list({ ip: '10.20.0.9' }).map((s) => s.sessionId)).toEqual(['2']);
    expect(sessions.countOpen()).toBe(1);
    expect(() => sessions.list({ limit: 0 })).toThrow(/limit/);
  });
});

describe('retention', () => {
  it('purges ended sessions, their bindings and old raw records; keeps open sessions', () => {
    acct.insertBatch([start({ sessionId: 'old' }), stop({ sessionId: 'old', at: T0 + MIN, sessionTime: 60 })]);
    acct.insertBatch([start({ sessionId: 'open', mac: PHONE, framedIp: '10.20.0.9', at: T0 + 2 * MIN })]);
    acct.insertBatch([start({ sessionId: 'recent', at: T0 + 10 * MIN }), stop({ sessionId: 'recent', at: T0 + 20 * MIN, sessionTime: 600 })]);
    expect(sessions.purgeBefore(T0 + 5 * MIN)).toBe(1);
    expect(sessions.list().map((s) => s.sessionId).sort()).toEqual(['open', 'recent']);
    expect(bindings().map((b) => b.ip).sort()).toEqual(['10.10.1.5', '10.20.0.9']);
    expect(acct.purgeBefore(T0 + 5 * MIN)).toBe(3);
    expect(acct.count()).toBe(2);
  });
});
