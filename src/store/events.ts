/**
 * Access decisions on SQLite, written in batches by the event writer (one transaction, one
 * prepared statement per batch) and read back newest first.
 */
import type Database from 'better-sqlite3';
import { LanyardError } from '../errors.js';
import type { DecisionEvent, DecisionEventFilter, EventRepository } from './types.js';
import { requireMac } from './devices.js';

interface EventRow {
  at: number;
  result: DecisionEvent['result'];
  reason: string;
  mac: string | null;
  user_name: string | null;
  nas: string;
  nas_address: string;
  ap_mac: string | null;
  ssid: string | null;
  network: string | null;
  vlan: number | null;
  class: string | null;
  profile: string | null;
  method: DecisionEvent['method'];
  randomised: number;
  latency_us: number;
}

const COLUMNS =
  'at, result, reason, mac, user_name, nas, nas_address, ap_mac, ssid, network, vlan, class, profile, method, randomised, latency_us';

/** Default and largest page of listDecisions. */
export const DEFAULT_DECISION_LIMIT = 100;
export const MAX_DECISION_LIMIT = 10_000;

function toRow(e: DecisionEvent): EventRow {
  return {
    at: e.at,
    result: e.result,
    reason: e.reason,
    mac: e.mac,
    user_name: e.userName,
    nas: e.nas,
    nas_address: e.nasAddress,
    ap_mac: e.apMac,
    ssid: e.ssid,
    network: e.network,
    vlan: e.vlan,
    class: e.className,
    profile: e.profile,
    method: e.method,
    randomised: e.randomisedMac ? 1 : 0,
    // SQLite INTEGER: a fractional latency would be stored as REAL; keep the column integral.
    latency_us: Math.round(e.latencyUs),
  };
}

function toEvent(r: EventRow): DecisionEvent {
  return {
    at: r.at,
    result: r.result,
    reason: r.reason,
    mac: r.mac,
    userName: r.user_name,
    nas: r.nas,
    nasAddress: r.nas_address,
    apMac: r.ap_mac,
    ssid: r.ssid,
    network: r.network,
    vlan: r.vlan,
    className: r.class,
    profile: r.profile,
    method: r.method,
    randomisedMac: r.randomised !== 0,
    latencyUs: r.latency_us,
  };
}

export class SqliteEventRepository implements EventRepository {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<EventRow>;
  readonly #insertBatch: (events: readonly DecisionEvent[]) => void;
  readonly #queries = new Map<string, Database.Statement<unknown[], EventRow>>();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO decision_events (${COLUMNS}) VALUES (@at, @result, @reason, @mac, @user_name, @nas, @nas_address,
         @ap_mac, @ssid, @network, @vlan, @class, @profile, @method, @randomised, @latency_us)`,
    );
    this.#insertBatch = db.transaction((events: readonly DecisionEvent[]) => {
      for (const e of events) this.#insert.run(toRow(e));
    });
  }

  insertDecisions(events: readonly DecisionEvent[]): void {
    if (events.length === 0) return;
    this.#insertBatch(events);
  }

  /** Newest first. `from` is inclusive and `to` exclusive (epoch ms); limit defaults to 100. */
  listDecisions(filter: DecisionEventFilter = {}): DecisionEvent[] {
    const clauses: string[] = [];
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
    const where = clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`;
    const sql = `SELECT ${COLUMNS} FROM decision_events${where} ORDER BY at DESC, id DESC LIMIT ?`;
    let stmt = this.#queries.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare<unknown[], EventRow>(sql);
      this.#queries.set(sql, stmt);
    }
    return stmt.all(...params).map(toEvent);
  }
}
