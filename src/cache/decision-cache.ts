/**
 * Every registered device in memory, keyed by its MAC as a 48-bit number, so that a
 * decision never waits for the store. The store is the truth; this follows its change
 * feed (device_history), which any process — the daemon's API, the CLI in another process,
 * an import — appends to in the same transaction as the change.
 */
import type { DeviceFacts, DeviceStatus } from '../policy/model.js';
import { parseMac } from '../policy/mac.js';
import type { DeviceHistoryRow, DeviceRecord, DeviceRepository } from '../store/types.js';

/**
 * One copy of each class name, owner and status: SQLite hands every row its own strings, and
 * 100,000 devices share a few classes and a few thousand owners (about 10 MiB less resident
 * memory at that size). Bounded by the distinct values the registry holds; rebuilt with the
 * cache (a full load starts it afresh, so owners no longer registered are let go).
 */
class Interner {
  #values = new Map<string, string>();
  get(value: string): string {
    const known = this.#values.get(value);
    if (known !== undefined) return known;
    this.#values.set(value, value);
    return value;
  }
  clear(): void {
    this.#values = new Map();
  }
}

export function factsOf(record: DeviceRecord, strings?: Interner): DeviceFacts {
  return Object.freeze({
    mac: parseMac(record.mac),
    className: strings === undefined ? record.className : strings.get(record.className),
    owner: record.owner === null || strings === undefined ? record.owner : strings.get(record.owner),
    status: strings === undefined ? record.status : (strings.get(record.status) as DeviceFacts['status']),
    expiresAt: record.expiresAt,
  });
}

/** The facts of one device from the store's narrow snapshot (loadFrom), strings interned. */
function factsFrom(mac: number, className: string, owner: string | null, status: DeviceStatus, expiresAt: number | null, strings: Interner): DeviceFacts {
  return Object.freeze({
    mac,
    className: strings.get(className),
    owner: owner === null ? null : strings.get(owner),
    status: strings.get(status) as DeviceStatus,
    expiresAt,
  });
}

export class DeviceCache {
  private readonly devices = new Map<number, DeviceFacts>();
  private readonly strings = new Interner();
  /** The last change sequence number applied. */
  private seq = 0;

  get size(): number {
    return this.devices.size;
  }

  get appliedSeq(): number {
    return this.seq;
  }

  get(mac: number): DeviceFacts | undefined {
    return this.devices.get(mac);
  }

  /** Replaces the whole content from a consistent snapshot. */
  load(snapshot: { devices: readonly DeviceRecord[]; seq: number }): void {
    this.devices.clear();
    this.strings.clear();
    for (const record of snapshot.devices) this.put(record);
    this.seq = snapshot.seq;
  }

  /**
   * Replaces the whole content straight from the store, one device at a time and only the
   * fields a decision reads (at start-up, before the RADIUS sockets are bound).
   */
  loadFrom(repo: DeviceRepository): void {
    this.devices.clear();
    this.strings.clear();
    const devices = this.devices;
    const strings = this.strings;
    this.seq = repo.snapshotFacts((text, className, owner, status, expiresAt) => {
      const mac = parseMac(text);
      if (mac >= 0) devices.set(mac, factsFrom(mac, className, owner, status, expiresAt, strings)); // the store only holds normalised MACs; defensive
    });
  }

  /** Applies change-feed rows in order; returns how many were applied. */
  apply(rows: readonly DeviceHistoryRow[]): number {
    let applied = 0;
    for (const row of rows) {
      if (row.seq <= this.seq) continue;
      if (row.op === 'delete') this.devices.delete(parseMac(row.record.mac));
      else this.put(row.record);
      this.seq = row.seq;
      applied++;
    }
    return applied;
  }

  /** Pulls and applies whatever the store has after our sequence number (or at most `limit` changes). */
  catchUp(repo: DeviceRepository, limit?: number): number {
    return this.apply(repo.changesSince(this.seq, limit));
  }

  /**
   * Catches up in chunks, letting the event loop turn between them, so that thousands of
   * changes (an import from another process) never hold up the RADIUS packets waiting.
   */
  async catchUpInChunks(repo: DeviceRepository, chunk = 2000): Promise<number> {
    let total = 0;
    for (let n = this.catchUp(repo, chunk); n > 0; n = this.catchUp(repo, chunk)) {
      total += n;
      if (n < chunk) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return total;
  }

  private put(record: DeviceRecord): void {
    const facts = factsOf(record, this.strings);
    if (facts.mac < 0) return; // the store only holds normalised MACs; defensive
    this.devices.set(facts.mac, facts);
  }
}
