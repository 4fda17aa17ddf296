/**
 * A ring of access decisions in a SharedArrayBuffer: the daemon's event loop writes each
 * DecisionEvent into it as bytes, and the audit thread (decision-thread.ts) reads them back and
 * appends them to the audit log. Bytes, not objects: handing objects to a worker with
 * postMessage structured-clones every one of them, which cost the event loop more than the
 * append it was meant to move away (docs/benchmarks.md, "Latency an access point sees").
 *
 * One writer (the event loop) moves `tail`, one reader (the audit thread) moves `head`; both are
 * byte offsets into the data area, published with Atomics, so a reader sees a record only once
 * all of its bytes are written. A record never wraps: when it does not fit before the end of
 * the area, a wrap marker stands where it would have started and it is written at offset 0.
 * The ring is empty when head = tail, so the writer always leaves at least 4 bytes free.
 *
 * A record (little-endian, starting at a multiple of 4):
 *   0  int32   total length in bytes, padded to a multiple of 4 (WRAP: the record is at 0)
 *   4  float64 at
 *   12 float64 latencyUs
 *   20 float64 vlan (0 when null)
 *   28 uint8   flags: 1 vlan is null, 2 randomisedMac
 *   29 uint8   result (RESULTS index)
 *   30 uint8   method (METHODS index)
 *   31 uint8   unused
 *   32 the strings of STRING_FIELDS, each a uint16 byte length (NULL_STRING: null) and its UTF-8
 */
import type { DecisionEvent } from '../store/types.js';

/** Int32 slots of the header (the first HEADER_BYTES of the buffer). */
export const HEAD = 0;
export const TAIL = 1;
/** The audit thread's state: BUSY, IDLE (waiting on TAIL: wake it with Atomics.notify) or DEAD. */
export const STATE = 2;
/** Records written (modulo 2^32), by the event loop. */
export const PUBLISHED = 3;
/** Records committed to the audit log (modulo 2^32), by the audit thread. */
export const COMMITTED = 4;
/** Bumped by the event loop when it waits for everything written so far (flush). */
export const REQUEST = 5;
/** Set to 1 by the event loop: drain and exit. */
export const STOP = 6;
/** Batches the audit thread failed to commit. */
export const FAILED = 7;
/** Age (ms) of the oldest record of the last committed batch. */
export const LAG_MS = 8;
/**
 * Who is writing to the store: 0 nobody, LOCK_THREAD or LOCK_LOOP. The daemon's connection
 * waits for SQLite's write lock only briefly (LOOP_BUSY_TIMEOUT_MS, decision-writer.ts, so a
 * CLI import never stalls the event loop), and the audit thread holds that lock for a fraction
 * of every second: the event loop's own writes (accounting, alerts) take this slot first,
 * waiting at most one slice of decisions, instead of failing with SQLITE_BUSY against their
 * own daemon.
 */
export const LOCK = 9;
export const LOCK_THREAD = 1;
export const LOCK_LOOP = 2;

export const BUSY = 0;
export const IDLE = 1;
export const DEAD = 2;

const HEADER_BYTES = 64;
const WRAP = -1;
const FIXED = 32;
const NULL_STRING = 0xffff;
/** The longest string a record carries (bytes); longer ones are refused, never cut. */
export const MAX_STRING_BYTES = NULL_STRING - 1;

const RESULTS: readonly DecisionEvent['result'][] = ['accept', 'reject', 'drop'];
const METHODS: readonly DecisionEvent['method'][] = ['mab', 'pap', 'chap', 'none'];
const STRING_FIELDS = ['reason', 'mac', 'userName', 'nas', 'nasAddress', 'apMac', 'ssid', 'network', 'className', 'profile', 'person'] as const;

export type WriteResult = 'ok' | 'full' | 'refused';

/** UTF-8 length of a string: its length when it is ASCII (decisions' strings nearly always are). */
function utf8Length(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return n;
}

export class DecisionRing {
  readonly header: Int32Array;
  readonly capacity: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #buf: Buffer;
  /** The writer's own copy of TAIL (only it moves TAIL). */
  #tail: number;
  /** Byte lengths of the record being written, measured before it is reserved. */
  readonly #lengths = new Array<number>(STRING_FIELDS.length).fill(0);
  /** The record's strings in STRING_FIELDS order, read once by name (a keyed read by field name is megamorphic). */
  readonly #strings = new Array<string | null | undefined>(STRING_FIELDS.length).fill(null);

  constructor(readonly shared: SharedArrayBuffer) {
    this.header = new Int32Array(shared, 0, HEADER_BYTES / 4);
    this.capacity = shared.byteLength - HEADER_BYTES;
    this.#bytes = new Uint8Array(shared, HEADER_BYTES, this.capacity);
    this.#view = new DataView(shared, HEADER_BYTES, this.capacity);
    this.#buf = Buffer.from(shared, HEADER_BYTES, this.capacity);
    this.#tail = Atomics.load(this.header, TAIL);
  }

  /** A new, empty ring with `bytes` of data area (rounded down to a multiple of 4). */
  static create(bytes: number): DecisionRing {
    const capacity = Math.max(256, Math.floor(bytes / 4) * 4);
    return new DecisionRing(new SharedArrayBuffer(HEADER_BYTES + capacity));
  }

  /** The longest record this ring takes: a quarter of it, so one never waits for the whole ring. */
  get maxRecord(): number {
    return Math.floor(this.capacity / 16) * 4;
  }

  /**
   * Writes one record and publishes it (writer side). 'full': no room now; 'refused': the
   * record can never be written (a string too long, an unknown result or method). Either way
   * the ring is untouched.
   */
  write(e: DecisionEvent): WriteResult {
    const result = RESULTS.indexOf(e.result);
    const method = METHODS.indexOf(e.method);
    if (result < 0 || method < 0) return 'refused';
    const lengths = this.#lengths;
    const strings = this.#strings;
    strings[0] = e.reason;
    strings[1] = e.mac;
    strings[2] = e.userName;
    strings[3] = e.nas;
    strings[4] = e.nasAddress;
    strings[5] = e.apMac;
    strings[6] = e.ssid;
    strings[7] = e.network;
    strings[8] = e.className;
    strings[9] = e.profile;
    strings[10] = e.person;
    let size = FIXED;
    for (let i = 0; i < STRING_FIELDS.length; i++) {
      const s = strings[i];
      const n = s === null || s === undefined ? NULL_STRING : utf8Length(s);
      if (n > NULL_STRING) return 'refused';
      lengths[i] = n;
      size += 2 + (n === NULL_STRING ? 0 : n);
    }
    size = (size + 3) & ~3;
    if (size > this.maxRecord) return 'refused';

    // Reserve: at the tail, or at 0 behind a wrap marker. Never let the tail reach the head.
    const head = Atomics.load(this.header, HEAD);
    let at = this.#tail;
    if (at >= head) {
      const toEnd = this.capacity - at;
      if (size > toEnd || (size === toEnd && head === 0)) {
        if (size >= head) return 'full';
        this.#view.setInt32(at, WRAP, true); // toEnd >= 4: offsets and the capacity are multiples of 4
        at = 0;
      }
    } else if (at + size >= head) return 'full';

    const v = this.#view;
    v.setInt32(at, size, true);
    v.setFloat64(at + 4, e.at, true);
    v.setFloat64(at + 12, e.latencyUs, true);
    v.setFloat64(at + 20, e.vlan ?? 0, true);
    const bytes = this.#bytes;
    bytes[at + 28] = (e.vlan === null ? 1 : 0) | (e.randomisedMac ? 2 : 0);
    bytes[at + 29] = result;
    bytes[at + 30] = method;
    let p = at + FIXED;
    for (let i = 0; i < STRING_FIELDS.length; i++) {
      const n = lengths[i]!;
      v.setUint16(p, n, true);
      p += 2;
      if (n === NULL_STRING) continue;
      const s = strings[i]!;
      if (n === s.length) for (let j = 0; j < n; j++) bytes[p + j] = s.charCodeAt(j);
      else this.#buf.write(s, p, n, 'utf8');
      p += n;
    }
    let next = at + size;
    if (next === this.capacity) next = 0;
    this.#tail = next;
    Atomics.store(this.header, TAIL, next); // publish: the reader may now read the whole record
    return 'ok';
  }

  /**
   * Reads records from byte offset `from` up to `to` (a published tail), at most `max`, into
   * `out` (reader side). Returns the offset after the last one read: the next head.
   */
  read(from: number, to: number, max: number, out: DecisionEvent[]): number {
    const v = this.#view;
    const bytes = this.#bytes;
    let at = from;
    while (at !== to && out.length < max) {
      let size = v.getInt32(at, true);
      if (size === WRAP) {
        at = 0;
        if (at === to) break;
        size = v.getInt32(at, true);
      }
      const flags = bytes[at + 28]!;
      let p = at + FIXED;
      const strings: (string | null)[] = [];
      for (let i = 0; i < STRING_FIELDS.length; i++) {
        const n = v.getUint16(p, true);
        p += 2;
        if (n === NULL_STRING) strings.push(null);
        else {
          strings.push(this.#buf.toString('utf8', p, p + n));
          p += n;
        }
      }
      const person = strings[10];
      out.push({
        at: v.getFloat64(at + 4, true),
        result: RESULTS[bytes[at + 29]!]!,
        reason: strings[0] ?? '',
        mac: strings[1] ?? null,
        userName: strings[2] ?? null,
        nas: strings[3] ?? '',
        nasAddress: strings[4] ?? '',
        apMac: strings[5] ?? null,
        ssid: strings[6] ?? null,
        network: strings[7] ?? null,
        vlan: (flags & 1) !== 0 ? null : v.getFloat64(at + 20, true),
        className: strings[8] ?? null,
        profile: strings[9] ?? null,
        method: METHODS[bytes[at + 30]!]!,
        randomisedMac: (flags & 2) !== 0,
        latencyUs: v.getFloat64(at + 12, true),
        ...(person === null || person === undefined ? {} : { person }),
      });
      at += size;
      if (at === this.capacity) at = 0;
    }
    return at;
  }
}
