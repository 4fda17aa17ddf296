/**
 * The audit thread (decision-writer.ts): its own connection to the store, reading access
 * decisions from the shared ring (decision-ring.ts) and appending them to the audit log up to
 * WRITE_SLICE (src/app.ts) at a time, so the encoding, hashing and INSERTs run here instead of on the
 * daemon's event loop. appendDecisions reads the chain heads inside BEGIN IMMEDIATE, so the
 * daemon's own appends (alerts, sessions, admin actions) and these interleave correctly.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { DecisionEvent } from '../store/types.js';
import { BACKSTOP_CHECKPOINT_PAGES } from '../store/checkpointer.js';
import { WAL_CHECKPOINT_PAGES } from '../store/db.js';
import { appendDecisions } from './log.js';
import { BUSY, COMMITTED, DEAD, DecisionRing, FAILED, HEAD, IDLE, LAG_MS, LOCK, LOCK_LOOP, LOCK_THREAD, PUBLISHED, REQUEST, STATE, STOP, TAIL } from './decision-ring.js';

export interface DecisionThreadJob {
  readonly file: string;
  readonly ring: SharedArrayBuffer;
  /** Records per transaction. */
  readonly slice: number;
  /** The longest wait for records (events.flushIntervalMs) and before retrying a failed batch. */
  readonly flushIntervalMs: number;
  /** How long to let a short batch grow before committing it (fewer, fuller transactions). */
  readonly gatherMs: number;
}

/** A batch that failed; the records stay in the ring and are retried. */
export interface DecisionThreadReport {
  readonly message: string;
  readonly code: string | undefined;
  readonly records: number;
}

/** The longest this thread waits for another process's write lock in one attempt. */
const STORE_WAIT_MS = 100;

const job = workerData as DecisionThreadJob;
/** Waits end at least every second, so a stop is never missed for long whatever the interval. */
const idleMs = Math.min(job.flushIntervalMs, 1000);
const ring = new DecisionRing(job.ring);
const h = ring.header;

function run(): void {
  // No migrations: the daemon ran them before starting this thread. The same connection
  // settings as openDatabase (store/db.ts) and the checkpointer's backstop.
  const db = new Database(job.file, { fileMustExist: true });
  try {
    // Another process's lock (a CLI import) is waited for here, off the event loop, but only
    // briefly: a failed batch is retried after flushIntervalMs anyway, and a flush() blocking
    // the event loop learns of the locked store that soon (it returns then, the records
    // staying queued, as the BatchWriter's does).
    db.pragma(`busy_timeout = ${Math.min(job.flushIntervalMs, STORE_WAIT_MS)}`);
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_CHECKPOINT_PAGES * 4096}`);
    loop(db);
  } finally {
    db.close();
  }
}

function loop(db: Database.Database): void {
  const batch: DecisionEvent[] = [];
  let head = Atomics.load(h, HEAD);
  let committed = Atomics.load(h, COMMITTED);
  let answered = Atomics.load(h, REQUEST);
  for (;;) {
    const stopping = Atomics.load(h, STOP) === 1;
    const request = Atomics.load(h, REQUEST);
    let tail = Atomics.load(h, TAIL);
    if (tail === head) {
      answered = request;
      if (stopping) return;
      // IDLE before the last look at TAIL: a record published after it finds IDLE and notifies.
      Atomics.store(h, STATE, IDLE);
      Atomics.wait(h, TAIL, head, idleMs);
      Atomics.store(h, STATE, BUSY);
      continue;
    }
    if (!stopping && request === answered && ((Atomics.load(h, PUBLISHED) - committed) | 0) < job.slice) {
      // A short batch: give it a moment to fill (a flush or a stop cuts it short).
      Atomics.wait(h, REQUEST, request, job.gatherMs);
      tail = Atomics.load(h, TAIL);
    }
    batch.length = 0;
    const next = ring.read(head, tail, job.slice, batch);
    // The event loop's own writes go first (LOCK); they hold it for one batch at most.
    while (Atomics.compareExchange(h, LOCK, 0, LOCK_THREAD) !== 0) Atomics.wait(h, LOCK, LOCK_LOOP, idleMs);
    try {
      appendDecisions(db, batch, true); // this connection writes the log only here
    } catch (e) {
      Atomics.store(h, LOCK, 0);
      Atomics.notify(h, LOCK);
      Atomics.add(h, FAILED, 1);
      Atomics.notify(h, COMMITTED); // a flush waiting there returns: the store is failing
      parentPort?.postMessage({
        message: (e as Error).message,
        code: (e as { code?: unknown }).code === undefined ? undefined : String((e as { code?: unknown }).code),
        records: batch.length,
      } satisfies DecisionThreadReport);
      if (stopping) return; // the daemon writes what is left itself
      // Retry after flushIntervalMs (a second at most), or at the next flush or stop (both bump REQUEST).
      Atomics.wait(h, REQUEST, request, idleMs);
      continue;
    }
    Atomics.store(h, LOCK, 0);
    Atomics.notify(h, LOCK);
    // Committed: only now may the event loop reuse the bytes, and may a flush return.
    head = next;
    committed = (committed + batch.length) | 0;
    Atomics.store(h, HEAD, head);
    Atomics.store(h, LAG_MS, Math.max(0, Math.min(0x7fffffff, Date.now() - (batch[0]?.at ?? Date.now()))));
    Atomics.store(h, COMMITTED, committed);
    Atomics.notify(h, COMMITTED);
  }
}

try {
  run();
} finally {
  // Whatever ended the loop, a flush waiting on the event loop must not wait out its timeout.
  Atomics.store(h, STATE, DEAD);
  Atomics.notify(h, COMMITTED);
}
