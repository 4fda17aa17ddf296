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

export function parseCalledStation(buf: Uint8Array, start: number, end: number): CalledStation {
  const len = end - start;
  for (const macLen of MAC_LENGTHS) {
    if (len < macLen) continue;
    const mac = parseMacBytes(buf, start, start + macLen);
    if (mac < 0) continue;
    if (len === macLen) return { apMac: mac, ssid: null };
    // RFC 3580 §3.20: ':' separates the MAC from the SSID ("MAC:" alone: an AP with no SSID).
    if (buf[start + macLen] === 0x3a && len === macLen + 1) return { apMac: mac, ssid: null };
    if (buf[start + macLen] === 0x3a) {
      return { apMac: mac, ssid: Buffer.from(buf.buffer, buf.byteOffset + start + macLen + 1, len - macLen - 1).toString('utf8') };
    }
  }
  return { apMac: -1, ssid: null };
}
