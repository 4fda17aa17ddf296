/**
 * Wires config → store → cache → listeners. start() returns a running daemon with the ports
 * it bound; stop() flushes every queued record and closes everything; reload() swaps the
 * config in one assignment, so no packet is dropped or sees half of each.
 */
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import type Database from 'better-sqlite3';
import type { AdminServer } from './admin/server.js';
import { recordAdminAction } from './audit/log.js';
import { LanyardError, isStoreBusy } from './errors.js';
import { SqlitePeopleRepository } from './store/people.js';
import { SqliteTokenRepository } from './store/tokens.js';
import { BatchWriter, type BatchWriterOptions, type RecordWriter } from './audit/writer.js';
import { DecisionWriter, LOOP_BUSY_TIMEOUT_MS, decisionWriterFor } from './audit/decision-writer.js';
import { readChains } from './audit/chain.js';
import { alertEntry, appendAuditEntries, type AuditEntry } from './audit/log.js';
import { schedulePurge } from './audit/retention.js';
import { DeviceCache } from './cache/decision-cache.js';
import type { DhcpService } from './dhcp/service.js';
import type { LanyardConfig } from './config/types.js';
import type { Logger } from './log.js';
import { LatencyHistogram } from './metrics/histogram.js';
import { newDropCounters } from './radius/drops.js';
import { LoadGuard } from './radius/load.js';
import { DuplicateCache } from './radius/duplicates.js';
import type { RadiusCounters, RadiusRuntime, RadiusState } from './radius/exchange.js';
import type { AccountingRecord } from './radius/handlers/accounting-request.js';
import { RadiusListener } from './radius/listener.js';
import { NasRegistry } from './radius/nas-registry.js';
import { ReplyTemplates } from './radius/replies.js';
import { SqliteAccountingRepository } from './store/accounting.js';
import { DEFAULT_STALE_AFTER_MS, SqliteSessionRepository } from './store/sessions.js';
import { dataVersion, openDatabase } from './store/db.js';
import { Checkpointer } from './store/checkpointer.js';
import { SqliteDeviceRepository } from './store/devices.js';
import { SqliteEventRepository } from './store/events.js';
import type { DecisionEvent } from './store/types.js';
import { WebFilterFeed } from './feed/forwarder.js';
import { parseMac } from './policy/mac.js';


/**
 * Records committed per transaction when a batch is written in the background. better-sqlite3
 * commits on the event loop, so a datagram arriving meanwhile waits for the whole slice: 1,000
 * decisions took about 12 ms, 64 take under a millisecond, and the loop reads the socket between
 * slices. One commit per 64 rows cost no CPU per row that runs of 50–1,000-row batches could
 * tell apart (docs/benchmarks.md, "Latency an access point sees").
 */
const WRITE_SLICE = 64;

export function buildRadiusState(config: LanyardConfig): RadiusState {
  const clients = config.radius.clients;
  const templates = new ReplyTemplates(
    config.policy,
    clients.map((c) => c.vendor),
  );
  return Object.freeze({
    config,
    policy: config.policy,
    registry: new NasRegistry(clients),
    acceptBodies: Object.freeze(clients.map((c) => templates.forVendor(c.vendor))),
  });
}

/** The feeds as comparable data (secrets as hex: compared, never shown). */
function feedShape(config: LanyardConfig): unknown {
  return config.feeds.map((f) => ({ ...f, secret: f.secret.toString('hex') }));
}

export interface DaemonOptions {
  /** Injectable wall clock (epoch ms) for tests. */
  readonly now?: () => number;
}

/**
 * Milliseconds each start-up step took, in order (the "started" log line carries them, so an
 * operator sees where a slow start went): store = database opened and migrated, cache = every
 * device loaded, radius = the RADIUS (and DHCP, feed) sockets bound, api = the admin API built
 * and listening (0 when it is off).
 */
export interface StartupPhases {
  readonly store: number;
  readonly cache: number;
  readonly radius: number;
  readonly api: number;
}

/**
 * A stopwatch of laps: each call answers the whole milliseconds since the previous call (the
 * first, since `from`, by default the moment it was made).
 */
export function lapTimer(clock: () => number = () => performance.now(), from = clock()): () => number {
  let last = from;
  return () => {
    const t = clock();
    const ms = t - last;
    last = t;
    return Math.round(ms);
  };
}

export interface Daemon {
  /** How long each start-up step took. */
  readonly startup: StartupPhases;
  readonly authPort: number;
  readonly acctPort: number;
  /** The admin API's TCP port, or null when api.enabled is false. */
  readonly apiPort: number | null;
  /** The DHCP UDP port, or null when dhcp.mode is off. */
  readonly dhcpPort: number | null;
  /** The DHCP service (leases, counters), or null when dhcp.mode is off. */
  readonly dhcp: DhcpService | null;
  readonly runtime: RadiusRuntime;
  readonly db: Database.Database;
  readonly devices: SqliteDeviceRepository;
  /** Accounting sessions; `sessions.onChange(...)` hears of every start and stop after commit. */
  readonly sessions: SqliteSessionRepository;
  /** The web-filter feed (docs/web-filter-feed.md), or null when no `feeds` are configured. */
  readonly feed: WebFilterFeed | null;
  /** Applies a new config (SIGHUP). Ports and database changes need a restart and are reported. */
  reload(config: LanyardConfig): string[];
  /** Pulls store changes into the cache now (after an in-process write). */
  syncCache(): number;
  stop(): Promise<void>;
}

export async function startDaemon(config: LanyardConfig, log: Logger, options: DaemonOptions = {}): Promise<Daemon> {
  const lap = lapTimer();
  const db = openDatabase(config.store.database);
  const devices = new SqliteDeviceRepository(db);
  const events = new SqliteEventRepository(db);
  const sessions = new SqliteSessionRepository(db, {
    onListenerError: (err) => log.error({ err }, 'a session listener failed'),
  });
  const accountingStore = new SqliteAccountingRepository(db, sessions);
  const now = options.now ?? Date.now;

  // The store being locked by another writer is expected and passes; anything else is an error.
  let busySince = 0;
  const storeError = (err: unknown, records: number, what: string): void => {
    if (!isStoreBusy(err)) {
      log.error({ err, records }, `could not store ${what}`);
      return;
    }
    const t = Date.now();
    if (t - busySince > 10_000) log.warn({ records }, `database write lock held by another process; ${what}`);
    else log.debug({ records }, `database busy; ${what}`);
    busySince = t;
  };

  const storeMs = lap();
  const cache = new DeviceCache();
  cache.loadFrom(devices);
  const cacheMs = lap();

  const decisionBatches: BatchWriterOptions<DecisionEvent> = {
    flushIntervalMs: config.events.flushIntervalMs,
    batchSize: config.events.batchSize,
    sliceSize: WRITE_SLICE,
    maxQueued: config.events.batchSize * 100,
    write: (batch) => events.insertDecisions(batch),
    onError: (err, n) => storeError(err, n, 'decision events: will retry'),
  };
  // With events.decisionWriter 'thread' ('auto' on two cores or more), decisions are appended
  // on the audit thread (audit/decision-writer.ts), off the event loop every datagram waits for;
  // on the event loop otherwise, for an in-memory store, or if the thread dies. Accounting stays
  // on the loop: its responses wait for its commit.
  const decisionThread =
    decisionWriterFor(config.events.decisionWriter, os.availableParallelism()) === 'thread'
      ? DecisionWriter.start(db, {
          flushIntervalMs: config.events.flushIntervalMs,
          slice: WRITE_SLICE,
          maxQueued: decisionBatches.maxQueued,
          fallback: decisionBatches,
          log,
        })
      : null;
  const decisions: RecordWriter<DecisionEvent> & { close(): void | Promise<void> } =
    decisionThread ?? new BatchWriter<DecisionEvent>(decisionBatches);
  /** The event loop's batched writes wait for the audit thread's batch, not fail against it. */
  const exclusive = <R>(write: () => R): R => (decisionThread === null ? write() : decisionThread.exclusive(write));
  const accounting = new BatchWriter<AccountingRecord>({
    flushIntervalMs: config.events.flushIntervalMs,
    batchSize: config.events.batchSize,
    sliceSize: WRITE_SLICE,
    maxQueued: config.events.batchSize * 100,
    write: (batch) => {
      const result = exclusive(() => accountingStore.insertBatch(batch));
      feed?.accountingRecords(batch); // committed: addresses from Interim-Updates release held starts
      return result;
    },
    onError: (err, n) => storeError(err, n, 'accounting records: no response, the NAS will retransmit'),
  });

  // Other audit rows the daemon writes itself (R-4 alerts), batched like decisions.
  const auditRows = new BatchWriter<AuditEntry>({
    flushIntervalMs: config.events.flushIntervalMs,
    batchSize: config.events.batchSize,
    maxQueued: config.events.batchSize * 100,
    write: (batch) => void exclusive(() => appendAuditEntries(db, batch)),
    onError: (err, n) => storeError(err, n, 'audit rows: will retry'),
  });

  const counters: RadiusCounters = {
    received: 0,
    accepts: 0,
    rejects: 0,
    rejectReasons: {},
    accountingResponses: 0,
    statusServer: 0,
    duplicatesResent: 0,
    drops: newDropCounters(),
  };
  const runtime: RadiusRuntime = {
    state: buildRadiusState(config),
    cache,
    duplicates: new DuplicateCache(config.radius.duplicateWindowMs),
    decisions,
    accounting,
    latency: new LatencyHistogram(),
    counters,
    now,
    // Shed new requests at half the queue bound (beyond it records are dropped) or after a
    // second without a turn of the event loop (src/radius/load.ts).
    load: new LoadGuard({ maxQueued: config.events.batchSize * 50, maxLagMs: 1000 }).start(),
    onAlert: (event) => {
      log.warn(
        { alert: 'lost-device', mac: event.mac, nas: event.nas, apMac: event.apMac, ssid: event.ssid, at: new Date(event.at).toISOString() },
        `ALERT: device ${event.mac ?? '?'} reported lost tried to connect via access point ${event.apMac ?? 'unknown'} (SSID ${event.ssid ?? 'none'}, NAS ${event.nas})`,
      );
      auditRows.push(alertEntry(event)); // the audit log's 'alert' row
    },
    onInternalError: (err, ex) => log.error({ err, nas: ex.nas?.name, code: ex.buf[0], id: ex.buf[1] }, 'handler failed'),
  };

  // Start-up (migrations, legacy imports, the cache snapshot) may wait for the lock; from here on
  // the daemon does not wait for another process's write lock on its event loop: RADIUS replies
  // would wait with it (a CLI import can hold the lock for seconds). A write that finds the lock
  // taken fails with SQLITE_BUSY: decision events and audit rows stay queued and go with the
  // next batch, an Accounting-Request gets no response (the NAS retransmits), the API answers 503.
  // With the audit thread it waits at most LOOP_BUSY_TIMEOUT_MS: the thread takes the lock for
  // about a millisecond at a time, and an API write must not fail against its own daemon.
  db.pragma(`busy_timeout = ${decisionThread === null ? 0 : LOOP_BUSY_TIMEOUT_MS}`);

  // The web-filter feed hears of session starts and stops after their commit, on its own
  // sockets and queues: nothing on the RADIUS path waits for it.
  let feed: WebFilterFeed | null = null;
  if (config.feeds.length > 0) {
    try {
      feed = await WebFilterFeed.start({
        feeds: config.feeds,
        log,
        policy: () => runtime.state.policy,
        device: (mac) => cache.get(parseMac(mac)) ?? null,
        now,
      });
    } catch (e) {
      db.close();
      throw e;
    }
    const f = feed;
    sessions.onChange((changes) => f.onSessionChanges(changes));
  }

  const radiusLog = log.child({ component: 'radius' });
  const auth = new RadiusListener('auth', () => runtime, radiusLog);
  const acct = new RadiusListener('acct', () => runtime, radiusLog);
  let authPort: number;
  let acctPort: number;
  let dhcp: DhcpService | null = null;
  try {
    authPort = await auth.bind(config.radius.bind, config.radius.authPort);
    acctPort = await acct.bind(config.radius.bind, config.radius.acctPort);
    // DHCP (docs/dhcp.md): refusals and fingerprint alerts go to the audit log like RADIUS alerts.
    // Its modules are loaded only when it is on (it is off by default): about 30 ms less at start.
    dhcp = config.dhcp.mode === 'off' ? null : await (await import('./dhcp/service.js')).startDhcpService(config, {
      db,
      devices: cache,
      sessions,
      audit: (entry) => void auditRows.push(entry),
      now,
      log,
      storeError,
      onLeaseBound: (lease) => feed?.addressKnown(lease.mac, lease.ip, lease.at),
    });
  } catch (e) {
    await auth.close();
    await acct.close();
    await feed?.close();
    await decisions.close();
    accounting.close();
    auditRows.close();
    db.close();
    throw e;
  }
  const radiusMs = lap();

  // Follow writes made by other processes (the CLI): PRAGMA data_version changes when another
  // connection commits, and the change feed says what changed.
  let lastVersion = dataVersion(db);
  const syncCache = (): number => cache.catchUp(devices);
  let catchingUp = false;
  const poll = setInterval(() => {
    if (catchingUp) return;
    try {
      const version = dataVersion(db);
      if (version === lastVersion) return;
      lastVersion = version;
    } catch (err) {
      log.error({ err }, 'could not read the database version; the cache keeps its current content');
      return;
    }
    // In chunks: an import of thousands of devices must not hold up the packets meanwhile.
    catchingUp = true;
    cache
      .catchUpInChunks(devices)
      .then(
        (applied) => {
          if (applied > 0) log.debug({ applied, seq: cache.appliedSeq }, 'device changes applied to the cache');
        },
        (err: unknown) => log.error({ err }, 'could not read device changes; the cache keeps its current content'),
      )
      .finally(() => {
        catchingUp = false;
      });
  }, config.store.pollIntervalMs);

  // Sessions whose Stop was lost (and with no Interim since) end at their last update.
  const staleSweep = setInterval(() => {
    try {
      const closed = sessions.closeStale(now(), DEFAULT_STALE_AFTER_MS);
      if (closed > 0) log.info({ closed }, 'closed stale accounting sessions');
    } catch (err) {
      log.error({ err }, 'could not close stale sessions');
    }
  }, 5 * 60_000);
  staleSweep.unref();

  // The admin API (docs/api.md) on its own TCP port; it applies every device write to the cache
  // at once (syncCache), and records people/token writes in the audit log.
  /** Closes everything started so far, flushing every queued record (stop, or a failed start). */
  // WAL checkpoints on a worker thread (store/checkpointer.ts), started once everything else is up.
  let checkpointer: Checkpointer | null = null;
  const closeAll = async (): Promise<void> => {
    clearInterval(poll);
    clearInterval(staleSweep);
    runtime.load?.stop();
    await api?.close();
    await auth.close();
    await acct.close();
    await dhcp?.close();
    // Flushing settles every waiting accounting request (their responses are unsendable now;
    // the NAS retransmits to the next instance). The audit thread drains and ends before the
    // checkpointer's last pass and before the connection closes.
    await decisions.close();
    accounting.close();
    auditRows.close();
    // After the last accounting batch. The queues live in memory: what is still waiting is lost.
    const lost = (await feed?.close()) ?? 0;
    if (lost > 0) log.warn({ code: 'LANYARD_ERR_FEED_UNANSWERED', lost }, 'web-filter feed requests still queued at shutdown were not sent');
    await checkpointer?.stop();
    db.close();
  };

  let api: AdminServer | null = null;
  let apiPort: number | null = null;
  if (config.api.enabled) {
    const audit = (action: Parameters<typeof recordAdminAction>[1]): void => void recordAdminAction(db, action);
    try {
      // Loaded here, after the RADIUS sockets are up, not with the daemon's other modules:
      // fastify, its plugins and prom-client are about a quarter of the modules' load time,
      // RADIUS needs none of them, and with api.enabled false they are never loaded at all.
      const { buildAdminServer } = await import('./admin/server.js');
      api = await buildAdminServer({
        api: config.api,
        classes: () => new Set(runtime.state.policy.classes.keys()),
        db,
        devices,
        tokens: new SqliteTokenRepository(db, { audit }),
        people: new SqlitePeopleRepository(db, devices, { audit }),
        sessions,
        runtime: () => runtime,
        feeds: () => feed?.stats() ?? [],
        radiusPorts: () => ({ authPort, acctPort }),
        dhcpCounters: () => dhcp?.counters ?? null,
        syncCache: () => void syncCache(),
        syncCacheInChunks: async () => void (await cache.catchUpInChunks(devices)),
        log,
        now,
      });
      await api.listen({ host: config.api.bind, port: config.api.port });
      apiPort = (api.server.address() as AddressInfo).port;
    } catch (e) {
      await closeAll();
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        throw new LanyardError('LANYARD_ERR_LISTEN', `admin API cannot listen on ${config.api.bind}:${config.api.port}: ${code}`, {
          where: 'api.port',
          cause: e,
        });
      }
      throw e;
    }
  }

  const apiMs = config.api.enabled ? lap() : 0;

  // The audit log's daily retention purge (docs/audit-log.md), at audit.purgeAt local time.
  // The log line carries the purge row's hash: a copy of the chain head outside the database.
  let auditSettings = config.audit;
  const purge = schedulePurge({
    db,
    settings: () => auditSettings,
    now,
    onDone: (r) =>
      log.info(
        {
          purged: r.total,
          kinds: Object.fromEntries(Object.entries(r.kinds).map(([k, v]) => [k, v.rows])),
          purgeRow: r.purgeRowId,
          purgeRowHash: readChains(db).get('purge')?.headHash.toString('hex'),
          walTruncated: r.walTruncated,
        },
        'audit log purge done',
      ),
    onError: (err) => log.error({ err }, 'audit log purge failed; the next one will carry on'),
  });

  let stopped = false;
  checkpointer = Checkpointer.start(db, log);

  return {
    startup: { store: storeMs, cache: cacheMs, radius: radiusMs, api: apiMs },
    authPort,
    acctPort,
    apiPort,
    dhcpPort: dhcp?.port ?? null,
    dhcp,
    runtime,
    db,
    devices,
    sessions,
    feed,
    syncCache,
    reload(next: LanyardConfig): string[] {
      const notes: string[] = [];
      if (next.radius.bind !== config.radius.bind || next.radius.authPort !== config.radius.authPort || next.radius.acctPort !== config.radius.acctPort) {
        notes.push('radius.bind/authPort/acctPort changed: takes effect at the next restart');
      }
      if (next.store.database !== config.store.database) notes.push('store.database changed: takes effect at the next restart');
      if (next.store.pollIntervalMs !== config.store.pollIntervalMs) notes.push('store.pollIntervalMs changed: takes effect at the next restart');
      if (next.radius.duplicateWindowMs !== config.radius.duplicateWindowMs) notes.push('radius.duplicateWindowMs changed: takes effect at the next restart');
      if (
        next.events.flushIntervalMs !== config.events.flushIntervalMs ||
        next.events.batchSize !== config.events.batchSize ||
        next.events.decisionWriter !== config.events.decisionWriter
      ) {
        notes.push('events.flushIntervalMs/batchSize/decisionWriter changed: take effect at the next restart');
      }
      if (JSON.stringify(feedShape(next)) !== JSON.stringify(feedShape(config))) notes.push('feeds changed: take effect at the next restart');
      if (dhcp !== null) notes.push(...dhcp.reload(next));
      else if (next.dhcp.mode !== 'off') notes.push('dhcp.mode changed: takes effect at the next restart');
      runtime.state = buildRadiusState(next); // one assignment: a packet sees the old or the new state
      const purgeAtChanged = next.audit.purgeAt !== auditSettings.purgeAt;
      auditSettings = next.audit; // retention days apply to the next purge
      if (purgeAtChanged) purge.reschedule();
      return notes;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearInterval(poll);
      clearInterval(staleSweep);
      await purge.stop(); // a purge in progress stops at its next step
      await closeAll();
    },
  };
}
