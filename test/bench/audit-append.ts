/**
 * `npm run bench:append`: the cost of appending access decisions to the hash-chained audit log
 * alone (src/audit/log.ts appendDecisions), on a real SQLite file with every migration and
 * index, in batches as the daemon's BatchWriter commits them. No sockets, no radclient: this
 * isolates the store's share of a RADIUS request.
 *
 * It prefills the log (so index B-trees have realistic depth), then times ROUNDS rounds of
 * BATCHES batches and prints µs per row and rows/s as median (min–max, spread) over rounds,
 * plus the process CPU per row from /proc (includes the SQLite WAL writes the kernel does).
 *
 * Options (env): BENCH_ROWS_PREFILL (200000), BENCH_BATCH (1000 = events.batchSize default),
 * BENCH_BATCHES per round (50), BENCH_ROUNDS (7), BENCH_MACS distinct devices (10000),
 * BENCH_OWNS_HEADS (1: append as the audit thread does, re-reading the chain heads only after
 * another connection commits; 0: read them in every batch, as a connection shared with other
 * writers does). The daemon's audit thread commits batches of 64 (BENCH_BATCH=64).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendDecisions } from '../../src/audit/log.js';
import { verifyChain } from '../../src/audit/chain.js';
import { formatMac } from '../../src/policy/mac.js';
import { openDatabase } from '../../src/store/db.js';
import type { DecisionEvent } from '../../src/store/types.js';
import { fmt, procCpuUs, summary } from './stats.js';

const PREFILL = Number(process.env.BENCH_ROWS_PREFILL ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const MACS = Number(process.env.BENCH_MACS ?? 10_000);
const OWNS_HEADS = process.env.BENCH_OWNS_HEADS !== '0';

/** Decisions shaped like the bench:radius traffic: 90 % accepted known devices, 10 % unknown. */
function makeEvents(n: number, start: number, at: number): DecisionEvent[] {
  const out: DecisionEvent[] = [];
  for (let i = 0; i < n; i++) {
    const k = (start + i) % MACS;
    const known = (start + i) % 10 !== 0;
    const mac = formatMac(0x02005e000000 + k);
    out.push({
      at: at + i,
      result: known ? 'accept' : 'reject',
      reason: known ? 'ok' : 'unknown-device',
      mac,
      userName: mac.toLowerCase(),
      nas: 'loopback',
      nasAddress: '127.0.0.1',
      apMac: '00-11-22-33-44-55',
      ssid: known ? 'Staff' : 'DCPS',
      network: known ? 'staff' : null,
      vlan: known ? 20 : null,
      className: known ? 'staff-laptop' : null,
      ...(known ? { person: `person${k % 3000}` } : {}),
      profile: known ? 'staff' : null,
      method: 'pap',
      randomisedMac: false,
      latencyUs: 15 + (i % 40),
    });
  }
  return out;
}

function main(): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-append-'));
  try {
    const db = openDatabase(path.join(dir, 'lanyard.db'));
    let seq = 0;
    let at = Date.UTC(2025, 0, 6, 8);
    process.stderr.write(`prefilling ${fmt(PREFILL)} decision rows…\n`);
    for (let done = 0; done < PREFILL; done += 10_000) {
      const n = Math.min(10_000, PREFILL - done);
      appendDecisions(db, makeEvents(n, seq, at));
      seq += n;
      at += n;
    }
    // Events built ahead, so the rounds time the append alone.
    const perRound = BATCH * BATCHES;
    const usPerRow: number[] = [];
    const cpuPerRow: number[] = [];
    for (let r = 0; r < ROUNDS + 1; r++) {
      const batches: DecisionEvent[][] = [];
      for (let b = 0; b < BATCHES; b++) {
        batches.push(makeEvents(BATCH, seq, at));
        seq += BATCH;
        at += BATCH;
      }
      const cpu0 = procCpuUs(process.pid);
      const t0 = performance.now();
      for (const batch of batches) appendDecisions(db, batch, OWNS_HEADS);
      const wallUs = (performance.now() - t0) * 1000;
      const cpuUs = procCpuUs(process.pid) - cpu0;
      if (r === 0) continue; // warm-up
      usPerRow.push(wallUs / perRound);
      cpuPerRow.push(cpuUs / perRound);
    }
    const check = verifyChain(db);
    db.close();
    console.log(`appendDecisions, batch ${fmt(BATCH)}, ${fmt(BATCHES)} batches a round, ${ROUNDS} rounds, after ${fmt(PREFILL)} rows; chain heads ${OWNS_HEADS ? 'read only after another connection commits (the audit thread)' : 'read every batch'}`);
    console.log(`  wall µs per row     ${summary(usPerRow, 2)}`);
    console.log(`  rows/s              ${summary(usPerRow.map((u) => 1e6 / u))}`);
    console.log(`  process CPU µs/row  ${summary(cpuPerRow, 2)}`);
    console.log(`  chain verifies      ${check.ok ? 'yes' : 'NO'} (${fmt(seq)} rows)`);
    if (!check.ok) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
