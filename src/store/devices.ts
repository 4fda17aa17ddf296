/**
 * The device registry on SQLite. Every write to `devices` appends a row to `device_history`
 * in the same transaction: the history is both the audit of changes (who, when, what) and the
 * change feed the daemon's cache follows (changesSince).
 *
 * Status rules (POLICY.md R-4, R-5, R-11):
 *  - active ⇄ blocked / lost, and any of them → retired;
 *  - retired is final: setStatus refuses to leave it (LANYARD_ERR_DEVICE_STATE) and add()
 *    refuses the MAC (LANYARD_ERR_DEVICE_EXISTS, saying it is retired). update() may still
 *    correct a retired record's class/owner/label/expiry; it never changes the status.
 *  - setting the status a device already has, with the same reason, writes nothing.
 *
 * Every write also appends an 'admin' row to the audit log (src/audit/log.ts) in the same
 * transaction: who, from where, what changed, before and after. Writes take the write lock at
 * BEGIN (IMMEDIATE), because the daemon and CLI processes append to the same hash chains.
 */
import type Database from 'better-sqlite3';
import { adminEntry, appendAuditEntries, type AuditEntry } from '../audit/log.js';
import { LanyardError } from '../errors.js';
import { DEVICE_STATUSES, type DeviceStatus } from '../policy/model.js';
import { normaliseMac } from '../policy/mac.js';
import type {
  DeviceHistoryRow,
  DevicePatch,
  DeviceRecord,
  DeviceRepository,
  FactsVisitor,
  ListFilter,
  NewDevice,
} from './types.js';

/** A `devices` row as SQLite returns it. */
interface DeviceRow {
  mac: string;
  class: string;
  owner: string | null;
  label: string | null;
  status: string;
  status_reason: string | null;
  expires_at: number | null;
  source: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}

interface HistoryRow extends DeviceRow {
  seq: number;
  op: DeviceHistoryRow['op'];
  at: number;
  actor: string;
}

const RECORD_COLUMNS =
  'mac, class, owner, label, status, status_reason, expires_at, source, created_at, created_by, updated_at, updated_by';
const RECORD_PARAMS =
  '@mac, @class, @owner, @label, @status, @status_reason, @expires_at, @source, @created_at, @created_by, @updated_at, @updated_by';

function toRecord(r: DeviceRow): DeviceRecord {
  return {
    mac: r.mac,
    className: r.class,
    owner: r.owner,
    label: r.label,
    status: r.status as DeviceStatus,
    statusReason: r.status_reason,
    expiresAt: r.expires_at,
    source: r.source,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

function toRow(d: DeviceRecord): DeviceRow {
  return {
    mac: d.mac,
    class: d.className,
    owner: d.owner,
    label: d.label,
    status: d.status,
    status_reason: d.statusReason,
    expires_at: d.expiresAt,
    source: d.source,
    created_at: d.createdAt,
    created_by: d.createdBy,
    updated_at: d.updatedAt,
    updated_by: d.updatedBy,
  };
}

function toHistory(r: HistoryRow): DeviceHistoryRow {
  return { seq: r.seq, mac: r.mac, op: r.op, at: r.at, actor: r.actor, record: toRecord(r) };
}

/** Normalises a MAC in any accepted format, or throws LANYARD_ERR_MAC_INVALID. */
export function requireMac(text: string, where = 'mac'): string {
  const mac = typeof text === 'string' ? normaliseMac(text) : null;
  if (mac === null) {
    throw new LanyardError('LANYARD_ERR_MAC_INVALID', `"${String(text)}" is not a MAC address`, { where });
  }
  return mac;
}

function optionalText(value: string | null | undefined, where: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must be text`, { where });
  }
  const t = value.trim();
  return t === '' ? null : t;
}

function requireText(value: string, where: string): string {
  const t = optionalText(value, where);
  if (t === null) throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must not be empty`, { where });
  return t;
}

function optionalTime(value: number | null | undefined, where: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value)) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must be epoch milliseconds`, { where });
  }
  return value;
}

function requireTime(value: number, where: string): number {
  const t = optionalTime(value, where);
  if (t === null) throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} is required`, { where });
  return t;
}

function requireStatus(status: string): DeviceStatus {
  if (!(DEVICE_STATUSES as readonly string[]).includes(status)) {
    throw new LanyardError(
      'LANYARD_ERR_FIELD_INVALID',
      `status "${status}" is not one of ${DEVICE_STATUSES.join(', ')}`,
      { where: 'status' },
    );
  }
  return status as DeviceStatus;
}

/** The fields an admin audit row shows, before/after (the rest are bookkeeping). */
const AUDITED_FIELDS = ['className', 'owner', 'label', 'status', 'statusReason', 'expiresAt', 'source'] as const;

type Audited = Partial<Pick<DeviceRecord, (typeof AUDITED_FIELDS)[number]>>;

function audited(d: DeviceRecord): Audited {
  const out: Record<string, unknown> = {};
  for (const k of AUDITED_FIELDS) out[k] = d[k];
  return out as Audited;
}

/** Only the fields that differ, as { before, after }. */
function changed(before: DeviceRecord, after: DeviceRecord): { before: Audited; after: Audited } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const k of AUDITED_FIELDS) {
    if (before[k] !== after[k]) {
      b[k] = before[k];
      a[k] = after[k];
    }
  }
  return { before: b as Audited, after: a as Audited };
}

const STATUS_ACTIONS: Readonly<Record<DeviceStatus, string>> = {
  active: 'device.unblock',
  blocked: 'device.block',
  lost: 'device.lost',
  retired: 'device.retire',
};

/**
 * Where a change came from, when the caller does not say: the CLI's actors are `cli:<login>`.
 * The API passes the client's address.
 */
function defaultSource(actor: string, source: string | null | undefined): string | null {
  if (source !== undefined) return source;
  return actor.startsWith('cli:') ? 'cli' : null;
}

/** Escapes LIKE wildcards; the statement uses ESCAPE '\'. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Rows between two progress reports of addMany. */
const PROGRESS_EVERY = 5_000;

export class SqliteDeviceRepository implements DeviceRepository {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], DeviceRow>;
  readonly #insert: Database.Statement<DeviceRow>;
  readonly #updateRow: Database.Statement<DeviceRow>;
  readonly #insertHistory: Database.Statement<DeviceRow & { op: string; at: number; actor: string }>;
  readonly #history: Database.Statement<[string], HistoryRow>;
  readonly #asOf: Database.Statement<[string, number], HistoryRow>;
  readonly #all: Database.Statement<[], DeviceRow>;
  readonly #maxSeq: Database.Statement<[], { seq: number | null }>;
  readonly #since: Database.Statement<[number, number], HistoryRow>;
  /** Filtered list/count statements, prepared once per distinct WHERE shape. */
  readonly #filtered = new Map<string, Database.Statement<unknown[], unknown>>();
  readonly #snapshotTx: () => { devices: DeviceRecord[]; seq: number };
  readonly #facts: Database.Statement<[], [string, string, string | null, DeviceStatus, number | null]>;
  readonly #snapshotFactsTx: (visit: FactsVisitor) => number;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#get = db.prepare(`SELECT ${RECORD_COLUMNS} FROM devices WHERE mac = ?`);
    this.#insert = db.prepare(`INSERT INTO devices (${RECORD_COLUMNS}) VALUES (${RECORD_PARAMS})`);
    this.#updateRow = db.prepare(
      `UPDATE devices SET class = @class, owner = @owner, label = @label, status = @status,
         status_reason = @status_reason, expires_at = @expires_at, source = @source,
         updated_at = @updated_at, updated_by = @updated_by
       WHERE mac = @mac`,
    );
    this.#insertHistory = db.prepare(
      `INSERT INTO device_history (op, at, actor, ${RECORD_COLUMNS}) VALUES (@op, @at, @actor, ${RECORD_PARAMS})`,
    );
    this.#history = db.prepare(`SELECT * FROM device_history WHERE mac = ? ORDER BY seq`);
    this.#asOf = db.prepare(`SELECT * FROM device_history WHERE mac = ? AND at <= ? ORDER BY seq DESC LIMIT 1`);
    this.#all = db.prepare(`SELECT ${RECORD_COLUMNS} FROM devices ORDER BY mac`);
    this.#maxSeq = db.prepare(`SELECT max(seq) AS seq FROM device_history`);
    this.#since = db.prepare(`SELECT * FROM device_history WHERE seq > ? ORDER BY seq LIMIT ?`);
    // One read transaction: the devices and the seq they reflect come from the same snapshot.
    this.#snapshotTx = db.transaction(() => {
      const devices = this.#all.all().map(toRecord);
      const seq = this.#maxSeq.get()?.seq ?? 0;
      return { devices, seq };
    });
    // The five columns a decision reads, as arrays, in table order (the cache is keyed by MAC,
    // so ORDER BY mac would only add a walk of the primary-key index and a lookup per row).
    this.#facts = db.prepare<[], [string, string, string | null, DeviceStatus, number | null]>('SELECT mac, class, owner, status, expires_at FROM devices').raw();
    this.#snapshotFactsTx = db.transaction((visit: FactsVisitor) => {
      for (const [mac, className, owner, status, expiresAt] of this.#facts.iterate()) visit(mac, className, owner, status, expiresAt);
      return this.#maxSeq.get()?.seq ?? 0;
    });
  }

  add(device: NewDevice, actor: string, at: number, source?: string | null): DeviceRecord {
    const who = requireText(actor, 'actor');
    const when = requireTime(at, 'at');
    return this.#db
      .transaction(() => {
        const record = this.#addOne(device, who, when);
        appendAuditEntries(this.#db, [this.#createEntry(record, defaultSource(who, source))]);
        return record;
      })
      .immediate();
  }

  /**
   * `onProgress(done, total)` is called every PROGRESS_EVERY rows and once at the end (before the
   * audit rows and the commit), so a command line can show how far a large import is.
   */
  addMany(
    devices: readonly NewDevice[],
    actor: string,
    at: number,
    source?: string | null,
    onProgress?: (done: number, total: number) => void,
  ): number {
    const who = requireText(actor, 'actor');
    const when = requireTime(at, 'at');
    const from = defaultSource(who, source);
    this.#db.transaction(() => {
      const entries: AuditEntry[] = [];
      devices.forEach((d, i) => {
        if (onProgress !== undefined && i > 0 && i % PROGRESS_EVERY === 0) onProgress(i, devices.length);
        try {
          entries.push(this.#createEntry(this.#addOne(d, who, when), from, 'device.import'));
        } catch (e) {
          if (e instanceof LanyardError && e.where !== undefined) {
            throw new LanyardError(e.code, `device ${i + 1}: ${e.message}`, { where: `[${i}].${e.where}`, cause: e });
          }
          throw e;
        }
      });
      onProgress?.(devices.length, devices.length);
      appendAuditEntries(this.#db, entries);
    }).immediate();
    return devices.length;
  }

  #createEntry(record: DeviceRecord, source: string | null, action = 'device.create'): AuditEntry {
    return adminEntry({
      actor: record.createdBy,
      source,
      action,
      subject: record.mac,
      mac: record.mac,
      person: record.owner,
      before: null,
      after: audited(record),
      at: record.createdAt,
    });
  }

  #changeEntry(action: string, before: DeviceRecord, after: DeviceRecord, source: string | null): AuditEntry {
    return adminEntry({
      actor: after.updatedBy,
      source,
      action,
      subject: after.mac,
      mac: after.mac,
      person: after.owner ?? before.owner,
      reason: action === 'device.update' ? null : after.statusReason,
      ...changed(before, after),
      at: after.updatedAt,
    });
  }

  #addOne(device: NewDevice, actor: string, at: number): DeviceRecord {
    const mac = requireMac(device.mac);
    const existing = this.#get.get(mac);
    if (existing !== undefined) {
      const retired = existing.status === 'retired' ? ' as retired; a retired device cannot be added again' : '';
      throw new LanyardError('LANYARD_ERR_DEVICE_EXISTS', `${mac} is already registered${retired}`, { where: 'mac' });
    }
    const record: DeviceRecord = {
      mac,
      className: requireText(device.className, 'class'),
      owner: optionalText(device.owner, 'owner'),
      label: optionalText(device.label, 'label'),
      status: 'active',
      statusReason: null,
      expiresAt: optionalTime(device.expiresAt, 'expiresAt'),
      source: optionalText(device.source, 'source') ?? 'manual',
      createdAt: at,
      createdBy: actor,
      updatedAt: at,
      updatedBy: actor,
    };
    const row = toRow(record);
    this.#insert.run(row);
    this.#insertHistory.run({ ...row, op: 'create', at, actor });
    return record;
  }

  get(mac: string): DeviceRecord | undefined {
    const row = this.#get.get(requireMac(mac));
    return row === undefined ? undefined : toRecord(row);
  }

  list(filter: ListFilter = {}): DeviceRecord[] {
    const { where, params } = this.#where(filter);
    let sql = `SELECT ${RECORD_COLUMNS} FROM devices${where} ORDER BY mac`;
    if (filter.limit !== undefined || filter.offset !== undefined) {
      sql += ' LIMIT ? OFFSET ?';
      params.push(this.#count(filter.limit, 'limit', -1), this.#count(filter.offset, 'offset', 0));
    }
    return (this.#statement(sql).all(...params) as DeviceRow[]).map(toRecord);
  }

  count(filter: ListFilter = {}): number {
    const { where, params } = this.#where(filter);
    return (this.#statement(`SELECT count(*) AS n FROM devices${where}`).get(...params) as { n: number }).n;
  }

  #count(value: number | undefined, where: string, fallback: number): number {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must be a whole number ≥ 0`, { where });
    }
    return value;
  }

  #where(filter: ListFilter): { where: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== undefined) {
      clauses.push('status = ?');
      params.push(requireStatus(filter.status));
    }
    if (filter.className !== undefined) {
      clauses.push('class = ?');
      params.push(filter.className);
    }
    if (filter.owner !== undefined) {
      clauses.push('owner = ?');
      params.push(filter.owner);
    }
    if (filter.search !== undefined && filter.search.trim() !== '') {
      const text = filter.search.trim();
      // MACs are stored AA-BB-..; let "aa:bb" or "aabb.cc" find them too.
      const macText = text.toUpperCase().replace(/[:.]/g, '-');
      clauses.push("(mac LIKE ? ESCAPE '\\' OR owner LIKE ? ESCAPE '\\' OR label LIKE ? ESCAPE '\\')");
      params.push(likePattern(macText), likePattern(text), likePattern(text));
    }
    return { where: clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`, params };
  }

  #statement(sql: string): Database.Statement<unknown[], unknown> {
    let stmt = this.#filtered.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      this.#filtered.set(sql, stmt);
    }
    return stmt;
  }

  update(mac: string, patch: DevicePatch, actor: string, at: number, source?: string | null): DeviceRecord {
    const key = requireMac(mac);
    const who = requireText(actor, 'actor');
    const when = requireTime(at, 'at');
    const from = defaultSource(who, source);
    return this.#db.transaction(() => {
      const current = this.#require(key);
      const next: DeviceRecord = {
        ...current,
        className: patch.className === undefined ? current.className : requireText(patch.className, 'class'),
        owner: patch.owner === undefined ? current.owner : optionalText(patch.owner, 'owner'),
        label: patch.label === undefined ? current.label : optionalText(patch.label, 'label'),
        expiresAt: patch.expiresAt === undefined ? current.expiresAt : optionalTime(patch.expiresAt, 'expiresAt'),
      };
      if (
        next.className === current.className &&
        next.owner === current.owner &&
        next.label === current.label &&
        next.expiresAt === current.expiresAt
      ) {
        return current;
      }
      const after = this.#write('update', { ...next, updatedAt: when, updatedBy: who });
      appendAuditEntries(this.#db, [this.#changeEntry('device.update', current, after, from)]);
      return after;
    }).immediate();
  }

  setStatus(
    mac: string,
    status: DeviceStatus,
    reason: string | null,
    actor: string,
    at: number,
    source?: string | null,
  ): DeviceRecord {
    const key = requireMac(mac);
    const to = requireStatus(status);
    const why = optionalText(reason, 'reason');
    const who = requireText(actor, 'actor');
    const when = requireTime(at, 'at');
    const from = defaultSource(who, source);
    return this.#db.transaction(() => {
      const current = this.#require(key);
      if (current.status === 'retired' && to !== 'retired') {
        throw new LanyardError(
          'LANYARD_ERR_DEVICE_STATE',
          `${key} is retired; a retired device cannot become ${to}`,
          { where: 'status' },
        );
      }
      if (current.status === to && current.statusReason === why) return current;
      const after = this.#write('status', { ...current, status: to, statusReason: why, updatedAt: when, updatedBy: who });
      appendAuditEntries(this.#db, [this.#changeEntry(STATUS_ACTIONS[to], current, after, from)]);
      return after;
    }).immediate();
  }

  #require(mac: string): DeviceRecord {
    const row = this.#get.get(mac);
    if (row === undefined) {
      throw new LanyardError('LANYARD_ERR_DEVICE_NOT_FOUND', `${mac} is not registered`, { where: 'mac' });
    }
    return toRecord(row);
  }

  #write(op: 'update' | 'status', record: DeviceRecord): DeviceRecord {
    const row = toRow(record);
    this.#updateRow.run(row);
    this.#insertHistory.run({ ...row, op, at: record.updatedAt, actor: record.updatedBy });
    return record;
  }

  history(mac: string): DeviceHistoryRow[] {
    return this.#history.all(requireMac(mac)).map(toHistory);
  }

  asOf(mac: string, at: number): DeviceRecord | undefined {
    const row = this.#asOf.get(requireMac(mac), requireTime(at, 'at'));
    if (row === undefined || row.op === 'delete') return undefined;
    return toRecord(row);
  }

  snapshotFacts(visit: FactsVisitor): number {
    return this.#snapshotFactsTx(visit);
  }

  snapshot(): { devices: DeviceRecord[]; seq: number } {
    return this.#snapshotTx();
  }

  changesSince(seq: number, limit = -1): DeviceHistoryRow[] {
    if (!Number.isSafeInteger(seq)) {
      throw new LanyardError('LANYARD_ERR_FIELD_INVALID', 'seq must be a whole number', { where: 'seq' });
    }
    return this.#since.all(seq, limit).map(toHistory); // LIMIT -1: all
  }
}
