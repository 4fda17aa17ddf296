/**
 * Issue 4 item 6: accounting sessions without Framed-IP-Address are completed from DHCP leases,
 * whichever comes first — the lease (filled when it is bound) or the session (filled when it
 * starts while the MAC holds a lease). Real SQLite file, the real session repository, and the
 * DHCP service started in-process (its socket on a free loopback port, no traffic needed).
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDhcpService, type DhcpService } from '../../src/dhcp/service.js';
import { createLogger } from '../../src/log.js';
import { SqliteAccountingRepository } from '../../src/store/accounting.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteLeaseRepository } from '../../src/store/leases.js';
import { SqliteSessionRepository } from '../../src/store/sessions.js';
import { tempDir } from '../store/helpers.js';
import { dhcpConfigYaml, loadDhcpConfig } from './helpers.js';
import { accountingRecord } from '../helpers/accounting.js';

const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);
const LAPTOP = '00-11-22-33-44-55';
const PHONE = '02-00-00-00-00-07';

let db: Database.Database;
let cleanup: () => void;
let sessions: SqliteSessionRepository;
let acct: SqliteAccountingRepository;
let service: DhcpService | null = null;

beforeEach(() => {
  const t = tempDir('lanyard-dhcp-sessions-');
  cleanup = t.cleanup;
  db = openDatabase(path.join(t.dir, 'lanyard.db'));
  sessions = new SqliteSessionRepository(db);
  acct = new SqliteAccountingRepository(db, sessions);
});
afterEach(async () => {
  await service?.close();
  service = null;
  db.close();
  cleanup();
});

function start(sessionId: string, mac: string, at: number, framedIp: string | null = null): void {
  acct.insertBatch([accountingRecord(at, { sessionId, userName: mac.replace(/-/g, '').toLowerCase(), mac, framedIp })]);
}

const framedIp = (sessionId: string): unknown =>
  (db.prepare('SELECT framed_ip FROM sessions WHERE session_id = ?').get(sessionId) as { framed_ip: string | null }).framed_ip;

describe('sessions completed from DHCP leases', () => {
  it('a lease bound after the session started fills in its address; an address the NAS sent is kept', () => {
    start('s-1', LAPTOP, T0);
    start('s-2', PHONE, T0, '10.20.20.99');
    const repo = new SqliteLeaseRepository(db);
    const lease = { network: 'DCPS', clientId: null, hostname: null, state: 'bound' as const, starts: T0 + 1000, expires: T0 + 3600_000, at: T0 + 1000 };
    repo.applyBatch([
      { ...lease, ip: '10.20.10.100', mac: LAPTOP },
      { ...lease, ip: '10.20.20.10', mac: PHONE },
    ]);
    expect(framedIp('s-1')).toBe('10.20.10.100');
    expect(framedIp('s-2')).toBe('10.20.20.99');
  });

  it('a session that starts while its MAC holds a lease gets the leased address', async () => {
    const config = loadDhcpConfig(dhcpConfigYaml({ dhcp: '  bind: 127.0.0.1\n  port: 0' }));
    let now = T0;
    const heard: { mac: string; ip: string; at: number }[] = [];
    const svc = await startDhcpService(config, {
      db,
      devices: new Map(),
      sessions,
      audit: () => {},
      now: () => now,
      log: createLogger('silent'),
      storeError: (e) => {
        throw e;
      },
      onLeaseBound: (l) => heard.push({ mac: l.mac, ip: l.ip, at: l.at }),
    });
    if (svc === null) throw new Error('dhcp.mode is serve: the service must start');
    service = svc;
    const scope = svc.table.scope('BYOD')!;
    svc.table.bind(scope, scope.scope.pools[0]!.start, { key: `hw:${PHONE}`, mac: 0x020000000007, clientId: null, hostname: null }, now, 3600_000);
    // Half an hour later (a roam to another access point): longer than a web-filter feed holds a start.
    now += 30 * 60_000;
    start('s-3', PHONE, now);
    for (const [, w] of svc.writers) w.flush();
    expect(framedIp('s-3')).toBe('10.20.20.10');
    // The feed hears the address at the session's start, not only when the lease was bound.
    expect(heard).toEqual([{ mac: PHONE, ip: '10.20.20.10', at: now }]);
    // A MAC whose lease has ended gets nothing.
    now += 3600_000;
    start('s-4', PHONE, now);
    for (const [, w] of svc.writers) w.flush();
    expect(framedIp('s-4')).toBeNull();
    expect(heard).toHaveLength(1);
  });
});
