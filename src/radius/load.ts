/**
 * Load shedding (issue 5, storms): when the daemon cannot keep up, it answers nothing to NEW
 * requests and counts each one as the drop cause 'shed', rather than deciding requests it
 * cannot record or letting the kernel's socket buffer lose datagrams uncounted. A NAS treats
 * silence as a timeout and retransmits (RFC 2865 §2.4 / RFC 5080 §2.2.1), so a shed request
 * comes back once the storm has passed. Retransmissions of requests already decided still get
 * their cached reply (the duplicate step runs first), so nothing is decided twice.
 *
 * Two signals, either one sheds:
 *  - the queue of records waiting for the store has passed a bound: the store is stalled (a
 *    CLI import holds the write lock, the disk is slow). Deciding more would only push the queue
 *    towards its hard limit, beyond which audit rows are lost (R-10: every decision is recorded);
 *  - the event loop has not turned for longer than a bound: the datagrams now being read have
 *    waited in the kernel buffer at least that long, and their NAS is about to retransmit.
 *
 * This class holds state and a clock only; the decision is one comparison per request.
 */

/** How often the event-loop heartbeat runs (ms). */
const TICK_MS = 25;

export interface LoadBounds {
  /** Shed new requests while this many records (or more) wait for the store. */
  readonly maxQueued: number;
  /** Shed new requests while the event loop has been held this long (ms) or longer. */
  readonly maxLagMs: number;
}

export class LoadGuard {
  #lastTick: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    readonly bounds: LoadBounds,
    /** Monotonic ms (performance.now); injectable for tests. */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.#lastTick = clock();
  }

  /** Starts the heartbeat that measures event-loop lag; unref'd, so it never keeps the process alive. */
  start(): this {
    this.tick();
    this.#timer ??= setInterval(() => this.tick(), TICK_MS).unref();
    return this;
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Records that the event loop turned now (the heartbeat calls it). */
  tick(): void {
    this.#lastTick = this.clock();
  }

  /** How long (ms) since the event loop last turned, beyond the heartbeat's own period (0 when not started). */
  lagMs(): number {
    return this.#timer === null ? 0 : Math.max(0, this.clock() - this.#lastTick - TICK_MS);
  }

  /** True when a new request should get no answer: `queued` records wait for the store. */
  shouldShed(queued: number): boolean {
    return queued >= this.bounds.maxQueued || this.lagMs() >= this.bounds.maxLagMs;
  }
}
