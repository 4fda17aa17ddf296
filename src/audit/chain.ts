/**
 * The audit log's hash chains (docs/audit-log.md): the canonical encoding of a row, its hash,
 * and `verifyChain`, which walks the whole log and names the first row that was edited,
 * inserted or deleted.
 *
 * One chain per event kind. A row's `prev_hash` is the hash of the previous row OF ITS KIND
 * (by id); ids are one sequence across all kinds, with no holes except the rows a purge removed.
 * A purge removes the oldest rows of a kind (a prefix of that kind's chain) and keeps, per kind,
 * only the id and hash of the last row removed (the anchor, table audit_chain), so the chain
 * stays verifiable from the anchor on while the purged rows' content is really gone (R-14).
 * Every purge first appends a 'purge' row recording what it will remove and the head of every
 * chain at that moment (a checkpoint), so anchors cannot be moved without editing a chained row.
 */
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';

/** Every kind of row, in no particular order. Each is its own chain. */
export const AUDIT_KINDS = ['decision', 'session-start', 'session-stop', 'admin', 'alert', 'purge'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/**
 * The stored columns after `id`, in the order they are hashed. Never reorder or remove: append
 * new columns at the end and raise ENCODING_VERSION (old rows keep their version's encoding).
 */
export const AUDIT_COLUMNS = [
  'at',
  'kind',
  'actor',
  'source',
  'action',
  'subject',
  'mac',
  'person',
  'user_name',
  'ip',
  'nas',
  'nas_address',
  'ap_mac',
  'ssid',
  'network',
  'vlan',
  'class',
  'profile',
  'method',
  'result',
  'reason',
  'randomised',
  'latency_us',
  'session_id',
  'detail',
] as const;
export type AuditColumn = (typeof AUDIT_COLUMNS)[number];

/** Columns holding whole numbers; every other column holds text. */
export const INTEGER_COLUMNS: ReadonlySet<AuditColumn> = new Set(['at', 'vlan', 'randomised', 'latency_us']);

/** A column value as stored and hashed: text, a safe integer, or null. */
export type AuditValue = string | number | null;

/** The first element of every encoded row. */
export const ENCODING_VERSION = 1;

/** The hash a kind's first row links to (nothing before it): 32 zero bytes. */
export const GENESIS: Buffer = Buffer.alloc(32);

export const COLUMN_INDEX: Readonly<Record<AuditColumn, number>> = Object.fromEntries(
  AUDIT_COLUMNS.map((c, i) => [c, i]),
) as Record<AuditColumn, number>;

/** SHA-256, one shot where Node has crypto.hash (20.12+), else createHash. */
const sha256: (text: string) => Buffer =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'buffer') as unknown as Buffer
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest();

/**
 * The canonical encoding hashed for a row: the UTF-8 of the JSON array
 * `[1, id, at, kind, actor, …, detail, "<prev_hash as 64 lowercase hex digits>"]`
 * (values in AUDIT_COLUMNS order; text as JSON strings, numbers as integers, absent as null).
 * Anyone can recompute it with sqlite3 and a JSON library (docs/audit-log.md).
 */
export function encodeRow(id: number, values: readonly AuditValue[], prevHash: Buffer): string {
  return JSON.stringify([ENCODING_VERSION, id, ...values, prevHash.toString('hex')]);
}

/** The row's hash: SHA-256 of encodeRow(...). */
export function hashRow(id: number, values: readonly AuditValue[], prevHash: Buffer): Buffer {
  return sha256(encodeRow(id, values, prevHash));
}

/**
 * SHA-256 of bytes as a latin1 string (one char per digest byte), one shot where Node has
 * crypto.hash. A string, not a Buffer: Node makes a new ArrayBuffer for every Buffer digest,
 * which costs about three times the hashing of a row here.
 */
const sha256Latin1: (bytes: Uint8Array) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (bytes) => crypto.hash('sha256', bytes, 'binary') // 'binary' is Node's name for latin1
    : (bytes) => crypto.createHash('sha256').update(bytes).digest('binary');

/** Rows longer than this (admin and purge rows with a large detail) are hashed through a new view. */
const MAX_CACHED_VIEW = 2048;
const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7];
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** `[1,` — the array's opening and the encoding version. */
const OPENING = Buffer.from(`[${ENCODING_VERSION},`, 'latin1');
const NULL = Buffer.from('null', 'latin1');
/** Two lowercase hex digits (as ASCII codes) per byte value. */
const HEX_DIGITS = Buffer.from(Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0')).join(''), 'latin1');

/**
 * Writes the canonical encoding of a row (exactly the UTF-8 bytes of encodeRow's JSON text)
 * into one reusable buffer, value by value, and hashes it: the append path's version of
 * hashRow, without the array, the JSON string and its UTF-8 copy that hashRow makes for every
 * row. encodeRow stays the definition (verifyChain hashes with it, independently of this
 * writer); a property test holds the two to the same bytes.
 *
 * Use: begin(id), then one call per column in AUDIT_COLUMNS order (text, int, constant or
 * value), then finish(prevHash). Text that JSON would escape (`"`, `\`, control characters)
 * or that holds a surrogate is written from JSON.stringify instead, so every escape is JSON's.
 */
export class RowEncoder {
  #buf: Buffer = Buffer.allocUnsafeSlow(1024);
  #pos = 0;
  /** Views of #buf by length; sized up front so the array stays a plain indexed one. */
  #views = new Array<Uint8Array | undefined>(MAX_CACHED_VIEW + 1);

  /** `[1,<id>` */
  begin(id: number): void {
    this.#pos = 0;
    this.#bytes(OPENING);
    this.#int(id);
  }

  /**
   * A text column, as textValue would store it: null for null/undefined, other non-strings
   * through String(). Returns the value to store, which is the string itself unless it held a
   * lone surrogate (made well-formed, as textValue does: SQLite would otherwise store U+FFFD).
   */
  text(value: unknown): string | null {
    if (typeof value !== 'string') {
      const t = textValue(value);
      if (t === null) {
        this.#null();
        return null;
      }
      value = t;
    }
    const s = value as string;
    const n = s.length;
    // Comma, quotes, and at most 3 UTF-8 bytes per UTF-16 unit outside the surrogates.
    this.#reserve(3 * n + 3);
    const buf = this.#buf;
    let p = this.#pos;
    buf[p++] = COMMA;
    buf[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c < 0x20 || c === QUOTE || c === BACKSLASH) return this.#escaped(s);
        buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        return this.#escaped(s);
      } else {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    buf[p++] = QUOTE;
    this.#pos = p;
    return s;
  }

  /** A whole-number column, as intValue would store it (and throwing as it does). */
  int(value: unknown, column: string): number | null {
    const n = typeof value === 'number' && Number.isSafeInteger(value) ? value : intValue(value, column);
    if (n === null) this.#null();
    else {
      this.#comma();
      this.#int(n);
    }
    return n;
  }

  /** A stored value as it is (entryValues' output): text, a number, or null. */
  value(v: AuditValue): void {
    if (typeof v === 'string') this.text(v);
    else if (v === null) this.#null();
    else if (Number.isSafeInteger(v)) {
      this.#comma();
      this.#int(v);
    } else this.#json(v);
  }

  /** Columns whose encoding never changes, pre-encoded (constantColumns), copied as they are. */
  constant(encoded: Buffer): void {
    this.#bytes(encoded);
  }

  /**
   * `,"<prevHash in hex>"]`, and the SHA-256 of everything written since begin, into `out`
   * (32 bytes; a caller appending many rows passes buffers it reuses) which it returns.
   */
  finish(prevHash: Buffer, out: Buffer = Buffer.alloc(32)): Buffer {
    this.#reserve(4 + 2 * prevHash.length);
    const buf = this.#buf;
    let p = this.#pos;
    buf[p++] = COMMA;
    buf[p++] = QUOTE;
    for (let i = 0; i < prevHash.length; i++) {
      const h = 2 * prevHash[i]!;
      buf[p++] = HEX_DIGITS[h]!;
      buf[p++] = HEX_DIGITS[h + 1]!;
    }
    buf[p++] = QUOTE;
    buf[p++] = 0x5d; // ]
    this.#pos = p;
    const digest = sha256Latin1(this.#view(p));
    for (let i = 0; i < 32; i++) out[i] = digest.charCodeAt(i);
    return out;
  }

  /** The bytes written so far (a view of the scratch buffer: valid until the next begin). */
  written(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }

  /** The whole row from stored values: hashRow's result, through this writer. */
  hash(id: number, values: readonly AuditValue[], prevHash: Buffer): Buffer {
    this.begin(id);
    for (let i = 0; i < values.length; i++) this.value(values[i]!);
    return this.finish(prevHash);
  }

  /**
   * The first `length` bytes of the buffer. Views are kept per length (rows of a kind differ
   * by a few bytes), so a row does not cost a new subarray object.
   */
  #view(length: number): Uint8Array {
    if (length > MAX_CACHED_VIEW) return this.#buf.subarray(0, length);
    let v = this.#views[length];
    if (v === undefined) {
      v = new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, length);
      this.#views[length] = v;
    }
    return v;
  }

  #reserve(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.#buf.length, this.#pos + bytes));
    this.#buf.copy(bigger, 0, 0, this.#pos);
    this.#buf = bigger;
    this.#views = new Array<Uint8Array | undefined>(MAX_CACHED_VIEW + 1);
  }

  #comma(): void {
    this.#reserve(1);
    this.#buf[this.#pos++] = COMMA;
  }

  #null(): void {
    this.#comma();
    this.#bytes(NULL);
  }

  #bytes(bytes: Buffer): void {
    this.#reserve(bytes.length);
    const buf = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i]!;
    this.#pos = p;
  }

  /** A safe integer as decimal digits (JSON.stringify's form: `-` for negatives, -0 as 0). */
  #int(n: number): void {
    this.#reserve(17); // sign and 16 digits: 2^53 has 16
    let p = this.#pos;
    if (n < 0) {
      this.#buf[p++] = 0x2d; // -
      n = -n;
    }
    // Below 10^8 the digits come from small-integer arithmetic; above it (times in ms) the
    // number is split into two such halves rather than divided as a double digit by digit.
    if (n < 1e8) p = this.#small(n, p, 0);
    else {
      const high = Math.floor(n / 1e8);
      p = this.#small(n - high * 1e8, this.#small(high, p, 0), 8);
    }
    this.#pos = p;
  }

  /** Writes 0 <= n < 10^8 at p, zero-padded to `width` digits; returns the end. */
  #small(n: number, p: number, width: number): number {
    let digits = 1;
    while (digits < 8 && n >= POWERS_OF_TEN[digits]!) digits++;
    if (digits < width) digits = width;
    const buf = this.#buf;
    let v = n | 0;
    for (let q = p + digits - 1; q >= p; q--) {
      const next = (v / 10) | 0;
      buf[q] = 0x30 + v - next * 10;
      v = next;
    }
    return p + digits;
  }

  /** Text JSON escapes, or any other value: JSON.stringify's own text, as UTF-8. Returns the stored text. */
  #escaped(s: string): string {
    const stored = textValue(s)!;
    this.#json(stored);
    return stored;
  }

  #json(v: string | number): void {
    // JSON.stringify escapes lone surrogates (\udxxx), so the UTF-8 write below loses nothing:
    // the same bytes as the UTF-8 of encodeRow's text.
    const json = JSON.stringify(v);
    this.#reserve(1 + 3 * json.length);
    this.#buf[this.#pos++] = COMMA;
    this.#pos += this.#buf.write(json, this.#pos, 'utf8');
  }
}

/** Columns with one value for every row of a caller, encoded once (`,"decision"` ...), for RowEncoder.constant. */
export function constantColumns(values: readonly AuditValue[]): Buffer {
  const json = JSON.stringify(values);
  return Buffer.from(`,${json.slice(1, -1)}`, 'utf8');
}

/**
 * A value made storable without changing when read back (so the hash recomputes): text is made
 * well-formed UTF-16 (SQLite would turn a lone surrogate into U+FFFD), numbers must be integers.
 */
export function textValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = (typeof value === 'string' ? value : String(value)) as string & WellFormed;
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** ES2024 string methods (Node 20 has them; the compiler's lib is ES2022). */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

export function intValue(value: unknown, column: string): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'boolean' ? (value ? 1 : 0) : Math.round(Number(value));
  if (!Number.isSafeInteger(n)) throw new TypeError(`audit column ${column}: ${String(value)} is not a whole number`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// The chain records (table audit_chain)

export interface ChainState {
  readonly kind: string;
  /** The newest row of this kind (0 = none yet) and its hash. */
  readonly headId: number;
  readonly headHash: Buffer;
  /** The newest row of this kind a purge removed (0 = none) and its hash. */
  readonly anchorId: number;
  readonly anchorHash: Buffer;
  /** Rows of this kind purged so far. */
  readonly purged: number;
}

interface ChainRow {
  kind: string;
  head_id: number;
  head_hash: Buffer;
  anchor_id: number;
  anchor_hash: Buffer;
  purged: number;
}

export function readChains(db: Database.Database): Map<string, ChainState> {
  const rows = db
    .prepare<[], ChainRow>('SELECT kind, head_id, head_hash, anchor_id, anchor_hash, purged FROM audit_chain')
    .all();
  return new Map(
    rows.map((r) => [
      r.kind,
      {
        kind: r.kind,
        headId: r.head_id,
        headHash: asHash(r.head_hash),
        anchorId: r.anchor_id,
        anchorHash: asHash(r.anchor_hash),
        purged: r.purged,
      },
    ]),
  );
}

/** A stored hash as a Buffer; anything else (edited to text...) becomes an impossible value. */
function asHash(value: unknown): Buffer {
  return Buffer.isBuffer(value) && value.length === 32 ? value : Buffer.alloc(0);
}

// ---------------------------------------------------------------------------------------------
// The checkpoint a purge row carries (detail JSON), as far as verification needs it

export interface PurgePlanEntry {
  /** Anchor before this purge: the kind's rows up to here were already gone. */
  readonly fromId: number;
  readonly fromHash: string;
  /** Anchor after this purge: it removes the kind's rows with fromId < id <= toId. */
  readonly toId: number;
  readonly toHash: string;
  readonly rows: number;
}

export interface PurgeCheckpoint {
  readonly plan: Readonly<Record<string, PurgePlanEntry>>;
  /** Each kind's newest row when the purge was planned. */
  readonly heads: Readonly<Record<string, { readonly id: number; readonly hash: string }>>;
}

function parseCheckpoint(detail: unknown): PurgeCheckpoint | null {
  if (typeof detail !== 'string') return null;
  try {
    const d = JSON.parse(detail) as Partial<PurgeCheckpoint>;
    if (d === null || typeof d !== 'object' || typeof d.plan !== 'object' || typeof d.heads !== 'object') return null;
    return d as PurgeCheckpoint;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Verification

export type ChainProblem = 'edited' | 'inserted' | 'deleted' | 'broken-link';

export type VerifyResult =
  | {
      readonly ok: true;
      /** Rows checked. */
      readonly rows: number;
      readonly firstId: number | null;
      readonly lastId: number | null;
      /** Rows removed by purges so far (all kinds). */
      readonly purged: number;
      /** The newest row and its hash: record it elsewhere to detect a rewrite of the whole tail. */
      readonly head: { readonly id: number; readonly hash: string } | null;
    }
  | {
      readonly ok: false;
      /** Rows checked before the problem was found. */
      readonly rows: number;
      /** The first bad row (it may be a row that is missing). */
      readonly id: number;
      readonly kind: string | null;
      /** Its time (epoch ms), or null when the row is missing. */
      readonly at: number | null;
      readonly problem: ChainProblem;
      readonly detail: string;
    };

export interface VerifyOptions {
  /** Called every `progressEvery` rows with the rows checked so far. */
  readonly onProgress?: (rows: number) => void;
  readonly progressEvery?: number;
}

const SELECT_ALL = `SELECT id, ${AUDIT_COLUMNS.join(', ')}, prev_hash, hash FROM audit_log ORDER BY id`;
const N = AUDIT_COLUMNS.length;
const AT = 1 + COLUMN_INDEX.at;
const KIND = 1 + COLUMN_INDEX.kind;

interface Walk {
  lastId: number;
  lastAt: number | null;
  lastHash: Buffer;
  /** Hash of the row before lastId (of this kind), to tell an inserted row from a deleted one. */
  prevHash: Buffer | null;
}

class Found {
  constructor(
    readonly id: number,
    readonly kind: string | null,
    readonly at: number | null,
    readonly problem: ChainProblem,
    readonly detail: string,
  ) {}
}

/**
 * Walks every row in id order (streaming, in one read transaction so concurrent appends do not
 * interfere) and returns the first problem, or a summary when the log is intact.
 */
export function verifyChain(db: Database.Database, options: VerifyOptions = {}): VerifyResult {
  let rows = 0;
  const run = db.transaction((): VerifyResult => {
    const chains = readChains(db);
    let maxAnchor = 0;
    let maxHead = 0;
    let purgedTotal = 0;
    for (const c of chains.values()) {
      maxAnchor = Math.max(maxAnchor, c.anchorId);
      maxHead = Math.max(maxHead, c.headId);
      purgedTotal += c.purged;
    }
    // The latest purge's checkpoint; trusted only once the walk has verified that row.
    const purgeHead = chains.get('purge')?.headId ?? 0;
    let checkpoint: PurgeCheckpoint | null = null;
    if (purgeHead > 0) {
      const row = db.prepare<[number], { detail: unknown }>('SELECT detail FROM audit_log WHERE id = ?').get(purgeHead);
      checkpoint = row === undefined ? null : parseCheckpoint(row.detail);
    }
    const checkpointHeads = new Map<number, { kind: string; hash: string; seen: boolean }>();
    if (checkpoint !== null) {
      for (const [kind, h] of Object.entries(checkpoint.heads)) {
        if (h !== null && typeof h === 'object' && Number.isSafeInteger(h.id) && h.id > 0) {
          checkpointHeads.set(h.id, { kind, hash: String(h.hash), seen: false });
        }
      }
    }

    const walks = new Map<string, Walk>();
    for (const c of chains.values()) walks.set(c.kind, { lastId: c.anchorId, lastAt: null, lastHash: c.anchorHash, prevHash: null });

    let twins: { kind: string; earlier: { id: number; at: number | null; hash: Buffer }; later: { id: number; at: number | null } } | null = null;
    let firstId: number | null = null;
    let expectedId = 1;
    let lastGapEnd = 0;
    const every = options.progressEvery ?? 100_000;
    const stmt = db.prepare(SELECT_ALL).raw();
    try {
      for (const raw of stmt.iterate() as IterableIterator<unknown[]>) {
        const id = raw[0] as number;
        const at = typeof raw[AT] === 'number' ? (raw[AT] as number) : null;
        const kind = typeof raw[KIND] === 'string' ? (raw[KIND] as string) : null;
        const prev = asHash(raw[N + 1]);
        const stored = asHash(raw[N + 2]);
        firstId ??= id;
        const chain = kind === null ? undefined : chains.get(kind);
        const walk = kind === null ? undefined : walks.get(kind);

        // Its own content: an edited row no longer matches its hash.
        const values = raw.slice(1, N + 1) as AuditValue[];
        if (prev.length !== 32 || stored.length !== 32 || !hashRow(id, values, prev).equals(stored)) {
          throw new Found(id, kind, at, 'edited', `row ${id} does not match its hash: its content was changed after it was written`);
        }
        if (chain === undefined || walk === undefined) {
          throw new Found(id, kind, at, 'inserted', `row ${id} has kind ${JSON.stringify(kind)}, which has no chain: it was not written by Lanyard`);
        }
        if (id > chain.headId) {
          throw new Found(id, kind, at, 'inserted', `row ${id} is newer than the last ${kind} row recorded (${chain.headId}): it was added behind Lanyard's back`);
        }
        if (id <= chain.anchorId) {
          throw new Found(id, kind, at, 'inserted', `row ${id} lies in the ${kind} rows already purged (up to ${chain.anchorId}): it was added afterwards`);
        }
        // Ids run without holes except where a purge removed rows.
        if (id > expectedId) {
          const from = Math.max(expectedId, maxAnchor + 1);
          if (id - 1 >= from) {
            const range = from === id - 1 ? `row ${from} is` : `rows ${from}..${id - 1} are`;
            throw new Found(id, kind, at, 'deleted', `${range} missing before row ${id}, and no purge removed them`);
          }
          lastGapEnd = id - 1;
        }
        expectedId = id + 1;

        // Its link to the previous row of its kind.
        if (!prev.equals(walk.lastHash)) {
          if (walk.prevHash !== null && prev.equals(walk.prevHash)) {
            // Two rows follow the same row: one was inserted. Which one is decided after the
            // walk (the connection is busy while iterating): the one no later row links to.
            twins = { kind: chain.kind, earlier: { id: walk.lastId, at: walk.lastAt, hash: walk.lastHash }, later: { id, at } };
            break;
          }
          if (lastGapEnd > walk.lastId) {
            const after = walk.lastId === chain.anchorId ? (chain.anchorId === 0 ? 'the start of the log' : `the last purged ${kind} row (${chain.anchorId})`) : `row ${walk.lastId}`;
            throw new Found(id, kind, at, 'deleted', `${kind} rows between ${after} and row ${id} were deleted: row ${id} links to a row that is not there`);
          }
          const to = walk.lastId === chain.anchorId ? `the purge anchor of ${kind} (${chain.anchorId})` : `row ${walk.lastId}`;
          throw new Found(id, kind, at, 'broken-link', `row ${id} does not link to ${to}: a row was rewritten with a new hash, or the chain record was edited`);
        }
        const cp = checkpointHeads.get(id);
        if (cp !== undefined) cp.seen = cp.kind === kind && cp.hash === stored.toString('hex');

        walk.prevHash = walk.lastHash;
        walk.lastHash = stored;
        walk.lastId = id;
        walk.lastAt = at;
        rows++;
        if (options.onProgress !== undefined && rows % every === 0) options.onProgress(rows);
      }

      if (twins !== null) {
        const { kind, earlier, later } = twins;
        const followed = db
          .prepare<[string, number, Buffer], { id: number }>('SELECT id FROM audit_log WHERE kind = ? AND id > ? AND prev_hash = ? LIMIT 1')
          .get(kind, later.id, earlier.hash);
        const bad = followed === undefined ? earlier : later;
        const other = bad === earlier ? later : earlier;
        throw new Found(bad.id, kind, bad.at, 'inserted', `row ${bad.id} (${kind}) was inserted: it and row ${other.id} both follow the same ${kind} row, and the chain continues from row ${other.id}`);
      }

      // Rows missing at the end (the newest ones of some kind).
      const lastSeen = expectedId - 1;
      for (const chain of chains.values()) {
        const walk = walks.get(chain.kind)!;
        if (walk.lastId < chain.headId) {
          throw new Found(chain.headId, chain.kind, null, 'deleted', `the newest ${chain.kind} rows after row ${walk.lastId}, up to row ${chain.headId}, are missing: deleted`);
        }
        if (!walk.lastHash.equals(chain.headHash)) {
          throw new Found(chain.headId, chain.kind, walk.lastAt, 'broken-link', `the recorded head of the ${chain.kind} chain (row ${chain.headId}) does not match the row: the chain record was edited`);
        }
      }
      if (maxHead > lastSeen && maxHead > maxAnchor) {
        throw new Found(maxHead, null, null, 'deleted', `rows ${Math.max(lastSeen + 1, maxAnchor + 1)}..${maxHead} are missing: deleted`);
      }

      // The purge records: anchors only move by a recorded purge.
      for (const chain of chains.values()) {
        const plan = checkpoint?.plan[chain.kind];
        if (plan === undefined || plan === null) {
          if (chain.anchorId !== 0 && checkpoint === null) {
            throw new Found(chain.anchorId, chain.kind, null, 'deleted', `${chain.kind} rows up to ${chain.anchorId} are gone but no purge was recorded`);
          }
          continue;
        }
        if (chain.anchorId > plan.toId) {
          throw new Found(
            chain.anchorId,
            chain.kind,
            null,
            'deleted',
            `${chain.kind} rows up to ${chain.anchorId} are gone, but the last purge (row ${purgeHead}) removed only up to ${plan.toId}`,
          );
        }
        const endpoint =
          chain.anchorId === plan.fromId ? plan.fromHash : chain.anchorId === plan.toId ? plan.toHash : undefined;
        if (chain.anchorId < plan.fromId || (endpoint !== undefined && endpoint !== chain.anchorHash.toString('hex'))) {
          throw new Found(chain.anchorId, chain.kind, null, 'broken-link', `the ${chain.kind} purge anchor (row ${chain.anchorId}) does not match the last purge (row ${purgeHead})`);
        }
      }
      for (const [id, cp] of checkpointHeads) {
        const anchor = chains.get(cp.kind)?.anchorId ?? 0;
        if (!cp.seen && id > anchor) {
          throw new Found(id, cp.kind, null, 'deleted', `row ${id}, the newest ${cp.kind} row when the purge of row ${purgeHead} ran, is missing or was replaced`);
        }
      }
    } catch (e) {
      if (e instanceof Found) return { ok: false, rows, id: e.id, kind: e.kind, at: e.at, problem: e.problem, detail: e.detail };
      throw e;
    }
    let head: { id: number; hash: string } | null = null;
    for (const c of chains.values()) {
      if (c.headId > 0 && (head === null || c.headId > head.id)) head = { id: c.headId, hash: c.headHash.toString('hex') };
    }
    return { ok: true, rows, firstId, lastId: rows === 0 ? null : expectedId - 1, purged: purgedTotal, head };
  });
  return run();
}
