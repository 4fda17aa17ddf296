/**
 * Retention of the audit log (POLICY.md R-14: logs hold personal data and are kept only as long
 * as configured). Each kind is kept `audit.retentionDays.<key>` days; a purge removes, per kind,
 * the oldest rows of that kind's chain — a prefix, so the chain stays verifiable — and keeps only
 * the id and hash of the last row removed (the anchor in audit_chain). docs/audit-log.md.
 *
 * A purge runs in three phases, none holding the write lock for long (the daemon runs it on its
 * event loop, yielding between chunks):
 *  1. plan (reads only): per kind, walk the rows after the anchor in id order while they are
 *     older than the cutoff; the last of them becomes the new anchor;
 *  2. record (one short transaction): append a 'purge' row whose detail holds the plan — per
 *     kind the old and new anchor (id, hash) and the row count — and every chain's head: the
 *     checkpoint verifyChain checks anchors against;
 *  3. delete (chunks of `chunk` rows, each its own transaction): remove the planned rows and
 *     advance the anchor. secure_delete is on (log.ts sets it on every connection that writes
 *     the log), so their bytes are overwritten, not just unlinked — including stale copies that
 *     B-tree page splits left behind; then checkpoint and truncate the WAL so no copy stays in
 *     the -wal file.
 * A crash between chunks leaves a consistent log; the next purge carries on from the anchor.
 */
import type Database from 'better-sqlite3';
import { AUDIT_KINDS, readChains, type AuditKind, type PurgeCheckpoint, type PurgePlanEntry } from './chain.js';
import { appendAuditEntries } from './log.js';

/** The retention settings' keys (config audit.retentionDays): session-start and -stop share 'session'. */
export const RETENTION_KEYS = ['decision', 'session', 'admin', 'alert', 'purge'] as const;
export type RetentionKey = (typeof RETENTION_KEYS)[number];
export type RetentionDays = Readonly<Record<RetentionKey, number>>;

export const DAY_MS = 86_400_000;

export function retentionKeyOf(kind: AuditKind): RetentionKey {
  return kind === 'session-start' || kind === 'session-stop' ? 'session' : kind;
}

export interface PurgeOptions {
  /** Epoch ms: rows older than now − retention are removed. */
  readonly now: number;
  readonly retentionDays: RetentionDays;
  /** Recorded as the purge row's actor and source: 'lanyard'/'daemon' for the timer, `cli:<login>`/'cli'. */
  readonly actor?: string;
  readonly source?: string;
  /** Plan and report only; change nothing. */
  readonly dryRun?: boolean;
  /** Rows read or deleted per step (per transaction). */
  readonly chunk?: number;
}

export interface KindReport {
  readonly retentionDays: number;
  /** Rows with `at` before this (epoch ms) are due. */
  readonly cutoff: number;
  /** Rows removed (planned, for a dry run). */
  readonly rows: number;
  /** The kind's rows with fromId < id <= toId are removed. */
  readonly fromId: number;
  readonly toId: number;
  /**
   * Set when the oldest remaining row is due by its own time but is kept because an earlier row
   * of its kind is not due yet — its clock was ahead ("at" in the future). Rows are removed in
   * order only, so a row written with a clock far ahead holds back those after it.
   */
  readonly heldBackBy?: { readonly id: number; readonly at: number };
}

export interface PurgeReport {
  readonly at: number;
  readonly dryRun: boolean;
  /** The 'purge' row that records this purge (null for a dry run). */
  readonly purgeRowId: number | null;
  readonly kinds: Readonly<Record<AuditKind, KindReport>>;
  readonly total: number;
  /** The WAL was checkpointed and truncated, so no removed row survives in the -wal file. */
  readonly walTruncated: boolean;
  /**
   * Connection records outside the chained log, kept as long as session events
   * (retentionDays.session, R-14): ended sessions, their address bindings, raw accounting records.
   */
  readonly operational: OperationalReport;
}

export interface OperationalReport {
  readonly cutoff: number;
  readonly sessions: number;
  readonly ipBindings: number;
  readonly accountingRecords: number;
}

/** Counts (dry run) or deletes connection records older than the session retention. Open sessions stay. */
function purgeOperational(db: Database.Database, cutoff: number, dryRun: boolean): OperationalReport {
  const endedSessions = 'SELECT id FROM sessions WHERE stopped_at IS NOT NULL AND stopped_at < @cutoff';
  const bindings = `FROM ip_bindings WHERE to_at IS NOT NULL AND to_at < @cutoff`;
  const records = 'FROM accounting_records WHERE at < @cutoff';
  if (dryRun) {
    const count = (sql: string): number => (db.prepare(`SELECT count(*) AS n ${sql}`).get({ cutoff }) as { n: number }).n;
    return { cutoff, sessions: count(`FROM (${endedSessions})`), ipBindings: count(bindings), accountingRecords: count(records) };
  }
  return db.transaction((): OperationalReport => {
    const ipBindings = db.prepare(`DELETE ${bindings}`).run({ cutoff }).changes;
    const sessions = db.prepare(`DELETE FROM sessions WHERE id IN (${endedSessions})`).run({ cutoff }).changes;
    const accountingRecords = db.prepare(`DELETE ${records}`).run({ cutoff }).changes;
    return { cutoff, sessions, ipBindings, accountingRecords };
  }).immediate();
}

const PLAN_CHUNK = 5_000;
const DELETE_CHUNK = 2_000;

interface Planned extends KindReport {
  readonly fromHash: Buffer;
  readonly toHash: Buffer;
}

/** Rows of `kind` after `afterId`, in id order. Decisions (most rows) walk the table; others the partial index. */
function nextRows(db: Database.Database, kind: AuditKind): Database.Statement<[number, number, number], { id: number; at: number; hash: Buffer }> {
  return kind === 'decision'
    ? db.prepare(`SELECT id, at, hash FROM audit_log WHERE id > ? AND id <= ? AND +kind = 'decision' ORDER BY id LIMIT ?`)
    : db.prepare(
        `SELECT id, at, hash FROM audit_log INDEXED BY audit_log_kind_id
         WHERE kind = '${kind}' AND kind <> 'decision' AND id > ? AND id <= ? ORDER BY id LIMIT ?`,
      );
}

/**
 * The purge as steps: each `yield` is a point where the caller may let other work run (the
 * daemon's event loop). Returns the report.
 */
export function* purgeSteps(db: Database.Database, options: PurgeOptions): Generator<void, PurgeReport, void> {
  const chunk = options.chunk ?? PLAN_CHUNK;
  const deleteChunk = options.chunk ?? DELETE_CHUNK;
  const now = options.now;

  // 1. Plan (reads only). Retried if another purge moved an anchor meanwhile.
  let plan: Map<AuditKind, Planned> | null = null;
  let purgeRowId: number | null = null;
  for (let attempt = 0; attempt < 3 && purgeRowId === null; attempt++) {
    const chains = readChains(db);
    plan = new Map();
    for (const kind of AUDIT_KINDS) {
      const chain = chains.get(kind);
      const days = options.retentionDays[retentionKeyOf(kind)];
      const cutoff = now - days * DAY_MS;
      const fromId = chain?.anchorId ?? 0;
      const fromHash = chain?.anchorHash ?? Buffer.alloc(32);
      let toId = fromId;
      let toHash = fromHash;
      let rows = 0;
      let heldBackBy: { id: number; at: number } | undefined;
      const stmt = nextRows(db, kind);
      const limit = chain?.headId ?? 0;
      for (let done = false; !done; ) {
        const batch = stmt.all(toId, limit, chunk);
        for (const r of batch) {
          if (r.at >= cutoff) {
            if (r.at > now) heldBackBy = { id: r.id, at: r.at };
            done = true;
            break;
          }
          toId = r.id;
          toHash = r.hash;
          rows++;
        }
        if (batch.length < chunk) done = true;
        yield;
      }
      plan.set(kind, { retentionDays: days, cutoff, rows, fromId, toId, fromHash, toHash, ...(heldBackBy ? { heldBackBy } : {}) });
    }
    if (options.dryRun) break;

    // 2. Record the plan and the checkpoint, unless the anchors moved since planning.
    purgeRowId = db
      .transaction((): number | null => {
        const current = readChains(db);
        for (const [kind, p] of plan!) {
          if ((current.get(kind)?.anchorId ?? 0) !== p.fromId) return null;
        }
        const detail: PurgeCheckpoint & { retentionDays: RetentionDays; cutoffs: Record<string, string> } = {
          retentionDays: options.retentionDays,
          cutoffs: Object.fromEntries([...plan!].map(([k, p]) => [k, new Date(p.cutoff).toISOString()])),
          plan: Object.fromEntries(
            [...plan!].map(([k, p]): [string, PurgePlanEntry] => [
              k,
              { fromId: p.fromId, fromHash: p.fromHash.toString('hex'), toId: p.toId, toHash: p.toHash.toString('hex'), rows: p.rows },
            ]),
          ),
          heads: Object.fromEntries([...current].map(([k, c]) => [k, { id: c.headId, hash: c.headHash.toString('hex') }])),
        };
        const total = [...plan!.values()].reduce((n, p) => n + p.rows, 0);
        return appendAuditEntries(db, [
          {
            at: now,
            kind: 'purge',
            actor: options.actor ?? 'lanyard',
            source: options.source ?? 'daemon',
            action: 'purge',
            reason: 'retention',
            result: `${total} rows`,
            detail,
          },
        ]).lastId;
      })
      .immediate();
  }
  if (plan === null) throw new Error('unreachable: no purge plan');
  const kinds = Object.fromEntries([...plan].map(([k, p]) => [k, report(p)])) as Record<AuditKind, KindReport>;
  const total = [...plan.values()].reduce((n, p) => n + p.rows, 0);
  const operationalCutoff = now - options.retentionDays.session * DAY_MS;
  if (options.dryRun) {
    return { at: now, dryRun: true, purgeRowId: null, kinds, total, walTruncated: false, operational: purgeOperational(db, operationalCutoff, true) };
  }
  if (purgeRowId === null) throw new Error('another purge kept moving the anchors; try again');

  // 3. Delete, in chunks, overwriting the removed rows' bytes (R-14). secure_delete is on for
  // every connection that writes the log (log.ts); set here too for a connection that has not.
  db.pragma('secure_delete = ON');
  const remove = db.prepare<[number]>('DELETE FROM audit_log WHERE id = ?');
  const advance = db.prepare<[number, Buffer, number, string]>(
    'UPDATE audit_chain SET anchor_id = ?, anchor_hash = ?, purged = purged + ? WHERE kind = ?',
  );
  for (const [kind, p] of plan) {
    if (p.rows === 0) continue;
    const stmt = nextRows(db, kind);
    const step = db.transaction((): boolean => {
      const anchor = readChains(db).get(kind)?.anchorId ?? 0;
      if (anchor >= p.toId) return false;
      const batch = stmt.all(anchor, p.toId, deleteChunk);
      if (batch.length === 0) return false;
      for (const r of batch) remove.run(r.id);
      const last = batch[batch.length - 1]!;
      advance.run(last.id, last.hash, batch.length, kind);
      return last.id < p.toId;
    });
    while (step.immediate()) yield;
    yield;
  }
  const operational = purgeOperational(db, operationalCutoff, false);
  yield;
  return { at: now, dryRun: false, purgeRowId, kinds, total, walTruncated: truncateWal(db), operational };
}

function report(p: Planned): KindReport {
  const { fromHash: _f, toHash: _t, ...rest } = p;
  return rest;
}

/**
 * Checkpoints the WAL into the database file and truncates it, so the overwritten pages are the
 * only copy left. Waits at most a second for readers; false if it could not finish (the next
 * purge, or SQLite's own checkpoints, will).
 */
function truncateWal(db: Database.Database): boolean {
  if (db.memory) return true;
  const busy = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 1000');
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    return r !== undefined && r.busy === 0;
  } catch {
    return false;
  } finally {
    db.pragma(`busy_timeout = ${busy}`);
  }
}

/** Runs a purge to the end, synchronously (the CLI). */
export function purgeExpired(db: Database.Database, options: PurgeOptions): PurgeReport {
  const steps = purgeSteps(db, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs a purge letting the event loop turn between steps (the daemon). When `signal` aborts, it
 * stops at the next step (the log stays consistent; the next purge carries on) and rejects.
 */
export async function purgeExpiredAsync(db: Database.Database, options: PurgeOptions, signal?: AbortSignal): Promise<PurgeReport> {
  const steps = purgeSteps(db, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) {
      steps.return(undefined as never); // between chunks: every committed step left the log consistent
      throw new Error('purge stopped: the daemon is stopping');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The daily timer

/** The next time (epoch ms) after `now` that the local clock reads `hhmm` ("03:00"). */
export function nextPurgeTime(hhmm: string, now: number): number {
  const m = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(hhmm);
  if (m === null) throw new RangeError(`"${hhmm}" is not a time of day HH:MM`);
  const d = new Date(now);
  d.setHours(Number(m[1]), Number(m[2]), 0, 0);
  if (d.getTime() <= now) d.setDate(d.getDate() + 1); // setDate keeps the local time across DST
  return d.getTime();
}

export interface PurgeSchedule {
  /** When the next purge runs (epoch ms). */
  readonly nextAt: () => number;
  /** The purge in progress, if any (stop() awaits it). */
  readonly running: () => Promise<PurgeReport> | null;
  /** Re-reads purgeAt and re-arms the timer (after a reload); a running purge re-arms when it ends. */
  reschedule(): void;
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  readonly db: Database.Database;
  /** Read at every run, so a reloaded configuration applies to the next purge. */
  readonly settings: () => { readonly retentionDays: RetentionDays; readonly purgeAt: string };
  readonly now: () => number;
  readonly onDone: (report: PurgeReport) => void;
  readonly onError: (error: unknown) => void;
}

/** Runs the purge every day at `purgeAt` (local time). The timer is unref'd: it never keeps the process up. */
export function schedulePurge(opts: ScheduleOptions): PurgeSchedule {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let current: Promise<PurgeReport> | null = null;
  const abort = new AbortController();
  let next = 0;
  const arm = (): void => {
    if (stopped) return;
    next = nextPurgeTime(opts.settings().purgeAt, opts.now());
    // setTimeout's limit is 2^31-1 ms; a day is far below it.
    timer = setTimeout(fire, Math.max(0, next - opts.now()));
    timer.unref();
  };
  const fire = (): void => {
    timer = null;
    if (stopped) return;
    const s = opts.settings();
    current = purgeExpiredAsync(
      opts.db,
      { now: opts.now(), retentionDays: s.retentionDays, actor: 'lanyard', source: 'daemon' },
      abort.signal,
    );
    current
      .then(opts.onDone, (err: unknown) => {
        if (!stopped) opts.onError(err);
      })
      .finally(() => {
        current = null;
        arm();
      });
  };
  arm();
  return {
    nextAt: () => next,
    running: () => current,
    reschedule(): void {
      if (stopped || current !== null) return;
      if (timer !== null) clearTimeout(timer);
      arm();
    },
    async stop(): Promise<void> {
      stopped = true;
      abort.abort();
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (current !== null) await current.catch(() => undefined);
    },
  };
}
