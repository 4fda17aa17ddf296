/**
 * `npm run bench:audit`: the SLT queries (src/audit/query.ts) on a generated school year of a
 * 3,000-device school, through the real schema (all migrations, all indexes).
 *
 * The data: a school year (1 Sep – 31 Aug) with English term dates (~190 school days). Each
 * device has 2 or 3 sessions per school day (→ ~1.4M sessions), each with an Access-Accept just
 * before it, plus ~250 refused attempts per school day (unknown devices, wrong network, lost
 * devices), 20 always-on devices with week-long sessions, a few lost Stops and AP restarts,
 * and 150 devices that change owner during the year. Addresses are sticky per device (what
 * DHCP servers do), so each address has hundreds of sessions a year: the worst case for "who".
 * Where the audit log owns the decisions (decision_events is a view of audit_log), decisions
 * and session start/stop rows are written there (with placeholder hashes: the chain is not
 * what is measured here). Raw accounting_records are not generated (no query reads them).
 *
 * Each query runs ROUNDS times with a different random target (address, time, device, AP …)
 * and reports the median and spread. Exports are written through writeExport (backpressure)
 * to a discarding stream; the peak heap growth shows they stream.
 *
 * Options (env): BENCH_DEVICES (3000), BENCH_ROUNDS (9), BENCH_DB (file to create or reuse),
 * BENCH_REUSE=1 (reuse BENCH_DB if it exists), BENCH_SEED (1).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { deviceActivity, iterateActivity, onNetwork, rejections, whoHad, writeExport, type ActivityQuery } from '../../src/audit/query.js';
import { formatMac } from '../../src/policy/mac.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { SqliteSessionRepository } from '../../src/store/sessions.js';
import type { NewDevice } from '../../src/store/types.js';
import { fmt, median, spread } from './stats.js';

const N_DEVICES = Number(process.env.BENCH_DEVICES ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const YEAR_START = Date.UTC(2024, 8, 1);
const YEAR_END = Date.UTC(2025, 8, 1);
const N_APS = 60;
const ALWAYS_ON = 20;

/** English school holidays 2024/25 (inclusive), roughly. */
const HOLIDAYS: readonly [string, string][] = [
  ['2024-09-01', '2024-09-03'],
  ['2024-10-28', '2024-11-01'],
  ['2024-12-20', '2025-01-03'],
  ['2025-02-17', '2025-02-21'],
  ['2025-04-07', '2025-04-18'],
  ['2025-05-05', '2025-05-05'],
  ['2025-05-26', '2025-05-30'],
  ['2025-07-23', '2025-08-31'],
];

function schoolDays(): number[] {
  const off = HOLIDAYS.map(([a, b]) => [Date.parse(`${a}T00:00:00Z`), Date.parse(`${b}T00:00:00Z`)] as const);
  const days: number[] = [];
  for (let d = YEAR_START; d < YEAR_END; d += DAY) {
    const wd = new Date(d).getUTCDay();
    if (wd === 0 || wd === 6) continue;
    if (off.some(([a, b]) => d >= a && d <= b)) continue;
    days.push(d);
  }
  return days;
}

/** mulberry32: a small seeded PRNG, so every run generates the same year. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(SEED);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
const between = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo));

interface Dev {
  readonly mac: string;
  readonly cls: string;
  owner: string | null;
  readonly network: 'DCPS' | 'BYOD';
  readonly ip: string;
  readonly homeAp: number;
}

const CLASS_MIX: readonly [string, number, 'DCPS' | 'BYOD'][] = [
  ['school-staff-laptop', 0.3, 'DCPS'],
  ['staff-personal-phone', 0.2, 'BYOD'],
  ['staff-personal-laptop', 0.1, 'BYOD'],
  ['school-shared-laptop', 0.3, 'DCPS'],
  ['school-tablet', 0.1, 'DCPS'],
];

const staffName = (i: number): string => `Staff Member ${String(i + 1).padStart(4, '0')}`;
const apMac = (i: number): string => formatMac(0x02_aa_00_00_00_00 + i);
const ipOf = (base: number, i: number): string => `${base >> 8}.${base & 255}.${(i >> 8) & 255}.${i & 255}`;

function makeDevices(): Dev[] {
  const devices: Dev[] = [];
  let i = 0;
  for (const [cls, share, network] of CLASS_MIX) {
    const n = Math.round(N_DEVICES * share);
    for (let k = 0; k < n; k++, i++) {
      const owner =
        cls === 'school-shared-laptop' ? `Class ${1 + (k % 30)}` : cls === 'school-tablet' ? null : staffName(k); // staff k owns laptop k, phone k, personal laptop k
      const slot = 16 + i;
      devices.push({
        mac: formatMac(0x02_00_5e_00_00_00 + i),
        cls,
        owner,
        network,
        ip: network === 'DCPS' ? ipOf(0x0a0a, slot) : ipOf(0x0a14, slot),
        homeAp: between(0, N_APS),
      });
    }
  }
  for (let k = 0; k < ALWAYS_ON; k++, i++) {
    devices.push({ mac: formatMac(0x02_00_5e_00_00_00 + i), cls: 'school-tablet', owner: 'Signage', network: 'DCPS', ip: ipOf(0x0a0a, 16 + i), homeAp: k % N_APS });
  }
  return devices;
}

/** Drops the indexes of `tables`, runs `fn`, recreates them (a bulk load builds each index once, sorted). */
function withoutIndexes(db: Database.Database, tables: readonly string[], fn: () => void): void {
  const indexes = db
    .prepare<[], { sql: string; name: string; tbl_name: string }>(`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
    .all()
    .filter((x) => tables.includes(x.tbl_name));
  for (const x of indexes) db.exec(`DROP INDEX ${x.name}`);
  fn();
  for (const x of indexes) db.exec(x.sql);
}

function generate(file: string): { sessions: number; decisions: number; rejects: number; days: number } {
  const t0 = performance.now();
  const db = openDatabase(file);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144'); // 256 MiB while loading
  const devices = makeDevices();
  const repo = new SqliteDeviceRepository(db);
  const created = YEAR_START - 10 * DAY;
  repo.addMany(
    devices.map((d): NewDevice => ({ mac: d.mac, className: d.cls, owner: d.owner, source: 'import' })),
    'bench',
    created,
  );
  // 150 devices change owner during the year (a laptop handed to a new member of staff).
  const changes: { at: number; dev: Dev; to: string }[] = [];
  for (let k = 0; k < 150; k++) {
    const dev = devices[between(0, Math.round(N_DEVICES * 0.3))]!;
    changes.push({ at: between(YEAR_START + 30 * DAY, YEAR_END - 60 * DAY), dev, to: `New Starter ${k + 1}` });
  }
  changes.sort((a, b) => a.at - b.at);
  let nextChange = 0;

  const hasAuditLog = (db.prepare(`SELECT type FROM sqlite_master WHERE name = 'decision_events'`).get() as { type: string }).type === 'view';
  const insertSession = db.prepare(
    `INSERT INTO sessions (id, nas, nas_address, session_id, mac, user_name, nas_port, ap_mac, ssid, network, vlan, framed_ip,
       started_at, updated_at, stopped_at, input_octets, output_octets, input_packets, output_packets, session_time, terminate_cause, stop_reason)
     VALUES (?, 'aps', ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertBinding = db.prepare(`INSERT INTO ip_bindings (ip, mac, from_at, to_at, source, session_row) VALUES (?, ?, ?, ?, 'accounting', ?)`);
  const insertDecision = hasAuditLog
    ? db.prepare(
        `INSERT INTO audit_log (at, kind, actor, mac, person, user_name, nas, nas_address, ap_mac, ssid, network, vlan, class, profile, method,
           result, reason, randomised, latency_us, prev_hash, hash)
         VALUES (?, 'decision', 'radius', ?, ?, ?, 'aps', ?, ?, ?, ?, ?, ?, NULL, 'mab', ?, ?, 0, 120, zeroblob(32), zeroblob(32))`,
      )
    : db.prepare(
        `INSERT INTO decision_events (at, mac, user_name, nas, nas_address, ap_mac, ssid, network, vlan, class, profile, method,
           result, reason, randomised, latency_us)
         VALUES (?, ?, ?, 'aps', ?, ?, ?, ?, ?, ?, NULL, 'mab', ?, ?, 0, 120)`,
      );
  const insertSessionAudit = hasAuditLog
    ? db.prepare(
        `INSERT INTO audit_log (at, kind, actor, mac, person, ip, nas, nas_address, ap_mac, ssid, network, vlan, session_id, prev_hash, hash)
         VALUES (?, ?, 'radius', ?, ?, ?, 'aps', ?, ?, ?, ?, ?, ?, zeroblob(32), zeroblob(32))`,
      )
    : null;
  const decisionRow = (at: number, mac: string, person: string | null, ap: string, nasAddr: string, ssid: string, network: string | null, vlan: number | null, cls: string | null, result: string, reason: string): void => {
    if (hasAuditLog) insertDecision.run(at, mac, person, mac.replace(/-/g, '').toLowerCase(), nasAddr, ap, ssid, network, vlan, cls, result, reason);
    else insertDecision.run(at, mac, mac.replace(/-/g, '').toLowerCase(), nasAddr, ap, ssid, network, vlan, cls, result, reason);
  };

  const days = schoolDays();
  let sessionRow = 0;
  let decisions = 0;
  let rejects = 0;
  const session = (dev: Dev, start: number, end: number, stopReason: string, apIndex: number): void => {
    sessionRow++;
    const ap = apMac(apIndex);
    const nasAddr = `10.0.1.${apIndex + 1}`;
    const ssid = dev.network;
    const vlan = dev.network === 'DCPS' ? 10 : 20;
    const secs = Math.round((end - start) / 1000);
    const inOct = secs * between(2_000, 60_000);
    insertSession.run(
      sessionRow, nasAddr, `${sessionRow.toString(16).padStart(8, '0')}`, dev.mac, dev.mac.replace(/-/g, '').toLowerCase(), ap, ssid, dev.network, vlan, dev.ip,
      start, end, end, inOct, Math.round(inOct / 8), Math.round(inOct / 900), Math.round(inOct / 7000), secs, stopReason === 'stop' ? 1 : null, stopReason,
    );
    insertBinding.run(dev.ip, dev.mac, start, end, sessionRow);
    decisionRow(start - between(500, 3_000), dev.mac, dev.owner, ap, nasAddr, ssid, dev.network, vlan, dev.cls, 'accept', 'ok');
    decisions++;
    if (insertSessionAudit !== null) {
      insertSessionAudit.run(start, 'session-start', dev.mac, dev.owner, dev.ip, nasAddr, ap, ssid, dev.network, vlan, String(sessionRow));
      insertSessionAudit.run(end, 'session-stop', dev.mac, dev.owner, dev.ip, nasAddr, ap, ssid, dev.network, vlan, String(sessionRow));
    }
  };

  const regular = devices.slice(0, devices.length - ALWAYS_ON);
  const alwaysOn = devices.slice(devices.length - ALWAYS_ON);
  const lost = regular.slice(0, 10);
  withoutIndexes(db, ['sessions', 'ip_bindings', 'audit_log', 'decision_events', 'decision_events_legacy'], () => {
    db.transaction(() => {
      // Always-on devices: one session a week, Monday to Monday + 1 h (longer than LONG_SESSION_MS).
      for (let w = YEAR_START; w < YEAR_END; w += 7 * DAY) {
        for (const dev of alwaysOn) session(dev, w + 6 * HOUR, w + 7 * DAY + 7 * HOUR, 'stop', dev.homeAp);
      }
      for (const day of days) {
        while (nextChange < changes.length && changes[nextChange]!.at < day) {
          const c = changes[nextChange++]!;
          c.dev.owner = c.to;
          repo.update(c.dev.mac, { owner: c.to }, 'bench', c.at);
        }
        for (const dev of regular) {
          const n = rnd() < 0.5 ? 2 : 3;
          let t = day + 7 * HOUR + 30 * MIN + between(0, 90 * MIN);
          for (let k = 0; k < n; k++) {
            const end = t + between(40 * MIN, 150 * MIN);
            const r = rnd();
            const reason = r < 0.003 ? 'stale' : r < 0.005 ? 'accounting-on' : 'stop';
            session(dev, t, end, reason, rnd() < 0.7 ? dev.homeAp : between(0, N_APS));
            t = end + between(5 * MIN, 60 * MIN);
          }
        }
        // Refused attempts: phones probing the school network, devices on the wrong SSID, lost devices.
        for (let k = 0; k < 200; k++) {
          const ap = between(0, N_APS);
          decisionRow(day + between(7 * HOUR, 17 * HOUR), formatMac(0x06_00_00_00_00_00 + between(0, 5000)), null, apMac(ap), `10.0.1.${ap + 1}`, 'DCPS', null, null, null, 'reject', 'unknown-device');
        }
        for (let k = 0; k < 50; k++) {
          const dev = pick(regular.filter((d) => d.network === 'DCPS').slice(0, 200));
          const ap = between(0, N_APS);
          decisionRow(day + between(7 * HOUR, 17 * HOUR), dev.mac, dev.owner, apMac(ap), `10.0.1.${ap + 1}`, 'BYOD', null, null, dev.cls, 'reject', 'wrong-network');
        }
        if (rnd() < 0.3) {
          const dev = pick(lost);
          const ap = between(0, N_APS);
          decisionRow(day + between(7 * HOUR, 17 * HOUR), dev.mac, dev.owner, apMac(ap), `10.0.1.${ap + 1}`, 'DCPS', null, null, dev.cls, 'reject', 'device-lost');
          rejects++;
        }
        rejects += 250;
        decisions += 250;
      }
    })();
  });
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`generated ${fmt(sessionRow)} sessions, ${fmt(decisions)} decisions (${fmt(rejects)} refused) over ${days.length} school days in ${fmt(s, 1)} s\n`);
  return { sessions: sessionRow, decisions, rejects, days: days.length };
}

// ---------------------------------------------------------------------------------------------

interface Row {
  readonly name: string;
  readonly ms: number[];
  readonly size: number[];
  readonly unit: string;
  readonly note?: string;
}

function measure(name: string, unit: string, run: (round: number) => number, rounds = ROUNDS): Row {
  const ms: number[] = [];
  const size: number[] = [];
  run(-1); // one unmeasured warm-up with its own target
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    size.push(run(r));
    ms.push(performance.now() - t);
  }
  return { name, ms, size, unit };
}

async function measureExport(name: string, db: Database.Database, q: (round: number) => ActivityQuery, rounds: number): Promise<Row> {
  const ms: number[] = [];
  const size: number[] = [];
  let peakHeap = 0;
  let bytes = 0;
  for (let r = -1; r < rounds; r++) {
    let lines = 0;
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    let peak = 0;
    const sink = new Writable({
      highWaterMark: 256 * 1024,
      write(chunk: Buffer, _e, done) {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
        peak = Math.max(peak, process.memoryUsage().heapUsed - heap0);
        setImmediate(done); // a consumer that is slower than memory: exercises 'drain'
      },
    });
    const t = performance.now();
    const n = await writeExport(db, q(r), 'csv', sink);
    const elapsed = performance.now() - t;
    if (r >= 0) {
      ms.push(elapsed);
      size.push(lines - 1); // less the header
      peakHeap = Math.max(peakHeap, peak);
      bytes = n;
    }
  }
  return { name, ms, size, unit: 'rows', note: `${fmt(bytes / 1024 / 1024, 1)} MiB CSV, peak heap growth ${fmt(peakHeap / 1024 / 1024, 1)} MiB` };
}

function printTable(rows: readonly Row[]): string {
  const lines = [
    '| query | result (median) | median ms | min–max ms | spread |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows.map((r) => {
      const s = spread(r.ms);
      const digits = median(r.ms) < 10 ? 2 : 0;
      return `| ${r.name} | ${fmt(median(r.size))} ${r.unit}${r.note ? `; ${r.note}` : ''} | ${fmt(median(r.ms), digits)} | ${fmt(s.min, digits)}–${fmt(s.max, digits)} | ${fmt(s.relPct, 0)} % |`;
    }),
  ];
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DB === undefined ? mkdtempSync(path.join(os.tmpdir(), 'lanyard-bench-audit-')) : null;
  const file = process.env.BENCH_DB ?? path.join(dir!, 'audit.db');
  try {
    if (!(process.env.BENCH_REUSE === '1' && existsSync(file))) {
      rmSync(file, { force: true });
      generate(file);
    }
    const db = openDatabase(file);
    const counts = {
      sessions: (db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n,
      decisions: (db.prepare('SELECT count(*) AS n FROM decision_events').get() as { n: number }).n,
      bindings: (db.prepare('SELECT count(*) AS n FROM ip_bindings').get() as { n: number }).n,
    };
    const mb = statSync(file).size / 1024 / 1024;
    process.stdout.write(
      `database ${file}: ${fmt(mb, 0)} MiB; ${fmt(counts.sessions)} sessions, ${fmt(counts.bindings)} address bindings, ${fmt(counts.decisions)} decisions; ${ROUNDS} rounds per query, each with a new random target\n\n`,
    );

    const devices = makeDevices(); // same seed → same MACs and addresses (owners as at the start)
    const days = schoolDays();
    const r2 = prng(SEED + 99);
    const pickR = <T>(list: readonly T[]): T => list[Math.floor(r2() * list.length)]!;
    const schoolTime = (): number => pickR(days) + 8 * HOUR + Math.floor(r2() * 7 * HOUR);
    const month = (): { from: number; to: number } => {
      const m = Math.floor(r2() * 10); // Sep–Jun
      return { from: Date.UTC(2024, 8 + m, 1), to: Date.UTC(2024, 9 + m, 1) };
    };
    const sessions = new SqliteSessionRepository(db);

    const rows: Row[] = [];
    rows.push(
      measure('whoHad(ip, t) — "who had 10.10.x.y at 10:15?"', 'holder', () => {
        const dev = pickR(devices);
        return whoHad(db, dev.ip, schoolTime()).length;
      }),
    );
    rows.push(
      measure('deviceActivity(mac, one month), all events', 'events', () => {
        const dev = pickR(devices);
        let n = 0;
        for (const _ of iterateActivity(db, { mac: dev.mac, ...month() })) n++;
        return n;
      }),
    );
    rows.push(
      measure('deviceActivity(person, one month), all events', 'events', () => {
        let n = 0;
        for (const _ of iterateActivity(db, { person: staffName(Math.floor(r2() * 600)), ...month() })) n++;
        return n;
      }),
    );
    rows.push(
      measure('deviceActivity(everyone, one day), first page of 100', 'events', () => {
        const d = pickR(days);
        return deviceActivity(db, { from: d, to: d + DAY, limit: 100 }).events.length;
      }),
    );
    rows.push(
      measure('onNetwork(apMac, one lesson: 1 h)', 'devices', () => {
        const t = schoolTime();
        return onNetwork(db, { apMac: apMac(Math.floor(r2() * N_APS)), from: t, to: t + HOUR }).length;
      }),
    );
    rows.push(
      measure('onNetwork(network BYOD, one school day)', 'devices', () => {
        const d = pickR(days);
        return onNetwork(db, { network: 'BYOD', from: d, to: d + DAY }).length;
      }),
    );
    rows.push(
      measure('rejections(one month), first page of 1000', 'refusals', () => rejections(db, { ...month(), limit: 1000 }).rejections.length),
    );
    rows.push(
      measure('rejections(whole year, device-lost)', 'refusals', () => rejections(db, { from: YEAR_START, to: YEAR_END, reason: 'device-lost', limit: 10_000 }).rejections.length),
    );
    rows.push(measure('sessions.list({ open: true })', 'sessions', () => sessions.list({ open: true, limit: 10_000 }).length));
    rows.push(
      await measureExport('CSV export: one person, one month', db, () => ({ person: staffName(Math.floor(r2() * 300)), ...month() }), ROUNDS),
    );
    rows.push(
      await measureExport('CSV export: everyone, one school day', db, () => {
        const d = pickR(days);
        return { from: d, to: d + DAY };
      }, Math.min(ROUNDS, 5)),
    );
    rows.push(
      await measureExport('CSV export: everyone, one month', db, () => month(), 3),
    );
    db.close();
    process.stdout.write(printTable(rows));
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
