/**
 * Access decisions appended to the audit log on a worker thread. Appending a decision (its
 * encoding, SHA-256 and INSERT, about 10 µs) was a third of the event loop's busy time, and
 * every datagram arriving meanwhile waited: in an open loop that was the p99 round trip
 * (docs/benchmarks.md, "Latency an access point sees"). The event loop now only copies each
 * decision into a shared ring (decision-ring.ts); the audit thread (decision-thread.ts) appends
 * them with its own connection.
 *
 * Same surface as the BatchWriter it replaces (push, pending, dropped, written, failedBatches,
 * lastLagMs, flush), so the load guard, metrics and stats read it the same way. Should the
 * thread die, the daemon logs it and goes back to a BatchWriter on the event loop, starting
 * with the records still in the ring: nothing queued is lost.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { LanyardError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DecisionEvent } from '../store/types.js';
import { workerScript } from '../store/worker-script.js';
import { BatchWriter, type BatchWriterOptions, type RecordWriter } from './writer.js';
import { COMMITTED, DEAD, DecisionRing, FAILED, HEAD, IDLE, LAG_MS, LOCK, LOCK_LOOP, LOCK_THREAD, PUBLISHED, REQUEST, STATE, STOP, TAIL } from './decision-ring.js';
import type { DecisionThreadJob, DecisionThreadReport } from './decision-thread.js';

export interface DecisionWriterOptions {
  readonly flushIntervalMs: number;
  /** Records per transaction on the audit thread. */
  readonly slice: number;
  /** Bound on records waiting; beyond it (or with the ring full) new records are counted and dropped. */
  readonly maxQueued: number;
  /** The ring's size in bytes (default 8 MiB: some 60,000 decisions). */
  readonly ringBytes?: number;
  /** How long flush() waits for the audit thread before it throws (default 10 s). */
  readonly flushTimeoutMs?: number;
  /** The writer on the event loop, used once the audit thread has died. */
  readonly fallback: BatchWriterOptions<DecisionEvent>;
  readonly log: Logger;
}

const DEFAULT_RING_BYTES = 8 * 1024 * 1024;

/**
 * The daemon's connection's busy_timeout while the audit thread runs. The thread holds the write
 * lock about a millisecond per batch; writes on the event loop that exclusive() does not cover
 * (admin API, token use, DHCP leases, the stale-session sweep) wait that long rather than fail
 * against their own daemon. SQLite sleeps 1, 2, 5 ms between tries, so this is three tries, and
 * still short against another process's lock (a CLI import).
 */
export const LOOP_BUSY_TIMEOUT_MS = 10;

/**
 * Where decisions are appended, for events.decisionWriter on a machine with `cores` CPUs.
 * 'auto' takes the thread only with a second core to run it: on one core it can only add its
 * work and its wake-ups to the core the event loop needs (docs/benchmarks.md, pinned runs).
 */
export function decisionWriterFor(setting: 'auto' | 'loop' | 'thread', cores: number): 'loop' | 'thread' {
  return setting === 'auto' ? (cores >= 2 ? 'thread' : 'loop') : setting;
}

export class DecisionWriter implements RecordWriter<DecisionEvent> {
  readonly #ring: DecisionRing;
  readonly #h: Int32Array;
  readonly #worker: Worker;
  readonly #opts: DecisionWriterOptions;
  readonly #exited: Promise<void>;
  #fallback: BatchWriter<DecisionEvent> | null = null;
  #closing = false;
  /** Records written into the ring, and committed by the audit thread (unwrapped from int32). */
  #published = 0;
  #committed = 0;
  #lastCommitted = 0;
  #dropped = 0;
  /** Records refused because they can never fit a ring record (a string over 65,534 bytes). */
  refused = 0;

  private constructor(db: Database.Database, opts: DecisionWriterOptions) {
    this.#opts = opts;
    this.#ring = DecisionRing.create(opts.ringBytes ?? DEFAULT_RING_BYTES);
    this.#h = this.#ring.header;
    const job: DecisionThreadJob = {
      file: db.name,
      ring: this.#ring.shared,
      slice: opts.slice,
      flushIntervalMs: opts.flushIntervalMs,
      gatherMs: Math.min(opts.flushIntervalMs, 5),
    };
    this.#worker = new Worker(workerScript(import.meta.url, 'decision-thread.js'), { workerData: job });
    this.#worker.on('message', (r: DecisionThreadReport) => {
      const err = Object.assign(new Error(r.message), { code: r.code });
      opts.fallback.onError(err, r.records);
    });
    this.#worker.on('error', (err) => {
      opts.log.error({ err }, 'audit thread failed; decisions are appended on the event loop from now on');
    });
    this.#exited = new Promise<void>((resolve) =>
      this.#worker.once('exit', (code) => {
        if (!this.#closing) {
          opts.log.error({ exitCode: code }, 'audit thread exited; decisions are appended on the event loop from now on');
          this.#fallBack();
        }
        resolve();
      }),
    );
  }

  /** Starts one for a file-backed store (a worker cannot share an in-memory one): null otherwise. */
  static start(db: Database.Database, opts: DecisionWriterOptions): DecisionWriter | null {
    if (db.memory || db.name === '' || db.name === ':memory:') return null;
    return new DecisionWriter(db, opts);
  }

  /** Records committed by the audit thread. */
  #committedNow(): number {
    const c = Atomics.load(this.#h, COMMITTED);
    this.#committed += (c - this.#lastCommitted) >>> 0;
    this.#lastCommitted = c;
    return this.#committed;
  }

  get pending(): number {
    return this.#published - this.#committedNow() + (this.#fallback?.pending ?? 0);
  }

  get dropped(): number {
    return this.#dropped + (this.#fallback?.dropped ?? 0);
  }

  get written(): number {
    return this.#committedNow() + (this.#fallback?.written ?? 0);
  }

  get failedBatches(): number {
    return Atomics.load(this.#h, FAILED) + (this.#fallback?.failedBatches ?? 0);
  }

  get lastLagMs(): number {
    return this.#fallback?.lastLagMs ?? Atomics.load(this.#h, LAG_MS);
  }

  /** Whether decisions still go to the audit thread (false once it has died). */
  get threaded(): boolean {
    return this.#fallback === null;
  }

  /** Queues a decision without waiting. Returns false if it was refused (and counted). */
  push(e: DecisionEvent): boolean {
    if (this.#fallback !== null) return this.#fallback.push(e);
    if (this.#closing || this.#published - this.#committedNow() >= this.#opts.maxQueued) {
      this.#dropped++;
      return false;
    }
    const r = this.#ring.write(e);
    if (r !== 'ok') {
      this.#dropped++;
      if (r === 'refused') this.refused++;
      return false;
    }
    this.#published++;
    const h = this.#h;
    Atomics.store(h, PUBLISHED, this.#published | 0);
    if (Atomics.load(h, STATE) === IDLE) Atomics.notify(h, TAIL, 1);
    return true;
  }

  /**
   * Returns once every decision pushed so far is committed, or once the audit thread reports a
   * failed batch (another process holds the write lock: the records stay queued and the failure
   * goes to onError, as with the BatchWriter). Synchronous: it blocks the event loop. Throws
   * LANYARD_ERR_AUDIT_FLUSH_TIMEOUT when the thread did neither within flushTimeoutMs.
   */
  flush(): void {
    if (this.#fallback !== null) {
      this.#fallback.flush();
      return;
    }
    const target = this.#published;
    if (this.#committedNow() >= target) return;
    const h = this.#h;
    const failed = Atomics.load(h, FAILED);
    Atomics.add(h, REQUEST, 1);
    Atomics.notify(h, REQUEST);
    Atomics.notify(h, TAIL);
    const timeout = this.#opts.flushTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeout;
    for (;;) {
      const c = Atomics.load(h, COMMITTED);
      if (this.#committedNow() >= target || Atomics.load(h, FAILED) !== failed) return;
      if (Atomics.load(h, STATE) === DEAD) {
        // Died before its exit event could reach us: write the rest here, now.
        this.#fallBack().flush();
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new LanyardError(
          'LANYARD_ERR_AUDIT_FLUSH_TIMEOUT',
          `${target - this.#committed} decision events were not committed to the audit log within ${timeout} ms`,
        );
      }
      Atomics.wait(h, COMMITTED, c, Math.min(left, 10));
    }
  }

  /**
   * Runs `write` (an event-loop write to the store) while the audit thread is not writing:
   * waits for its current batch (a millisecond or so), but never past 100 ms, and
   * never for another process (see LOCK in decision-ring.ts).
   */
  exclusive<R>(write: () => R): R {
    const h = this.#h;
    let held = this.#fallback === null;
    if (held) {
      const deadline = Date.now() + Math.min(this.#opts.flushIntervalMs, 100);
      while (Atomics.compareExchange(h, LOCK, 0, LOCK_LOOP) !== 0) {
        const left = deadline - Date.now();
        if (left <= 0) {
          held = false; // write anyway: at worst SQLITE_BUSY, which the caller handles
          break;
        }
        Atomics.wait(h, LOCK, LOCK_THREAD, left);
      }
    }
    try {
      return write();
    } finally {
      if (held) {
        Atomics.store(h, LOCK, 0);
        Atomics.notify(h, LOCK);
      }
    }
  }

  /** Moves to a BatchWriter on the event loop, taking over the records still in the ring. */
  #fallBack(): BatchWriter<DecisionEvent> {
    if (this.#fallback !== null) return this.#fallback;
    const fallback = new BatchWriter<DecisionEvent>({ ...this.#opts.fallback, maxQueued: Math.max(this.#opts.maxQueued, this.#opts.fallback.maxQueued) });
    const h = this.#h;
    const left: DecisionEvent[] = [];
    const head = Atomics.load(h, HEAD);
    const tail = Atomics.load(h, TAIL);
    this.#ring.read(head, tail, Infinity, left);
    Atomics.store(h, HEAD, tail);
    Atomics.store(h, LOCK, 0); // a thread killed while writing cannot release it
    this.#published = this.#committedNow(); // what was left now counts as the fallback's
    for (const e of left) fallback.push(e);
    this.#fallback = fallback;
    if (this.#closing) fallback.close();
    return fallback;
  }

  /** Drains the ring, ends the audit thread, and refuses anything further (SIGTERM). */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#fallback !== null) {
      this.#fallback.close();
      return;
    }
    const h = this.#h;
    Atomics.store(h, STOP, 1);
    Atomics.add(h, REQUEST, 1);
    for (const slot of [REQUEST, TAIL]) Atomics.notify(h, slot);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.#opts.flushTimeoutMs ?? 10_000).unref());
    await Promise.race([this.#exited, timeout]);
    await this.#worker.terminate();
    // What the thread could not commit (the store failing at shutdown) gets a last try here.
    if (Atomics.load(h, HEAD) !== Atomics.load(h, TAIL)) this.#fallBack();
  }

  /**
   * Ends the audit thread as a crash would (tests; an operator's last resort): the exit is
   * logged and the event loop takes over, starting with the records left in the ring.
   */
  async terminateThread(): Promise<void> {
    await this.#worker.terminate();
    await this.#exited;
  }
}
