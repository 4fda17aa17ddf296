/**
 * One receiver's send queue, as a state machine with the time passed in (no sockets, no
 * timers), so retries and limits are tested with a fake clock. The forwarder drives it:
 * take() what may be sent now, due() what timed out, answer() what the receiver acknowledged.
 *
 *  - Waiting items are bounded by `queueLimit`; beyond it the OLDEST is dropped and counted
 *    (the newest events say who has an address now, which is what a web filter needs).
 *  - At most `window` requests are in flight: one RADIUS Identifier each (RFC 2865 §3: one
 *    octet, so at most 256 outstanding per socket).
 *  - Items with the same `orderKey` (one session's Start and Stop) are never in flight
 *    together: a receiver may handle concurrent requests in any order (FreeRADIUS's thread pool
 *    wrote a Stop before its Start), and a Start retransmitted after its Stop would leave the
 *    web filter mapping the address to a user who has gone. The queue waits for the earlier
 *    one's answer (or failure) before sending the next, holding everything behind it.
 *  - A request not answered within its timeout is sent again, the same bytes and Identifier
 *    (RFC 5080 §2.2.1: a retransmission is identical), after timeoutMs, then 2×, 4× ... that
 *    (exponential backoff, RFC 5080 §2.2.1), capped at MAX_BACKOFF_MS, `retries` times; then
 *    it has failed.
 */

/** The largest wait between two transmissions of one request. */
export const MAX_BACKOFF_MS = 60_000;
/** Requests in flight to one receiver at once. */
export const DEFAULT_WINDOW = 64;

export interface FeedQueueOptions<T = unknown> {
  /** Waiting requests kept at most; the oldest is dropped beyond it. */
  readonly queueLimit: number;
  /** Wait for the first answer, ms. */
  readonly timeoutMs: number;
  /** Retransmissions after the first transmission. */
  readonly retries: number;
  /** Whether the receiver answers at all; when it does not, a sent request is done. */
  readonly expectResponse: boolean;
  readonly window?: number;
  /** Items with the same key are sent one after another, each after the previous was answered or failed. */
  readonly orderKey?: (item: T) => string;
}

export interface FeedQueueCounters {
  /** Requests transmitted for the first time. */
  sent: number;
  /** Requests acknowledged by a valid Accounting-Response. */
  answered: number;
  /** Retransmissions. */
  retried: number;
  /** Requests given up after the last retransmission went unanswered. */
  failed: number;
  /** Waiting requests dropped because the queue was full. */
  droppedQueueFull: number;
  /** Datagrams from the receiver that matched no request or failed authentication. */
  badResponses: number;
}

interface InFlight<T> {
  readonly item: T;
  readonly packet: Buffer;
  /** Transmissions so far (1 = only the first). */
  attempts: number;
  deadline: number;
}

/** A transmission to make now. */
export interface Transmission<T> {
  readonly item: T;
  readonly packet: Buffer;
  /** 0 for the first transmission, n for the n-th retransmission. */
  readonly retry: number;
}

/** Delay before transmission number `attempts + 1` of a request: timeout × 2^(attempts−1), capped. */
export function backoffMs(timeoutMs: number, attempts: number): number {
  return Math.min(timeoutMs * 2 ** Math.max(0, attempts - 1), Math.max(timeoutMs, MAX_BACKOFF_MS));
}

export class FeedQueue<T> {
  readonly counters: FeedQueueCounters = { sent: 0, answered: 0, retried: 0, failed: 0, droppedQueueFull: 0, badResponses: 0 };
  readonly #options: Required<Omit<FeedQueueOptions<T>, 'orderKey'>>;
  readonly #orderKey: ((item: T) => string) | null;
  /** Keys of the items in flight, with how many (only with orderKey). */
  readonly #keysInFlight = new Map<string, number>();
  /** Waiting items, oldest first, from #head on (a moving start instead of shift(): O(1)). */
  #waiting: T[] = [];
  #head = 0;
  readonly #inFlight = new Map<number, InFlight<T>>();
  #nextId = 0;

  constructor(options: FeedQueueOptions<T>) {
    const window = Math.min(256, Math.max(1, options.window ?? DEFAULT_WINDOW));
    const { orderKey, ...rest } = options;
    this.#options = { ...rest, window };
    this.#orderKey = orderKey ?? null;
  }

  #keyIn(item: T): void {
    if (this.#orderKey === null) return;
    const k = this.#orderKey(item);
    this.#keysInFlight.set(k, (this.#keysInFlight.get(k) ?? 0) + 1);
  }

  #keyOut(item: T): void {
    if (this.#orderKey === null) return;
    const k = this.#orderKey(item);
    const n = (this.#keysInFlight.get(k) ?? 1) - 1;
    if (n <= 0) this.#keysInFlight.delete(k);
    else this.#keysInFlight.set(k, n);
  }

  /** Requests waiting to be sent. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Requests sent and not yet answered or given up. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Array slots the waiting list holds, consumed ones included (at most about twice the waiting, or 1024 more). */
  get slots(): number {
    return this.#waiting.length;
  }

  /** Adds an item; returns the item dropped to make room (the oldest waiting), or null. */
  push(item: T): T | null {
    this.#waiting.push(item);
    if (this.waiting <= this.#options.queueLimit) return null;
    const dropped = this.#waiting[this.#head]!;
    this.#head++;
    this.counters.droppedQueueFull++;
    this.#compact();
    return dropped;
  }

  /** Drops the consumed front of the waiting list once it is over half of it (and over 1024 slots). */
  #compact(): void {
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }

  /** A free Identifier, or -1 when every one is taken. */
  #freeIdentifier(): number {
    for (let i = 0; i < 256; i++) {
      const id = (this.#nextId + i) & 0xff;
      if (!this.#inFlight.has(id)) {
        this.#nextId = (id + 1) & 0xff;
        return id;
      }
    }
    return -1;
  }

  /**
   * Moves waiting items into flight while the window has room. `encode` turns an item and its
   * Identifier into the datagram; it is called once per request (retransmissions reuse it).
   */
  take(now: number, encode: (item: T, identifier: number) => Buffer): Transmission<T>[] {
    const out: Transmission<T>[] = [];
    while (this.waiting > 0 && this.#inFlight.size < this.#options.window) {
      const item = this.#waiting[this.#head]!;
      // Head of line: the next item waits while an earlier one of its session is in flight.
      if (this.#orderKey !== null && this.#keysInFlight.has(this.#orderKey(item))) break;
      const identifier = this.#freeIdentifier();
      if (identifier < 0) break;
      this.#head++;
      const packet = encode(item, identifier);
      this.counters.sent++;
      out.push({ item, packet, retry: 0 });
      if (this.#options.expectResponse) {
        this.#inFlight.set(identifier, { item, packet, attempts: 1, deadline: now + backoffMs(this.#options.timeoutMs, 1) });
        this.#keyIn(item);
      }
    }
    // Also when a backlog never quite empties (a receiver that answers, but slower than events
    // arrive for a while): otherwise the consumed front would only be freed at a full drain.
    this.#compact();
    return out;
  }

  /** Requests whose wait is over: retransmit them, or give them up after the last retry. */
  due(now: number): { resend: Transmission<T>[]; failed: T[] } {
    const resend: Transmission<T>[] = [];
    const failed: T[] = [];
    for (const [identifier, f] of this.#inFlight) {
      if (f.deadline > now) continue;
      if (f.attempts > this.#options.retries) {
        this.#inFlight.delete(identifier);
        this.#keyOut(f.item);
        this.counters.failed++;
        failed.push(f.item);
        continue;
      }
      f.attempts++;
      f.deadline = now + backoffMs(this.#options.timeoutMs, f.attempts);
      this.counters.retried++;
      resend.push({ item: f.item, packet: f.packet, retry: f.attempts - 1 });
    }
    return { resend, failed };
  }

  /**
   * A datagram from the receiver answering `identifier`: `verify` checks it against the request
   * it answers (the Response Authenticator covers the request's). Returns the settled item, or
   * null (counted as a bad response) when nothing waits on that Identifier or it fails to verify.
   */
  answer(identifier: number, verify: (request: Buffer) => boolean): T | null {
    const f = this.#inFlight.get(identifier);
    if (f === undefined || !verify(f.packet)) {
      this.counters.badResponses++;
      return null;
    }
    this.#inFlight.delete(identifier);
    this.#keyOut(f.item);
    this.counters.answered++;
    return f.item;
  }

  /** When due() next has something to do (epoch ms), or null when nothing is in flight. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const f of this.#inFlight.values()) if (next === null || f.deadline < next) next = f.deadline;
    return next;
  }

  /** Empties the queue (on close); returns how many requests were waiting or in flight. */
  clear(): number {
    const n = this.waiting + this.#inFlight.size;
    this.#waiting = [];
    this.#head = 0;
    this.#inFlight.clear();
    this.#keysInFlight.clear();
    return n;
  }
}
