/**
 * Exports: CSV with readable headers and safe cells, JSON lines, streamed in chunks with
 * backpressure, on their own read-only connection (the writer keeps writing meanwhile).
 */
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, csvField, exportActivity, writeExport } from '../../src/audit/query.js';
import type { AccountingRecord } from '../../src/radius/handlers/accounting-request.js';
import { SqliteAccountingRepository } from '../../src/store/accounting.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { SqliteEventRepository } from '../../src/store/events.js';
import { tempDir } from '../store/helpers.js';
import { accountingRecord } from '../helpers/accounting.js';

const T0 = Date.UTC(2025, 2, 4, 9, 0, 0);
const MIN = 60_000;
const LAPTOP = '02-00-00-00-01-01';

let cleanup: () => void;
let db: Database.Database;
let acct: SqliteAccountingRepository;

function rec(statusType: number, sessionId: string, at: number, over: Partial<AccountingRecord> = {}): AccountingRecord {
  return accountingRecord(at, { statusType, sessionId, mac: LAPTOP, calledStationId: null, framedIp: '10.10.1.5', terminateCause: statusType === 2 ? 4 : null, ...over });
}

beforeEach(() => {
  const t = tempDir('lanyard-export-');
  cleanup = t.cleanup;
  db = openDatabase(path.join(t.dir, 'x.db'));
  acct = new SqliteAccountingRepository(db);
  new SqliteDeviceRepository(db).add({ mac: LAPTOP, className: 'school-staff-laptop', owner: 'Smith, "Jo"' }, 'test', T0 - 86_400_000);
  new SqliteEventRepository(db).insertDecisions([
    {
      at: T0 - 1000,
      result: 'reject',
      reason: 'unknown-device',
      mac: '02-00-00-00-09-99',
      userName: '=HYPERLINK("http://evil")',
      nas: 'ap-hall',
      nasAddress: '10.0.0.2',
      apMac: null,
      ssid: 'DCPS',
      network: null,
      vlan: null,
      className: null,
      profile: null,
      method: 'mab',
      randomisedMac: false,
      latencyUs: 10,
    },
  ]);
  acct.insertBatch([rec(1, 's-1', T0), rec(2, 's-1', T0 + 30 * MIN, { sessionTime: 1800 })]);
});
afterEach(() => {
  db.close();
  cleanup();
});

async function collect(stream: AsyncIterable<string | Buffer> | Iterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe('CSV', () => {
  it('has a header an SLT member can read and one row per event, oldest first', async () => {
    const text = await collect(exportActivity(db, { from: T0 - MIN, to: T0 + 60 * MIN }, 'csv'));
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('Time (UTC),Device MAC,Owner,Class,IP address,Access point,Network,Event,Reason');
    expect(lines.slice(1, -1)).toEqual([
      '2025-03-04 08:59:59,02-00-00-00-09-99,,,,ap-hall,DCPS,Access refused,The MAC address is not registered and this network does not admit unknown devices.',
      '2025-03-04 09:00:00,02-00-00-00-01-01,"Smith, ""Jo""",school-staff-laptop,10.10.1.5,11-22-33-44-55-66 (ap-hall),DCPS,Connected,',
      '2025-03-04 09:30:00,02-00-00-00-01-01,"Smith, ""Jo""",school-staff-laptop,10.10.1.5,11-22-33-44-55-66 (ap-hall),DCPS,Disconnected,Idle timeout',
    ]);
    expect(lines.at(-1)).toBe('');
    expect(EXPORT_COLUMNS).toHaveLength(9);
  });

  it('never lets a cell run as a spreadsheet formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(null)).toBe('');
    expect(csvField('plain')).toBe('plain');
  });
});

describe('JSON lines', () => {
  it('is one parseable object per line with an ISO time', async () => {
    const text = await collect(exportActivity(db, { from: T0 - MIN, to: T0 + 60 * MIN, mac: LAPTOP }, 'json'));
    const rows = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r['time'], r['kind'], r['owner']])).toEqual([
      ['2025-03-04T09:00:00.000Z', 'session-start', 'Smith, "Jo"'],
      ['2025-03-04T09:30:00.000Z', 'session-stop', 'Smith, "Jo"'],
    ]);
    expect(rows[1]).toMatchObject({ ip: '10.10.1.5', reason: '4', reasonText: 'Idle timeout' });
  });
});

describe('streaming', () => {
  beforeEach(() => {
    // Enough rows for many 64 KiB chunks.
    const batch: AccountingRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      batch.push(rec(1, `bulk-${i}`, T0 + MIN + i * 1000, { framedIp: `10.30.${i >> 8}.${i & 255}` }));
      batch.push(rec(2, `bulk-${i}`, T0 + MIN + i * 1000 + 500, { sessionTime: 0 }));
    }
    acct.insertBatch(batch);
  });

  it('yields bounded chunks, each a whole number of lines', () => {
    const chunks = [...exportActivity(db, { from: T0, to: T0 + 86_400_000 }, 'csv')];
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.length).toBeLessThan(64 * 1024 + 1024);
      expect(c.endsWith('\r\n')).toBe(true);
    }
    expect(chunks.join('').split('\r\n').length - 2).toBe(2 + 6000);
  });

  it('writes to a slow destination, waiting for drain, while the daemon’s connection keeps writing', async () => {
    let received = '';
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        received += chunk.toString();
        writes++;
        // The writer connection commits between chunks (an accounting batch in the daemon).
        acct.insertBatch([rec(1, `during-${writes}`, T0 + 2 * 86_400_000)]);
        setTimeout(done, 2);
      },
    });
    const bytes = await writeExport(db, { from: T0, to: T0 + 86_400_000 }, 'json', slow);
    expect(bytes).toBe(Buffer.byteLength(received));
    expect(received.trimEnd().split('\n')).toHaveLength(2 + 6000);
    expect(writes).toBeGreaterThan(5);
  });

  it('works as a Readable for an HTTP response', async () => {
    const text = await collect(Readable.from(exportActivity(db, { from: T0, to: T0 + 86_400_000 }, 'json')));
    expect(text.trimEnd().split('\n')).toHaveLength(2 + 6000);
  });

  it('refuses an unknown format', () => {
    expect(() => [...exportActivity(db, { from: T0, to: T0 + 1 }, 'xml' as 'csv')]).toThrow(/format/);
  });
});
