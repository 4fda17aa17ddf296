/**
 * The web-filter feed (docs/web-filter-feed.md): session starts and stops become RFC 2866
 * Accounting-Requests to the receivers a school's web filter runs (Smoothwall, FortiGate
 * RSSO), so that the filter knows which person is behind which address.
 *
 * It never blocks the RADIUS path: the daemon hands it session changes after their commit
 * (sessions.onChange), each receiver has its own bounded queue (queue.ts) and UDP socket, and
 * nothing here is awaited by a RADIUS handler. What is sent and what failed is counted.
 *
 * Addresses: a web filter maps an address to a user, so a Start is only useful with
 * Framed-IP-Address. A session that starts without one is HELD until an address is known —
 * from a later accounting record of the session (Interim-Update, a late Start, the Stop),
 * or from addressKnown(mac, ip, at), which the DHCP side calls for each lease — for at most
 * the feed's holdMs; a hold that runs out is dropped and counted ('unaddressed'). An address
 * reported for the MAC within holdMs before the start is used at once.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { FeedConfig } from '../config/types.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { normaliseMac } from '../policy/mac.js';
import type { Policy } from '../policy/model.js';
import { Code } from '../protocols/radius/constants.js';
import { encodeRequest } from '../protocols/radius/encode.js';
import { ZERO_AUTHENTICATOR, verifyMessageAuthenticator, verifyResponseAuthenticator } from '../protocols/radius/authenticator.js';
import { check } from '../protocols/radius/check.js';
import type { AccountingRecord } from '../radius/handlers/accounting-request.js';
import type { SessionChange } from '../store/sessions.js';
import { feedAttributes, feedIdentity, feedSessionId, type FeedDevice, type FeedEvent, type FeedIdentity, type FeedSession } from './attributes.js';
import { FeedQueue, type FeedQueueCounters, type Transmission } from './queue.js';

/** Counters of one receiver, for /metrics and the SIGUSR2 line. */
export interface FeedStats extends FeedQueueCounters {
  readonly feed: string;
  /** Requests waiting to be sent. */
  readonly queued: number;
  /** Requests sent and not yet answered. */
  readonly inFlight: number;
  /** Session starts waiting for an address. */
  readonly held: number;
  /** Sessions never forwarded because no address became known in time. */
  readonly unaddressed: number;
}

/** At most this many open sessions are remembered per feed (what a Stop must repeat). */
const MAX_OPEN = 200_000;
/** At most this many MAC → address reports are remembered. */
const MAX_ADDRESSES = 100_000;
/** Failures of one feed are logged at warn at most this often; the rest at debug. */
const WARN_EVERY_MS = 60_000;

/** What a receiver was told when a session started, so that its Stop says the same. */
interface Opened {
  readonly ip: string;
  readonly identity: FeedIdentity;
}

/** Keeps at most `max` entries, forgetting the oldest inserted. */
function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

/**
 * One receiver: its socket, queue and counters. The socket is connected to the receiver, so
 * only its datagrams arrive (the kernel filters the source address and port).
 */
export class FeedSender {
  readonly config: FeedConfig;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #queue: FeedQueue<FeedEvent>;
  readonly #socket: dgram.Socket;
  /** Sessions started at this receiver and not yet stopped, by session row id. */
  readonly opened = new Map<number, Opened>();
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #closed = false;
  #lastWarn = -Infinity;
  #quietFailures = 0;
  unaddressed = 0;

  private constructor(config: FeedConfig, log: Logger, now: () => number) {
    this.config = config;
    this.#log = log;
    this.#now = now;
    this.#queue = new FeedQueue<FeedEvent>({
      queueLimit: config.queueLimit,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      expectResponse: config.expectResponse,
      // One session's Start, then its Stop: never both in flight (queue.ts).
      orderKey: (event) => feedSessionId(event.session),
    });
    this.#socket = dgram.createSocket(isIP(config.address) === 6 ? 'udp6' : 'udp4');
  }

  static async open(config: FeedConfig, log: Logger, now: () => number): Promise<FeedSender> {
    const sender = new FeedSender(config, log.child({ feed: config.name }), now);
    await sender.#connect();
    return sender;
  }

  async #connect(): Promise<void> {
    const socket = this.#socket;
    // An ICMP port-unreachable from a receiver that is down surfaces here on a connected
    // socket: the request stays in flight and is retried; the error is never fatal.
    socket.on('error', (err) => this.#log.debug({ err }, 'feed socket error'));
    socket.on('message', (msg) => this.#onMessage(msg));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.config.port, this.config.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  }

  /** Queues one event; sending happens on the next turn of the event loop. */
  enqueue(event: FeedEvent): void {
    if (this.#closed) return;
    const dropped = this.#queue.push(event);
    if (dropped !== null) this.#warn('LANYARD_ERR_FEED_QUEUE_FULL', dropped, 'feed queue full: the oldest waiting request was dropped');
    this.#schedule(this.#now());
  }

  stats(held: number): FeedStats {
    return {
      feed: this.config.name,
      ...this.#queue.counters,
      queued: this.#queue.waiting,
      inFlight: this.#queue.inFlight,
      held,
      unaddressed: this.unaddressed,
    };
  }

  /** Arms the one timer for `at` (epoch ms) unless an earlier one is armed. */
  #schedule(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#pump(), Math.max(0, at - this.#now()));
    this.#timer.unref();
  }

  #pump(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const now = this.#now();
    const { resend, failed } = this.#queue.due(now);
    for (const event of failed) {
      this.#warn('LANYARD_ERR_FEED_UNANSWERED', event, `feed receiver did not answer after ${this.config.retries + 1} transmissions`);
    }
    const fresh = this.#queue.take(now, (event, identifier) =>
      encodeRequest({
        code: Code.AccountingRequest,
        identifier,
        attributes: feedAttributes(event, {
          groupAttribute: this.config.groupAttribute,
          nasIdentifier: this.config.nasIdentifier,
          nasIpAddress: this.config.nasIpAddress,
          sentAt: now,
        }),
        secret: this.config.secret,
        messageAuthenticator: true, // RFC 3579 §3.2; asked of every request since BlastRADIUS
      }),
    );
    for (const t of [...resend, ...fresh]) this.#send(t);
    const next = this.#queue.nextDeadline();
    if (next !== null) this.#schedule(next);
  }

  #send(t: Transmission<FeedEvent>): void {
    this.#socket.send(t.packet, (err) => {
      if (err !== null && err !== undefined) this.#log.debug({ err, retry: t.retry }, 'feed send failed; it will be retried');
    });
  }

  #onMessage(msg: Buffer): void {
    // RFC 2866 §4.2: an Accounting-Response, its Identifier matching the request, its
    // Response Authenticator MD5(Code+ID+Length+RequestAuth+Attributes+Secret) (RFC 2866 §3).
    if (check(msg) !== null || msg[0] !== Code.AccountingResponse) {
      this.#queue.counters.badResponses++;
      return;
    }
    const secret = this.config.secret;
    const settled = this.#queue.answer(msg[1]!, (request) => {
      const requestAuthenticator = request.subarray(4, 20);
      if (!verifyResponseAuthenticator(msg, requestAuthenticator, secret)) return false;
      // No RFC defines Message-Authenticator in an Accounting-Response: accept either the
      // request's authenticator or zeros in its calculation (see encode.ts ResponseOptions).
      const ma = verifyMessageAuthenticator(msg, secret, requestAuthenticator);
      return ma === 'absent' || ma === 'valid' || verifyMessageAuthenticator(msg, secret, ZERO_AUTHENTICATOR) === 'valid';
    });
    if (settled !== null && this.#queue.waiting > 0) this.#schedule(this.#now());
  }

  /** Logs a lost request at warn, at most once a minute per feed; never the secret. */
  #warn(code: ErrorCode, event: FeedEvent, message: string): void {
    const now = this.#now();
    const fields = { code, address: this.config.address, port: this.config.port, kind: event.kind, acctSessionId: feedSessionId(event.session), ip: event.ip };
    if (now - this.#lastWarn >= WARN_EVERY_MS) {
      this.#log.warn({ ...fields, alsoSince: this.#quietFailures }, message);
      this.#lastWarn = now;
      this.#quietFailures = 0;
    } else {
      this.#quietFailures++;
      this.#log.debug(fields, message);
    }
  }

  async close(): Promise<number> {
    if (this.#closed) return 0;
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const lost = this.#queue.clear();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    return lost;
  }
}

export interface WebFilterFeedOptions {
  readonly feeds: readonly FeedConfig[];
  readonly log: Logger;
  /** The current policy (it changes on reload). */
  readonly policy: () => Policy;
  /** The registry's facts about a device (AA-BB-CC-DD-EE-FF), or null if it is not registered. */
  readonly device: (mac: string) => FeedDevice | null;
  readonly now?: () => number;
}

interface Held {
  readonly session: FeedSession;
  /** When the start happened (event time). */
  readonly at: number;
}

/** Every configured receiver, and the hold of sessions that have no address yet. */
export class WebFilterFeed {
  readonly #senders: FeedSender[];
  readonly #options: WebFilterFeedOptions;
  readonly #now: () => number;
  /** Starts without an address, by session row id, and their ids by MAC. */
  readonly #held = new Map<number, Held>();
  readonly #heldByMac = new Map<string, Set<number>>();
  readonly #holdLimit: number;
  /** The latest address reported for a MAC, and when. */
  readonly #addresses = new Map<string, { ip: string; at: number }>();
  readonly #holdMs: number;
  readonly #sweep: NodeJS.Timeout;

  private constructor(senders: FeedSender[], options: WebFilterFeedOptions) {
    this.#senders = senders;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#holdMs = Math.max(0, ...options.feeds.map((f) => f.holdMs));
    this.#holdLimit = Math.max(1, ...options.feeds.map((f) => f.queueLimit));
    this.#sweep = setInterval(() => this.expireHolds(), Math.min(60_000, Math.max(1000, this.#holdMs / 4)));
    this.#sweep.unref();
  }

  static async start(options: WebFilterFeedOptions): Promise<WebFilterFeed> {
    const log = options.log.child({ component: 'feed' });
    const senders: FeedSender[] = [];
    try {
      for (const config of options.feeds) senders.push(await FeedSender.open(config, log, options.now ?? Date.now));
    } catch (e) {
      await Promise.all(senders.map((s) => s.close()));
      throw e;
    }
    return new WebFilterFeed(senders, options);
  }

  get held(): number {
    return this.#held.size;
  }

  stats(): FeedStats[] {
    return this.#senders.map((s) => s.stats(this.#held.size));
  }

  /** The daemon's sessions.onChange listener: starts, stops and resumes after commit. */
  onSessionChanges(changes: readonly SessionChange[]): void {
    for (const change of changes) {
      const session = change.session;
      if (change.kind === 'stop') this.#stop(session, change.at, session.framedIp);
      else this.#start(session, change.at, session.framedIp);
    }
  }

  /**
   * Accounting records after commit: an Interim-Update (or late Start) carrying the address
   * of a session that is held releases it. Sessions are matched by MAC.
   */
  accountingRecords(records: readonly AccountingRecord[]): void {
    if (this.#held.size === 0) return;
    for (const r of records) if (r.mac !== null && r.framedIp !== null) this.#release(r.mac, r.framedIp);
  }

  /**
   * An address is known for a MAC (a DHCP lease, issue 4): held starts of that MAC go out with
   * it, and a start within holdMs after `at` uses it at once. `mac` in any accepted form.
   */
  addressKnown(mac: string, ip: string, at: number): void {
    if (isIP(ip) !== 4) return; // Framed-IP-Address is IPv4 (RFC 2865 §5.8)
    const key = normaliseMac(mac); // the sessions' form, AA-BB-CC-DD-EE-FF
    if (key === null) return;
    const prior = this.#addresses.get(key);
    if (prior === undefined || prior.at <= at) setBounded(this.#addresses, key, { ip, at }, MAX_ADDRESSES);
    this.#release(key, ip);
  }

  /** Gives up holds older than holdMs (the sweep timer calls this; tests may too). */
  expireHolds(now = this.#now()): number {
    let expired = 0;
    for (const [id, h] of this.#held) {
      if (now - h.at < this.#holdMs) continue;
      this.#unhold(id);
      for (const s of this.#senders) s.unaddressed++;
      expired++;
    }
    return expired;
  }

  #hold(session: FeedSession, at: number): void {
    if (this.#held.size >= this.#holdLimit && !this.#held.has(session.id)) {
      // Full: the oldest hold gives way, counted like one that ran out.
      const oldest = this.#held.keys().next().value as number;
      this.#unhold(oldest);
      for (const s of this.#senders) s.unaddressed++;
    }
    this.#held.set(session.id, { session, at });
    if (session.mac === null) return;
    let ids = this.#heldByMac.get(session.mac);
    if (ids === undefined) this.#heldByMac.set(session.mac, (ids = new Set()));
    ids.add(session.id);
  }

  /** Removes a hold; returns it, or undefined when the session was not held. */
  #unhold(id: number): Held | undefined {
    const h = this.#held.get(id);
    if (h === undefined) return undefined;
    this.#held.delete(id);
    const mac = h.session.mac;
    const ids = mac === null ? undefined : this.#heldByMac.get(mac);
    if (ids !== undefined) {
      ids.delete(id);
      if (ids.size === 0) this.#heldByMac.delete(mac!);
    }
    return h;
  }

  #start(session: FeedSession & { readonly framedIp: string | null }, at: number, framedIp: string | null): void {
    if (this.#senders.every((s) => s.opened.has(session.id))) return; // already forwarded (a resume of an open one)
    const ip = framedIp ?? this.#recentAddress(session.mac, at);
    if (ip === null) {
      this.#hold(session, at);
      return;
    }
    this.#unhold(session.id);
    this.#forward('start', session, at, ip);
  }

  #stop(session: FeedSession, at: number, framedIp: string | null): void {
    const held = this.#unhold(session.id);
    if (held !== undefined) {
      // Never started at the receivers: with an address now, say both; without, nothing.
      const ip = framedIp ?? this.#recentAddress(session.mac, held.at);
      if (ip === null) {
        for (const s of this.#senders) s.unaddressed++;
        return;
      }
      this.#forward('start', session, held.at, ip);
    }
    for (const s of this.#senders) {
      const opened = s.opened.get(session.id);
      s.opened.delete(session.id);
      // A Stop for a session started before a restart still clears the receiver's mapping.
      const ip = opened?.ip ?? framedIp;
      if (ip === null) continue;
      s.enqueue({ kind: 'stop', session, at, ip, identity: opened?.identity ?? this.#identity(s, session) });
    }
  }

  #forward(kind: 'start', session: FeedSession, at: number, ip: string): void {
    for (const s of this.#senders) {
      if (s.opened.has(session.id)) continue;
      const identity = this.#identity(s, session);
      setBounded(s.opened, session.id, { ip, identity }, MAX_OPEN);
      s.enqueue({ kind, session, at, ip, identity });
    }
  }

  #identity(s: FeedSender, session: FeedSession): FeedIdentity {
    const device = session.mac === null ? null : this.#options.device(session.mac);
    return feedIdentity(session, device, this.#options.policy(), s.config);
  }

  /** An address reported for `mac` no more than holdMs before `at`, or null. */
  #recentAddress(mac: string | null, at: number): string | null {
    const known = mac === null ? undefined : this.#addresses.get(mac);
    return known !== undefined && at - known.at <= this.#holdMs ? known.ip : null;
  }

  #release(mac: string, ip: string): void {
    const ids = this.#heldByMac.get(mac);
    if (ids === undefined) return;
    for (const id of [...ids]) {
      const h = this.#unhold(id);
      if (h !== undefined) this.#forward('start', h.session, h.at, ip);
    }
  }

  /** Closes every socket; returns how many requests were still waiting or in flight. */
  async close(): Promise<number> {
    clearInterval(this.#sweep);
    const lost = await Promise.all(this.#senders.map((s) => s.close()));
    return lost.reduce((a, b) => a + b, 0);
  }
}
