/**
 * People: staff, pupils, visitors and contractors (ARCHITECTURE.md "Policy model").
 *
 *  - R-3: `aupReturnedAt` records when the acceptable-use statement came back.
 *  - R-11: marking a person `left` retires every device they own, in the same transaction,
 *    through the device repository (so each retirement is in the device's history and the
 *    daemon's change feed). Retired is final: marking the person active again does not bring
 *    the devices back.
 *
 * Devices name their owner in free text (`devices.owner`), so "the devices a person owns" is
 * defined as: not yet retired, and `owner` equal, ignoring ASCII case and surrounding spaces, to
 *   - the person's email address, or
 *   - the person's name, when no other person has that same name (two "J Smith"s: only
 *     the email matches, so one leaver never retires the other's devices).
 */
import type Database from 'better-sqlite3';
import type { AdminAction } from '../audit/log.js';
import { LanyardError } from '../errors.js';
import type { DeviceRepository } from './types.js';

/** Records an admin action in the audit log, inside the caller's transaction (audit/log.ts). */
export type AuditHook = (action: AdminAction) => void;

export const PERSON_KINDS = ['staff', 'pupil', 'visitor', 'contractor'] as const;
export type PersonKind = (typeof PERSON_KINDS)[number];
export const PERSON_STATUSES = ['active', 'left'] as const;
export type PersonStatus = (typeof PERSON_STATUSES)[number];

export interface PersonRecord {
  readonly id: number;
  readonly kind: PersonKind;
  readonly name: string;
  readonly email: string | null;
  /** Epoch ms the acceptable-use statement was returned (R-3), or null. */
  readonly aupReturnedAt: number | null;
  readonly status: PersonStatus;
  readonly leftAt: number | null;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface NewPerson {
  readonly kind: PersonKind;
  readonly name: string;
  readonly email?: string | null;
  readonly aupReturnedAt?: number | null;
}

export interface PersonPatch {
  readonly kind?: PersonKind;
  readonly name?: string;
  readonly email?: string | null;
  readonly aupReturnedAt?: number | null;
  readonly status?: PersonStatus;
}

export interface PersonFilter {
  readonly kind?: PersonKind;
  readonly status?: PersonStatus;
  /** Substring of name or email, any case. */
  readonly search?: string;
  readonly limit?: number;
  readonly offset?: number;
}

export interface PersonUpdate {
  readonly person: PersonRecord;
  /** MACs retired because the person was marked as left (empty otherwise). */
  readonly retired: string[];
}

interface PersonRow {
  id: number;
  kind: string;
  name: string;
  email: string | null;
  aup_returned_at: number | null;
  status: string;
  left_at: number | null;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}

const COLUMNS = 'id, kind, name, email, aup_returned_at, status, left_at, created_at, created_by, updated_at, updated_by';

function toRecord(r: PersonRow): PersonRecord {
  return {
    id: r.id,
    kind: r.kind as PersonKind,
    name: r.name,
    email: r.email,
    aupReturnedAt: r.aup_returned_at,
    status: r.status as PersonStatus,
    leftAt: r.left_at,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

function oneOf<T extends string>(values: readonly T[], value: string, where: string): T {
  if (!(values as readonly string[]).includes(value)) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} "${value}" is not one of ${values.join(', ')}`, { where });
  }
  return value as T;
}

function text(value: string, where: string): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (t === '') throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must not be empty`, { where });
  return t;
}

function email(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value.trim() === '') return null;
  const t = value.trim();
  // Deliberately loose: one @ with something either side, no spaces.
  if (!/^[^\s@]+@[^\s@]+$/.test(t)) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `"${t}" is not an email address`, { where: 'email' });
  }
  return t;
}

function time(value: number | null | undefined, where: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value)) throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must be epoch milliseconds`, { where });
  return value;
}

function count(value: number | undefined, where: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must be a whole number ≥ 0`, { where });
  }
  return value;
}

export class SqlitePeopleRepository {
  readonly #db: Database.Database;
  readonly #devices: DeviceRepository;
  readonly #get: Database.Statement<[number], PersonRow>;
  readonly #insert: Database.Statement<Omit<PersonRow, 'id'>>;
  readonly #update: Database.Statement<PersonRow>;
  readonly #byEmail: Database.Statement<[string], PersonRow>;
  readonly #sameName: Database.Statement<[string], { n: number }>;
  readonly #owned: Database.Statement<[string, string], { mac: string }>;
  readonly #audit: AuditHook | undefined;

  /** `audit` runs inside each write's transaction: the change and its audit row commit together. */
  constructor(db: Database.Database, devices: DeviceRepository, options: { audit?: AuditHook } = {}) {
    this.#db = db;
    this.#devices = devices;
    this.#audit = options.audit;
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM people WHERE id = ?`);
    this.#insert = db.prepare(
      `INSERT INTO people (kind, name, email, aup_returned_at, status, left_at, created_at, created_by, updated_at, updated_by)
       VALUES (@kind, @name, @email, @aup_returned_at, @status, @left_at, @created_at, @created_by, @updated_at, @updated_by)`,
    );
    this.#update = db.prepare(
      `UPDATE people SET kind = @kind, name = @name, email = @email, aup_returned_at = @aup_returned_at, status = @status,
         left_at = @left_at, updated_at = @updated_at, updated_by = @updated_by WHERE id = @id`,
    );
    this.#byEmail = db.prepare(`SELECT ${COLUMNS} FROM people WHERE lower(email) = lower(?)`);
    this.#sameName = db.prepare(`SELECT count(*) AS n FROM people WHERE lower(name) = lower(?)`);
    // Either parameter may be '' (no email / ambiguous name): owner is never '' (stored as NULL).
    this.#owned = db.prepare(
      `SELECT mac FROM devices
       WHERE status != 'retired' AND owner IS NOT NULL
         AND (trim(owner) = ? COLLATE NOCASE OR trim(owner) = ? COLLATE NOCASE)
       ORDER BY mac`,
    );
  }

  get(id: number): PersonRecord | undefined {
    const row = this.#get.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  require(id: number): PersonRecord {
    const p = this.get(id);
    if (p === undefined) throw new LanyardError('LANYARD_ERR_PERSON_NOT_FOUND', `no person has id ${id}`, { where: 'id' });
    return p;
  }

  add(person: NewPerson, actor: string, at: number, source: string | null = null): PersonRecord {
    const row: Omit<PersonRow, 'id'> = {
      kind: oneOf(PERSON_KINDS, person.kind, 'kind'),
      name: text(person.name, 'name'),
      email: email(person.email),
      aup_returned_at: time(person.aupReturnedAt, 'aupReturnedAt'),
      status: 'active',
      left_at: null,
      created_at: at,
      created_by: actor,
      updated_at: at,
      updated_by: actor,
    };
    return this.#db.transaction(() => {
      this.#uniqueEmail(row.email, undefined);
      const info = this.#insert.run(row);
      const created = this.require(Number(info.lastInsertRowid));
      this.#audit?.({ actor, source, action: 'person.create', subject: String(created.id), person: created.name, before: null, after: created, at });
      return created;
    }).immediate();
  }

  #uniqueEmail(address: string | null, self: number | undefined): void {
    if (address === null) return;
    const other = this.#byEmail.get(address);
    if (other !== undefined && other.id !== self) {
      throw new LanyardError('LANYARD_ERR_PERSON_EXISTS', `${address} is already the email of person ${other.id} (${other.name})`, {
        where: 'email',
      });
    }
  }

  /**
   * Applies a patch. Marking an active person `left` retires their devices (R-11) in the
   * same transaction and returns the MACs retired.
   */
  update(id: number, patch: PersonPatch, actor: string, at: number, source: string | null = null): PersonUpdate {
    return this.#db.transaction((): PersonUpdate => {
      const current = this.require(id);
      const status = patch.status === undefined ? current.status : oneOf(PERSON_STATUSES, patch.status, 'status');
      const next: PersonRow = {
        id,
        kind: patch.kind === undefined ? current.kind : oneOf(PERSON_KINDS, patch.kind, 'kind'),
        name: patch.name === undefined ? current.name : text(patch.name, 'name'),
        email: patch.email === undefined ? current.email : email(patch.email),
        aup_returned_at: patch.aupReturnedAt === undefined ? current.aupReturnedAt : time(patch.aupReturnedAt, 'aupReturnedAt'),
        status,
        left_at: status === 'left' ? (current.status === 'left' ? current.leftAt : at) : null,
        created_at: current.createdAt,
        created_by: current.createdBy,
        updated_at: at,
        updated_by: actor,
      };
      if (
        next.kind === current.kind &&
        next.name === current.name &&
        next.email === current.email &&
        next.aup_returned_at === current.aupReturnedAt &&
        next.status === current.status
      ) {
        return { person: current, retired: [] };
      }
      this.#uniqueEmail(next.email, id);
      this.#update.run(next);
      const person = toRecord(next);
      let retired: string[] = [];
      const leaving = current.status !== 'left' && person.status === 'left';
      if (leaving) retired = this.ownedDevices(person);
      this.#audit?.({
        actor,
        source,
        action: leaving ? 'person.left' : 'person.update',
        subject: String(id),
        person: person.name,
        before: current,
        after: person,
        at,
        ...(leaving ? { extra: { retiredDevices: retired } } : {}),
      });
      if (leaving) {
        const reason = `owner left: person ${person.id} (${person.name})`;
        for (const mac of retired) this.#devices.setStatus(mac, 'retired', reason, actor, at, source);
      }
      return { person, retired };
    }).immediate();
  }

  /** MACs of the devices this person owns and that are not retired (see the file comment). */
  ownedDevices(person: PersonRecord): string[] {
    const byEmail = person.email ?? '';
    const byName = this.#sameName.get(person.name)!.n === 1 ? person.name.trim() : '';
    if (byEmail === '' && byName === '') return [];
    return this.#owned.all(byEmail, byName).map((r) => r.mac);
  }

  list(filter: PersonFilter = {}): PersonRecord[] {
    const { where, params } = this.#where(filter);
    const sql = `SELECT ${COLUMNS} FROM people${where} ORDER BY lower(name), id LIMIT ? OFFSET ?`;
    return (this.#db.prepare(sql).all(...params, count(filter.limit, 'limit', -1), count(filter.offset, 'offset', 0)) as PersonRow[]).map(toRecord);
  }

  count(filter: PersonFilter = {}): number {
    const { where, params } = this.#where(filter);
    return (this.#db.prepare(`SELECT count(*) AS n FROM people${where}`).get(...params) as { n: number }).n;
  }

  #where(filter: PersonFilter): { where: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.kind !== undefined) {
      clauses.push('kind = ?');
      params.push(oneOf(PERSON_KINDS, filter.kind, 'kind'));
    }
    if (filter.status !== undefined) {
      clauses.push('status = ?');
      params.push(oneOf(PERSON_STATUSES, filter.status, 'status'));
    }
    if (filter.search !== undefined && filter.search.trim() !== '') {
      const like = `%${filter.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      clauses.push("(name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')");
      params.push(like, like);
    }
    return { where: clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`, params };
  }
}
