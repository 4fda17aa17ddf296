/**
 * Admin API tokens (docs/api.md "Authentication"). A token is `lny_` + 32 random bytes in
 * base64url (43 characters): the prefix lets secret scanners (GitHub, gitleaks) recognise a
 * leaked one. Only the SHA-256 of the whole token text is stored, so a copy of the database
 * does not give API access; the token itself is shown once, by `lanyard tokens create`.
 *
 * A token is looked up by its hash (an index on a 256-bit value of a 256-bit secret: timing
 * reveals nothing useful). Revoked tokens keep their row (who revoked, when) for the record,
 * and their name can be given to a new token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { LanyardError } from '../errors.js';
import type { AuditHook } from './people.js';

export const ROLES = ['ict-admin', 'slt', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_PREFIX = 'lny_';
/** The shape of a token: the prefix, then 32 bytes in base64url without padding. */
export const TOKEN_PATTERN = /^lny_[A-Za-z0-9_-]{43}$/;
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const TOKEN_NAME_HINT = '1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit';

export interface TokenRecord {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
  /** `lny_` + the first 4 characters after it: enough to tell two tokens apart, useless to an attacker. */
  readonly hint: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly lastUsedAt: number | null;
  readonly lastUsedFrom: string | null;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
}

interface TokenRow {
  id: number;
  name: string;
  role: string;
  hint: string;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  last_used_from: string | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

const COLUMNS = 'id, name, role, hint, created_at, created_by, last_used_at, last_used_from, revoked_at, revoked_by';

function toRecord(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    hint: r.hint,
    createdAt: r.created_at,
    createdBy: r.created_by,
    lastUsedAt: r.last_used_at,
    lastUsedFrom: r.last_used_from,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  };
}

/** Hex SHA-256 of the token text, as stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token (not stored). */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function requireRole(text: string, where = 'role'): Role {
  if (!(ROLES as readonly string[]).includes(text)) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `role "${text}" is not one of ${ROLES.join(', ')}`, { where });
  }
  return text as Role;
}

export function requireTokenName(text: string, where = 'name'): string {
  if (typeof text !== 'string' || !TOKEN_NAME_PATTERN.test(text)) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `token name "${String(text)}" must be ${TOKEN_NAME_HINT}`, { where });
  }
  return text;
}

export interface TokenRepository {
  /** Creates a token; returns its record and the token text (the only time it exists in clear). */
  create(name: string, role: Role, actor: string, at: number, source?: string | null): { token: string; record: TokenRecord };
  /** Live tokens, by name; with `includeRevoked`, revoked ones too. */
  list(includeRevoked?: boolean): TokenRecord[];
  /** Throws LANYARD_ERR_TOKEN_NOT_FOUND when no live token has this name. */
  revoke(name: string, actor: string, at: number, source?: string | null): TokenRecord;
  /** The live token with this text, or undefined. Does not record the use. */
  verify(token: string): TokenRecord | undefined;
  /** Records that a token was used (at most once per `minIntervalMs`, to spare the disk). */
  touch(id: number, at: number, from: string): void;
}

export class SqliteTokenRepository implements TokenRepository {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<{ name: string; role: string; hash: string; hint: string; at: number; actor: string }>;
  readonly #byHash: Database.Statement<[string], TokenRow>;
  readonly #byId: Database.Statement<[number], TokenRow>;
  readonly #liveByName: Database.Statement<[string], TokenRow>;
  readonly #live: Database.Statement<[], TokenRow>;
  readonly #all: Database.Statement<[], TokenRow>;
  readonly #revoke: Database.Statement<[number, string, number]>;
  readonly #touch: Database.Statement<[number, string, number]>;
  /** id → last time a use was written, so that a busy script does not write on every request. */
  readonly #lastTouch = new Map<number, number>();
  readonly #touchIntervalMs: number;
  readonly #audit: AuditHook | undefined;

  /** `audit` runs inside create/revoke's transaction (never sees the token or its hash). */
  constructor(db: Database.Database, options: { touchIntervalMs?: number; audit?: AuditHook } = {}) {
    this.#db = db;
    this.#audit = options.audit;
    this.#touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.#insert = db.prepare(
      `INSERT INTO api_tokens (name, role, hash, hint, created_at, created_by) VALUES (@name, @role, @hash, @hint, @at, @actor)`,
    );
    this.#byHash = db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE hash = ? AND revoked_at IS NULL`);
    this.#byId = db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`);
    this.#liveByName = db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE name = ? AND revoked_at IS NULL`);
    this.#live = db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE revoked_at IS NULL ORDER BY name`);
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM api_tokens ORDER BY name, id`);
    this.#revoke = db.prepare(`UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?`);
    this.#touch = db.prepare(`UPDATE api_tokens SET last_used_at = ?, last_used_from = ? WHERE id = ?`);
  }

  create(name: string, role: Role, actor: string, at: number, source: string | null = null): { token: string; record: TokenRecord } {
    const n = requireTokenName(name);
    const r = requireRole(role);
    const token = generateToken();
    return this.#db.transaction(() => {
      if (this.#liveByName.get(n) !== undefined) {
        throw new LanyardError('LANYARD_ERR_TOKEN_EXISTS', `a token named "${n}" exists; revoke it first or choose another name`, {
          where: 'name',
        });
      }
      const info = this.#insert.run({ name: n, role: r, hash: hashToken(token), hint: token.slice(0, TOKEN_PREFIX.length + 4), at, actor });
      const record = toRecord(this.#byId.get(Number(info.lastInsertRowid))!);
      this.#audit?.({ actor, source, action: 'token.create', subject: n, before: null, after: { name: n, role: r, hint: record.hint }, at });
      return { token, record };
    }).immediate();
  }

  list(includeRevoked = false): TokenRecord[] {
    return (includeRevoked ? this.#all : this.#live).all().map(toRecord);
  }

  revoke(name: string, actor: string, at: number, source: string | null = null): TokenRecord {
    return this.#db.transaction(() => {
      const row = this.#liveByName.get(name);
      if (row === undefined) {
        throw new LanyardError('LANYARD_ERR_TOKEN_NOT_FOUND', `no active token is named "${name}"`, { where: 'name' });
      }
      this.#revoke.run(at, actor, row.id);
      this.#audit?.({ actor, source, action: 'token.revoke', subject: name, before: { name, role: row.role, hint: row.hint }, after: null, at });
      return toRecord(this.#byId.get(row.id)!);
    }).immediate();
  }

  verify(token: string): TokenRecord | undefined {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return undefined;
    const row = this.#byHash.get(hashToken(token));
    return row === undefined ? undefined : toRecord(row);
  }

  touch(id: number, at: number, from: string): void {
    const last = this.#lastTouch.get(id);
    if (last !== undefined && at - last < this.#touchIntervalMs) return;
    this.#lastTouch.set(id, at);
    this.#touch.run(at, from, id);
  }
}
