/**
 * The questions the senior leadership team asks after the fact (POLICY.md R-10; docs/slt-guide.md):
 *
 *  - whoHad(db, ip, at)              whose device held IP address X at time T?
 *  - deviceActivity(db, {mac|person}) everything a device or a person's devices did between two times
 *  - onNetwork(db, {network|ssid|apMac}) which devices were on a network / access point between two times
 *  - rejections(db, {from, to})     refused attempts (unknown, lost, blocked devices …) in a period
 *  - exportActivity / writeExport   the activity as CSV or JSON lines, streamed
 *
 * Every answer gives the device's owner and class AS THEY WERE at the time asked about (the
 * device history), not as they are now. Times are epoch ms; periods are [from, to).
 *
 * Seams:
 *  - Addresses come from `ip_bindings` (accounting sessions now; DHCP leases add rows with
 *    source 'dhcp' in issue 4 and whoHad needs no change).
 *  - Access decisions come from a DecisionSource (default: the decision_events table), so the
 *    audit log can take over storing them by passing (or becoming the default) another source.
 *  - Device history comes from a DeviceHistorySource (default: the SQLite device registry).
 *
 * The functions are synchronous over better-sqlite3 and read with indexes only (see the
 * migration "4 (accounting)"). The streaming exports read on their own read-only connection,
 * because an open iterator would block every write on the connection it runs on.
 */
import type { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import ipaddr from 'ipaddr.js';
import { LanyardError } from '../errors.js';
import { AcctTerminateCause } from '../protocols/radius/constants.js';
import { REJECT_MESSAGES, type DeviceStatus, type RejectReason } from '../policy/model.js';
import { requireMac, SqliteDeviceRepository } from '../store/devices.js';
import { decisionFromRow, type DecisionEventRow } from '../store/decision-row.js';
import type { StopReason } from '../store/sessions.js';
import type { DecisionEvent, DeviceHistoryRow, DeviceRecord } from '../store/types.js';

/** Sessions longer than this are found through the partial index `sessions_long` (migration 4). */
export const LONG_SESSION_MS = 604_800_000;
/** Largest page of deviceActivity / rejections. */
export const MAX_PAGE = 10_000;
export const DEFAULT_PAGE = 100;

// ---------------------------------------------------------------------------------------------
// Sources

/** A stored access decision with its position in its store (for ordering and paging). */
export interface DecisionRow extends DecisionEvent {
  readonly id: number;
}

export interface DecisionQuery {
  /** Inclusive, epoch ms. */
  readonly from: number;
  /** Exclusive, epoch ms. */
  readonly to: number;
  /** Only these MACs (AA-BB-CC-DD-EE-FF); undefined = every device. */
  readonly macs?: readonly string[];
  readonly result?: DecisionEvent['result'];
  readonly reasons?: readonly string[];
}

/** Where access decisions are read from. */
export interface DecisionSource {
  /** Decisions with from ≤ at < to, oldest first (ties by id), one at a time. */
  iterate(query: DecisionQuery): IterableIterator<DecisionRow>;
}

/** The device registry's history, as the queries need it. */
export interface DeviceHistorySource {
  /** The record as it stood at `at`, or undefined if it was not registered then. */
  asOf(mac: string, at: number): DeviceRecord | undefined;
  /** Every change to the device, oldest first. */
  history(mac: string): DeviceHistoryRow[];
  /** Every MAC whose owner was ever one of `owners` (compared trimmed, ignoring ASCII case). */
  macsEverOwnedBy(owners: readonly string[]): string[];
  /** Optional: every change to every device in one read (for queries over everyone). */
  all?(): Iterable<DeviceHistoryRow>;
}

export interface QueryOptions {
  readonly decisions?: DecisionSource;
  readonly devices?: DeviceHistorySource;
}

function toDecision(r: DecisionEventRow & { id: number }): DecisionRow {
  return { id: r.id, ...decisionFromRow(r) };
}

/** Decisions from the `decision_events` view (indexes: (kind, at, mac), refused (result, at)). */
export function tableDecisionSource(db: Database.Database): DecisionSource {
  return {
    *iterate(q: DecisionQuery): IterableIterator<DecisionRow> {
      const clauses = ['d.at >= ?', 'd.at < ?'];
      const params: unknown[] = [q.from, q.to];
      // Chosen MACs: the period's range of the (kind, at, mac) index, the MAC tested inside the
      // index, so only the chosen devices' rows are read from the table (migration 7: decisions
      // have no index keyed by MAC first, which would cost every RADIUS decision a random page).
      if (q.macs !== undefined) {
        clauses.push('d.mac IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify(q.macs));
      }
      if (q.result !== undefined) {
        clauses.push('d.result = ?');
        params.push(q.result);
        // Names the partial index's own condition, so the planner may use it (SQLite uses a
        // partial index only when the query's WHERE contains the index's WHERE terms).
        if (q.result !== 'accept') clauses.push("d.result <> 'accept'");
      }
      if (q.reasons !== undefined) {
        clauses.push('d.reason IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify(q.reasons));
      }
      // Prepared per call, not cached: a statement can run only one iteration at a time, and two
      // exports may interleave on one connection.
      const stmt = db.prepare<unknown[], DecisionEventRow & { id: number }>(`SELECT d.* FROM decision_events AS d WHERE ${clauses.join(' AND ')} ORDER BY d.at, d.id`);
      for (const row of stmt.iterate(...params)) yield toDecision(row);
    },
  };
}

/** The device history from the SQLite registry on `db`. */
export function sqliteDeviceHistory(db: Database.Database): DeviceHistorySource {
  const repo = new SqliteDeviceRepository(db);
  // Owners are stored trimmed (devices.ts); the index device_history_owner is NOCASE.
  const owned = db.prepare<[string], { mac: string }>(
    `SELECT DISTINCT mac FROM device_history WHERE owner COLLATE NOCASE IN (SELECT trim(value) FROM json_each(?))`,
  );
  return {
    asOf: (mac, at) => repo.asOf(mac, at),
    history: (mac) => repo.history(mac),
    macsEverOwnedBy: (owners) => owned.all(JSON.stringify(owners)).map((r) => r.mac),
    all: () => repo.changesSince(0),
  };
}

interface Context {
  readonly decisions: DecisionSource;
  readonly devices: DeviceHistorySource;
  readonly statements: Map<string, Database.Statement<unknown[], unknown>>;
}

const contexts = new WeakMap<Database.Database, Context>();

function context(db: Database.Database, opts: QueryOptions = {}): Context {
  let ctx = contexts.get(db);
  if (ctx === undefined) {
    ctx = { decisions: tableDecisionSource(db), devices: sqliteDeviceHistory(db), statements: new Map() };
    contexts.set(db, ctx);
  }
  if (opts.decisions === undefined && opts.devices === undefined) return ctx;
  return { ...ctx, decisions: opts.decisions ?? ctx.decisions, devices: opts.devices ?? ctx.devices };
}

function statement<R>(ctx: Context, db: Database.Database, sql: string): Database.Statement<unknown[], R> {
  let stmt = ctx.statements.get(sql);
  if (stmt === undefined) {
    stmt = db.prepare(sql);
    ctx.statements.set(sql, stmt);
  }
  return stmt as Database.Statement<unknown[], R>;
}

/**
 * Owner and class of a MAC at a time, from its history, cached per MAC for one query (the
 * same rule as SqliteDeviceRepository.asOf: the last change at or before the time).
 */
class AsOfResolver {
  readonly #cache = new Map<string, DeviceHistoryRow[]>();
  constructor(private readonly devices: DeviceHistorySource) {}

  /** For a query over every device: the whole registry history in one read (its size, not the events'). */
  preloadAll(): this {
    const all = this.devices.all?.();
    if (all === undefined) return this;
    for (const row of all) {
      let rows = this.#cache.get(row.mac);
      if (rows === undefined) this.#cache.set(row.mac, (rows = []));
      rows.push(row);
    }
    return this;
  }

  at(mac: string | null, at: number): DeviceRecord | undefined {
    if (mac === null) return undefined;
    let rows = this.#cache.get(mac);
    if (rows === undefined) {
      if (this.#cache.size >= 50_000) this.#cache.clear(); // bound memory (unregistered MACs add entries too)
      rows = this.devices.history(mac);
      this.#cache.set(mac, rows);
    }
    let found: DeviceHistoryRow | undefined;
    for (const row of rows) if (row.at <= at) found = row;
    return found === undefined || found.op === 'delete' ? undefined : found.record;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

function requireTime(value: number, where: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${where} must be a time (epoch milliseconds)`, { where });
  }
  return value;
}

function requirePeriod(from: number, to: number): void {
  requireTime(from, 'from');
  requireTime(to, 'to');
  if (to <= from) throw new LanyardError('LANYARD_ERR_FIELD_INVALID', '"to" must be after "from"', { where: 'to' });
}

function requireLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_PAGE;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PAGE) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `limit must be between 1 and ${MAX_PAGE}`, { where: 'limit' });
  }
  return n;
}

/** An IPv4 address in dotted-decimal form (never octal: "010.0.0.1" is refused). */
export function requireIp(text: string, where = 'ip'): string {
  const t = typeof text === 'string' ? text.trim() : '';
  if (ipaddr.IPv4.isValidFourPartDecimal(t)) return ipaddr.IPv4.parse(t).toString();
  if (ipaddr.IPv6.isValid(t)) {
    const v6 = ipaddr.IPv6.parse(t);
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    return v6.toNormalizedString();
  }
  throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `"${String(text)}" is not an IP address`, { where });
}

function ownersOf(person: string | readonly string[]): string[] {
  const list = (typeof person === 'string' ? [person] : [...person]).map((p) => p.trim()).filter((p) => p !== '');
  if (list.length === 0) throw new LanyardError('LANYARD_ERR_FIELD_INVALID', 'person must not be empty', { where: 'person' });
  return list;
}

// ---------------------------------------------------------------------------------------------
// Labels an SLT member can read

/** Acct-Terminate-Cause (RFC 2866 §5.10; 19–22 RFC 3580 §3.32) in words. */
const TERMINATE_CAUSES: Readonly<Record<number, string>> = {
  [AcctTerminateCause.UserRequest]: 'Disconnected by the device (user request)',
  [AcctTerminateCause.LostCarrier]: 'Lost carrier',
  [AcctTerminateCause.LostService]: 'Lost service',
  [AcctTerminateCause.IdleTimeout]: 'Idle timeout',
  [AcctTerminateCause.SessionTimeout]: 'Session time limit reached',
  [AcctTerminateCause.AdminReset]: 'Disconnected by an administrator',
  [AcctTerminateCause.AdminReboot]: 'Access point rebooted by an administrator',
  [AcctTerminateCause.PortError]: 'Port error',
  [AcctTerminateCause.NasError]: 'Access point error',
  [AcctTerminateCause.NasRequest]: 'Ended by the access point',
  [AcctTerminateCause.NasReboot]: 'Access point rebooted',
  [AcctTerminateCause.PortUnneeded]: 'Port unneeded',
  [AcctTerminateCause.PortPreempted]: 'Port preempted',
  [AcctTerminateCause.PortSuspended]: 'Port suspended',
  [AcctTerminateCause.ServiceUnavailable]: 'Service unavailable',
  [AcctTerminateCause.Callback]: 'Callback',
  [AcctTerminateCause.UserError]: 'User error',
  [AcctTerminateCause.HostRequest]: 'Ended by the host',
  19: 'Supplicant restart',
  20: 'Re-authentication failed',
  21: 'Port reinitialised',
  22: 'Port administratively disabled',
};

const STOP_TEXT: Readonly<Record<StopReason, string>> = {
  stop: 'Disconnected',
  'accounting-on': 'Access point restarted (all its sessions ended)',
  'accounting-off': 'Access point shut down (all its sessions ended)',
  stale: 'No news from the access point for a long time (session presumed ended at its last update)',
};

export function terminateCauseText(cause: number | null): string | null {
  if (cause === null) return null;
  return TERMINATE_CAUSES[cause] ?? `Terminate cause ${cause}`;
}

function decisionReasonText(result: DecisionEvent['result'], reason: string): string | null {
  if (reason === 'ok') return null;
  if (reason === 'admitted-unknown') return 'Unregistered device admitted as a visitor';
  const message = (REJECT_MESSAGES as Readonly<Record<string, string>>)[reason as RejectReason];
  return message ?? (result === 'drop' ? `Dropped: ${reason}` : reason);
}

// ---------------------------------------------------------------------------------------------
// Who had IP address X at time T?

export interface IpHolder {
  readonly ip: string;
  /** The time asked about. */
  readonly at: number;
  readonly mac: string | null;
  /** Owner, class, label and status of the device AT `at` (null: not registered then). */
  readonly owner: string | null;
  readonly className: string | null;
  readonly label: string | null;
  readonly deviceStatus: DeviceStatus | null;
  readonly registered: boolean;
  readonly network: string | null;
  readonly vlan: number | null;
  readonly nas: string | null;
  readonly nasAddress: string | null;
  readonly apMac: string | null;
  readonly ssid: string | null;
  readonly userName: string | null;
  /** Acct-Session-Id, and the session's row id (GET /api/v1/sessions/{id}). */
  readonly sessionId: string | null;
  readonly sessionRow: number | null;
  readonly startedAt: number | null;
  readonly stoppedAt: number | null;
  /** Last accounting record of the session: how recent the evidence is. */
  readonly lastUpdateAt: number | null;
  /** When the address was held, as recorded (from ≤ at < until). */
  readonly heldFrom: number;
  readonly heldUntil: number | null;
  /** 'accounting' (Framed-IP-Address of a session) or 'dhcp' (a lease, issue 4). */
  readonly source: string;
}

interface SessionPart {
  id: number | null;
  nas: string | null;
  nas_address: string | null;
  session_id: string | null;
  mac: string | null;
  user_name: string | null;
  ap_mac: string | null;
  ssid: string | null;
  network: string | null;
  vlan: number | null;
  started_at: number | null;
  updated_at: number | null;
  stopped_at: number | null;
}

interface HolderRow extends SessionPart {
  ip: string;
  b_mac: string | null;
  from_at: number;
  to_at: number | null;
  source: string;
  session_row: number | null;
}

const HOLDERS_SQL = `
  SELECT b.ip, b.mac AS b_mac, b.from_at, b.to_at, b.source, b.session_row,
         s.id, s.nas, s.nas_address, s.session_id, s.mac, s.user_name, s.ap_mac, s.ssid, s.network, s.vlan,
         s.started_at, s.updated_at, s.stopped_at
  FROM ip_bindings b LEFT JOIN sessions s ON s.id = b.session_row
  WHERE b.ip = ? AND b.from_at <= ? AND (b.to_at IS NULL OR b.to_at > ?)
  ORDER BY b.from_at DESC, b.id DESC
  LIMIT 20`;

/** A binding without a session (a DHCP lease): the session the MAC had at that time, if any. */
const SESSION_OF_MAC_SQL = `
  SELECT id, nas, nas_address, session_id, mac, user_name, ap_mac, ssid, network, vlan, started_at, updated_at, stopped_at
  FROM sessions WHERE mac = ? AND started_at <= ? AND (stopped_at IS NULL OR stopped_at > ?)
  ORDER BY started_at DESC LIMIT 1`;

/**
 * The device(s) holding `ip` at `at`: started at or before `at` and not yet stopped (a session
 * stopped exactly at `at` no longer holds it). Most recent first; more than one means the
 * records overlap (a lost Stop, or a lease and a session), and the first is the likeliest.
 */
export function whoHad(db: Database.Database, ip: string, at: number, opts: QueryOptions = {}): IpHolder[] {
  const address = requireIp(ip);
  const when = requireTime(at, 'at');
  const ctx = context(db, opts);
  const rows = statement<HolderRow>(ctx, db, HOLDERS_SQL).all(address, when, when);
  return rows.map((r) => {
    const mac = r.mac ?? r.b_mac;
    const s: SessionPart = (r.id === null && mac !== null ? statement<SessionPart>(ctx, db, SESSION_OF_MAC_SQL).get(mac, when, when) : undefined) ?? r;
    const device = mac === null ? undefined : ctx.devices.asOf(mac, when);
    return {
      ip: address,
      at: when,
      mac,
      owner: device?.owner ?? null,
      className: device?.className ?? null,
      label: device?.label ?? null,
      deviceStatus: device?.status ?? null,
      registered: device !== undefined,
      network: s.network,
      vlan: s.vlan,
      nas: s.nas,
      nasAddress: s.nas_address,
      apMac: s.ap_mac,
      ssid: s.ssid,
      userName: s.user_name,
      sessionId: s.session_id,
      sessionRow: s.id,
      startedAt: s.started_at,
      stoppedAt: s.stopped_at,
      lastUpdateAt: s.updated_at,
      heldFrom: r.from_at,
      heldUntil: r.to_at,
      source: r.source,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Activity: sessions and decisions of a device, a person's devices, or everyone

export type ActivityKind = 'decision' | 'session';

export interface ActivityQuery {
  readonly from: number;
  readonly to: number;
  /** One device (any MAC format). */
  readonly mac?: string;
  /** A person: every device they owned, while they owned it (owner text, any case; several forms allowed, e.g. name and email). */
  readonly person?: string | readonly string[];
  /** Only decisions or only sessions (default both). */
  readonly kind?: ActivityKind;
}

export interface ActivityEvent {
  readonly at: number;
  readonly kind: 'decision' | 'session-start' | 'session-stop';
  /** What happened, in words: "Access granted", "Access refused", "Connected", "Disconnected". */
  readonly event: string;
  /** Decisions: 'accept' | 'reject' | 'drop'. */
  readonly result: DecisionEvent['result'] | null;
  /** Machine reason: reject reason, 'ok', terminate cause number as text, or the stop reason. */
  readonly reason: string | null;
  /** The reason in words (empty for a plain accept or connect). */
  readonly reasonText: string | null;
  readonly mac: string | null;
  readonly owner: string | null;
  readonly className: string | null;
  readonly ip: string | null;
  readonly apMac: string | null;
  readonly ssid: string | null;
  readonly network: string | null;
  readonly vlan: number | null;
  readonly nas: string;
  readonly nasAddress: string;
  readonly userName: string | null;
  readonly sessionId: string | null;
  readonly sessionRow: number | null;
  readonly startedAt: number | null;
  readonly stoppedAt: number | null;
  readonly inputOctets: number | null;
  readonly outputOctets: number | null;
  readonly sessionTime: number | null;
  /** Opaque position: pass as `after` to get the events that follow. */
  readonly cursor: string;
}

export interface ActivityPage {
  readonly events: ActivityEvent[];
  /** Cursor for the next page, or null when this page reached the end. */
  readonly next: string | null;
}

interface SessionEventRow {
  id: number;
  nas: string;
  nas_address: string;
  session_id: string;
  mac: string | null;
  user_name: string | null;
  ap_mac: string | null;
  ssid: string | null;
  network: string | null;
  vlan: number | null;
  framed_ip: string | null;
  started_at: number;
  stopped_at: number | null;
  input_octets: number | null;
  output_octets: number | null;
  session_time: number | null;
  terminate_cause: number | null;
  stop_reason: StopReason | null;
  t: number;
  rank: 1 | 2;
}

const SESSION_EVENT_COLUMNS =
  'id, nas, nas_address, session_id, mac, user_name, ap_mac, ssid, network, vlan, framed_ip, started_at, stopped_at, ' +
  'input_octets, output_octets, session_time, terminate_cause, stop_reason';

/**
 * Session starts (of every session overlapping the period, so a session already in progress at
 * `from` is listed with its real, earlier start) and stops within the period, in time order.
 * For chosen MACs the index (mac, started_at) finds them; for everyone the scan on started_at
 * is bounded by LONG_SESSION_MS and the few longer sessions come from the partial index.
 */
function sessionEventsSql(byMac: boolean): string {
  const f = byMac ? ' AND mac IN (SELECT value FROM json_each(@macs))' : '';
  const overlap = '(stopped_at IS NULL OR stopped_at >= @from)';
  // A device's sessions are few: (mac, started_at) finds them all.
  const starts = byMac
    ? `SELECT ${SESSION_EVENT_COLUMNS}, started_at AS t, 1 AS rank FROM sessions
       WHERE started_at < @to AND ${overlap}${f}`
    : `SELECT ${SESSION_EVENT_COLUMNS}, started_at AS t, 1 AS rank FROM sessions
       WHERE started_at >= @lo AND started_at < @to AND ${overlap}
       UNION ALL
       SELECT ${SESSION_EVENT_COLUMNS}, started_at AS t, 1 AS rank FROM sessions INDEXED BY sessions_long
       WHERE (stopped_at IS NULL OR stopped_at - started_at > ${LONG_SESSION_MS}) AND started_at < @lo AND ${overlap}`;
  return `${starts}
    UNION ALL
    SELECT ${SESSION_EVENT_COLUMNS}, stopped_at AS t, 2 AS rank FROM sessions
    WHERE stopped_at >= @from AND stopped_at < @to${f}
    ORDER BY t, rank, id`;
}

interface Cursor {
  readonly at: number;
  readonly rank: number;
  readonly id: number;
}

function encodeCursor(at: number, rank: number, id: number): string {
  return `${at}.${rank}.${id}`;
}

function decodeCursor(text: string): Cursor {
  const m = /^(-?\d+)\.([0-2])\.(\d+)$/.exec(text);
  if (m === null) throw new LanyardError('LANYARD_ERR_FIELD_INVALID', 'after is not a cursor from a previous page', { where: 'after' });
  return { at: Number(m[1]), rank: Number(m[2]), id: Number(m[3]) };
}

function compareKey(a: Cursor, b: Cursor): number {
  return a.at - b.at || a.rank - b.rank || a.id - b.id;
}

function sessionEvent(r: SessionEventRow, resolver: AsOfResolver): ActivityEvent {
  const device = resolver.at(r.mac, r.t);
  const stop = r.rank === 2;
  const reason = stop ? (r.stop_reason === 'stop' ? (r.terminate_cause === null ? 'stop' : String(r.terminate_cause)) : r.stop_reason) : null;
  const reasonText = stop
    ? r.stop_reason === 'stop' || r.stop_reason === null
      ? terminateCauseText(r.terminate_cause)
      : STOP_TEXT[r.stop_reason]
    : null;
  return {
    at: r.t,
    kind: stop ? 'session-stop' : 'session-start',
    event: stop ? 'Disconnected' : 'Connected',
    result: null,
    reason,
    reasonText,
    mac: r.mac,
    owner: device?.owner ?? null,
    className: device?.className ?? null,
    ip: r.framed_ip,
    apMac: r.ap_mac,
    ssid: r.ssid,
    network: r.network,
    vlan: r.vlan,
    nas: r.nas,
    nasAddress: r.nas_address,
    userName: r.user_name,
    sessionId: r.session_id,
    sessionRow: r.id,
    startedAt: r.started_at,
    stoppedAt: r.stopped_at,
    inputOctets: stop ? r.input_octets : null,
    outputOctets: stop ? r.output_octets : null,
    sessionTime: stop ? r.session_time : null,
    cursor: encodeCursor(r.t, r.rank, r.id),
  };
}

const DECISION_WORDS: Readonly<Record<DecisionEvent['result'], string>> = {
  accept: 'Access granted',
  reject: 'Access refused',
  drop: 'Request dropped',
};

function decisionEvent(d: DecisionRow, resolver: AsOfResolver): ActivityEvent {
  const device = resolver.at(d.mac, d.at);
  return {
    at: d.at,
    kind: 'decision',
    event: DECISION_WORDS[d.result],
    result: d.result,
    reason: d.reason,
    reasonText: decisionReasonText(d.result, d.reason),
    mac: d.mac,
    owner: device?.owner ?? null,
    // The class the decision was taken with, which is the class at that time.
    className: d.className ?? device?.className ?? null,
    ip: null,
    apMac: d.apMac,
    ssid: d.ssid,
    network: d.network,
    vlan: d.vlan,
    nas: d.nas,
    nasAddress: d.nasAddress,
    userName: d.userName,
    sessionId: null,
    sessionRow: null,
    startedAt: null,
    stoppedAt: null,
    inputOctets: null,
    outputOctets: null,
    sessionTime: null,
    cursor: encodeCursor(d.at, 0, d.id),
  };
}

function sameOwner(owner: string | null, owners: ReadonlySet<string>): boolean {
  return owner !== null && owners.has(owner.trim().toLowerCase());
}

/**
 * Every event of the query, oldest first, one at a time (nothing is collected in memory).
 * Decision events sort before session events at the same millisecond. Close the generator
 * (return()) when stopping early; for-of does so.
 */
export function* iterateActivity(
  db: Database.Database,
  q: ActivityQuery,
  opts: QueryOptions & { readonly after?: string } = {},
): Generator<ActivityEvent, void, undefined> {
  requirePeriod(q.from, q.to);
  const ctx = context(db, opts);
  const cursor = opts.after === undefined ? null : decodeCursor(opts.after);
  const from = cursor === null ? q.from : Math.max(q.from, cursor.at);

  let macs: string[] | undefined;
  let owners: ReadonlySet<string> | null = null;
  if (q.mac !== undefined) macs = [requireMac(q.mac)];
  if (q.person !== undefined) {
    const list = ownersOf(q.person);
    owners = new Set(list.map((p) => p.toLowerCase()));
    const ever = ctx.devices.macsEverOwnedBy(list);
    macs = macs === undefined ? ever : macs.filter((m) => ever.includes(m));
  }
  if (macs !== undefined && macs.length === 0) return;

  const resolver = new AsOfResolver(ctx.devices);
  if (macs === undefined) resolver.preloadAll();
  const sessions: Iterator<SessionEventRow> | null =
    q.kind === 'decision'
      ? null
      : db
          .prepare<[Record<string, unknown>], SessionEventRow>(sessionEventsSql(macs !== undefined)) // not cached: see tableDecisionSource
          .iterate({ from, to: q.to, lo: from - LONG_SESSION_MS, ...(macs === undefined ? {} : { macs: JSON.stringify(macs) }) })
          [Symbol.iterator]();
  const decisions: Iterator<DecisionRow> | null =
    q.kind === 'session' ? null : ctx.decisions.iterate({ from, to: q.to, ...(macs === undefined ? {} : { macs }) });
  try {
    let s = sessions?.next();
    let d = decisions?.next();
    for (;;) {
      const sv = s !== undefined && s.done !== true ? s.value : undefined;
      const dv = d !== undefined && d.done !== true ? d.value : undefined;
      if (sv === undefined && dv === undefined) return;
      let event: ActivityEvent;
      let key: Cursor;
      if (dv !== undefined && (sv === undefined || dv.at <= sv.t)) {
        key = { at: dv.at, rank: 0, id: dv.id };
        d = decisions!.next();
        if (cursor !== null && compareKey(key, cursor) <= 0) continue;
        event = decisionEvent(dv, resolver);
      } else {
        key = { at: sv!.t, rank: sv!.rank, id: sv!.id };
        s = sessions!.next();
        if (cursor !== null && compareKey(key, cursor) <= 0) continue;
        event = sessionEvent(sv!, resolver);
      }
      if (owners !== null && !sameOwner(event.owner, owners)) continue;
      yield event;
    }
  } finally {
    sessions?.return?.();
    decisions?.return?.();
  }
}

/** One page of iterateActivity (for the API and `lanyard audit events`). */
export function deviceActivity(
  db: Database.Database,
  q: ActivityQuery & { readonly limit?: number; readonly after?: string },
  opts: QueryOptions = {},
): ActivityPage {
  const limit = requireLimit(q.limit);
  const events: ActivityEvent[] = [];
  let more = false;
  for (const e of iterateActivity(db, q, { ...opts, ...(q.after === undefined ? {} : { after: q.after }) })) {
    if (events.length === limit) {
      more = true;
      break;
    }
    events.push(e);
  }
  return { events, next: more ? events[events.length - 1]!.cursor : null };
}

// ---------------------------------------------------------------------------------------------
// Which devices were on network N / access point A between two times?

export interface NetworkQuery {
  readonly from: number;
  readonly to: number;
  /** Network name (as configured), SSID, and/or access point MAC: at least one. */
  readonly network?: string;
  readonly ssid?: string;
  readonly apMac?: string;
}

export interface NetworkPresence {
  readonly mac: string | null;
  /** Owner and class when the device was first seen in the period. */
  readonly owner: string | null;
  readonly className: string | null;
  /** First and last moment on it within the period. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Still connected at the end of the period. */
  readonly connectedAtEnd: boolean;
  readonly sessions: number;
  readonly ips: string[];
  readonly apMacs: string[];
  readonly ssids: string[];
  readonly networks: string[];
}

interface PresenceRow {
  mac: string | null;
  first_start: number;
  last_stop: number;
  open: number;
  sessions: number;
  ips: string | null;
  aps: string | null;
  ssids: string | null;
  networks: string | null;
}

function list(text: string | null): string[] {
  return text === null ? [] : text.split(',');
}

/** Devices with a session on the network / SSID / AP overlapping [from, to), first seen first. */
export function onNetwork(db: Database.Database, q: NetworkQuery, opts: QueryOptions = {}): NetworkPresence[] {
  requirePeriod(q.from, q.to);
  const clauses: string[] = [];
  const params: Record<string, unknown> = { from: q.from, to: q.to, lo: q.from - LONG_SESSION_MS };
  if (q.network !== undefined) {
    clauses.push('network = @network');
    params['network'] = q.network;
  }
  if (q.ssid !== undefined) {
    clauses.push('ssid = @ssid');
    params['ssid'] = q.ssid;
  }
  if (q.apMac !== undefined) {
    clauses.push('ap_mac = @ap');
    params['ap'] = requireMac(q.apMac, 'apMac');
  }
  if (clauses.length === 0) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', 'give a network, an SSID or an access point', { where: 'network' });
  }
  const f = clauses.join(' AND ');
  const overlap = 'started_at < @to AND (stopped_at IS NULL OR stopped_at >= @from)';
  const sql = `
    SELECT mac, min(started_at) AS first_start, max(coalesce(stopped_at, 8640000000000000)) AS last_stop,
      max(stopped_at IS NULL) AS open, count(*) AS sessions,
      group_concat(DISTINCT framed_ip) AS ips, group_concat(DISTINCT ap_mac) AS aps,
      group_concat(DISTINCT ssid) AS ssids, group_concat(DISTINCT network) AS networks
    FROM (
      SELECT mac, started_at, stopped_at, framed_ip, ap_mac, ssid, network FROM sessions
      WHERE ${f} AND started_at >= @lo AND ${overlap}
      UNION ALL
      SELECT mac, started_at, stopped_at, framed_ip, ap_mac, ssid, network FROM sessions INDEXED BY sessions_long
      WHERE (stopped_at IS NULL OR stopped_at - started_at > ${LONG_SESSION_MS}) AND started_at < @lo AND ${f} AND ${overlap}
    )
    GROUP BY mac ORDER BY first_start, mac`;
  const ctx = context(db, opts);
  const resolver = new AsOfResolver(ctx.devices);
  return statement<PresenceRow>(ctx, db, sql)
    .all(params)
    .map((r) => {
      const firstSeen = Math.max(q.from, r.first_start);
      const device = resolver.at(r.mac, firstSeen);
      return {
        mac: r.mac,
        owner: device?.owner ?? null,
        className: device?.className ?? null,
        firstSeen,
        lastSeen: Math.min(q.to, r.last_stop),
        connectedAtEnd: r.open === 1 || r.last_stop >= q.to,
        sessions: r.sessions,
        ips: list(r.ips),
        apMacs: list(r.aps),
        ssids: list(r.ssids),
        networks: list(r.networks),
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Rejected attempts in a period

export interface RejectionQuery {
  readonly from: number;
  readonly to: number;
  /** Only these reasons (REJECT_REASONS, e.g. 'unknown-device', 'device-lost'). */
  readonly reason?: string | readonly string[];
  readonly mac?: string;
  readonly limit?: number;
  readonly after?: string;
}

export interface Rejection {
  readonly at: number;
  readonly mac: string | null;
  readonly owner: string | null;
  readonly className: string | null;
  readonly reason: string;
  readonly reasonText: string | null;
  readonly apMac: string | null;
  readonly ssid: string | null;
  readonly nas: string;
  readonly nasAddress: string;
  readonly userName: string | null;
  readonly method: DecisionEvent['method'];
  readonly cursor: string;
}

export interface RejectionPage {
  readonly rejections: Rejection[];
  readonly next: string | null;
}

/** Access-Rejects in [from, to), oldest first, a page at a time. */
export function rejections(db: Database.Database, q: RejectionQuery, opts: QueryOptions = {}): RejectionPage {
  requirePeriod(q.from, q.to);
  const limit = requireLimit(q.limit);
  const ctx = context(db, opts);
  const cursor = q.after === undefined ? null : decodeCursor(q.after);
  const reasons = q.reason === undefined ? undefined : typeof q.reason === 'string' ? [q.reason] : [...q.reason];
  const resolver = new AsOfResolver(ctx.devices);
  const out: Rejection[] = [];
  let more = false;
  const from = cursor === null ? q.from : Math.max(q.from, cursor.at);
  const it = ctx.decisions.iterate({
    from,
    to: q.to,
    result: 'reject',
    ...(reasons === undefined ? {} : { reasons }),
    ...(q.mac === undefined ? {} : { macs: [requireMac(q.mac)] }),
  });
  try {
    for (const d of it) {
      if (cursor !== null && compareKey({ at: d.at, rank: 0, id: d.id }, cursor) <= 0) continue;
      if (out.length === limit) {
        more = true;
        break;
      }
      const device = resolver.at(d.mac, d.at);
      out.push({
        at: d.at,
        mac: d.mac,
        owner: device?.owner ?? null,
        className: d.className ?? device?.className ?? null,
        reason: d.reason,
        reasonText: decisionReasonText(d.result, d.reason),
        apMac: d.apMac,
        ssid: d.ssid,
        nas: d.nas,
        nasAddress: d.nasAddress,
        userName: d.userName,
        method: d.method,
        cursor: encodeCursor(d.at, 0, d.id),
      });
    }
  } finally {
    it.return?.();
  }
  return { rejections: out, next: more ? out[out.length - 1]!.cursor : null };
}

// ---------------------------------------------------------------------------------------------
// Exports

export type ExportFormat = 'csv' | 'json';

/** The CSV header row: words an SLT member can read. */
export const EXPORT_COLUMNS = [
  'Time (UTC)',
  'Device MAC',
  'Owner',
  'Class',
  'IP address',
  'Access point',
  'Network',
  'Event',
  'Reason',
] as const;

/** "2025-03-04 09:15:02" (UTC): sorts as text and opens as a date in a spreadsheet. */
export function csvTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * One CSV field (RFC 4180): quoted when needed; a leading = + - @ or tab is prefixed with ' so
 * a spreadsheet shows it as text instead of running it as a formula (User-Name comes from the
 * network and is not trusted).
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function accessPoint(e: ActivityEvent): string {
  return e.apMac === null ? e.nas : `${e.apMac} (${e.nas})`;
}

function networkText(e: ActivityEvent): string | null {
  if (e.network !== null) return e.ssid !== null && e.ssid !== e.network ? `${e.network} (SSID ${e.ssid})` : e.network;
  return e.ssid;
}

export function csvRow(e: ActivityEvent): string {
  return [
    csvTime(e.at),
    e.mac,
    e.owner,
    e.className,
    e.ip,
    accessPoint(e),
    networkText(e),
    e.event,
    e.reasonText ?? (e.result === 'reject' ? e.reason : null),
  ]
    .map(csvField)
    .join(',');
}

/** One JSON line: the event with the time also in ISO 8601. */
export function jsonRow(e: ActivityEvent): string {
  return JSON.stringify({ time: new Date(e.at).toISOString(), ...e });
}

const CHUNK = 64 * 1024;

/**
 * Opens a read-only connection to the same file for a long read, so an open iterator never
 * blocks the writer's connection ("connection is busy"). In-memory and read-only connections
 * are used as they are.
 */
function readerFor(db: Database.Database): { db: Database.Database; close: () => void } {
  if (db.readonly || db.memory) return { db, close: () => {} };
  const reader = new Database(db.name, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  return { db: reader, close: () => reader.close() };
}

/**
 * The activity as CSV (header + one row per event, CRLF per RFC 4180) or JSON lines, in chunks
 * of about 64 KiB, oldest first. Nothing but the current chunk is held in memory: stream it with
 * `Readable.from(exportActivity(...))` or writeExport(). Custom sources in `opts` are used as
 * given (they read on their own connection).
 */
export function* exportActivity(
  db: Database.Database,
  q: ActivityQuery,
  format: ExportFormat,
  opts: QueryOptions = {},
): Generator<string, void, undefined> {
  if (format !== 'csv' && format !== 'json') {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `format must be csv or json, not "${String(format)}"`, { where: 'format' });
  }
  requirePeriod(q.from, q.to);
  const reader = readerFor(db);
  try {
    const eol = format === 'csv' ? '\r\n' : '\n';
    let chunk = format === 'csv' ? EXPORT_COLUMNS.map(csvField).join(',') + eol : '';
    for (const e of iterateActivity(reader.db, q, opts)) {
      chunk += (format === 'csv' ? csvRow(e) : jsonRow(e)) + eol;
      if (chunk.length >= CHUNK) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk !== '') yield chunk;
  } finally {
    reader.close();
  }
}

/**
 * Writes the export to `out`, waiting for 'drain' whenever it is full (backpressure). Resolves
 * with the number of bytes written; does not end `out`.
 */
export async function writeExport(
  db: Database.Database,
  q: ActivityQuery,
  format: ExportFormat,
  out: Writable,
  opts: QueryOptions = {},
): Promise<number> {
  let bytes = 0;
  for (const chunk of exportActivity(db, q, format, opts)) {
    if (out.destroyed) throw new Error('export destination closed');
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await drained(out);
  }
  return bytes;
}

/** Resolves on 'drain'; rejects if the stream errors or closes first. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(e);
    const onClose = (): void => done(new Error('export destination closed'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}
