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
/** Bound on the MACs remembered; beyond it the oldest are forgotten (they reload from the store at start). */
export const MAX_REMEMBERED = 500_000;

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
  private readonly seen = new Map<number, Seen>();

  /** Starts from the stored latest fingerprints (SqliteLeaseRepository.latestFingerprints). */
  constructor(stored: readonly FingerprintRecord[], parseMac: (text: string) => number) {
    for (const r of stored) {
      const mac = parseMac(r.mac);
      if (mac >= 0) this.seen.set(mac, { key: r.key, family: (r.family ?? 'unknown') as OsFamily, storedAt: r.lastSeen });
    }
  }

  get size(): number {
    return this.seen.size;
  }

  observe(mac: number, packet: DhcpPacket, device: DeviceFacts | undefined, now: number, actor: string): FingerprintResult {
    const fp = fingerprintOf(packet);
    const key = fingerprintKey(fp);
    const prev = this.seen.get(mac);
    if (prev !== undefined && prev.key === key && now - prev.storedAt < REFRESH_MS) return NOTHING;
    const family = prev !== undefined && prev.key === key ? prev.family : classifyFingerprint(fp).family;
    if (prev === undefined && this.seen.size >= MAX_REMEMBERED) {
      const oldest = this.seen.keys().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    this.seen.delete(mac); // re-insert: Map order is then least recently stored first
    this.seen.set(mac, { key, family, storedAt: now });
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
