/**
 * WAL checkpoints off the event loop. With SQLite's automatic checkpoints, the commit that
 * crosses the threshold copies the whole WAL into the database and fsyncs it before returning:
 * 64 MiB of WAL held the daemon's event loop for 120–200 ms, and every datagram arriving then
 * waited (docs/benchmarks.md, "Latency an access point sees"). The daemon instead turns
 * automatic checkpoints down to a backstop and lets a worker thread with its own connection
 * run PASSIVE checkpoints every `intervalMs` (checkpoint-thread.ts), which never block the
 * writer. Should the worker fail, automatic checkpoints are turned back on.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from '../log.js';
import type { CheckpointJob, CheckpointReport } from './checkpoint-thread.js';
import { WAL_CHECKPOINT_PAGES } from './db.js';
import { workerScript } from './worker-script.js';

/**
 * While the worker runs, the daemon's own connection checkpoints only past this many WAL pages
 * (128 MiB): a WAL the worker could not restart (sustained load, a reader holding an old
 * snapshot, a stalled worker). The worker has by then copied all but its last second of
 * frames, so this checkpoint is short, and the commit after it restarts the WAL.
 */
export const BACKSTOP_CHECKPOINT_PAGES = 2 * WAL_CHECKPOINT_PAGES;

export class Checkpointer {
  readonly #worker: Worker;
  readonly #db: Database.Database;
  #stopped = false;
  /** Checkpoints run, failed, and the WAL size (pages) the last one found. */
  runs = 0;
  failures = 0;
  lastWalPages = 0;

  private constructor(db: Database.Database, intervalMs: number, log: Logger) {
    this.#db = db;
    const job: CheckpointJob = { file: db.name, intervalMs };
    this.#worker = new Worker(workerScript(import.meta.url, 'checkpoint-thread.js'), { workerData: job });
    this.#worker.on('message', (r: CheckpointReport) => {
      this.runs++;
      if (r.ok) this.lastWalPages = r.walPages;
      else {
        this.failures++;
        log.warn({ reason: r.message }, 'WAL checkpoint failed; the next one retries');
      }
    });
    this.#worker.on('error', (err) => {
      log.error({ err }, 'WAL checkpoint worker failed; automatic checkpoints are back on the main connection');
      this.#fallBack();
    });
    this.#worker.on('exit', () => this.#fallBack());
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  }

  /** Starts one for a file-backed store (an in-memory one has no WAL): null otherwise. */
  static start(db: Database.Database, log: Logger, intervalMs = 1000): Checkpointer | null {
    if (db.memory || db.name === '' || db.name === ':memory:') return null;
    return new Checkpointer(db, intervalMs, log);
  }

  #fallBack(): void {
    if (this.#stopped || !this.#db.open) return;
    this.#stopped = true;
    this.#db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  }

  /** Runs a last checkpoint and ends the worker (before the daemon closes its connection). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('stop');
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
    await Promise.race([exited, timeout]);
    await this.#worker.terminate();
    if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  }
}
