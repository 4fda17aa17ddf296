/**
 * Duplicate detection (RFC 5080 §2.2.2): a request with the same source address, source
 * port, Identifier and Request Authenticator as one seen within the window is a
 * retransmission. It gets the reply already sent (decided once), or nothing while the first
 * copy is still being handled (accounting waits for its commit).
 */

/** One recorded request. Callers hold it to complete or forget exactly this request later. */
export interface DuplicateEntry {
  readonly authenticator: Buffer;
  reply: Buffer | null;
  readonly at: number;
}

export type DuplicateVerdict =
  | { readonly kind: 'new'; readonly entry: DuplicateEntry }
  | { readonly kind: 'resend'; readonly reply: Buffer }
  | { readonly kind: 'in-progress' };

const IN_PROGRESS: DuplicateVerdict = { kind: 'in-progress' };

export class DuplicateCache {
  /** Insertion-ordered: the oldest entries are at the head, so expiry walks from the front. */
  private readonly entries = new Map<string, DuplicateEntry>();

  constructor(
    private readonly windowMs: number,
    /** Hard bound on memory: 256 ids × sources; beyond it the oldest entries go first. */
    private readonly maxEntries = 200_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The service (auth/acct port) is part of the key: a NAS may use the same source port and
   * Identifier for an Access-Request and an Accounting-Request at once.
   */
  static key(service: string, address: string, port: number, identifier: number): string {
    return `${service}|${address}|${port}|${identifier}`;
  }

  /**
   * Looks the request up and, when it is new, records it as in progress.
   * `authenticator` is copied only when recorded.
   */
  check(key: string, authenticator: Buffer, now: number): DuplicateVerdict {
    this.expire(now);
    const found = this.entries.get(key);
    if (found !== undefined && found.authenticator.equals(authenticator) && now - found.at < this.windowMs) {
      return found.reply === null ? IN_PROGRESS : { kind: 'resend', reply: found.reply };
    }
    // Same id reused with a new authenticator: a new request (RFC 5080 §2.2.2); replace.
    if (found !== undefined) this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const entry: DuplicateEntry = { authenticator: Buffer.from(authenticator), reply: null, at: now };
    this.entries.set(key, entry);
    return { kind: 'new', entry };
  }

  /** Stores the reply sent for a recorded request (a no-op if a newer request replaced it). */
  complete(entry: DuplicateEntry, reply: Buffer): void {
    entry.reply = reply;
  }

  /**
   * Forgets a request that produced no reply (dropped), so a retransmission is handled afresh.
   * Only this entry: a newer request that reused the key meanwhile stays recorded.
   */
  forget(key: string, entry: DuplicateEntry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  private expire(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.at < this.windowMs) break;
      this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
