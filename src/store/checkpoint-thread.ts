/**
 * The checkpoint worker (checkpointer.ts): its own connection to the store, running PASSIVE WAL
 * checkpoints on a timer, so the copy of WAL pages into the database and its fsync happen on
 * this thread instead of inside a commit on the daemon's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointJob {
  readonly file: string;
  readonly intervalMs: number;
}

export type CheckpointReport =
  | { readonly ok: true; readonly walPages: number }
  | { readonly ok: false; readonly message: string };

const job = workerData as CheckpointJob;
const db = new Database(job.file);
db.pragma('busy_timeout = 5000');

function checkpoint(): void {
  try {
    // PASSIVE: copy every WAL frame no reader still needs, without waiting for or blocking the
    // writer (https://sqlite.org/c3ref/wal_checkpoint_v2.html). The daemon's next commit then
    // restarts the WAL from its beginning once all of it has been copied. Under sustained load
    // a commit lands during every checkpoint, so that moment may not come: the daemon's own
    // backstop checkpoint (checkpointer.ts) then copies the little the last pass left and
    // restarts it. RESTART here would hold the writer off for the copy and an fsync (270 ms
    // seen), which is what this thread exists to avoid.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    parentPort?.postMessage({ ok: true, walPages: r?.log ?? 0 } satisfies CheckpointReport);
  } catch (e) {
    parentPort?.postMessage({ ok: false, message: (e as Error).message } satisfies CheckpointReport);
  }
}

const timer = setInterval(checkpoint, job.intervalMs);
parentPort?.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort?.close();
});
