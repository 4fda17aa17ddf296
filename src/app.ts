/**
 * Wires config → store → cache → listeners. start() returns a running daemon with the ports
 * it bound; stop() flushes every queued record and closes everything; reload() swaps the
 * config in one assignment, so no packet is dropped or sees half of each.
 */
import type Database from 'better-sqlite3';
import { BatchWriter } from './audit/writer.js';
import { DeviceCache } from './cache/decision-cache.js';
import type { LanyardConfig } from './config/types.js';
import type { Logger } from './log.js';
import { LatencyHistogram } from './metrics/histogram.js';
import { newDropCounters } from './radius/drops.js';
import { DuplicateCache } from './radius/duplicates.js';
import type { RadiusCounters, RadiusRuntime, RadiusState } from './radius/exchange.js';
import type { AccountingRecord } from './radius/handlers/accounting-request.js';
import { RadiusListener } from './radius/listener.js';
import { NasRegistry } from './radius/nas-registry.js';
import { ReplyTemplates } from './radius/replies.js';
import { SqliteAccountingRepository } from './store/accounting.js';
import { dataVersion, openDatabase } from './store/db.js';
import { SqliteDeviceRepository } from './store/devices.js';
import { SqliteEventRepository } from './store/events.js';
import type { DecisionEvent } from './store/types.js';

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

export interface DaemonOptions {
  /** Injectable wall clock (epoch ms) for tests. */
  readonly now?: () => number;
}

export interface Daemon {
  readonly authPort: number;
  readonly acctPort: number;
  readonly runtime: RadiusRuntime;
  readonly db: Database.Database;
  readonly devices: SqliteDeviceRepository;
  /** Applies a new config (SIGHUP). Ports and database changes need a restart and are reported. */
  reload(config: LanyardConfig): string[];
  /** Pulls store changes into the cache now (after an in-process write). */
  syncCache(): number;
  stop(): Promise<void>;
}

export async function startDaemon(config: LanyardConfig, log: Logger, options: DaemonOptions = {}): Promise<Daemon> {
  const db = openDatabase(config.store.database);
  const devices = new SqliteDeviceRepository(db);
  const events = new SqliteEventRepository(db);
  const accountingStore = new SqliteAccountingRepository(db);
  const now = options.now ?? Date.now;

  const cache = new DeviceCache();
  cache.load(devices.snapshot());

  const decisions = new BatchWriter<DecisionEvent>({
    flushIntervalMs: config.events.flushIntervalMs,
    batchSize: config.events.batchSize,
    maxQueued: config.events.batchSize * 100,
    write: (batch) => events.insertDecisions(batch),
    onError: (err, n) => log.error({ err, events: n }, 'could not store decision events; will retry'),
  });
  const accounting = new BatchWriter<AccountingRecord>({
    flushIntervalMs: config.events.flushIntervalMs,
    batchSize: config.events.batchSize,
    maxQueued: config.events.batchSize * 100,
    write: (batch) => accountingStore.insertBatch(batch),
    onError: (err, n) => log.error({ err, records: n }, 'could not store accounting records; NAS will retransmit'),
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
    onAlert: (event) =>
      log.warn(
        { alert: 'lost-device', mac: event.mac, nas: event.nas, apMac: event.apMac, ssid: event.ssid, at: new Date(event.at).toISOString() },
        `ALERT: device ${event.mac ?? '?'} reported lost tried to connect via access point ${event.apMac ?? 'unknown'} (SSID ${event.ssid ?? 'none'}, NAS ${event.nas})`,
      ),
    onInternalError: (err, ex) => log.error({ err, nas: ex.nas?.name, code: ex.buf[0], id: ex.buf[1] }, 'handler failed'),
  };

  const radiusLog = log.child({ component: 'radius' });
  const auth = new RadiusListener('auth', () => runtime, radiusLog);
  const acct = new RadiusListener('acct', () => runtime, radiusLog);
  let authPort: number;
  let acctPort: number;
  try {
    authPort = await auth.bind(config.radius.bind, config.radius.authPort);
    acctPort = await acct.bind(config.radius.bind, config.radius.acctPort);
  } catch (e) {
    await auth.close();
    await acct.close();
    db.close();
    throw e;
  }

  // Follow writes made by other processes (the CLI): PRAGMA data_version changes when another
  // connection commits, and the change feed says what changed.
  let lastVersion = dataVersion(db);
  const syncCache = (): number => cache.catchUp(devices);
  const poll = setInterval(() => {
    try {
      const version = dataVersion(db);
      if (version === lastVersion) return;
      lastVersion = version;
      const applied = syncCache();
      if (applied > 0) log.debug({ applied, seq: cache.appliedSeq }, 'device changes applied to the cache');
    } catch (err) {
      log.error({ err }, 'could not read device changes; the cache keeps its current content');
    }
  }, config.store.pollIntervalMs);

  let stopped = false;
  return {
    authPort,
    acctPort,
    runtime,
    db,
    devices,
    syncCache,
    reload(next: LanyardConfig): string[] {
      const notes: string[] = [];
      if (next.radius.bind !== config.radius.bind || next.radius.authPort !== config.radius.authPort || next.radius.acctPort !== config.radius.acctPort) {
        notes.push('radius.bind/authPort/acctPort changed: takes effect at the next restart');
      }
      if (next.store.database !== config.store.database) notes.push('store.database changed: takes effect at the next restart');
      runtime.state = buildRadiusState(next); // one assignment: a packet sees the old or the new state
      return notes;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearInterval(poll);
      await auth.close();
      await acct.close();
      // Resolve every waiting accounting request before closing (their responses are unsendable now;
      // the NAS retransmits to the next instance).
      decisions.close();
      accounting.close();
      db.close();
    },
  };
}
