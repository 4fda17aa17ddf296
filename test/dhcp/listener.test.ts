/**
 * The DHCP listener driven without a socket (onMessage), with a real SQLite file behind its
 * batched writers: malformed datagrams are dropped and counted, refusals are audited once a
 * minute, listen mode records leases and never answers, the captured udhcpc/dhclient/dhcpcd
 * DISCOVERs give three different stored fingerprints, and a registered device whose
 * fingerprint changes OS family raises an alert.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/log.js';
import { BatchWriter } from '../../src/audit/writer.js';
import type { LanyardConfig } from '../../src/config/types.js';
import { FingerprintMemory } from '../../src/dhcp/fingerprints.js';
import { DHCP_DROP_REASONS, DhcpListener, newDhcpCounters, type DhcpCounters } from '../../src/dhcp/listener.js';
import { DHCP_SILENCES } from '../../src/dhcp/engine.js';
import { LeaseTable } from '../../src/dhcp/pools.js';
import { createLogger } from '../../src/log.js';
import { parseMac } from '../../src/policy/mac.js';
import type { DeviceFacts } from '../../src/policy/model.js';
import { BOOTREPLY, BOOTREQUEST, encodeDhcp } from '../../src/protocols/dhcp/index.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteLeaseRepository, type FingerprintSighting, type LeaseWrite } from '../../src/store/leases.js';
import { fixture } from '../protocols/dhcp/helpers.js';
import { tempDir } from '../store/helpers.js';
import { clientOptions, dhcpConfigYaml, ip, loadDhcpConfig, macBytes, type ClientMessage } from './helpers.js';

const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);

let db: Database.Database;
let cleanup: () => void;
let repo: SqliteLeaseRepository;
let leases: BatchWriter<LeaseWrite>;
let fingerprints: BatchWriter<FingerprintSighting>;
let audit: AuditEntry[];
let counters: DhcpCounters;
let now: number;
const devices = new Map<number, DeviceFacts>();

beforeEach(() => {
  const t = tempDir('lanyard-dhcp-listener-');
  cleanup = t.cleanup;
  db = openDatabase(path.join(t.dir, 'lanyard.db'));
  repo = new SqliteLeaseRepository(db);
  const opts = { flushIntervalMs: 10, batchSize: 100, maxQueued: 1000, onError: (e: unknown) => { throw e; } };
  leases = new BatchWriter<LeaseWrite>({ ...opts, write: (b) => repo.applyBatch(b) });
  fingerprints = new BatchWriter<FingerprintSighting>({ ...opts, write: (b) => repo.recordFingerprints(b) });
  audit = [];
  counters = newDhcpCounters();
  now = T0;
  devices.clear();
});
afterEach(() => {
  leases.close();
  fingerprints.close();
  db.close();
  cleanup();
});

function listener(config: LanyardConfig): DhcpListener {
  return new DhcpListener({
    state: () => ({ config: config.dhcp, policy: config.policy }),
    table: new LeaseTable(config.dhcp, [], now),
    devices,
    leases,
    fingerprints,
    memory: new FingerprintMemory([], parseMac),
    audit: (e) => void audit.push(e),
    now: () => now,
    log: createLogger('silent'),
    counters,
  });
}

function encode(m: ClientMessage & { vendorClass?: string }): Buffer {
  const options = clientOptions(m);
  if (m.vendorClass !== undefined) options.push({ code: 60, data: Buffer.from(m.vendorClass), area: 'options' });
  return encodeDhcp({
    op: BOOTREQUEST,
    xid: 7,
    ciaddr: m.ciaddr === undefined ? 0 : ip(m.ciaddr),
    giaddr: m.giaddr === undefined ? 0 : ip(m.giaddr),
    chaddr: macBytes(m.mac),
    options,
  });
}

function register(mac: string, className: string): void {
  const m = parseMac(mac);
  devices.set(m, { mac: m, className, owner: 'J. Bloggs', status: 'active', expiresAt: null });
}

function flush(): void {
  leases.flush();
  fingerprints.flush();
}

describe('the DHCP listener', () => {
  it('drops and counts what is not a DHCP client message, and never throws', () => {
    const l = listener(loadDhcpConfig());
    const inputs = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(300), encodeDhcp({ op: BOOTREPLY, xid: 1, chaddr: macBytes('02-00-00-00-00-01'), options: [] })];
    const noType = encodeDhcp({ op: BOOTREQUEST, xid: 1, chaddr: macBytes('02-00-00-00-00-01'), options: [] });
    for (const b of [...inputs, noType]) expect(() => l.onMessage(b, '192.0.2.1')).not.toThrow();
    expect(counters.received).toBe(5);
    expect(counters.drops).toMatchObject({ 'too-short': 2, 'bad-magic-cookie': 1, 'not-a-request': 1, 'no-message-type': 1 });
  });

  it('counts a refusal every time but audits the same MAC, network and reason once a minute', () => {
    const l = listener(loadDhcpConfig());
    for (let i = 0; i < 5; i++) {
      l.onMessage(encode({ type: 'DISCOVER', mac: '02-00-00-00-00-09', giaddr: '10.20.10.1' }), '10.20.10.1');
      now += 5_000;
    }
    expect(counters.refusals).toEqual({ 'unknown-device': 5 });
    expect(counters.silences.refused).toBe(5);
    expect(audit).toHaveLength(1);
    now += 60_000;
    l.onMessage(encode({ type: 'DISCOVER', mac: '02-00-00-00-00-09', giaddr: '10.20.10.1' }), '10.20.10.1');
    expect(audit).toHaveLength(2);
  });

  it('listen mode: records the lease a relayed REQUEST names, and a RELEASE; never replies', () => {
    const config = loadDhcpConfig(dhcpConfigYaml().replace('  mode: serve', '  mode: listen'));
    const l = listener(config);
    l.onMessage(encode({ type: 'DISCOVER', mac: '02-00-00-00-00-01', giaddr: '10.20.20.1' }), '10.20.20.1');
    l.onMessage(encode({ type: 'REQUEST', mac: '02-00-00-00-00-01', giaddr: '10.20.20.1', requested: '10.20.20.77', serverId: '10.0.0.9' }), '10.20.20.1');
    flush();
    expect(repo.get('10.20.20.77')).toMatchObject({ mac: '02-00-00-00-00-01', state: 'bound', network: 'BYOD', starts: T0, expires: T0 + 3600_000 });
    now += 60_000;
    l.onMessage(encode({ type: 'RELEASE', mac: '02-00-00-00-00-01', ciaddr: '10.20.20.77', serverId: '10.0.0.9' }), '10.20.20.1');
    flush();
    expect(repo.get('10.20.20.77')).toMatchObject({ state: 'released', expires: T0 + 60_000 });
    // Every message ended as listen-only: the engine that builds replies never ran.
    expect(counters.silences['listen-only']).toBe(3);
    expect(Object.values(counters.silences).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('stores the fingerprints of udhcpc, dhclient and dhcpcd as three different families of key', () => {
    const l = listener(loadDhcpConfig(dhcpConfigYaml({ dhcp: '  directNetwork: BYOD' })));
    for (const f of ['udhcpc-1.35.0-discover.hex', 'dhclient-4.4.3-discover.hex', 'dhcpcd-9.4.1-discover.hex']) l.onMessage(fixture(f), '0.0.0.0');
    flush();
    const rows = db.prepare('SELECT mac, fp_key, family, vendor_class FROM dhcp_fingerprints ORDER BY id').all() as { fp_key: string; family: string }[];
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.fp_key)).size).toBe(3);
    expect(rows.map((r) => r.family)).toEqual(['linux', 'linux', 'linux']);
    expect(counters.messages).toEqual({ discover: 3 });
    expect(Object.values(counters.silences).every((n) => n === 0)).toBe(true); // all three were offered an address
  });

  it('alerts when a registered device changes OS family, not for an unregistered one', () => {
    const l = listener(loadDhcpConfig());
    register('00-11-22-33-44-55', 'school-laptop');
    l.onMessage(encode({ type: 'DISCOVER', mac: '00-11-22-33-44-55', giaddr: '10.20.10.1', vendorClass: 'MSFT 5.0' }), '10.20.10.1');
    l.onMessage(encode({ type: 'DISCOVER', mac: '02-00-00-00-00-01', giaddr: '10.20.20.1', vendorClass: 'MSFT 5.0' }), '10.20.20.1');
    now += 1000;
    l.onMessage(encode({ type: 'DISCOVER', mac: '00-11-22-33-44-55', giaddr: '10.20.10.1', vendorClass: 'android-dhcp-14' }), '10.20.10.1');
    l.onMessage(encode({ type: 'DISCOVER', mac: '02-00-00-00-00-01', giaddr: '10.20.20.1', vendorClass: 'android-dhcp-14' }), '10.20.20.1');
    const alerts = audit.filter((a) => a.kind === 'alert');
    expect(alerts).toEqual([
      expect.objectContaining({
        action: 'fingerprint-changed',
        mac: '00-11-22-33-44-55',
        person: 'J. Bloggs',
        detail: { from: 'windows', to: 'android', prevKey: '|MSFT #', newKey: '|android-dhcp-#' },
      }),
    ]);
    expect(counters.fingerprintAlerts).toBe(1);
    flush();
    expect(repo.fingerprints('00-11-22-33-44-55').map((f) => f.family)).toEqual(['windows', 'android']);
  });
});

describe('docs/dhcp.md', () => {
  it('explains every unanswered and dropped reason the counters can show', async () => {
    const text = (await import('node:fs')).readFileSync(path.resolve('docs/dhcp.md'), 'utf8');
    for (const reason of [...DHCP_SILENCES, ...DHCP_DROP_REASONS]) expect(text, reason).toContain(`\`${reason}\``);
  });
});
