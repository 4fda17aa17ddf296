/**
 * Duplicate detection (RFC 5080 §2.2.2): a request with the same source address, source
 * port, Identifier and Request Authenticator as one seen within the window is a
 * retransmission. It gets the reply already sent (decided once), or nothing while the first
 * copy is still being handled (accounting waits for its commit).
 *
 * Runs for every request and keeps every entry for the whole window (5 s by default: at
 * 13,500 requests/s, 67,000 entries). Held as JavaScript objects with a Buffer each, those
 * entries were most of what survived each young-generation collection: V8 copied every entry
 * made since the last one, then promoted it to the old generation, and the scavenge pauses
 * (1.5–2.5 ms on the development machine) were the largest part of the reply tail at moderate
 * load. So the cache lives in typed arrays outside the JavaScript heap's object graph:
 * - a ring of slots in arrival order (expiry walks from the oldest), each with its key, the
 *   Request Authenticator as four 32-bit words, its time, and its reply's bytes in a fixed
 *   region of a byte arena (a longer reply, EAP's, is kept as a Buffer in a small map);
 * - an open-addressing index from key to slot (linear probing, deletion by backward shift).
 * Checking a request allocates nothing. The ring starts small and doubles when it fills with
 * entries still inside the window, up to `maxEntries`; beyond that the oldest entry goes.
 *
 * A caller holds a handle (the entry's sequence number), not a slot: when the slot has since
 * been reused, complete() and forget() see a different sequence number and do nothing.
 */

/** check(): a retransmission of a request still being handled (send nothing). */
export const DUP_IN_PROGRESS = -1;
/** check(): a retransmission of a request already answered; its reply is in `resend`. */
export const DUP_ANSWERED = -2;

/** Beyond this many distinct source addresses the cache starts afresh (see key()). */
const MAX_SOURCES = 65_536;
/** port × 512 + service × 256 + Identifier < 2^25; the source's number goes above it. */
const SOURCE_STRIDE = 2 ** 25;
/** Reply bytes kept in the slot itself; a MAB or PAP Access-Accept with its VLAN and filter attributes fits. */
export const SLOT_REPLY_BYTES = 160;
/** replyLength of a slot whose request is still being handled. */
const PENDING = -1;
/** replyLength of a slot whose reply is in `#long`. */
const LONG = -2;
const INITIAL_SLOTS = 1024;

function word(packet: Uint8Array, at: number): number {
  return ((packet[at]! << 24) | (packet[at + 1]! << 16) | (packet[at + 2]! << 8) | packet[at + 3]!) | 0;
}

/** A well-mixed 32-bit hash of a key below 2^53 (both halves of it). */
function hashKey(key: number): number {
  const h = Math.imul((key | 0) ^ Math.imul((key / 4294967296) | 0, 0x85ebca6b), 0x9e3779b1);
  return h ^ (h >>> 15);
}

export class DuplicateCache {
  #slots = 0;
  #keys = new Float64Array(0);
  /** Sequence number of the entry in each slot (its handle), -1 when free. */
  #seqs = new Float64Array(0);
  #at = new Float64Array(0);
  /** Four words per slot. */
  #auth = new Int32Array(0);
  /** Reply length per slot, or PENDING, or LONG. */
  #replyLength = new Int32Array(0);
  #replies = new Uint8Array(0);
  /** Replies longer than SLOT_REPLY_BYTES, by sequence number. */
  readonly #long = new Map<number, Buffer>();
  /** Open addressing: slot + 1, 0 = empty. Twice the ring's size, so at most half full. */
  #index = new Int32Array(0);
  #mask = 0;
  /** Sequence numbers of the oldest slot in use and of the next entry; the ring spans next - oldest slots (some freed early). */
  #oldest = 0;
  #next = 0;
  /** Entries held (indexed). */
  #count = 0;
  /** Source address → its number in keys. Only NASes with a valid secret get this far. */
  readonly #sources = new Map<string, number>();
  #lastExpiry = -Infinity;
  /** The reply of the last check() that returned DUP_ANSWERED: a Buffer of its own, never a view of a slot that a later request may reuse. */
  resend: Buffer | null = null;

  constructor(
    private readonly windowMs: number,
    /** Hard bound on memory: 256 ids × sources; beyond it the oldest entries go first. */
    private readonly maxEntries = 200_000,
  ) {
    this.#allocate(Math.min(INITIAL_SLOTS, Math.max(1, maxEntries)));
  }

  get size(): number {
    return this.#count;
  }

  /**
   * The key of a request. The service (auth/acct port) is part of it: a NAS may use the same
   * source port and Identifier for an Access-Request and an Accounting-Request at once.
   * Source addresses are numbered as first seen; should MAX_SOURCES ever be passed (only
   * addresses inside registered NAS ranges that know the secret reach this), everything is
   * forgotten and numbering restarts, so the numbers stay exact integers.
   */
  key(service: 'auth' | 'acct', address: string, port: number, identifier: number): number {
    let source = this.#sources.get(address);
    if (source === undefined) {
      if (this.#sources.size >= MAX_SOURCES) this.clear();
      source = this.#sources.size;
      this.#sources.set(address, source);
    }
    return source * SOURCE_STRIDE + port * 512 + (service === 'acct' ? 256 : 0) + identifier;
  }

  /**
   * Looks the request (`packet`, whose octets 4..19 are its Request Authenticator) up under
   * `key`. Returns:
   * - a handle (≥ 0): the request is new and is now recorded as in progress;
   * - DUP_ANSWERED: a retransmission of a request already answered, its reply in `resend`;
   * - DUP_IN_PROGRESS: a retransmission of a request still being handled (send nothing).
   */
  check(key: number, packet: Uint8Array, now: number): number {
    if (now !== this.#lastExpiry) this.#expire(now);
    const a0 = word(packet, 4);
    const a1 = word(packet, 8);
    const a2 = word(packet, 12);
    const a3 = word(packet, 16);
    const found = this.#find(key);
    if (found >= 0) {
      const w = found * 4;
      const auth = this.#auth;
      if (auth[w] === a0 && auth[w + 1] === a1 && auth[w + 2] === a2 && auth[w + 3] === a3 && now - this.#at[found]! < this.windowMs) {
        const length = this.#replyLength[found]!;
        if (length === PENDING) return DUP_IN_PROGRESS;
        this.resend =
          length === LONG
            ? this.#long.get(this.#seqs[found]!)!
            : Buffer.from(this.#replies.subarray(found * SLOT_REPLY_BYTES, found * SLOT_REPLY_BYTES + length));
        return DUP_ANSWERED;
      }
      // Same id reused with a new authenticator: a new request (RFC 5080 §2.2.2); replace.
      this.#unindex(found);
    }
    if (this.#next - this.#oldest >= this.#slots) {
      if (this.#slots < this.maxEntries) this.#grow();
      else this.#dropOldest();
    }
    const seq = this.#next++;
    const slot = seq % this.#slots;
    this.#keys[slot] = key;
    this.#seqs[slot] = seq;
    this.#at[slot] = now;
    const w = slot * 4;
    this.#auth[w] = a0;
    this.#auth[w + 1] = a1;
    this.#auth[w + 2] = a2;
    this.#auth[w + 3] = a3;
    this.#replyLength[slot] = PENDING;
    this.#insert(key, slot);
    this.#count++;
    return seq;
  }

  /** Stores the reply sent for a recorded request (a no-op if a newer request replaced it). */
  complete(handle: number, reply: Uint8Array): void {
    const slot = this.#live(handle);
    if (slot < 0) return;
    if (reply.length <= SLOT_REPLY_BYTES) {
      this.#replies.set(reply, slot * SLOT_REPLY_BYTES);
      this.#replyLength[slot] = reply.length;
    } else {
      this.#long.set(handle, Buffer.from(reply));
      this.#replyLength[slot] = LONG;
    }
  }

  /**
   * Forgets a request that produced no reply (dropped), so a retransmission is handled afresh.
   * Only this entry: a newer request that reused the key meanwhile stays recorded.
   */
  forget(handle: number): void {
    const slot = this.#live(handle);
    if (slot >= 0) this.#unindex(slot);
  }

  clear(): void {
    this.#index.fill(0);
    this.#seqs.fill(-1);
    this.#long.clear();
    this.#oldest = this.#next;
    this.#count = 0;
    this.#sources.clear();
  }

  /** The slot still holding the entry `handle`, still indexed; -1 otherwise. */
  #live(handle: number): number {
    if (handle < this.#oldest || handle >= this.#next) return -1;
    const slot = handle % this.#slots;
    return this.#seqs[slot] === handle ? slot : -1;
  }

  /** Drops entries older than the window, from the oldest; at most once per millisecond. */
  #expire(now: number): void {
    this.#lastExpiry = now;
    while (this.#oldest < this.#next) {
      const slot = this.#oldest % this.#slots;
      if (this.#seqs[slot] === this.#oldest && now - this.#at[slot]! < this.windowMs) break;
      this.#dropOldest();
    }
  }

  #dropOldest(): void {
    const slot = this.#oldest % this.#slots;
    if (this.#seqs[slot] === this.#oldest) this.#unindex(slot);
    this.#oldest++;
  }

  #find(key: number): number {
    const index = this.#index;
    const keys = this.#keys;
    for (let i = hashKey(key) & this.#mask; ; i = (i + 1) & this.#mask) {
      const s = index[i]!;
      if (s === 0) return -1;
      if (keys[s - 1] === key) return s - 1;
    }
  }

  #insert(key: number, slot: number): void {
    const index = this.#index;
    let i = hashKey(key) & this.#mask;
    while (index[i] !== 0) i = (i + 1) & this.#mask;
    index[i] = slot + 1;
  }

  /** Removes the slot's entry from the index (backward-shift deletion keeps probe runs whole) and frees the slot. */
  #unindex(slot: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = hashKey(this.#keys[slot]!) & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = hashKey(this.#keys[index[j]! - 1]!) & mask;
      // Move j's entry into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
    if (this.#replyLength[slot] === LONG) this.#long.delete(this.#seqs[slot]!);
    this.#seqs[slot] = -1;
    this.#count--;
  }

  #allocate(slots: number): void {
    this.#slots = slots;
    this.#keys = new Float64Array(slots);
    this.#seqs = new Float64Array(slots).fill(-1);
    this.#at = new Float64Array(slots);
    this.#auth = new Int32Array(slots * 4);
    this.#replyLength = new Int32Array(slots);
    this.#replies = new Uint8Array(slots * SLOT_REPLY_BYTES);
    let size = 2;
    while (size < slots * 2) size *= 2;
    this.#index = new Int32Array(size);
    this.#mask = size - 1;
  }

  /** Doubles the ring (up to maxEntries), moving every held entry to its slot in the new one. */
  #grow(): void {
    const old = {
      slots: this.#slots,
      keys: this.#keys,
      seqs: this.#seqs,
      at: this.#at,
      auth: this.#auth,
      replyLength: this.#replyLength,
      replies: this.#replies,
    };
    this.#allocate(Math.min(this.maxEntries, old.slots * 2));
    for (let seq = this.#oldest; seq < this.#next; seq++) {
      const from = seq % old.slots;
      if (old.seqs[from] !== seq) continue; // replaced or forgotten
      const to = seq % this.#slots;
      this.#keys[to] = old.keys[from]!;
      this.#seqs[to] = seq;
      this.#at[to] = old.at[from]!;
      this.#auth.set(old.auth.subarray(from * 4, from * 4 + 4), to * 4);
      this.#replyLength[to] = old.replyLength[from]!;
      this.#replies.set(old.replies.subarray(from * SLOT_REPLY_BYTES, (from + 1) * SLOT_REPLY_BYTES), to * SLOT_REPLY_BYTES);
      this.#insert(old.keys[from]!, to);
    }
  }
}
