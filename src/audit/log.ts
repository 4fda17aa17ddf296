/**
 * Appending to the connection audit log (table audit_log, docs/audit-log.md): access
 * decisions, session start/stop, admin actions, alerts and purges, each row hash-chained to the
 * previous row of its kind (chain.ts).
 *
 * Appends run in a write transaction that reads each chain's head: BEGIN IMMEDIATE when the
 * caller has none, so the daemon and a CLI process can both append safely; inside a caller's
 * transaction (a device write) the rows commit or roll back with the change they describe.
 * Callers inside their own transaction should have begun it IMMEDIATE (better-sqlite3
 * `db.transaction(fn).immediate()`): a deferred one that read first may fail with SQLITE_BUSY
 * when another process appended meanwhile.
 */
import type Database from 'better-sqlite3';
import type { SessionChange } from '../store/sessions.js';
import type { DecisionEvent } from '../store/types.js';
import { decisionFromRow, type DecisionEventRow } from '../store/decision-row.js';
import {
  AUDIT_COLUMNS,
  GENESIS,
  RowEncoder,
  constantColumns,
  intValue,
  textValue,
  type AuditColumn,
  type AuditKind,
  type AuditValue,
} from './chain.js';

/** One row to append. Everything but `at`, `kind` and `actor` is optional. */
export interface AuditEntry {
  /** Epoch ms. */
  readonly at: number;
  readonly kind: AuditKind;
  /** Who: 'radius' for the daemon's own events, `cli:<login>`, `api:<token name>`, 'lanyard' (purge). */
  readonly actor: string;
  /** From where: the API client's address, 'cli', 'daemon'. */
  readonly source?: string | null;
  /** What was done (admin: 'device.create', 'device.block' ...; purge: 'purge'). */
  readonly action?: string | null;
  /** What it was done to: a MAC, a person's id, a token name. */
  readonly subject?: string | null;
  readonly mac?: string | null;
  /** The person concerned: a device's owner, the person edited. */
  readonly person?: string | null;
  readonly userName?: string | null;
  /** The device's IP address (Framed-IP-Address). */
  readonly ip?: string | null;
  readonly nas?: string | null;
  readonly nasAddress?: string | null;
  readonly apMac?: string | null;
  readonly ssid?: string | null;
  readonly network?: string | null;
  readonly vlan?: number | null;
  readonly className?: string | null;
  readonly profile?: string | null;
  readonly method?: string | null;
  readonly result?: string | null;
  readonly reason?: string | null;
  readonly randomised?: boolean | null;
  readonly latencyUs?: number | null;
  readonly sessionId?: string | null;
  /** Extra fields (admin: { before, after }); stored as JSON text. A string is stored as is. */
  readonly detail?: unknown;
}

export interface AppendResult {
  /** Ids given to the rows, in order (empty for an empty batch). */
  readonly firstId: number;
  readonly lastId: number;
}

const ENTRY_FIELDS: Readonly<Record<AuditColumn, keyof AuditEntry>> = {
  at: 'at',
  kind: 'kind',
  actor: 'actor',
  source: 'source',
  action: 'action',
  subject: 'subject',
  mac: 'mac',
  person: 'person',
  user_name: 'userName',
  ip: 'ip',
  nas: 'nas',
  nas_address: 'nasAddress',
  ap_mac: 'apMac',
  ssid: 'ssid',
  network: 'network',
  vlan: 'vlan',
  class: 'className',
  profile: 'profile',
  method: 'method',
  result: 'result',
  reason: 'reason',
  randomised: 'randomised',
  latency_us: 'latencyUs',
  session_id: 'sessionId',
  detail: 'detail',
};

function detailText(detail: unknown): string | null {
  if (detail === undefined || detail === null) return null;
  if (typeof detail === 'string') return textValue(detail);
  return textValue(JSON.stringify(detail));
}

/** An entry as the stored column values, in AUDIT_COLUMNS order. */
export function entryValues(e: AuditEntry): AuditValue[] {
  const values: AuditValue[] = new Array<AuditValue>(AUDIT_COLUMNS.length);
  for (let i = 0; i < AUDIT_COLUMNS.length; i++) {
    const column = AUDIT_COLUMNS[i]!;
    const v = e[ENTRY_FIELDS[column]];
    if (column === 'detail') values[i] = detailText(v);
    else if (column === 'at' || column === 'vlan' || column === 'randomised' || column === 'latency_us') values[i] = intValue(v, column);
    else values[i] = textValue(v);
  }
  if (values[0] === null) throw new TypeError('audit entry without a time (at)');
  return values;
}

/**
 * A decision as column values, without building an AuditEntry first. Same order as
 * AUDIT_COLUMNS. appendDecisions does not call it (it binds each field as it reads it, up to
 * tens of thousands a second) but must store exactly these values: a test compares the rows.
 */
export function decisionValues(e: DecisionEvent): AuditValue[] {
  return [
    intValue(e.at, 'at'),
    'decision',
    'radius',
    null, // source: the NAS address is in nas_address
    null,
    null,
    textValue(e.mac),
    textValue(e.person),
    textValue(e.userName),
    null,
    textValue(e.nas),
    textValue(e.nasAddress),
    textValue(e.apMac),
    textValue(e.ssid),
    textValue(e.network),
    intValue(e.vlan, 'vlan'),
    textValue(e.className),
    textValue(e.profile),
    textValue(e.method),
    textValue(e.result),
    textValue(e.reason),
    e.randomisedMac ? 1 : 0,
    intValue(e.latencyUs, 'latency_us'),
    null,
    null,
  ];
}

const KIND_INDEX = AUDIT_COLUMNS.indexOf('kind');

/**
 * The decision fast path's INSERT: the columns a decision fills are bound, the ones every
 * decision has the same (kind, actor, and the NULLs) are literals. It stores exactly the row
 * the generic INSERT stores for decisionValues(e) (a test compares the two).
 */
const DECISION_LITERALS: Partial<Record<AuditColumn, string>> = {
  kind: "'decision'",
  actor: "'radius'",
  source: 'NULL',
  action: 'NULL',
  subject: 'NULL',
  ip: 'NULL',
  session_id: 'NULL',
  detail: 'NULL',
};
/** at, mac, person, user_name, nas, ..., randomised, latency_us: filled in this order by #appendDecisions. */
const DECISION_BOUND = AUDIT_COLUMNS.filter((c) => DECISION_LITERALS[c] === undefined);
const DECISION_INSERT = `INSERT INTO audit_log (id, ${AUDIT_COLUMNS.join(', ')}, prev_hash, hash) VALUES (?, ${AUDIT_COLUMNS.map(
  (c) => DECISION_LITERALS[c] ?? '?',
).join(', ')}, ?, ?)`;
/** Bind array slots of the decision INSERT: id, DECISION_BOUND in order, prev_hash, hash. */
const D_PREV = DECISION_BOUND.length + 1;
const D_HASH = DECISION_BOUND.length + 2;
/** kind, actor, source, action, subject (columns 2-6 of the encoding), pre-encoded. */
const DECISION_HEAD = constantColumns(['decision', 'radius', null, null, null]);
/** session_id, detail (the last two columns), pre-encoded. */
const DECISION_TAIL = constantColumns([null, null]);
const NULL_COLUMN = constantColumns([null]);

const EMPTY: AppendResult = { firstId: 0, lastId: -1 };

/** Prepared statements and scratch space for one connection. */
class Appender {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<unknown[]>;
  readonly #insertDecision: Database.Statement<unknown[]>;
  readonly #heads: Database.Statement<[], { kind: string; head_id: number; head_hash: Buffer }>;
  readonly #maxId: Database.Statement<[], { id: number | null }>;
  readonly #setHead: Database.Statement<[number, Buffer, string]>;
  readonly #tx: Database.Transaction<(rows: readonly AuditValue[][]) => AppendResult>;
  readonly #decisionTx: Database.Transaction<(events: readonly DecisionEvent[], ownsHeads: boolean) => AppendResult>;
  readonly #encoder = new RowEncoder();
  /** Each chain's head hash, as read at the start of the current append (reused). */
  readonly #chainHeads = new Map<string, Buffer>();
  /** Bind arrays, reused row after row (better-sqlite3 binds an array's elements in order). */
  readonly #row: unknown[] = new Array<unknown>(AUDIT_COLUMNS.length + 3).fill(null);
  readonly #decision: unknown[] = new Array<unknown>(DECISION_BOUND.length + 3).fill(null);
  readonly #hashA = Buffer.alloc(32);
  readonly #hashB = Buffer.alloc(32);
  readonly #dataVersion: Database.Statement<[], number>;
  /**
   * appendDecisions with `ownsHeads`: the connection's data_version when it last read the heads,
   * and the last id given at its last commit (-1: read them next time). Any other append clears
   * it (#readHeads).
   */
  #headsVersion = -1;
  #headsLast = 0;

  constructor(db: Database.Database) {
    this.#db = db;
    // a purged row must leave no copy behind. Without secure_delete, B-tree page splits
    // during ordinary appends leave stale copies of cells in unused page space, which a later
    // DELETE never touches. So every connection that writes the log overwrites freed space.
    db.pragma('secure_delete = ON');
    this.#insert = db.prepare(
      `INSERT INTO audit_log (id, ${AUDIT_COLUMNS.join(', ')}, prev_hash, hash) VALUES (${new Array(AUDIT_COLUMNS.length + 3).fill('?').join(', ')})`,
    );
    this.#insertDecision = db.prepare(DECISION_INSERT);
    this.#heads = db.prepare('SELECT kind, head_id, head_hash FROM audit_chain');
    this.#maxId = db.prepare('SELECT max(id) AS id FROM audit_log');
    this.#setHead = db.prepare('UPDATE audit_chain SET head_id = ?, head_hash = ? WHERE kind = ?');
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#tx = db.transaction((rows: readonly AuditValue[][]) => this.#append(rows));
    this.#decisionTx = db.transaction((events: readonly DecisionEvent[], ownsHeads: boolean) => this.#appendDecisions(events, ownsHeads));
  }

  append(rows: readonly AuditValue[][]): AppendResult {
    if (rows.length === 0) return EMPTY;
    // Inside a caller's transaction: part of it. Otherwise our own, taking the write lock first.
    return this.#db.inTransaction ? this.#append(rows) : this.#tx.immediate(rows);
  }

  appendDecisions(events: readonly DecisionEvent[], ownsHeads: boolean): AppendResult {
    if (events.length === 0) return EMPTY;
    if (this.#db.inTransaction) {
      // Part of a caller's transaction, which may yet roll back: the heads are read, not cached.
      return this.#appendDecisions(events, false);
    }
    let result: AppendResult;
    try {
      result = this.#decisionTx.immediate(events, ownsHeads);
    } catch (e) {
      this.#headsVersion = -1; // rolled back: what #chainHeads holds was never committed
      throw e;
    }
    // Committed. This connection's own commits leave its data_version as it was (SQLite, PRAGMA
    // data_version), so the value read inside the transaction still describes this state.
    this.#headsLast = result.lastId;
    return result;
  }

  /**
   * Every chain's head into #chainHeads (inside the write transaction); returns the last id
   * given. For a connection that owns the heads, only when another connection has committed
   * since its own last commit: inside BEGIN IMMEDIATE none can commit until this one does, so
   * an unchanged data_version means the heads are still those this connection wrote.
   */
  #readHeads(owns: boolean): number {
    if (!owns) {
      this.#headsVersion = -1;
      return this.#readHeadsFromStore();
    }
    const version = this.#dataVersion.get()!;
    if (version === this.#headsVersion) return this.#headsLast;
    this.#headsVersion = version;
    return this.#readHeadsFromStore();
  }

  #readHeadsFromStore(): number {
    const heads = this.#chainHeads;
    heads.clear();
    let last = 0;
    for (const h of this.#heads.all()) {
      heads.set(h.kind, Buffer.isBuffer(h.head_hash) ? h.head_hash : GENESIS);
      if (h.head_id > last) last = h.head_id;
    }
    // A row added behind our back must not make every later append fail on its id.
    return Math.max(last, this.#maxId.get()?.id ?? 0);
  }

  #head(kind: string): Buffer {
    const prev = this.#chainHeads.get(kind);
    if (prev === undefined) throw new TypeError(`audit kind ${JSON.stringify(kind)} has no chain`);
    return prev;
  }

  #append(rows: readonly AuditValue[][]): AppendResult {
    const heads = this.#chainHeads;
    let last = this.#readHeads(false);
    const firstId = last + 1;
    const touched = new Map<string, number>();
    const bind = this.#row;
    for (const values of rows) {
      const kind = values[KIND_INDEX] as string;
      const prev = this.#head(kind);
      const id = ++last;
      const hash = this.#encoder.hash(id, values, prev);
      bind[0] = id;
      for (let i = 0; i < AUDIT_COLUMNS.length; i++) bind[i + 1] = values[i];
      bind[AUDIT_COLUMNS.length + 1] = prev;
      bind[AUDIT_COLUMNS.length + 2] = hash;
      this.#insert.run(...bind); // spread: better-sqlite3 reads call arguments directly, but an array element by element through the slow property path
      heads.set(kind, hash);
      touched.set(kind, id);
    }
    for (const [kind, id] of touched) this.#setHead.run(id, heads.get(kind)!, kind);
    return { firstId, lastId: last };
  }

  /**
   * decisionValues(e) for each event, encoded and bound column by column as it is read from
   * the event: no values array, no spread, no JSON text per row.
   */
  #appendDecisions(events: readonly DecisionEvent[], ownsHeads: boolean): AppendResult {
    let last = this.#readHeads(ownsHeads);
    const firstId = last + 1;
    let prev = this.#head('decision');
    const enc = this.#encoder;
    const b = this.#decision;
    for (const e of events) {
      const id = ++last;
      // Same order as AUDIT_COLUMNS (the encoding) and DECISION_BOUND (the bind slots).
      enc.begin(id);
      b[0] = id;
      b[1] = enc.int(e.at, 'at');
      enc.constant(DECISION_HEAD); // kind, actor, source, action, subject
      b[2] = enc.text(e.mac);
      b[3] = enc.text(e.person);
      b[4] = enc.text(e.userName);
      enc.constant(NULL_COLUMN); // ip
      b[5] = enc.text(e.nas);
      b[6] = enc.text(e.nasAddress);
      b[7] = enc.text(e.apMac);
      b[8] = enc.text(e.ssid);
      b[9] = enc.text(e.network);
      b[10] = enc.int(e.vlan, 'vlan');
      b[11] = enc.text(e.className);
      b[12] = enc.text(e.profile);
      b[13] = enc.text(e.method);
      b[14] = enc.text(e.result);
      b[15] = enc.text(e.reason);
      b[16] = enc.int(e.randomisedMac ? 1 : 0, 'randomised');
      b[17] = enc.int(e.latencyUs, 'latency_us');
      enc.constant(DECISION_TAIL); // session_id, detail
      // Two 32-byte buffers in turn for this row's hash and the previous one (SQLite copies
      // a bound blob, so they can be overwritten once the row is inserted).
      const hash = enc.finish(prev, prev === this.#hashA ? this.#hashB : this.#hashA);
      b[D_PREV] = prev;
      b[D_HASH] = hash;
      this.#insertDecision.run(...b); // spread, not the array: see #append
      prev = hash;
    }
    this.#setHead.run(last, prev, 'decision');
    this.#chainHeads.set('decision', prev); // for the next batch, should it skip #readHeadsFromStore
    return { firstId, lastId: last };
  }
}

const appenders = new WeakMap<Database.Database, Appender>();

function appender(db: Database.Database): Appender {
  let a = appenders.get(db);
  if (a === undefined) {
    a = new Appender(db);
    appenders.set(db, a);
  }
  return a;
}

/** Appends rows already turned into column values (entryValues / decisionValues). */
export function appendValues(db: Database.Database, rows: readonly AuditValue[][]): AppendResult {
  return appender(db).append(rows);
}

/** Appends entries in one transaction (or in the caller's), in order. */
export function appendAuditEntries(db: Database.Database, entries: readonly AuditEntry[]): AppendResult {
  return appendValues(db, entries.map(entryValues));
}

/**
 * Appends access decisions (the batched event writer's batches). `ownsHeads`: the connection
 * writes the audit log through this function only (the audit thread's, decision-thread.ts), so
 * the chain heads it committed stay valid until another connection commits, and each batch
 * reads them only then: one PRAGMA instead of two queries per batch. A connection that also
 * writes the log any other way (purges, migrations, the CLI) must leave it false.
 */
export function appendDecisions(db: Database.Database, events: readonly DecisionEvent[], ownsHeads = false): AppendResult {
  return appender(db).appendDecisions(events, ownsHeads);
}

// ---------------------------------------------------------------------------------------------
// Admin actions

export interface AdminAction {
  /** Who: `api:<token name>`, `cli:<login>`. */
  readonly actor: string;
  /** From where: the client's IP address, or 'cli'. */
  readonly source: string | null;
  /** What, as `<object>.<verb>`: 'person.create', 'token.revoke', 'device.import' ... */
  readonly action: string;
  /** What it was done to: a MAC, a person's id, a token name. */
  readonly subject: string | null;
  /** The fields that changed, before and after (null for a create / a delete). */
  readonly before: unknown;
  readonly after: unknown;
  /** Epoch ms. */
  readonly at: number;
  /** The device concerned, AA-BB-CC-DD-EE-FF, when there is one. */
  readonly mac?: string | null;
  /** The person concerned (the person edited, the device's owner). */
  readonly person?: string | null;
  /** Why (block/lost reason ...). */
  readonly reason?: string | null;
  /** Anything else worth keeping (merged into detail beside before/after). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export function adminEntry(a: AdminAction): AuditEntry {
  return {
    at: a.at,
    kind: 'admin',
    actor: a.actor,
    source: a.source,
    action: a.action,
    subject: a.subject,
    mac: a.mac ?? null,
    person: a.person ?? null,
    reason: a.reason ?? null,
    detail: { ...a.extra, before: a.before ?? null, after: a.after ?? null },
  };
}

/**
 * Records an admin action (issue 3: who, from where, what changed, before/after). Call it
 * inside the transaction that makes the change, so both commit or neither does.
 */
export function recordAdminAction(db: Database.Database, action: AdminAction): AppendResult {
  return appendValues(db, [entryValues(adminEntry(action))]);
}

// ---------------------------------------------------------------------------------------------
// Sessions and alerts

export interface SessionEvent {
  readonly kind: 'session-start' | 'session-stop';
  /** Epoch ms of the event (accounting: receipt minus Acct-Delay-Time). */
  readonly at: number;
  readonly sessionId: string;
  readonly nas: string;
  readonly nasAddress: string;
  readonly mac: string | null;
  readonly userName?: string | null;
  /** The device's owner, when known. */
  readonly person?: string | null;
  readonly ip?: string | null;
  readonly apMac?: string | null;
  readonly ssid?: string | null;
  readonly network?: string | null;
  readonly vlan?: number | null;
  /** session-stop: why ('stop', 'accounting-on', 'accounting-off', 'stale', or the Acct-Terminate-Cause name). */
  readonly reason?: string | null;
  /** Octets, packets, duration, terminate cause ... */
  readonly detail?: Readonly<Record<string, unknown>> | null;
}

/**
 * Records session start/stop rows. Call it inside the accounting batch's transaction, so the
 * Accounting-Response (sent after commit) also means the audit row is on disk.
 */
export function recordSessionEvents(db: Database.Database, events: readonly SessionEvent[]): AppendResult {
  return appendAuditEntries(
    db,
    events.map((e) => ({
      at: e.at,
      kind: e.kind,
      actor: 'radius',
      sessionId: e.sessionId,
      nas: e.nas,
      nasAddress: e.nasAddress,
      mac: e.mac,
      userName: e.userName ?? null,
      person: e.person ?? null,
      ip: e.ip ?? null,
      apMac: e.apMac ?? null,
      ssid: e.ssid ?? null,
      network: e.network ?? null,
      vlan: e.vlan ?? null,
      reason: e.reason ?? null,
      detail: e.detail === undefined || e.detail === null || Object.keys(e.detail).length === 0 ? null : e.detail,
    })),
  );
}

/** Terminate-Cause names (RFC 2866 §5.10), for people reading the log. */
const TERMINATE_CAUSES: Readonly<Record<number, string>> = {
  1: 'user-request', 2: 'lost-carrier', 3: 'lost-service', 4: 'idle-timeout', 5: 'session-timeout',
  6: 'admin-reset', 7: 'admin-reboot', 8: 'port-error', 9: 'nas-error', 10: 'nas-request',
  11: 'nas-reboot', 12: 'port-unneeded', 13: 'port-preempted', 14: 'port-suspended',
  15: 'service-unavailable', 16: 'callback', 17: 'user-error', 18: 'host-request',
};

/**
 * The sessions repository's changes (src/store/sessions.ts) as audit rows: a start (or a
 * stale session heard of again: reason 'resume') and a stop with its counters.
 */
export function sessionEventsOf(changes: readonly SessionChange[]): SessionEvent[] {
  return changes.map((c): SessionEvent => {
    const s = c.session;
    const common = {
      at: c.at,
      sessionId: s.sessionId,
      nas: s.nas,
      nasAddress: s.nasAddress,
      mac: s.mac,
      userName: s.userName,
      ip: s.framedIp,
      apMac: s.apMac,
      ssid: s.ssid,
      network: s.network,
      vlan: s.vlan,
    };
    if (c.kind !== 'stop') return { ...common, kind: 'session-start', reason: c.kind === 'resume' ? 'resume' : null };
    const cause = s.terminateCause === null ? null : (TERMINATE_CAUSES[s.terminateCause] ?? String(s.terminateCause));
    return {
      ...common,
      kind: 'session-stop',
      reason: s.stopReason,
      detail: {
        startedAt: s.startedAt,
        sessionTime: s.sessionTime,
        inputOctets: s.inputOctets,
        outputOctets: s.outputOctets,
        inputPackets: s.inputPackets,
        outputPackets: s.outputPackets,
        terminateCause: cause,
      },
    };
  });
}

/** a lost or stolen device tried to connect — which device, where (AP, SSID, NAS) and when. */
export function alertEntry(e: DecisionEvent): AuditEntry {
  return {
    at: e.at,
    kind: 'alert',
    actor: 'radius',
    action: 'lost-device-attempt',
    mac: e.mac,
    person: e.person ?? null,
    userName: e.userName,
    nas: e.nas,
    nasAddress: e.nasAddress,
    apMac: e.apMac,
    ssid: e.ssid,
    className: e.className,
    result: e.result,
    reason: e.reason,
  };
}

// ---------------------------------------------------------------------------------------------
// Decision events stored before the audit log existed

/**
 * Moves the rows of `decision_events_legacy` (the decision_events table of schema 1–4, renamed
 * by the audit-log migration) into the decision chain, oldest first, then drops it. Runs in
 * chunks, each its own transaction (a crash resumes where it stopped). Returns the rows moved.
 * Called when the event repository or an audit verb opens the store.
 */
export function importLegacyDecisions(db: Database.Database, chunk = 20_000): number {
  const exists = db
    .prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'decision_events_legacy'")
    .get()!.n;
  if (exists === 0) return 0;
  const take = db.prepare<[number], DecisionEventRow & { id: number }>(
    `SELECT id, at, result, reason, mac, user_name, nas, nas_address, ap_mac, ssid, network, vlan, class, profile, method,
       randomised, latency_us FROM decision_events_legacy ORDER BY id LIMIT ?`,
  );
  const drop = db.prepare<[number]>('DELETE FROM decision_events_legacy WHERE id <= ?');
  let moved = 0;
  const step = db.transaction((): number => {
    const rows = take.all(chunk);
    if (rows.length === 0) return 0;
    appendDecisions(db, rows.map(decisionFromRow));
    drop.run(rows[rows.length - 1]!.id);
    return rows.length;
  });
  for (let n = step.immediate(); n > 0; n = step.immediate()) moved += n;
  db.transaction(() => {
    if (db.prepare<[], { n: number }>('SELECT count(*) AS n FROM decision_events_legacy').get()!.n === 0) {
      db.exec('DROP TABLE decision_events_legacy');
    }
  }).immediate();
  return moved;
}

