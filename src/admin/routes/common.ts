/** Helpers the route modules share: DTOs, dates, classes. */
import { LanyardError } from '../../errors.js';
import { parseExpiry } from '../../import/csv.js';
import type { DeviceHistoryRow, DeviceRecord } from '../../store/types.js';
import type { PersonRecord } from '../../store/people.js';
import type { DeviceDto } from '../schemas.js';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export function deviceDto(d: DeviceRecord): DeviceDto {
  return {
    mac: d.mac,
    class: d.className,
    owner: d.owner,
    label: d.label,
    status: d.status,
    statusReason: d.statusReason,
    expires: isoOrNull(d.expiresAt),
    source: d.source,
    createdAt: iso(d.createdAt),
    createdBy: d.createdBy,
    updatedAt: iso(d.updatedAt),
    updatedBy: d.updatedBy,
  };
}

export function historyDto(h: DeviceHistoryRow) {
  return { seq: h.seq, op: h.op, at: iso(h.at), actor: h.actor, device: deviceDto(h.record) };
}

export function personDto(p: PersonRecord) {
  return {
    id: p.id,
    kind: p.kind,
    name: p.name,
    email: p.email,
    aupReturnedAt: isoOrNull(p.aupReturnedAt),
    status: p.status,
    leftAt: isoOrNull(p.leftAt),
    createdAt: iso(p.createdAt),
    createdBy: p.createdBy,
    updatedAt: iso(p.updatedAt),
    updatedBy: p.updatedBy,
  };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * An expiry as the CLI and CSV take it: YYYY-MM-DD = the END of that day (UTC), or a date-time;
 * must be in the future. null/undefined pass through.
 */
export function expiryInput(text: string | null | undefined, now: number, where = 'expires'): number | null | undefined {
  if (text === undefined || text === null) return text;
  const at = parseExpiry(text);
  if (at === null) {
    throw new LanyardError('LANYARD_ERR_DATE_INVALID', `"${text}" is not an ISO 8601 date (YYYY-MM-DD) or date-time`, { where });
  }
  if (at <= now) throw new LanyardError('LANYARD_ERR_DATE_INVALID', `${text} is in the past`, { where });
  return at;
}

/** A date something happened: YYYY-MM-DD = the START of that day (UTC), or a date-time. */
export function pastDateInput(text: string | null | undefined, where: string): number | null | undefined {
  if (text === undefined || text === null) return text;
  const at = parseExpiry(text);
  if (at === null) {
    throw new LanyardError('LANYARD_ERR_DATE_INVALID', `"${text}" is not an ISO 8601 date (YYYY-MM-DD) or date-time`, { where });
  }
  return DATE_ONLY.test(text.trim()) ? at - 86_400_000 : at;
}

export function requireClass(name: string, classes: ReadonlySet<string>, where = 'class'): string {
  if (!classes.has(name)) {
    const valid = [...classes].sort().join(', ');
    throw new LanyardError('LANYARD_ERR_CLASS_UNKNOWN', `class "${name}" is not defined in the configuration (classes: ${valid || 'none defined'})`, {
      where,
    });
  }
  return name;
}
