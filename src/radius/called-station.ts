/**
 * Called-Station-Id carries the access point and the SSID: "AP-MAC:SSID"
 * (RFC 3580 §3.20, e.g. "00-10-A4-23-19-C0:AP1"). Vendors write the AP MAC in any of the MAC
 * forms, so the MAC is parsed first and the SSID is whatever follows the separator.
 */
import { parseMacBytes } from '../policy/mac.js';

export interface CalledStation {
  /** AP MAC as a number, or -1 when the value does not start with one. */
  readonly apMac: number;
  /** SSID, or null when none follows the MAC. */
  readonly ssid: string | null;
}

/** MAC forms by length: 17 (aa-bb-.. / aa:bb:..), 14 (aabb.ccdd.eeff), 13 (aabbcc-ddeeff), 12 (aabbccddeeff). */
const MAC_LENGTHS = [17, 14, 13, 12] as const;

/**
 * Where the AP MAC at the start of the value [start, end) ends, or -1 when it does not start
 * with one. The hot path reads the MAC and the SSID from this offset without building an object.
 */
export function calledStationMacEnd(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  for (const macLen of MAC_LENGTHS) {
    if (len < macLen) continue;
    // RFC 3580 §3.20: the MAC is the whole value or is followed by ':' and the SSID.
    if (len > macLen && buf[start + macLen] !== 0x3a) continue;
    if (parseMacBytes(buf, start, start + macLen) >= 0) return start + macLen;
  }
  return -1;
}

/** The SSID after the AP MAC ending at `macEnd` (from calledStationMacEnd), or null ("MAC" or "MAC:" alone). */
export function calledStationSsid(buf: Buffer, macEnd: number, end: number): string | null {
  return macEnd < 0 || end - macEnd < 2 ? null : buf.toString('utf8', macEnd + 1, end);
}

export function parseCalledStation(buf: Uint8Array, start: number, end: number): CalledStation {
  const macEnd = calledStationMacEnd(buf, start, end);
  if (macEnd < 0) return { apMac: -1, ssid: null };
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { apMac: parseMacBytes(buf, start, macEnd), ssid: calledStationSsid(bytes, macEnd, end) };
}
