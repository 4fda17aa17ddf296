/**
 * Fingerprint memory (issue 4 item 5): the latest fingerprint of every MAC seen, which
 * sightings to store, and the alert when a registered device's OS family changes — a MAC that
 * used to look like Windows and now looks like Android is likely a cloned MAC. Pure: times
 * come in, sightings and alerts go out; the listener stores and logs them.
 *
 * Storing every DISCOVER's fingerprint would cost a write per packet; a sighting is stored when
 * the fingerprint differs from the MAC's last one, or when the last store of it is older than
 * REFRESH_MS (so last_seen stays roughly current).
 */
import type { AuditEntry } from '../audit/log.js';
import { formatMac } from '../policy/mac.js';
import type { DeviceFacts } from '../policy/model.js';
import { classifyFingerprint, familyChange, fingerprintKey, fingerprintOf, type OsFamily } from '../protocols/dhcp/index.js';
import type { DhcpPacket } from '../protocols/dhcp/types.js';
import type { FingerprintRecord, FingerprintSighting } from '../store/leases.js';

export const REFRESH_MS = 3600_000;
/**
 * Bound on the unregistered MACs remembered; beyond it the least recently stored are forgotten
 * (they reload from the store at start). Registered devices are kept apart and never forgotten
 * (the registry bounds them): a flood of made-up MACs must not push a school device's last
 * fingerprint out, or a clone of its MAC would raise no alert.
 */
export const MAX_REMEMBERED = 200_000;

export interface FingerprintMemoryOptions {
  /** Unregistered MACs remembered at most (default MAX_REMEMBERED). */
  readonly limit?: number;
  /** Whether a MAC is a registered device, to place the stored fingerprints at start. */
  readonly isRegistered?: (mac: number) => boolean;
}

interface Seen {
  key: string;
  family: OsFamily;
  storedAt: number;
}

export interface FingerprintResult {
  readonly sighting: FingerprintSighting | null;
  /** Set when a registered device's OS family changed (an audit 'alert' row). */
  readonly alert: AuditEntry | null;
}

const NOTHING: FingerprintResult = Object.freeze({ sighting: null, alert: null });

export class FingerprintMemory {
  /** Registered devices' latest fingerprints: never evicted. */
  private readonly registered = new Map<number, Seen>();
  /** Every other MAC's, least recently stored first, at most `limit`. */
  private readonly others = new Map<number, Seen>();
  private readonly limit: number;

  /** Starts from the stored latest fingerprints (SqliteLeaseRepository.latestFingerprints). */
  constructor(stored: readonly FingerprintRecord[], parseMac: (text: string) => number, options: FingerprintMemoryOptions = {}) {
    this.limit = Math.max(1, options.limit ?? MAX_REMEMBERED);
    const isRegistered = options.isRegistered ?? (() => false);
    for (const r of stored) {
      const mac = parseMac(r.mac);
      if (mac >= 0) this.remember(mac, { key: r.key, family: (r.family ?? 'unknown') as OsFamily, storedAt: r.lastSeen }, isRegistered(mac));
    }
  }

  get size(): number {
    return this.registered.size + this.others.size;
  }

  /** Keeps `seen` as the MAC's latest, in the map its registration says (moving it if that changed). */
  private remember(mac: number, seen: Seen, registered: boolean): void {
    this.registered.delete(mac);
    this.others.delete(mac); // re-insert: Map order is then least recently stored first
    if (registered) {
      this.registered.set(mac, seen);
      return;
    }
    if (this.others.size >= this.limit) {
      const oldest = this.others.keys().next();
      if (oldest.done !== true) this.others.delete(oldest.value);
    }
    this.others.set(mac, seen);
  }

  observe(mac: number, packet: DhcpPacket, device: DeviceFacts | undefined, now: number, actor: string): FingerprintResult {
    const fp = fingerprintOf(packet);
    const key = fingerprintKey(fp);
    const prev = this.registered.get(mac) ?? this.others.get(mac);
    if (prev !== undefined && prev.key === key && now - prev.storedAt < REFRESH_MS) return NOTHING;
    const family = prev !== undefined && prev.key === key ? prev.family : classifyFingerprint(fp).family;
    this.remember(mac, { key, family, storedAt: now }, device !== undefined);
    const macText = formatMac(mac);
    const sighting: FingerprintSighting = {
      mac: macText,
      key,
      params: fp.parameterList === '' ? null : fp.parameterList,
      vendorClass: fp.vendorClass,
      hostname: fp.hostname,
      clientIdType: fp.clientIdType,
      family: family === 'unknown' ? null : family,
      at: now,
    };
    const change = prev === undefined || device === undefined ? null : familyChange(prev.family, family);
    if (change === null) return { sighting, alert: null };
    return {
      sighting,
      alert: {
        at: now,
        kind: 'alert',
        actor,
        action: 'fingerprint-changed',
        mac: macText,
        person: device!.owner,
        className: device!.className,
        detail: { from: change.from, to: change.to, prevKey: prev!.key, newKey: key },
      },
    };
  }
}
