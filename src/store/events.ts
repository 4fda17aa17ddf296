/**
 * Access decisions, stored in the connection audit log (table audit_log, kind 'decision',
 * hash-chained: src/audit/chain.ts) by the batched event writer — one transaction per batch —
 * and read back newest first.
 */
import type Database from 'better-sqlite3';
import { appendDecisions, importLegacyDecisions } from '../audit/log.js';
import { LanyardError } from '../errors.js';
import type { DecisionEvent, DecisionEventFilter, EventRepository } from './types.js';
import { decisionFromRow, type DecisionEventRow } from './decision-row.js';
import { requireMac } from './devices.js';


const COLUMNS =
  'at, result, reason, mac, user_name, nas, nas_address, ap_mac, ssid, network, vlan, class, profile, method, randomised, latency_us, person';

/** Default and largest page of listDecisions. */
export const DEFAULT_DECISION_LIMIT = 100;
export const MAX_DECISION_LIMIT = 10_000;


export class SqliteEventRepository implements EventRepository {
  readonly #db: Database.Database;
  readonly #queries = new Map<string, Database.Statement<unknown[], DecisionEventRow>>();

  constructor(db: Database.Database) {
    this.#db = db;
    // Decisions stored before the audit log existed join the chain once (a no-op afterwards).
    importLegacyDecisions(db);
  }

  /** One transaction per batch, chained (audit/log.ts). */
  insertDecisions(events: readonly DecisionEvent[]): void {
    if (events.length === 0) return;
    appendDecisions(this.#db, events);
  }

  /** Newest first. `from` is inclusive and `to` exclusive (epoch ms); limit defaults to 100. */
  listDecisions(filter: DecisionEventFilter = {}): DecisionEvent[] {
    const clauses: string[] = ["kind = 'decision'"];
    const params: unknown[] = [];
    if (filter.from !== undefined) {
      clauses.push('at >= ?');
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      clauses.push('at < ?');
      params.push(filter.to);
    }
    if (filter.mac !== undefined) {
      clauses.push('mac = ?');
      params.push(requireMac(filter.mac));
    }
    if (filter.result !== undefined) {
      clauses.push('result = ?');
      params.push(filter.result);
    }
    const limit = filter.limit ?? DEFAULT_DECISION_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DECISION_LIMIT) {
      throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `limit must be between 1 and ${MAX_DECISION_LIMIT}`, {
        where: 'limit',
      });
    }
    params.push(limit);
    const sql = `SELECT ${COLUMNS} FROM audit_log WHERE ${clauses.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`;
    let stmt = this.#queries.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare<unknown[], DecisionEventRow>(sql);
      this.#queries.set(sql, stmt);
    }
    return stmt.all(...params).map(decisionFromRow);
  }
}
