/**
 * The DHCP service as the daemon runs it (app.ts): the lease table loaded from the store, the
 * batched lease and fingerprint writers, the listener, the sweep timer, and reload.
 */
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../audit/log.js';
import { BatchWriter } from '../audit/writer.js';
import type { LanyardConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { parseMac } from '../policy/mac.js';
import type { DeviceFacts } from '../policy/model.js';
import { SqliteLeaseRepository, type FingerprintSighting, type LeaseWrite, type SessionAddress } from '../store/leases.js';
import type { SessionListener } from '../store/sessions.js';
import { ipToString } from '../protocols/dhcp/index.js';
import { FingerprintMemory } from './fingerprints.js';
import { DhcpListener, newDhcpCounters, type DhcpCounters, type DhcpState } from './listener.js';
import { LeaseTable } from './pools.js';

/**
 * The lease writer commits at least this often: every ACK waits for its lease's commit, so a
 * long interval would delay each ACK by up to that much and send them in bursts that overrun a
 * relay's or client's receive buffer. A commit of a few leases costs well under a millisecond.
 */
export const LEASE_FLUSH_MS = 5;

/** How often expired offers, leases and quarantines are swept (one pass over the table). */
export const SWEEP_INTERVAL_MS = 10_000;

export interface DhcpService {
  readonly port: number;
  readonly counters: DhcpCounters;
  readonly table: LeaseTable;
  readonly leases: SqliteLeaseRepository;
  /** The batched writers, for /metrics queue figures. */
  readonly writers: readonly (readonly [string, BatchWriter<unknown>])[];
  /** Applies a new configuration; returns what takes effect only at the next restart. */
  reload(next: LanyardConfig): string[];
  close(): Promise<void>;
}

export interface DhcpServiceDeps {
  readonly db: Database.Database;
  readonly devices: { get(mac: number): DeviceFacts | undefined };
  readonly audit: (entry: AuditEntry) => void;
  readonly now: () => number;
  readonly log: Logger;
  /** Accounting sessions: one that starts without Framed-IP-Address gets its MAC's leased address. */
  readonly sessions?: { onChange(listener: SessionListener): () => void };
  /** How app.ts reports a failed batch (busy store: debug/warn; anything else: error). */
  readonly storeError: (error: unknown, records: number, what: string) => void;
  /**
   * Hears of every bound lease once it is committed (an ACK in serve mode, an observed REQUEST in
   * listen mode): the web-filter feed learns the MAC's address from it (docs/web-filter-feed.md).
   */
  readonly onLeaseBound?: (lease: LeaseWrite) => void;
}

/** Starts the service when dhcp.mode is not off; null otherwise. */
export async function startDhcpService(config: LanyardConfig, deps: DhcpServiceDeps): Promise<DhcpService | null> {
  if (config.dhcp.mode === 'off') return null;
  const log = deps.log.child({ component: 'dhcp' });
  const repo = new SqliteLeaseRepository(deps.db);
  const table = new LeaseTable(config.dhcp, repo.all(), deps.now());
  const memory = new FingerprintMemory(repo.latestFingerprints(), parseMac);
  const writerOptions = {
    flushIntervalMs: config.events.flushIntervalMs,
    batchSize: config.events.batchSize,
    maxQueued: config.events.batchSize * 100,
  };
  const leases = new BatchWriter<LeaseWrite>({
    ...writerOptions,
    flushIntervalMs: Math.min(config.events.flushIntervalMs, LEASE_FLUSH_MS),
    write: (batch) => {
      repo.applyBatch(batch);
      // After the commit, outside it: a listener's failure must not make the batch look unstored.
      if (deps.onLeaseBound !== undefined) notifyBound(batch, deps.onLeaseBound, log);
    },
    onError: (err, n) => deps.storeError(err, n, 'DHCP leases: ACKs withheld, clients will retransmit'),
  });
  const fingerprints = new BatchWriter<FingerprintSighting>({
    ...writerOptions,
    write: (batch) => repo.recordFingerprints(batch),
    onError: (err, n) => deps.storeError(err, n, 'DHCP fingerprints: will retry'),
  });
  const sessionFills = new BatchWriter<SessionAddress>({
    ...writerOptions,
    write: (batch) => repo.fillSessionAddresses(batch),
    onError: (err, n) => deps.storeError(err, n, 'session addresses from DHCP leases: will retry'),
  });
  // Issue 4 item 6: a session whose NAS sent no Framed-IP-Address takes the MAC's leased address.
  const unsubscribe =
    deps.sessions?.onChange((changes) => {
      const now = deps.now();
      for (const c of changes) {
        const s = c.session;
        if (c.kind === 'stop' || s.framedIp !== null || s.mac === null) continue;
        const ip = table.boundAddressOf(parseMac(s.mac), now);
        if (ip !== undefined) sessionFills.push({ id: s.id, ip: ipToString(ip) });
      }
    }) ?? (() => false);
  let state: DhcpState = { config: config.dhcp, policy: config.policy };
  const counters = newDhcpCounters();
  const listener = new DhcpListener({
    state: () => state,
    table,
    devices: deps.devices,
    leases,
    fingerprints,
    memory,
    audit: deps.audit,
    now: deps.now,
    log,
    counters,
  });
  let port: number;
  try {
    port = await listener.bind(config.dhcp.bind, config.dhcp.port);
  } catch (e) {
    unsubscribe();
    leases.close();
    fingerprints.close();
    sessionFills.close();
    throw e;
  }
  listener.sweep(); // leases that ended while Lanyard was down
  const sweeper = setInterval(() => listener.sweep(), SWEEP_INTERVAL_MS);
  sweeper.unref();
  log.info(
    { mode: config.dhcp.mode, port, scopes: config.dhcp.scopes.map((s) => s.network), leases: table.size },
    `DHCP ${config.dhcp.mode} mode on ${config.dhcp.bind}:${port}`,
  );

  return {
    port,
    counters,
    table,
    leases: repo,
    writers: [
      ['dhcp-leases', leases as BatchWriter<unknown>],
      ['dhcp-fingerprints', fingerprints as BatchWriter<unknown>],
      ['dhcp-session-addresses', sessionFills as BatchWriter<unknown>],
    ],
    reload(next: LanyardConfig): string[] {
      const notes: string[] = [];
      const was = state.config;
      const now = next.dhcp;
      if (now.mode !== was.mode || now.bind !== was.bind || now.port !== was.port) {
        notes.push('dhcp.mode/bind/port changed: takes effect at the next restart');
      }
      // Pools, options, reservations and the network check apply at once; leases are kept.
      if (now.mode === was.mode) {
        table.configure(now, deps.now());
        state = { config: now, policy: next.policy };
      }
      return notes;
    },
    async close(): Promise<void> {
      clearInterval(sweeper);
      unsubscribe();
      await listener.close();
      leases.close(); // flushes: every lease already ACKed is stored
      fingerprints.close();
      sessionFills.close();
    },
  };
}

function notifyBound(batch: readonly LeaseWrite[], listener: (lease: LeaseWrite) => void, log: Logger): void {
  for (const lease of batch) {
    if (lease.state !== 'bound') continue;
    try {
      listener(lease);
    } catch (err) {
      log.error({ err, mac: lease.mac, ip: lease.ip }, 'a bound-lease listener failed');
    }
  }
}
