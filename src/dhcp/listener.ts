/**
 * The DHCP edge: one UDP socket, decode, the engine, encode, send — and the only DHCP code
 * that logs. A datagram that is not a DHCP client message is dropped and counted by reason,
 * never a crash. Lease changes go to the batched store writer; an ACK is sent only after the
 * batch holding its lease commits (a failed commit means no ACK: the client retransmits, RFC
 * 2131 §4.1), the way accounting responses wait for their records (app.ts).
 *
 * Replies go to a relay (giaddr, port 67), to a client's ciaddr (port 68), or to the scope's
 * subnet broadcast (port 68) — engine.ts replyAddress. The socket has SO_BROADCAST set.
 */
import dgram from 'node:dgram';
import type { AuditEntry } from '../audit/log.js';
import type { BatchWriter } from '../audit/writer.js';
import type { DhcpConfig } from '../config/types.js';
import { LanyardError } from '../errors.js';
import { ThrottledWarnings, type Logger } from '../log.js';
import type { DeviceFacts, Policy } from '../policy/model.js';
import {
  decodeDhcp,
  DHCP_DECODE_FAILURES,
  DHCP_MESSAGE_TYPES,
  encodeDhcp,
  ipToString,
} from '../protocols/dhcp/index.js';
import type { FingerprintSighting, LeaseWrite } from '../store/leases.js';
import { DHCP_SILENCES, type DhcpContext, type DhcpOutcome, type DhcpSilence } from './engine.js';
import type { FingerprintMemory } from './fingerprints.js';
import { handleDhcp } from './handlers/index.js';
import { observeDhcp } from './handlers/observe.js';
import type { LeaseTable } from './pools.js';
import { viewOf, type NotARequest } from './request.js';
import { literalLookup } from '../net/lookup.js';

/** Why a datagram was dropped before the engine saw it: the codec's reasons and ours. */
export const DHCP_DROP_REASONS = [...DHCP_DECODE_FAILURES, 'not-a-request', 'no-message-type', 'not-ethernet', 'store-unavailable', 'internal-error'] as const;
export type DhcpDropReason = (typeof DHCP_DROP_REASONS)[number];

const TYPE_NAMES = Object.fromEntries(Object.entries(DHCP_MESSAGE_TYPES).map(([name, n]) => [n, name.toLowerCase()])) as Record<number, string>;

/** Counters for /metrics and the SIGUSR2 stats line. */
export interface DhcpCounters {
  received: number;
  /** Client messages by type (discover, request, decline, release, inform; others as received). */
  messages: Record<string, number>;
  /** Replies sent by type (offer, ack, nak). */
  replies: Record<string, number>;
  /** Requests answered with silence, by reason (engine.ts DHCP_SILENCES). */
  silences: Record<DhcpSilence, number>;
  /** Datagrams dropped before the engine, by reason. */
  drops: Record<DhcpDropReason, number>;
  /** Leases refused by the network check, by reject reason. */
  refusals: Record<string, number>;
  /** Refusals counted but not written to the audit log because the minute's budget was spent (a flood). */
  refusalsNotAudited: number;
  /** Registered devices whose fingerprint changed OS family. */
  fingerprintAlerts: number;
  sendErrors: number;
}

export function newDhcpCounters(): DhcpCounters {
  return {
    received: 0,
    messages: {},
    replies: {},
    silences: Object.fromEntries(DHCP_SILENCES.map((s) => [s, 0])) as Record<DhcpSilence, number>,
    drops: Object.fromEntries(DHCP_DROP_REASONS.map((r) => [r, 0])) as Record<DhcpDropReason, number>,
    refusals: {},
    refusalsNotAudited: 0,
    fingerprintAlerts: 0,
    sendErrors: 0,
  };
}

/** What the listener reads at each datagram: swapped as a whole on SIGHUP. */
export interface DhcpState {
  readonly config: DhcpConfig;
  readonly policy: Policy;
}

export interface DhcpListenerDeps {
  readonly state: () => DhcpState;
  readonly table: LeaseTable;
  readonly devices: { get(mac: number): DeviceFacts | undefined };
  readonly leases: BatchWriter<LeaseWrite>;
  readonly fingerprints: BatchWriter<FingerprintSighting>;
  readonly memory: FingerprintMemory;
  readonly audit: (entry: AuditEntry) => void;
  readonly now: () => number;
  readonly log: Logger;
  readonly counters: DhcpCounters;
}

/** Warnings (pool exhausted, store unavailable) at most this often per subject; debug in between. */
const WARN_EVERY_MS = 60_000;
/** The same refusal of the same MAC on the same network is audited once in this window (clients retry every few seconds). */
const REFUSAL_AUDIT_WINDOW_MS = 60_000;
/**
 * At most this many refusal rows reach the audit log in one window, however many MACs ask. DHCP
 * is unauthenticated: one machine on a VLAN can send DISCOVERs from thousands of random MACs a
 * second, each a new (MAC, network, reason) the de-duplication above lets through, and each row
 * would be hashed into the chain and share the audit writer's queue with the RADIUS decisions.
 */
const REFUSAL_AUDIT_BUDGET = 600;
const MEMO_LIMIT = 10_000;
/** An exhausted pool may be swept for expired offers at most this often before answering silence. */
const EXHAUSTED_SWEEP_MS = 1000;
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class DhcpListener {
  private socket: dgram.Socket | null = null;
  private readonly audited = new Map<string, number>();
  private budgetFrom = -Infinity;
  private budgetUsed = 0;
  private lastSweep = 0;

  private readonly warnings: ThrottledWarnings;

  constructor(private readonly deps: DhcpListenerDeps) {
    this.warnings = new ThrottledWarnings(deps.log, WARN_EVERY_MS, MEMO_LIMIT);
  }

  /** Binds and resolves with the port bound (0 picks a free one). */
  bind(address: string, port: number): Promise<number> {
    // Serve mode binds exclusively, like RADIUS: a second daemon (or another DHCP server) on this
    // host must fail to start, not silently split the clients with us. Listen mode only hears
    // copies and may sit beside a server that set SO_REUSEADDR too (Linux then still gives each
    // unicast datagram to one socket only, so a copy should come from its own ip-helper).
    const reuseAddr = this.deps.state().config.mode === 'listen';
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr, lookup: literalLookup(4) }); // replies go to IPv4 literals
    this.socket = socket;
    socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo.address));
    return new Promise((resolve, reject) => {
      socket.once('error', (error) => {
        reject(new LanyardError('LANYARD_ERR_LISTEN', `cannot bind DHCP on ${address}:${port}: ${error.message}`, { where: 'dhcp.port', cause: error }));
      });
      socket.bind({ address, port }, () => {
        socket.removeAllListeners('error');
        socket.on('error', (error) => {
          this.deps.counters.sendErrors++;
          this.warnings.warn(`send:${(error as NodeJS.ErrnoException).code ?? ''}`, { err: error }, 'DHCP socket error');
        });
        socket.setBroadcast(true); // replies to clients without an address go to the subnet broadcast
        try {
          socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
          socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
        } catch {
          // The kernel caps these (net.core.rmem_max); the default still works.
        }
        resolve(socket.address().port);
      });
    });
  }

  /** Ends expired offers, leases and quarantines; the writes go to the store. */
  sweep(): void {
    const now = this.deps.now();
    this.lastSweep = now;
    for (const w of this.deps.table.sweep(now)) this.deps.leases.push(w);
  }

  /** Entry point for a datagram; public so tests can drive it without a socket. Never throws. */
  onMessage(buf: Buffer, source: string): void {
    try {
      this.handle(buf, source);
    } catch (err) {
      this.deps.counters.drops['internal-error']++;
      this.deps.log.error({ err, source }, 'DHCP handler failed (a bug: please report it); the datagram is dropped');
    }
  }

  private handle(buf: Buffer, source: string): void {
    const { counters } = this.deps;
    counters.received++;
    const decoded = decodeDhcp(buf);
    if (!decoded.ok) return this.drop(decoded.reason, source);
    const req = viewOf(decoded.packet);
    if (typeof req === 'string') return this.drop(req, source);
    const typeName = TYPE_NAMES[req.type] ?? String(req.type);
    counters.messages[typeName] = (counters.messages[typeName] ?? 0) + 1;

    const state = this.deps.state();
    const now = this.deps.now();
    const ctx: DhcpContext = { config: state.config, policy: state.policy, table: this.deps.table, devices: this.deps.devices, now };
    if (req.type === DHCP_MESSAGE_TYPES.DISCOVER || req.type === DHCP_MESSAGE_TYPES.REQUEST || req.type === DHCP_MESSAGE_TYPES.INFORM) {
      this.fingerprint(req.mac, decoded.packet, now);
    }

    if (state.config.mode === 'listen') {
      const write = observeDhcp(req, ctx);
      if (write !== null) this.deps.leases.push(write);
      counters.silences['listen-only']++;
      return;
    }

    let outcome = handleDhcp(req, ctx);
    if (outcome.kind === 'silent' && outcome.reason === 'pool-exhausted' && now - this.lastSweep >= EXHAUSTED_SWEEP_MS) {
      this.sweep(); // expired offers may free an address; bounded to once a second
      outcome = handleDhcp(req, ctx);
    }
    this.settle(outcome, req.mac, source);
  }

  private settle(outcome: DhcpOutcome, mac: number, source: string): void {
    const { counters } = this.deps;
    if (outcome.audit !== null) this.refused(outcome.audit);
    if (outcome.kind === 'silent') {
      counters.silences[outcome.reason]++;
      if (outcome.write !== null) this.deps.leases.push(outcome.write);
      if (outcome.reason === 'declined' && outcome.write !== null) {
        // RFC 2131 §4.3.3: the server "SHOULD notify the local system administrator of a possible
        // configuration problem": a declined address is in use by a device Lanyard did not lease it to.
        const { ip, mac: holder } = outcome.write;
        this.warnings.warn(`declined:${ip}`, { ip, mac: holder, source }, `DHCP address ${ip} declined by ${holder}: something else on the network uses it (a static address inside the pool?); quarantined`);
      }
      if (outcome.reason === 'pool-exhausted') {
        this.warnings.warn(`exhausted:${source}`, { source }, 'DHCP pool exhausted: no address to offer (further ones from this relay are logged at debug for a minute)');
      }
      return;
    }
    const bytes = encodeDhcp(outcome.reply);
    const address = ipToString(outcome.to.address);
    const port = outcome.to.port;
    const typeName = TYPE_NAMES[outcome.type] ?? String(outcome.type);
    if (outcome.write === null) {
      this.send(bytes, port, address, typeName);
      return;
    }
    // RFC 2131 §3.1 step 4: the server "commits the binding for the client to persistent storage" and then ACKs.
    this.deps.leases.push(outcome.write, (error) => {
      if (error === null || error === undefined) {
        this.send(bytes, port, address, typeName);
        return;
      }
      counters.drops['store-unavailable']++;
      this.warnings.warn('store', { mac, ip: outcome.write?.ip }, 'DHCP lease not stored: no ACK sent, the client will retransmit');
    });
  }

  private send(bytes: Buffer, port: number, address: string, typeName: string): void {
    const socket = this.socket;
    if (socket === null) return;
    socket.send(bytes, port, address);
    this.deps.counters.replies[typeName] = (this.deps.counters.replies[typeName] ?? 0) + 1;
  }

  private fingerprint(mac: number, packet: Parameters<FingerprintMemory['observe']>[1], now: number): void {
    const device = this.deps.devices.get(mac);
    const result = this.deps.memory.observe(mac, packet, device, now, 'dhcp');
    if (result.sighting !== null) this.deps.fingerprints.push(result.sighting);
    if (result.alert === null) return;
    this.deps.counters.fingerprintAlerts++;
    this.deps.audit(result.alert);
    this.deps.log.warn(
      { alert: 'fingerprint-changed', mac: result.alert.mac, owner: result.alert.person, detail: result.alert.detail },
      `ALERT: registered device ${result.alert.mac ?? '?'} changed DHCP fingerprint OS family (possible cloned MAC)`,
    );
  }

  private refused(entry: AuditEntry): void {
    const reason = entry.reason ?? 'unknown';
    this.deps.counters.refusals[reason] = (this.deps.counters.refusals[reason] ?? 0) + 1;
    const key = `${entry.mac ?? ''}|${entry.network ?? ''}|${reason}`;
    const last = this.audited.get(key);
    if (last !== undefined && entry.at - last < REFUSAL_AUDIT_WINDOW_MS) return;
    if (entry.at - this.budgetFrom >= REFUSAL_AUDIT_WINDOW_MS) {
      this.budgetFrom = entry.at;
      this.budgetUsed = 0;
    }
    if (this.budgetUsed >= REFUSAL_AUDIT_BUDGET) {
      this.deps.counters.refusalsNotAudited++;
      this.warnings.warn('refusal-budget', { budget: REFUSAL_AUDIT_BUDGET }, `over ${REFUSAL_AUDIT_BUDGET} DHCP refusals in a minute (a flood of MACs?): further ones are counted, not audited, until the minute ends`);
      return;
    }
    this.budgetUsed++;
    if (this.audited.size >= MEMO_LIMIT) this.audited.clear();
    this.audited.set(key, entry.at);
    this.deps.audit(entry);
  }

  private drop(reason: DhcpDropReason | NotARequest, source: string): void {
    this.deps.counters.drops[reason]++;
    this.warnings.warn(`drop:${reason}:${source}`, { reason, source }, `DHCP datagram dropped: ${reason} (further ones from this source are logged at debug for a minute)`);
  }

  /** Logs at `level` the first time per key per minute, at debug in between. */
  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
