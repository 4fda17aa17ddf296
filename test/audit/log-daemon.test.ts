/**
 * The daemon's audit wiring (src/app.ts), in process: decisions through the batched writer,
 * R-4 alerts, and the daily purge timer firing at audit.purgeAt on the injected clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/app.js';
import { verifyChain } from '../../src/audit/chain.js';
import { nextPurgeTime } from '../../src/audit/retention.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/db.js';
import { decision } from './chain-helpers.js';

const CONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/store/lanyard.yaml');

let dir: string;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

it('writes decisions and alerts to the chain, runs the purge at purgeAt, and stops cleanly', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-audit-daemon-'));
  const file = path.join(dir, 'lanyard.db');
  const config = loadConfig(CONFIG, { overrides: { database: file, authPort: 0, acctPort: 0, apiPort: 0 } });
  // 150 ms before the next 03:00 (local): the purge timer fires during the test.
  const start = nextPurgeTime(config.audit.purgeAt, Date.UTC(2026, 5, 1)) - 150;
  // The clock stands still until the daemon is up, then runs at real speed.
  let t0: number | null = null;
  daemon = await startDaemon(config, createLogger('silent'), { now: () => (t0 === null ? start : start + Math.round(performance.now() - t0)) });
  t0 = performance.now();

  const old = decision(start - 400 * 86_400_000, 1); // older than the 365-day default
  const lost = decision(start, 2, { result: 'reject', reason: 'device-lost' });
  daemon.runtime.decisions.push(old);
  daemon.runtime.decisions.push(lost);
  daemon.runtime.onAlert!(lost);
  await new Promise((resolve) => setTimeout(resolve, 600));

  const rows = daemon.db.prepare('SELECT kind, at, action, mac, ap_mac FROM audit_log ORDER BY id').all() as { kind: string; at: number; action: string | null; mac: string | null }[];
  // The 400-day-old decision (row 1) is gone: older than the 365-day default.
  expect(rows.map((r) => r.kind)).toEqual(['decision', 'alert', 'purge']);
  expect(rows[0]).toMatchObject({ at: start, mac: lost.mac });
  expect(rows[1]).toMatchObject({ action: 'lost-device-attempt', mac: lost.mac, ap_mac: lost.apMac, at: start });
  await daemon.stop();
  daemon = undefined;

  const db = openDatabase(file);
  try {
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 3, purged: 1 });
  } finally {
    db.close();
  }
});
