/**
 * The batched writer: the hot path hands it records and never waits. It commits a batch
 * in one transaction every `flushIntervalMs` or as soon as `batchSize` records wait
 * (ARCHITECTURE.md "Durability"). Callers that must know the record is durable (accounting)
 * pass a callback that runs after the commit, or with the error if it failed.
 */

export interface BatchWriterOptions<T> {
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  /** Bound on records waiting while the store fails; beyond it new records are counted and dropped. */
  readonly maxQueued: number;
  /** Writes one batch in one transaction; throws on failure. */
  readonly write: (batch: readonly T[]) => void;
  /** Called (at the edge, which logs) when a batch fails. */
  readonly onError: (error: unknown, batchSize: number) => void;
}

type Done = (error: unknown) => void;

export class BatchWriter<T> {
  private queue: T[] = [];
  private waiters: Done[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;
  /** Records refused because the queue was full (the store is failing). */
  dropped = 0;
  written = 0;
  failedBatches = 0;
  /** Age (ms) of the oldest record in the last committed batch: the write lag. */
  lastLagMs = 0;
  private oldestAt = 0;

  constructor(private readonly opts: BatchWriterOptions<T>) {}

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
    if (done !== undefined) this.waiters.push(done);
    if (this.queue.length >= this.opts.batchSize) {
      this.immediate ??= setImmediate(() => {
        this.immediate = null;
        this.flush();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.opts.flushIntervalMs);
    }
    return true;
  }

  /** Commits everything queued now. Synchronous (better-sqlite3). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    const waiters = this.waiters;
    const oldestAt = this.oldestAt;
    this.queue = [];
    this.waiters = [];
    let error: unknown = null;
    try {
      this.opts.write(batch);
      this.written += batch.length;
      this.lastLagMs = Date.now() - oldestAt;
    } catch (e) {
      error = e;
      this.failedBatches++;
      this.opts.onError(e, batch.length);
      // Records without a waiter (decision events) go back to the queue for the next attempt,
      // bounded by maxQueued; records with a waiter are reported failed so the caller can react
      // (accounting: no response, the NAS retransmits — RFC 2866 §2).
      if (waiters.length === 0) {
        this.queue = batch.concat(this.queue).slice(0, this.opts.maxQueued);
        this.oldestAt = oldestAt;
      }
    }
    for (const done of waiters) {
      try {
        done(error);
      } catch (e) {
        // A waiter's own failure must not escape a timer callback and stop the daemon.
        this.opts.onError(e, 0);
      }
    }
    if (this.queue.length > 0 && this.timer === null && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.opts.flushIntervalMs);
    }
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
