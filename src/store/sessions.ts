/**
 * Sessions derived from accounting records (RFC 2866), and who held which IP address when.
 *
 * A session is keyed by (NAS source address, Acct-Session-Id): the Session-Id is unique per
 * NAS (RFC 2866 §5.5), and one client entry in the config may be a CIDR covering many APs, so
 * the source address, not the client name, is what identifies the NAS. Every time is an event
 * time (receipt − Acct-Delay-Time, RFC 2866 §5.2).
 *
 *  - Start creates the session; a second Start for it (a retransmission with a new Identifier)
 *    changes nothing but fills fields the first lacked.
 *  - Interim-Update moves the counters and the address forward (never backwards: UDP reorders),
 *    and creates the session if its Start was lost (started = event − Acct-Session-Time).
 *  - Stop closes it (and creates it closed if nothing else was seen).
 *  - Accounting-On/Off (status 7/8) from a NAS closes every session of THAT NAS that started
 *    before it: the AP rebooted or shut down (RFC 2866 §5.1).
 *  - A record whose implied start (event − Acct-Session-Time) is at or after the stop of the
 *    latest session with that key belongs to a NEW session: NASes reuse Session-Ids after a reboot.
 *  - closeStale() ends sessions not heard of for a long time at their last update ('stale');
 *    a later Interim for such a session reopens it, a later Stop corrects its end.
 *
 * ip_bindings records the address each session held, from when to when: the first address
 * from the session start (the AP usually learns it by DHCP snooping after the Start), a change
 * from the record that reported it, until the stop; a new holder of an address ends the previous
 * accounting holder's binding at that moment. DHCP leases (issue 4) add rows with source 'dhcp'.
 *
 * apply() runs inside the caller's transaction (SqliteAccountingRepository.insertBatch), so a
 * record and its session change commit together; listeners hear of starts and stops after commit.
 */
import type Database from 'better-sqlite3';
import { LanyardError } from '../errors.js';
import { AcctStatusType as AcctStatus } from '../protocols/radius/constants.js';
import type { AccountingRecord } from '../radius/handlers/accounting-request.js';
import { requireMac } from './devices.js';
import { recordSessionEvents, sessionEventsOf } from '../audit/log.js';

export const STOP_REASONS = ['stop', 'accounting-on', 'accounting-off', 'stale'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** Sessions silent for longer than this are closed as 'stale' by the daemon's sweep. */
export const DEFAULT_STALE_AFTER_MS = 24 * 3_600_000;

export interface SessionRecord {
  /** Row id (stable; the session's handle in the API). */
  readonly id: number;
  readonly nas: string;
  readonly nasAddress: string;
  /** Acct-Session-Id. */
  readonly sessionId: string;
  readonly mac: string | null;
  readonly userName: string | null;
  readonly nasPort: number | null;
  readonly apMac: string | null;
  readonly ssid: string | null;
  /** Network and VLAN of the latest Access-Accept for the MAC before the session, if any. */
  readonly network: string | null;
  readonly vlan: number | null;
  /** The latest Framed-IP-Address (ip_bindings has the history). */
  readonly framedIp: string | null;
  /** Epoch ms (event time). */
  readonly startedAt: number;
  readonly updatedAt: number;
  /** null while open. */
  readonly stoppedAt: number | null;
  readonly inputOctets: number | null;
  readonly outputOctets: number | null;
  readonly inputPackets: number | null;
  readonly outputPackets: number | null;
  /** Seconds (Acct-Session-Time). */
  readonly sessionTime: number | null;
  /** Acct-Terminate-Cause (RFC 2866 §5.10). */
  readonly terminateCause: number | null;
  readonly stopReason: StopReason | null;
}

/**
 * A start or stop, for the audit log (issue 3, part 2). 'resume': a session closed as stale
 * was heard of again. `at` is the event time of the change.
 */
export interface SessionChange {
  readonly kind: 'start' | 'stop' | 'resume';
  readonly at: number;
  readonly session: SessionRecord;
}

export type SessionListener = (changes: readonly SessionChange[]) => void;

/** Network and VLAN the device was given, looked up when a session starts. */
export type NetworkLookup = (mac: string, at: number) => { network: string | null; vlan: number | null } | null;

export interface SessionFilter {
  /** Only open (true) or only closed (false) sessions. */
  readonly open?: boolean;
  readonly mac?: string;
  readonly nasAddress?: string;
  readonly ip?: string;
  /** Sessions overlapping [from, to) (epoch ms). */
  readonly from?: number;
  readonly to?: number;
  readonly limit?: number;
  readonly offset?: number;
}

export const DEFAULT_SESSION_LIMIT = 100;
export const MAX_SESSION_LIMIT = 10_000;

/** A `sessions` row as SQLite returns it. */
interface SessionRow {
  id: number;
  nas: string;
  nas_address: string;
  session_id: string;
  mac: string | null;
  user_name: string | null;
  nas_port: number | null;
  ap_mac: string | null;
  ssid: string | null;
  network: string | null;
  vlan: number | null;
  framed_ip: string | null;
  started_at: number;
  updated_at: number;
  stopped_at: number | null;
  input_octets: number | null;
  output_octets: number | null;
  input_packets: number | null;
  output_packets: number | null;
  session_time: number | null;
  terminate_cause: number | null;
  stop_reason: StopReason | null;
}

const COLUMNS =
  'nas, nas_address, session_id, mac, user_name, nas_port, ap_mac, ssid, network, vlan, framed_ip, started_at, updated_at, ' +
  'stopped_at, input_octets, output_octets, input_packets, output_packets, session_time, terminate_cause, stop_reason';
const PARAMS = COLUMNS.split(', ')
  .map((c) => `@${c}`)
  .join(', ');
const ASSIGN = COLUMNS.split(', ')
  .filter((c) => c !== 'nas_address' && c !== 'session_id')
  .map((c) => `${c} = @${c}`)
  .join(', ');

export function toSession(r: SessionRow): SessionRecord {
  return {
    id: r.id,
    nas: r.nas,
    nasAddress: r.nas_address,
    sessionId: r.session_id,
    mac: r.mac,
    userName: r.user_name,
    nasPort: r.nas_port,
    apMac: r.ap_mac,
    ssid: r.ssid,
    network: r.network,
    vlan: r.vlan,
    framedIp: r.framed_ip,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    stoppedAt: r.stopped_at,
    inputOctets: r.input_octets,
    outputOctets: r.output_octets,
    inputPackets: r.input_packets,
    outputPackets: r.output_packets,
    sessionTime: r.session_time,
    terminateCause: r.terminate_cause,
    stopReason: r.stop_reason,
  };
}

/** How far back an accounting session looks for the Accept that placed its MAC (24 h). */
export const DECISION_LOOKBACK_MS = 86_400_000;

/** The network of the latest accept for `mac` within DECISION_LOOKBACK_MS before `at` (decision_events). */
export function decisionNetworkLookup(db: Database.Database): NetworkLookup {
  let stmt: Database.Statement<[string, number, number], { network: string | null; vlan: number | null }>;
  try {
    stmt = db.prepare(
      // Walks the (kind, at, mac) index backwards from the Start, the MAC tested in the index:
      // the Accept is normally a second or two before, so the walk is short; "+result" keeps the
      // planner off the refused-decisions index.
      `SELECT network, vlan FROM decision_events
       WHERE mac = ? AND at <= ? AND at >= ? AND +result = 'accept' ORDER BY at DESC LIMIT 1`,
    );
  } catch {
    return () => null; // no decision_events table in this store: leave network and VLAN unknown
  }
  // +5 s: the Accept is stamped at receipt, the Start's event time is rounded to whole seconds.
  // The walk is bounded to a day: a session's Accept older than that (a session resumed by an
  // Interim-Update long after its Start) leaves network and VLAN unknown rather than make an
  // accounting request read a week of decisions on the daemon's event loop.
  return (mac, at) => stmt.get(mac, at + 5_000, at - DECISION_LOOKBACK_MS) ?? null;
}

/** Fills the fields a record carries that the row does not have yet. Returns true if any changed. */
function fillNulls(row: SessionRow, r: AccountingRecord): boolean {
  let changed = false;
  if (row.mac === null && r.mac !== null) {
    row.mac = r.mac;
    changed = true;
  }
  if (row.user_name === null && r.userName !== null) {
    row.user_name = r.userName;
    changed = true;
  }
  if (row.nas_port === null && r.nasPort !== null) {
    row.nas_port = r.nasPort;
    changed = true;
  }
  if (row.ap_mac === null && r.apMac !== null) {
    row.ap_mac = r.apMac;
    changed = true;
  }
  if (row.ssid === null && r.ssid !== null) {
    row.ssid = r.ssid;
    changed = true;
  }
  return changed;
}

/** Copies the counters a record carries (a record without a counter keeps the row's). */
function takeCounters(row: SessionRow, r: AccountingRecord): void {
  if (r.inputOctets !== null) row.input_octets = r.inputOctets;
  if (r.outputOctets !== null) row.output_octets = r.outputOctets;
  if (r.inputPackets !== null) row.input_packets = r.inputPackets;
  if (r.outputPackets !== null) row.output_packets = r.outputPackets;
  if (r.sessionTime !== null) row.session_time = r.sessionTime;
}

export class SqliteSessionRepository {
  readonly #db: Database.Database;
  readonly #networkOf: NetworkLookup;
  readonly #listeners = new Set<SessionListener>();
  readonly #onListenerError: (error: unknown) => void;

  readonly #latest: Database.Statement<[string, string], SessionRow>;
  readonly #byId: Database.Statement<[number], SessionRow>;
  readonly #insert: Database.Statement<Omit<SessionRow, 'id'>>;
  readonly #update: Database.Statement<SessionRow>;
  readonly #openOfNas: Database.Statement<[string, number], SessionRow>;
  readonly #staleOpen: Database.Statement<[number], SessionRow>;
  readonly #bind: Database.Statement<{ ip: string; mac: string | null; from: number; to: number | null; row: number }>;
  readonly #supersede: Database.Statement<{ ip: string; from: number; row: number }>;
  readonly #closeBindings: Database.Statement<{ at: number; row: number }>;
  readonly #extendBindings: Database.Statement<{ at: number; old: number; row: number }>;
  readonly #shiftBindings: Database.Statement<{ at: number; old: number; row: number }>;
  readonly #reopenBinding: Database.Statement<{ old: number; row: number }>;
  readonly #countOpen: Database.Statement<[], { n: number }>;
  readonly #filtered = new Map<string, Database.Statement<unknown[], SessionRow>>();
  readonly #staleTx: (cutoff: number) => SessionChange[];

  constructor(
    db: Database.Database,
    options: { networkOf?: NetworkLookup; onListenerError?: (error: unknown) => void } = {},
  ) {
    this.#db = db;
    this.#networkOf = options.networkOf ?? decisionNetworkLookup(db);
    this.#onListenerError = options.onListenerError ?? (() => {});
    this.#latest = db.prepare(`SELECT * FROM sessions WHERE nas_address = ? AND session_id = ? ORDER BY id DESC LIMIT 1`);
    this.#byId = db.prepare(`SELECT * FROM sessions WHERE id = ?`);
    this.#insert = db.prepare(`INSERT INTO sessions (${COLUMNS}) VALUES (${PARAMS})`);
    this.#update = db.prepare(`UPDATE sessions SET ${ASSIGN} WHERE id = @id`);
    this.#openOfNas = db.prepare(
      `SELECT * FROM sessions WHERE nas_address = ? AND stopped_at IS NULL AND started_at <= ? ORDER BY id`,
    );
    this.#staleOpen = db.prepare(`SELECT * FROM sessions WHERE stopped_at IS NULL AND updated_at < ? ORDER BY id`);
    this.#bind = db.prepare(
      `INSERT INTO ip_bindings (ip, mac, from_at, to_at, source, session_row) VALUES (@ip, @mac, @from, @to, 'accounting', @row)`,
    );
    // A new holder of an address ends the open accounting binding of any other session for it.
    this.#supersede = db.prepare(
      `UPDATE ip_bindings INDEXED BY ip_bindings_open_ip SET to_at = @from
       WHERE ip = @ip AND to_at IS NULL AND source = 'accounting' AND from_at <= @from AND session_row != @row`,
    );
    this.#closeBindings = db.prepare(`UPDATE ip_bindings SET to_at = @at WHERE session_row = @row AND to_at IS NULL`);
    this.#extendBindings = db.prepare(`UPDATE ip_bindings SET to_at = @at WHERE session_row = @row AND to_at = @old`);
    this.#shiftBindings = db.prepare(`UPDATE ip_bindings SET from_at = @at WHERE session_row = @row AND from_at = @old`);
    // Reopen the binding a stale sweep closed, unless another session has held the address since.
    this.#reopenBinding = db.prepare(
      `UPDATE ip_bindings SET to_at = NULL
       WHERE session_row = @row AND to_at = @old
         AND NOT EXISTS (SELECT 1 FROM ip_bindings b WHERE b.ip = ip_bindings.ip AND b.from_at >= @old AND b.id != ip_bindings.id)`,
    );
    this.#countOpen = db.prepare(`SELECT count(*) AS n FROM sessions WHERE stopped_at IS NULL`);
    this.#staleTx = db.transaction((cutoff: number) => {
      const changes: SessionChange[] = [];
      for (const row of this.#staleOpen.all(cutoff)) this.#close(row, row.updated_at, 'stale', changes);
      recordSessionEvents(db, sessionEventsOf(changes)); // audit rows, same transaction (audit/log.ts)
      return changes;
    });
  }

  /** Hear of every start, stop and resume after its transaction commits. Returns an unsubscribe. */
  onChange(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells the listeners (after commit). A failing listener never undoes or blocks the write. */
  notify(changes: readonly SessionChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(changes);
      } catch (e) {
        this.#onListenerError(e);
      }
    }
  }

  /**
   * Applies one accounting record to the sessions. Call inside a transaction (the accounting
   * batch); pushes the starts and stops it caused onto `changes`.
   */
  apply(r: AccountingRecord, changes: SessionChange[]): void {
    const status = r.statusType;
    if (status === AcctStatus.AccountingOn || status === AcctStatus.AccountingOff) {
      // RFC 2866 §5.1: the NAS (re)started or is going down — its earlier sessions are over.
      const reason: StopReason = status === AcctStatus.AccountingOn ? 'accounting-on' : 'accounting-off';
      for (const row of this.#openOfNas.all(r.nasAddress, r.eventAt)) this.#close(row, r.eventAt, reason, changes);
      return;
    }
    if (status !== AcctStatus.Start && status !== AcctStatus.Stop && status !== AcctStatus.InterimUpdate) return;
    if (r.sessionId === null) return; // RFC 2866 §5.5: MUST be present; without it there is no session to follow
    const t = r.eventAt;
    // RFC 2866 §5.7: Acct-Session-Time is how long the session has lasted at this record.
    const impliedStart = status === AcctStatus.Start ? t : t - (r.sessionTime ?? 0) * 1000;
    let row = this.#latest.get(r.nasAddress, r.sessionId);
    if (row !== undefined && row.stopped_at !== null && impliedStart >= row.stopped_at) row = undefined; // id reused
    if (row === undefined) {
      this.#create(r, impliedStart, changes);
    } else if (status === AcctStatus.Start) {
      this.#lateStart(row, r);
    } else if (status === AcctStatus.InterimUpdate) {
      this.#interim(row, r, changes);
    } else {
      this.#stop(row, r, changes);
    }
  }

  #create(r: AccountingRecord, startedAt: number, changes: SessionChange[]): void {
    const t = r.eventAt;
    const isStop = r.statusType === AcctStatus.Stop;
    const net = r.mac === null ? null : this.#networkOf(r.mac, startedAt);
    const row: Omit<SessionRow, 'id'> = {
      nas: r.nas,
      nas_address: r.nasAddress,
      session_id: r.sessionId!,
      mac: r.mac,
      user_name: r.userName,
      nas_port: r.nasPort,
      ap_mac: r.apMac,
      ssid: r.ssid,
      network: net?.network ?? null,
      vlan: net?.vlan ?? null,
      framed_ip: r.framedIp,
      started_at: startedAt,
      updated_at: t,
      stopped_at: isStop ? t : null,
      input_octets: r.inputOctets,
      output_octets: r.outputOctets,
      input_packets: r.inputPackets,
      output_packets: r.outputPackets,
      session_time: r.sessionTime,
      terminate_cause: isStop ? r.terminateCause : null,
      stop_reason: isStop ? 'stop' : null,
    };
    const id = Number(this.#insert.run(row).lastInsertRowid);
    if (r.framedIp !== null) this.#bindIp(id, r.framedIp, r.mac, startedAt, row.stopped_at);
    const session = toSession({ ...row, id });
    changes.push({ kind: 'start', at: startedAt, session });
    if (isStop) changes.push({ kind: 'stop', at: t, session });
  }

  /** A Start for a session we already have: a retransmission, or the Start after a lost-Start Interim. */
  #lateStart(row: SessionRow, r: AccountingRecord): void {
    let changed = fillNulls(row, r);
    if (r.eventAt < row.started_at) {
      this.#shiftBindings.run({ at: r.eventAt, old: row.started_at, row: row.id });
      row.started_at = r.eventAt;
      changed = true;
    }
    if (row.framed_ip === null && r.framedIp !== null) {
      row.framed_ip = r.framedIp;
      this.#bindIp(row.id, r.framedIp, row.mac, row.started_at, row.stopped_at);
      changed = true;
    }
    changed = this.#fillNetwork(row) || changed;
    if (changed) this.#update.run(row);
  }

  #interim(row: SessionRow, r: AccountingRecord, changes: SessionChange[]): void {
    const t = r.eventAt;
    let changed = fillNulls(row, r);
    if (row.stopped_at !== null) {
      if (row.stop_reason === 'stale' && t > row.stopped_at) {
        // Heard of again: the sweep was wrong, the session goes on.
        this.#reopenBinding.run({ old: row.stopped_at, row: row.id });
        row.stopped_at = null;
        row.stop_reason = null;
        row.terminate_cause = null;
        changes.push({ kind: 'resume', at: t, session: toSession(row) });
        changed = true;
      } else {
        // A late Interim for a closed session: only what we did not know.
        if (row.framed_ip === null && r.framedIp !== null) {
          row.framed_ip = r.framedIp;
          this.#bindIp(row.id, r.framedIp, row.mac, row.started_at, row.stopped_at);
          changed = true;
        }
        if (changed) this.#update.run(row);
        return;
      }
    }
    if (t >= row.updated_at) {
      takeCounters(row, r);
      row.updated_at = t;
      if (r.framedIp !== null && r.framedIp !== row.framed_ip) this.#changeIp(row, r.framedIp, t);
      changed = true;
    } else if (row.framed_ip === null && r.framedIp !== null) {
      this.#changeIp(row, r.framedIp, t); // an older record, reordered: still the first address we learn
      changed = true;
    }
    changed = this.#fillNetwork(row) || changed;
    if (changed) this.#update.run(row);
  }

  #stop(row: SessionRow, r: AccountingRecord, changes: SessionChange[]): void {
    const t = Math.max(r.eventAt, row.started_at);
    fillNulls(row, r);
    if (row.stopped_at === null) {
      if (r.framedIp !== null && r.framedIp !== row.framed_ip) this.#changeIp(row, r.framedIp, Math.min(t, row.updated_at));
      takeCounters(row, r);
      row.terminate_cause = r.terminateCause;
      row.updated_at = Math.max(row.updated_at, t);
      this.#fillNetwork(row);
      this.#close(row, t, 'stop', changes);
      return;
    }
    if (row.stop_reason === 'stale') {
      // The real Stop after a stale sweep: it ended later than we assumed.
      if (t > row.stopped_at) this.#extendBindings.run({ at: t, old: row.stopped_at, row: row.id });
      row.stopped_at = Math.max(t, row.stopped_at);
      row.stop_reason = 'stop';
      row.updated_at = Math.max(row.updated_at, t);
    }
    // Closed by a Stop already (a duplicate) or by Accounting-On/Off (which keeps its time):
    // keep the final counters and cause the NAS reports.
    takeCounters(row, r);
    if (r.terminateCause !== null) row.terminate_cause = r.terminateCause;
    if (row.framed_ip === null && r.framedIp !== null) {
      row.framed_ip = r.framedIp;
      this.#bindIp(row.id, r.framedIp, row.mac, row.started_at, row.stopped_at);
    }
    this.#update.run(row);
  }

  /** Closes an open session at `at` (writes the row) and its address bindings. */
  #close(row: SessionRow, at: number, reason: StopReason, changes: SessionChange[]): void {
    row.stopped_at = Math.max(at, row.started_at);
    row.stop_reason = reason;
    this.#update.run(row);
    this.#closeBindings.run({ at: row.stopped_at, row: row.id });
    changes.push({ kind: 'stop', at: row.stopped_at, session: toSession(row) });
  }

  /** The session now reports `ip` (its first address, or a new one from `at`). Caller writes the row. */
  #changeIp(row: SessionRow, ip: string, at: number): void {
    if (row.framed_ip === null) {
      this.#bindIp(row.id, ip, row.mac, row.started_at, row.stopped_at);
    } else {
      const from = Math.max(at, row.started_at);
      this.#closeBindings.run({ at: from, row: row.id });
      this.#bindIp(row.id, ip, row.mac, from, row.stopped_at);
    }
    row.framed_ip = ip;
  }

  #bindIp(row: number, ip: string, mac: string | null, from: number, to: number | null): void {
    if (to === null) this.#supersede.run({ ip, from, row });
    this.#bind.run({ ip, mac, from, to, row });
  }

  #fillNetwork(row: SessionRow): boolean {
    if (row.network !== null || row.vlan !== null || row.mac === null) return false;
    const net = this.#networkOf(row.mac, row.started_at);
    if (net === null) return false;
    row.network = net.network;
    row.vlan = net.vlan;
    return true;
  }

  /**
   * Closes sessions with no record for `staleAfterMs` at their last update ('stale'), in one
   * transaction, and tells the listeners. Returns how many were closed.
   */
  closeStale(now: number, staleAfterMs = DEFAULT_STALE_AFTER_MS): number {
    const changes = this.#staleTx(now - staleAfterMs);
    this.notify(changes);
    return changes.length;
  }

  /**
   * Retention: deletes sessions that ended before `cutoff` (epoch ms) and the address
   * bindings of those sessions, in one transaction. Open sessions are kept whatever their age.
   * Returns the number of sessions deleted. The raw records: SqliteAccountingRepository.purgeBefore.
   */
  purgeBefore(cutoff: number): number {
    const when = requireTime(cutoff, 'cutoff');
    return this.#db.transaction(() => {
      this.#db
        .prepare(
          `DELETE FROM ip_bindings WHERE source = 'accounting'
             AND session_row IN (SELECT id FROM sessions WHERE stopped_at < ?)`,
        )
        .run(when);
      return this.#db.prepare('DELETE FROM sessions WHERE stopped_at < ?').run(when).changes;
    })();
  }

  get(id: number): SessionRecord | undefined {
    const row = this.#byId.get(id);
    return row === undefined ? undefined : toSession(row);
  }

  countOpen(): number {
    return this.#countOpen.get()!.n;
  }

  /** Newest start first. */
  list(filter: SessionFilter = {}): SessionRecord[] {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.open === true) clauses.push('stopped_at IS NULL');
    if (filter.open === false) clauses.push('stopped_at IS NOT NULL');
    if (filter.mac !== undefined) {
      clauses.push('mac = ?');
      params.push(requireMac(filter.mac));
    }
    if (filter.nasAddress !== undefined) {
      clauses.push('nas_address = ?');
      params.push(filter.nasAddress);
    }
    if (filter.ip !== undefined) {
      clauses.push('id IN (SELECT session_row FROM ip_bindings WHERE ip = ?)');
      params.push(filter.ip);
    }
    if (filter.to !== undefined) {
      clauses.push('started_at < ?');
      params.push(requireTime(filter.to, 'to'));
    }
    if (filter.from !== undefined) {
      clauses.push('(stopped_at IS NULL OR stopped_at >= ?)');
      params.push(requireTime(filter.from, 'from'));
    }
    const limit = filter.limit ?? DEFAULT_SESSION_LIMIT;
    const offset = filter.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SESSION_LIMIT) {
      throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `limit must be between 1 and ${MAX_SESSION_LIMIT}`, { where: 'limit' });
    }
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new LanyardError('LANYARD_ERR_FIELD_INVALID', 'offset must be a whole number ≥ 0', { where: 'offset' });
    }
    params.push(limit, offset);
    const where = clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`;
    const sql = `SELECT * FROM sessions${where} ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?`;
    let stmt = this.#filtered.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare<unknown[], SessionRow>(sql);
      this.#filtered.set(sql, stmt);
    }
    return stmt.all(...params).map(toSession);
  }
}

function requireTime(value: number, where: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must be epoch milliseconds`, { where });
  }
  return value;
}
