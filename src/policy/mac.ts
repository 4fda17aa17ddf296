/**
 * MAC addresses. Inside Lanyard a MAC is a 48-bit integer (exact in a JS number);
 * at the edges it is printed in the RFC 3580 §3.21 normal form AA-BB-CC-DD-EE-FF.
 * Parsing is written over char codes so the RADIUS hot path never builds strings.
 */

/** Value of one hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Parse the formats access points send: aabbccddeeff, AA-BB-CC-DD-EE-FF, aa:bb:cc:dd:ee:ff,
 * aabb.ccdd.eeff (Cisco), aabbcc-ddeeff (an option on Cisco, Fortinet and HPE gear). Returns the MAC as a number, or -1 when the text is not a MAC.
 * `get(i)` abstracts over strings and byte buffers so both paths share one parser.
 */
function parseWith(len: number, get: (i: number) => number): number {
  let sep = 0;
  let groupLen = 0;
  if (len === 12) {
    groupLen = 12;
  } else if (len === 17) {
    sep = get(2);
    if (sep !== 45 && sep !== 58) return -1; // '-' or ':'
    groupLen = 2;
  } else if (len === 14) {
    sep = get(4);
    if (sep !== 46) return -1; // '.'
    groupLen = 4;
  } else if (len === 13) {
    sep = get(6);
    if (sep !== 45) return -1; // '-': aabbcc-ddeeff (Cisco, Fortinet, HPE option)
    groupLen = 6;
  } else {
    return -1;
  }
  let value = 0;
  let digits = 0;
  for (let i = 0; i < len; i++) {
    const c = get(i);
    if (groupLen !== 12 && (i + 1) % (groupLen + 1) === 0) {
      if (c !== sep) return -1;
      continue;
    }
    const v = hexValue(c);
    if (v < 0) return -1;
    value = value * 16 + v; // multiplication, not <<: 48 bits overflow int32
    digits++;
  }
  return digits === 12 ? value : -1;
}

export function parseMac(text: string): number {
  return parseWith(text.length, (i) => text.charCodeAt(i));
}

/** Same as parseMac over bytes[start, end) — used on raw RADIUS attribute values. */
export function parseMacBytes(bytes: Uint8Array, start: number, end: number): number {
  return parseWith(end - start, (i) => bytes[start + i] ?? -1);
}

const HEX = '0123456789ABCDEF';

/** RFC 3580 §3.21 form: upper case, hyphens. */
export function formatMac(mac: number): string {
  let out = '';
  for (let shift = 40; shift >= 0; shift -= 8) {
    const octet = Math.floor(mac / 2 ** shift) % 256;
    out += HEX[octet >> 4]! + HEX[octet & 15]!;
    if (shift > 0) out += '-';
  }
  return out;
}

/** Normalise any accepted format to AA-BB-CC-DD-EE-FF, or return null. */
export function normaliseMac(text: string): string | null {
  const mac = parseMac(text.trim());
  return mac < 0 ? null : formatMac(mac);
}

/**
 * Locally administered bit (IEEE 802 U/L bit, second-least-significant bit of the first octet).
 * iOS, Android and Windows "private" addresses set it: the MAC then names an SSID binding,
 * not a device.
 */
export function isRandomisedMac(mac: number): boolean {
  return (Math.floor(mac / 2 ** 40) & 0x02) !== 0;
}

/** Group (multicast) bit: never a valid station address. */
export function isMulticastMac(mac: number): boolean {
  return (Math.floor(mac / 2 ** 40) & 0x01) !== 0;
}
