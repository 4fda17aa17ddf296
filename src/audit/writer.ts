/**
 * The batched writer: the hot path hands it records and never waits. It commits at least every
 * `flushIntervalMs`, or as soon as `batchSize` records wait (ARCHITECTURE.md "Durability").
 * Callers that must know the record is durable (accounting) pass a callback that runs after
 * the commit, or with the error if it failed.
 *
 * better-sqlite3 commits synchronously on the event loop, so a background flush writes at most
 * `sliceSize` records per transaction and lets the loop turn between slices: a datagram that
 * arrives during a flush waits for one slice, never for the whole backlog.
 */

export interface BatchWriterOptions<T> {
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  /** Records per transaction in a background flush (default: batchSize). */
  readonly sliceSize?: number;
  /** Bound on records waiting while the store fails; beyond it new records are counted and dropped. */
  readonly maxQueued: number;
  /** Writes one batch in one transaction; throws on failure. */
  readonly write: (batch: readonly T[]) => void;
  /** Called (at the edge, which logs) when a batch fails. */
  readonly onError: (error: unknown, batchSize: number) => void;
}

type Done = (error: unknown) => void;

/** What the daemon's hot path, load guard, metrics and stats use of a queued writer. */
export interface RecordWriter<T> {
  /** Queues a record without waiting; false when it was refused (and counted in `dropped`). */
  push(record: T): boolean;
  /** Records queued and not yet committed. */
  readonly pending: number;
  readonly dropped: number;
  readonly written: number;
  readonly failedBatches: number;
  /** Age (ms) of the oldest record in the last committed batch: the write lag. */
  readonly lastLagMs: number;
  /** Commits everything queued so far before returning. */
  flush(): void;
}

export class BatchWriter<T> implements RecordWriter<T> {
  private queue: T[] = [];
  /**
   * One entry per queued record (undefined: nobody waits for it), aligned with `queue` — or
   * empty while no queued record has a waiter: decision records never have one, and an array
   * of undefined beside every batch was a third of the writer's allocation per record.
   */
  private waiters: (Done | undefined)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly sliceSize: number;
  /** Records refused because the queue was full (the store is failing). */
  dropped = 0;
  written = 0;
  failedBatches = 0;
  /** Age (ms) of the oldest record in the last committed batch: the write lag. */
  lastLagMs = 0;
  private oldestAt = 0;

  constructor(private readonly opts: BatchWriterOptions<T>) {
    this.sliceSize = Math.max(1, opts.sliceSize ?? opts.batchSize);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Queues a record; `done` (optional) runs after its batch commits or fails. Returns false if refused. */
  push(record: T, done?: Done): boolean {
    if (this.closed || this.queue.length >= this.opts.maxQueued) {
      this.dropped++;
      done?.(new Error('event queue full or closed'));
      return false;
    }
    if (this.queue.length === 0) this.oldestAt = Date.now();
    this.queue.push(record);
    if (done !== undefined || this.waiters.length > 0) {
      while (this.waiters.length < this.queue.length - 1) this.waiters.push(undefined);
      this.waiters.push(done);
    }
    if (this.queue.length >= this.opts.batchSize) this.soon();
    else {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.background();
      }, this.opts.flushIntervalMs);
    }
    return true;
  }

  private soon(): void {
    this.immediate ??= setImmediate(() => {
      this.immediate = null;
      this.background();
    });
  }

  /** One slice, then the rest on the next turn of the event loop. */
  private background(): void {
    if (this.writeSlice(this.sliceSize) && this.queue.length > 0 && !this.closed) this.soon();
  }

  /** Commits everything queued now, in one transaction. Synchronous (better-sqlite3). */
  flush(): void {
    this.writeSlice(Infinity);
  }

  /** Writes up to `max` records; returns false when the write failed (the retry waits for the timer). */
  private writeSlice(max: number): boolean {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.queue.length === 0) return true;
    const all = max >= this.queue.length;
    const batch = all ? this.queue : this.queue.slice(0, max);
    const waiters = all ? this.waiters : this.waiters.slice(0, max);
    this.queue = all ? [] : this.queue.slice(max);
    this.waiters = all ? [] : this.waiters.slice(max);
    const oldestAt = this.oldestAt;
    if (this.queue.length > 0) this.oldestAt = Date.now(); // approximate for the remainder
    let error: unknown = null;
    try {
      this.opts.write(batch);
      this.written += batch.length;
      this.lastLagMs = Date.now() - oldestAt;
    } catch (e) {
      error = e;
      this.failedBatches++;
      this.opts.onError(e, batch.length);
      // Records nobody waits for (decision events) go back to the front of the queue for the
      // next attempt, bounded by maxQueued; records with a waiter are reported failed so the
      // caller can react (accounting: no response, the NAS retransmits — RFC 2866 §2).
      const keep: T[] = [];
      for (let i = 0; i < batch.length; i++) if (waiters[i] === undefined) keep.push(batch[i]!);
      if (keep.length > 0) {
        this.queue = keep.concat(this.queue).slice(0, this.opts.maxQueued);
        if (this.waiters.length > 0) {
          this.waiters = new Array<Done | undefined>(keep.length).fill(undefined).concat(this.waiters).slice(0, this.opts.maxQueued);
        }
        this.oldestAt = oldestAt;
      }
    }
    for (const done of waiters) {
      if (done === undefined) continue;
      try {
        done(error);
      } catch (e) {
        // A waiter's own failure must not escape a timer callback and stop the daemon.
        this.opts.onError(e, 0);
      }
    }
    if (error !== null && this.queue.length > 0 && this.timer === null && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.background();
      }, this.opts.flushIntervalMs);
    }
    return error === null;
  }

  /** Flushes and refuses anything further (SIGTERM). */
  close(): void {
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    this.flush();
    this.closed = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
