/**
 * Repository interfaces. The SQLite implementation lives beside this file; a PostgreSQL one
 * can be added later behind the same interfaces (ARCHITECTURE.md "Durability").
 * MACs cross these interfaces in the normal form AA-BB-CC-DD-EE-FF; times as epoch ms.
 */
import type { DeviceStatus } from '../policy/model.js';

export interface DeviceRecord {
  readonly mac: string;
  readonly className: string;
  readonly owner: string | null;
  readonly label: string | null;
  readonly status: DeviceStatus;
  /** Why the status was set (block/lost reason), or null. */
  readonly statusReason: string | null;
  /** Epoch ms when access ends, or null. */
  readonly expiresAt: number | null;
  /** Where the record came from: 'manual', 'import', 'api', 'mdm'. */
  readonly source: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface NewDevice {
  readonly mac: string;
  readonly className: string;
  readonly owner?: string | null;
  readonly label?: string | null;
  readonly expiresAt?: number | null;
  readonly source?: string;
}

export interface DevicePatch {
  readonly className?: string;
  readonly owner?: string | null;
  readonly label?: string | null;
  readonly expiresAt?: number | null;
}

/** One row of a device's change history: the full record as it was after the change. */
export interface DeviceHistoryRow {
  /** Monotonic change sequence number across all devices. */
  readonly seq: number;
  readonly mac: string;
  /** 'create' | 'update' | 'status' | 'delete' */
  readonly op: 'create' | 'update' | 'status' | 'delete';
  readonly at: number;
  readonly actor: string;
  /** The record after the change (for 'delete': as it was before). */
  readonly record: DeviceRecord;
}

export interface ListFilter {
  readonly status?: DeviceStatus;
  readonly className?: string;
  readonly owner?: string;
  /** Substring match over mac, owner and label. */
  readonly search?: string;
  readonly limit?: number;
  readonly offset?: number;
}

/**
 * Every write records an admin row in the audit log in the same transaction (actor, source,
 * before/after). `source` is where the change came from: the API client's address, or 'cli'
 * (the default when the actor is `cli:<login>`).
 */
/** Receives one device of DeviceRepository.snapshotFacts: its normalised MAC and the fields a decision reads. */
export type FactsVisitor = (mac: string, className: string, owner: string | null, status: DeviceStatus, expiresAt: number | null) => void;

export interface DeviceRepository {
  /** Throws LANYARD_ERR_DEVICE_EXISTS when the MAC is registered. */
  add(device: NewDevice, actor: string, at: number, source?: string | null): DeviceRecord;
  get(mac: string): DeviceRecord | undefined;
  list(filter?: ListFilter): DeviceRecord[];
  count(filter?: ListFilter): number;
  /** Throws LANYARD_ERR_DEVICE_NOT_FOUND. */
  update(mac: string, patch: DevicePatch, actor: string, at: number, source?: string | null): DeviceRecord;
  /** Throws LANYARD_ERR_DEVICE_NOT_FOUND; LANYARD_ERR_DEVICE_STATE when leaving 'retired'. */
  setStatus(
    mac: string,
    status: DeviceStatus,
    reason: string | null,
    actor: string,
    at: number,
    source?: string | null,
  ): DeviceRecord;
  history(mac: string): DeviceHistoryRow[];
  /** The record as it stood at `at` (epoch ms), from the history; undefined if it did not exist then. */
  asOf(mac: string, at: number): DeviceRecord | undefined;
  /**
   * The snapshot below, streamed and narrowed to what a decision reads (loading the cache at
   * start-up: 100,000 devices without an array of records or an object per row). `visit`
   * sees each device, in no particular order; returns the change sequence it reflects.
   */
  snapshotFacts(visit: FactsVisitor): number;
  /** Every device (any status), for warming the cache, plus the change sequence it reflects. */
  snapshot(): { devices: DeviceRecord[]; seq: number };
  /** Changes after `seq`, in order, at most `limit` of them (the daemon's cache follows these). */
  changesSince(seq: number, limit?: number): DeviceHistoryRow[];
  /** Adds many in one transaction (CSV import); all or nothing. */
  addMany(devices: readonly NewDevice[], actor: string, at: number, source?: string | null): number;
}

/** One access decision, as written by the batched event writer (issue: decision events). */
export interface DecisionEvent {
  /** Epoch ms. */
  readonly at: number;
  readonly result: 'accept' | 'reject' | 'drop';
  /** RejectReason, drop cause, or 'ok'. */
  readonly reason: string;
  readonly mac: string | null;
  readonly userName: string | null;
  readonly nas: string;
  readonly nasAddress: string;
  readonly apMac: string | null;
  readonly ssid: string | null;
  readonly network: string | null;
  readonly vlan: number | null;
  readonly className: string | null;
  readonly profile: string | null;
  readonly method: 'mab' | 'pap' | 'chap' | 'none';
  readonly randomisedMac: boolean;
  /** Server-side latency, receive to send, microseconds. */
  readonly latencyUs: number;
  /** The device's owner when known (the audit log's `person`, for "everything a person did"). */
  readonly person?: string | null;
}

export interface DecisionEventFilter {
  readonly from?: number;
  readonly to?: number;
  readonly mac?: string;
  readonly result?: DecisionEvent['result'];
  readonly limit?: number;
}

export interface EventRepository {
  /** Writes a batch in one transaction. */
  insertDecisions(events: readonly DecisionEvent[]): void;
  listDecisions(filter?: DecisionEventFilter): DecisionEvent[];
}
