/**
 * MAC addresses. Inside Lanyard a MAC is a 48-bit integer (exact in a JS number);
 * at the edges it is printed in the RFC 3580 §3.21 normal form AA-BB-CC-DD-EE-FF.
 * Parsing is written over bytes so the RADIUS hot path never builds strings.
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
 * aabb.ccdd.eeff (Cisco), aabbcc-ddeeff (an option on Cisco, Fortinet and HPE gear), from
 * bytes[start, end). Returns the MAC as a number, or -1 when the text is not a MAC.
 * Written over the bytes with no closure or string, because it runs twice per RADIUS request.
 */
export function parseMacBytes(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  let sep = 0;
  let groupLen = 0;
  if (len === 12) {
    groupLen = 12;
  } else if (len === 17) {
    sep = bytes[start + 2]!;
    if (sep !== 45 && sep !== 58) return -1; // '-' or ':'
    groupLen = 2;
  } else if (len === 14) {
    sep = bytes[start + 4]!;
    if (sep !== 46) return -1; // '.'
    groupLen = 4;
  } else if (len === 13) {
    sep = bytes[start + 6]!;
    if (sep !== 45) return -1; // '-': aabbcc-ddeeff (Cisco, Fortinet, HPE option)
    groupLen = 6;
  } else {
    return -1;
  }
  if (end > bytes.length) return -1;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < len; i++) {
    const c = bytes[start + i]!;
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

/** Room for the longest form (17 characters); parseMac copies text here to share the byte parser. */
const TEXT = new Uint8Array(17);

export function parseMac(text: string): number {
  const len = text.length;
  if (len > TEXT.length) return -1;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return -1; // not ASCII: never part of a MAC (and would not fit a byte)
    TEXT[i] = c;
  }
  return parseMacBytes(TEXT, 0, len);
}

/** Character codes of '0'-'9', 'A'-'F'. */
const HEX = Uint8Array.from('0123456789ABCDEF', (c) => c.charCodeAt(0));

/**
 * RFC 3580 §3.21 form: upper case, hyphens. Built as one flat string from character codes:
 * appending piece by piece made a dozen intermediate strings per MAC on the RADIUS path.
 */
export function formatMac(mac: number): string {
  const o0 = Math.floor(mac / 0x100_0000_0000) & 255;
  const o1 = Math.floor(mac / 0x1_0000_0000) & 255;
  const low = mac % 0x1_0000_0000; // the low 32 bits, exact
  const o2 = (low >>> 24) & 255;
  const o3 = (low >>> 16) & 255;
  const o4 = (low >>> 8) & 255;
  const o5 = low & 255;
  return String.fromCharCode(
    HEX[o0 >> 4]!, HEX[o0 & 15]!, 45,
    HEX[o1 >> 4]!, HEX[o1 & 15]!, 45,
    HEX[o2 >> 4]!, HEX[o2 & 15]!, 45,
    HEX[o3 >> 4]!, HEX[o3 & 15]!, 45,
    HEX[o4 >> 4]!, HEX[o4 & 15]!, 45,
    HEX[o5 >> 4]!, HEX[o5 & 15]!,
  );
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
