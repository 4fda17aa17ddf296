/**
 * Duplicate detection (RFC 5080 §2.2.2): a request with the same source address, source
 * port, Identifier and Request Authenticator as one seen within the window is a
 * retransmission. It gets the reply already sent (decided once), or nothing while the first
 * copy is still being handled (accounting waits for its commit).
 *
 * Runs for every request, so it allocates one small entry per new request and nothing else:
 * the key is a number (the source address interned to a small integer, then port, service and
 * Identifier), and the Request Authenticator is kept as four 32-bit words, not a Buffer copy.
 */

/** One recorded request. Callers hold it to complete or forget exactly this request later. */
export interface DuplicateEntry {
  readonly key: number;
  /** The Request Authenticator (octets 4..19 of the request) as four big-endian words. */
  readonly a0: number;
  readonly a1: number;
  readonly a2: number;
  readonly a3: number;
  /** The reply sent, or null while the request is being handled. */
  reply: Buffer | null;
  readonly at: number;
}

/** Beyond this many distinct source addresses the cache starts afresh (see key()). */
const MAX_SOURCES = 65_536;
/** port × 512 + service × 256 + Identifier < 2^25; the source's number goes above it. */
const SOURCE_STRIDE = 2 ** 25;

function word(packet: Uint8Array, at: number): number {
  return ((packet[at]! << 24) | (packet[at + 1]! << 16) | (packet[at + 2]! << 8) | packet[at + 3]!) | 0;
}

export class DuplicateCache {
  /** Insertion-ordered: the oldest entries are at the head, so expiry walks from the front. */
  private readonly entries = new Map<number, DuplicateEntry>();
  /** Source address → its number in keys. Only NASes with a valid secret get this far. */
  private readonly sources = new Map<string, number>();
  private lastExpiry = -Infinity;

  constructor(
    private readonly windowMs: number,
    /** Hard bound on memory: 256 ids × sources; beyond it the oldest entries go first. */
    private readonly maxEntries = 200_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The key of a request. The service (auth/acct port) is part of it: a NAS may use the same
   * source port and Identifier for an Access-Request and an Accounting-Request at once.
   * Source addresses are numbered as first seen; should MAX_SOURCES ever be passed (only
   * addresses inside registered NAS ranges that know the secret reach this), everything is
   * forgotten and numbering restarts, so the numbers stay exact integers.
   */
  key(service: 'auth' | 'acct', address: string, port: number, identifier: number): number {
    let source = this.sources.get(address);
    if (source === undefined) {
      if (this.sources.size >= MAX_SOURCES) this.clear();
      source = this.sources.size;
      this.sources.set(address, source);
    }
    return source * SOURCE_STRIDE + port * 512 + (service === 'acct' ? 256 : 0) + identifier;
  }

  /**
   * Looks the request (`packet`, whose octets 4..19 are its Request Authenticator) up under
   * `key`. Returns:
   * - a new entry (reply null): the request is new and is now recorded as in progress;
   * - the recorded entry with its reply: a retransmission of a request already answered;
   * - null: a retransmission of a request still being handled (send nothing).
   */
  check(key: number, packet: Uint8Array, now: number): DuplicateEntry | null {
    if (now !== this.lastExpiry) this.expire(now);
    const a0 = word(packet, 4);
    const a1 = word(packet, 8);
    const a2 = word(packet, 12);
    const a3 = word(packet, 16);
    const found = this.entries.get(key);
    if (found !== undefined) {
      if (found.a0 === a0 && found.a1 === a1 && found.a2 === a2 && found.a3 === a3 && now - found.at < this.windowMs) {
        return found.reply === null ? null : found;
      }
      // Same id reused with a new authenticator: a new request (RFC 5080 §2.2.2); replace.
      this.entries.delete(key);
    }
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const entry: DuplicateEntry = { key, a0, a1, a2, a3, reply: null, at: now };
    this.entries.set(key, entry);
    return entry;
  }

  /** Stores the reply sent for a recorded request (a no-op if a newer request replaced it). */
  complete(entry: DuplicateEntry, reply: Buffer): void {
    entry.reply = reply;
  }

  /**
   * Forgets a request that produced no reply (dropped), so a retransmission is handled afresh.
   * Only this entry: a newer request that reused the key meanwhile stays recorded.
   */
  forget(entry: DuplicateEntry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }

  /** Drops entries older than the window, from the oldest; at most once per millisecond. */
  private expire(now: number): void {
    this.lastExpiry = now;
    for (const entry of this.entries.values()) {
      if (now - entry.at < this.windowMs) break;
      this.entries.delete(entry.key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.sources.clear();
  }
}
