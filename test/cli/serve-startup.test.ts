/**
 * `lanyard serve` reports its start-up phases in the "started" log line (startupMs), and the
 * first request after that line already sees every registered device: the cache is loaded
 * before the RADIUS sockets are bound. Real daemon (compiled CLI), real SQLite file, radclient.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { lapTimer } from '../../src/app.js';
import { formatMac } from '../../src/policy/mac.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { DEFAULT_CONFIG, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { mabRequest, radclient } from '../helpers/radclient.js';

const PHASES = ['modules', 'config', 'store', 'cache', 'radius', 'api', 'total'];
const DEVICES = 500;
const AP = '11-22-33-44-55-66';

let dir: string;
const running: RunningDaemon[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-startup-'));
});
afterAll(async () => {
  for (const d of running) await d.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The "started" JSON log line, waited for (bounded: the stdout line the helper waits for comes just before it). */
async function startedLine(daemon: RunningDaemon): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = daemon.logs().split('\n').find((l) => l.includes('"msg":"started"'));
    if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no "started" line:\n${daemon.logs()}`);
}

function expectPhases(line: Record<string, unknown>): Record<string, number> {
  const ms = line.startupMs as Record<string, number>;
  expect(Object.keys(ms)).toEqual(PHASES);
  for (const p of PHASES) {
    expect(Number.isInteger(ms[p]), `${p}: ${ms[p]}`).toBe(true);
    expect(ms[p]).toBeGreaterThanOrEqual(0);
  }
  // The phases follow one another from the process's start: together no more than the total
  // (each is rounded to a whole millisecond on its own, hence the allowance).
  const sum = PHASES.slice(0, -1).reduce((a, p) => a + ms[p]!, 0);
  expect(sum).toBeLessThanOrEqual(ms.total! + PHASES.length);
  return ms;
}

describe('lapTimer', () => {
  it('answers the whole milliseconds of each lap since the previous one', () => {
    let t = 10.2;
    const lap = lapTimer(() => t);
    t = 15.9;
    expect(lap()).toBe(6);
    t = 16.1;
    expect(lap()).toBe(0);
    t = 1016.1;
    expect(lap()).toBe(1000);
    const fromZero = lapTimer(() => t, 0);
    expect(fromZero()).toBe(1016);
  });
});

describe('the started line', () => {
  it('carries the start-up phases, and the first request after it sees the last device registered', async () => {
    const db = path.join(dir, 'registry.db');
    const store = openDatabase(db);
    const classes = ['school-staff-laptop', 'staff-personal-laptop'];
    const devices = Array.from({ length: DEVICES }, (_, i) => ({ mac: formatMac(0x02_00_5f_00_00_00 + i), className: classes[i % 2]!, owner: `person ${i % 7}` }));
    new SqliteDeviceRepository(store).addMany(devices, 'test', Date.now());
    store.close();

    const daemon = await startDaemon({ db });
    running.push(daemon);
    // At once, before anything else: the stdout line comes just before "started".
    const last = devices[DEVICES - 1]!; // staff-personal-laptop: BYOD, VLAN 20
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest(last.mac.replace(/-/g, '').toLowerCase(), { calling: last.mac, called: `${AP}:BYOD` }));
    expect(r.reply, r.stdout + r.stderr).toBe('Access-Accept');
    expect(r.attributes['Tunnel-Private-Group-Id']).toBe('20');

    const line = await startedLine(daemon);
    expect(line.devices).toBe(DEVICES);
    expect(line.apiPort).toBe(daemon.apiPort);
    expectPhases(line);
  });

  it('reports the admin API phase as 0 when the API is off', async () => {
    const configDir = path.join(dir, 'no-api', 'config');
    mkdirSync(configDir, { recursive: true });
    const doc = parseDocument(readFileSync(DEFAULT_CONFIG, 'utf8'));
    doc.setIn(['api', 'enabled'], false);
    const config = path.join(configDir, 'lanyard.yaml');
    writeFileSync(config, String(doc));
    const daemon = await startDaemon({ config });
    running.push(daemon);
    const line = await startedLine(daemon);
    expect(line.apiPort).toBeNull();
    expect(expectPhases(line).api).toBe(0);
  });
});
