/** The worker side of import/worker.ts: parse, check, and (if asked) write in one transaction. */
import { parentPort, workerData } from 'node:worker_threads';
import { isLanyardError } from '../errors.js';
import { openDatabase } from '../store/db.js';
import { SqliteDeviceRepository } from '../store/devices.js';
import { parseDeviceImport } from './mapping.js';
import type { ImportJob, ImportOutcome } from './worker.js';

function run(job: ImportJob): ImportOutcome {
  // This connection may wait for the write lock (busy_timeout): it is off the event loop.
  const db = openDatabase(job.database);
  try {
    const devices = new SqliteDeviceRepository(db);
    const parsed = parseDeviceImport(job.text, {
      classes: new Set(job.classes),
      now: job.now,
      existing: (mac) => devices.get(mac),
      format: job.format,
      ...(job.className === undefined ? {} : { className: job.className }),
      source: 'import',
    });
    const refused = job.mode === 'dry-run' || (parsed.errors.length > 0 && (job.mode !== 'valid-only' || !parsed.headerOk));
    const imported = refused || parsed.rows.length === 0 ? 0 : devices.addMany(parsed.rows, job.actor, job.now, job.source);
    return {
      format: parsed.format,
      mapping: parsed.mapping,
      unknownColumns: parsed.unknownColumns,
      headerOk: parsed.headerOk,
      validRows: parsed.rows.length,
      errors: parsed.errors,
      imported,
    };
  } finally {
    db.close();
  }
}

try {
  parentPort!.postMessage({ ok: true, outcome: run(workerData as ImportJob) });
} catch (e) {
  if (isLanyardError(e)) parentPort!.postMessage({ ok: false, code: e.code, message: e.message, where: e.where ?? null });
  else parentPort!.postMessage({ ok: false, code: null, message: e instanceof Error ? e.message : String(e), where: null });
}
