/**
 * Runs a device import in a worker thread with its own SQLite connection, so parsing a large
 * file and its one all-or-nothing transaction never stall the daemon's event loop (RADIUS
 * keeps answering while 50,000 rows go in). The caller gets a summary; the rows stay here.
 */
import { Worker } from 'node:worker_threads';
import { LanyardError, type ErrorCode } from '../errors.js';
import { workerScript } from '../store/worker-script.js';
import type { CsvError } from './csv.js';
import type { ConcreteFormat, ImportFormat, MappedColumn } from './mapping.js';

export interface ImportJob {
  readonly database: string;
  readonly text: string;
  readonly classes: readonly string[];
  readonly now: number;
  readonly format: ImportFormat;
  readonly className?: string;
  /** 'dry-run': parse only; 'all-or-nothing': import only if every row is valid; 'valid-only'. */
  readonly mode: 'dry-run' | 'all-or-nothing' | 'valid-only';
  readonly actor: string;
  readonly source: string | null;
}

export interface ImportOutcome {
  readonly format: ConcreteFormat;
  readonly mapping: readonly MappedColumn[];
  readonly unknownColumns: readonly string[];
  readonly headerOk: boolean;
  readonly validRows: number;
  readonly errors: readonly CsvError[];
  /** Rows written (0 for a dry run or when refused). */
  readonly imported: number;
}

type WorkerReply = { ok: true; outcome: ImportOutcome } | { ok: false; code: string | null; message: string; where: string | null };

/** Runs the job in a new worker thread; rejects with the LanyardError the worker raised. */
export function runImport(job: ImportJob): Promise<ImportOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerScript(import.meta.url, 'import-thread.js'), { workerData: job });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.outcome);
      else if (reply.code !== null) {
        reject(new LanyardError(reply.code as ErrorCode, reply.message, reply.where === null ? {} : { where: reply.where }));
      } else reject(new Error(reply.message));
    });
    worker.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`import worker exited with code ${code} before answering`));
    });
  });
}
