/**
 * DHCP fingerprints: what a client's DISCOVER/REQUEST says about its operating system.
 * Pure functions over a decoded packet; the table below is small, written from facts that
 * can be checked (each row names its source), and documented in docs/dhcp-fingerprints.md.
 *
 * A fingerprint is a hint, not proof: any client can send any option 55 and vendor class.
 * Lanyard uses it to notice a MAC address whose operating system family changes (a cloned
 * MAC), never to grant access.
 */
import { clientId, hostname, maxMessageSize, parameterList, vendorClass } from './options.js';
import type { DhcpPacket } from './types.js';

export interface DhcpFingerprint {
  /** Option 55 codes in the client's order, comma-separated ("1,3,6,15"); '' when absent. */
  readonly parameterList: string;
  /** Option 60 as text. */
  readonly vendorClass: string | null;
  /** Option 12 as text. */
  readonly hostname: string | null;
  /** First octet of option 61 (1 = Ethernet MAC, 255 = RFC 4361 IAID+DUID). */
  readonly clientIdType: number | null;
  /** Option 57. */
  readonly maxMessageSize: number | null;
}

/** apple = macOS, iOS and iPadOS (one DHCP client, Apple's configd). */
export type OsFamily = 'windows' | 'apple' | 'android' | 'chromeos' | 'linux' | 'unknown';

export const OS_FAMILIES: readonly OsFamily[] = ['windows', 'apple', 'android', 'chromeos', 'linux', 'unknown'];

export function fingerprintOf(p: DhcpPacket): DhcpFingerprint {
  const id = clientId(p);
  return {
    parameterList: (parameterList(p) ?? []).join(','),
    vendorClass: vendorClass(p) ?? null,
    hostname: hostname(p) ?? null,
    clientIdType: id !== undefined && id.length > 0 ? id[0]! : null,
    maxMessageSize: maxMessageSize(p) ?? null,
  };
}

/**
 * One table row. `vendor` matches the start of option 60; `list` matches option 55 exactly
 * (order included: the order is what tells clients apart). Rows are tried in table order and
 * the first match wins.
 */
export interface FingerprintRule {
  readonly rule: string;
  readonly family: OsFamily;
  readonly vendor?: RegExp;
  readonly list?: string;
}

/**
 * The built-in table. Sources (facts only; nothing copied):
 * - [MS-DHCPE] §2.2.3 (Microsoft Open Specifications): Windows clients send vendor class
 *   "MSFT 5.0" ("MSFT 98" on Windows 98/Me); "MSFT 5.0 XBOX" is an Xbox console.
 * - AOSP DhcpPacket.getVendorId(): "android-dhcp-" + Build.VERSION.RELEASE; AOSP DhcpClient
 *   DEFAULT_REQUESTED_PARAMS = 1,3,6,15,26,28,51,58,59,43, with 114 (captive portal, RFC 8910)
 *   appended when the captive-portal API is enabled (Android 11+); older DhcpClient lists
 *   lacked 43.
 * - Apple configd, bootp/IPConfiguration.bproj/dhcp.c dhcp_static_default_params:
 *   1,121,3,6,15,119,252,114, plus 95,44,46 on macOS (TARGET_OS_OSX).
 * - Fingerbank dhcp_fingerprints.conf (Inverse, 2012 snapshot, ODbL): Windows Vista/7 and 8
 *   lists, Chrome OS, Generic Android, iPhone/iPad and Mac OS X Lion lists.
 * - Fingerbank API classification quoted in public write-ups and fingerprint tables (less
 *   firmly sourced): Windows 10/11 1,3,6,15,31,33,43,44,46,47,119,121,249,252; macOS 11
 *   and earlier 1,121,3,6,15,119,252,95,44,46; iOS 14 and earlier 1,121,3,6,15,119,252;
 *   iOS 15+/macOS 12+ with 108 (IPv6-only preferred, RFC 8925) and 114; Android 12+ ...,43,114,108.
 * - Captured here from the Debian clients (test/fixtures/dhcp/): udhcpc 1.35.0 sends vendor class
 *   "udhcp 1.35.0" and 1,3,6,12,15,28,42; dhclient 4.4.3 sends no vendor class and
 *   1,28,2,3,15,6,119,12,44,47,26,121,42; dhcpcd 9.4.1 sends "dhcpcd-9.4.1:Linux-<kernel>:<arch>:<cpu>"
 *   and 1,121,3,6,12,15,26,28,33,51,54,58,59,119.
 *
 * ChromeOS runs dhcpcd, whose vendor class has the same "dhcpcd-<ver>:Linux-..." shape as on
 * desktop Linux, so ChromeOS is recognised by its option 55 lists alone, and those rows come
 * before the dhcpcd vendor class row.
 */
export const FINGERPRINT_RULES: readonly FingerprintRule[] = [
  { rule: 'vendor:msft-xbox', family: 'unknown', vendor: /^MSFT 5\.0 XBOX/ },
  { rule: 'vendor:msft', family: 'windows', vendor: /^MSFT (5\.0|98)/ },
  { rule: 'vendor:android-dhcp', family: 'android', vendor: /^android-dhcp-/ },
  { rule: 'list:chromeos-dhcpcd5', family: 'chromeos', list: '1,121,33,3,6,12,15,26,28,51,54,58,59,119' },
  { rule: 'list:chromeos-dhcpcd5-wpad', family: 'chromeos', list: '1,121,33,3,6,12,15,26,28,51,54,58,59,119,252' },
  { rule: 'list:chromeos-short', family: 'chromeos', list: '1,33,3,6,28,51,54,58,59' },
  { rule: 'vendor:udhcp', family: 'linux', vendor: /^udhcp \d/ },
  { rule: 'vendor:dhcpcd-linux', family: 'linux', vendor: /^dhcpcd-[^:]+:Linux-/ },
  { rule: 'list:windows-10', family: 'windows', list: '1,3,6,15,31,33,43,44,46,47,119,121,249,252' },
  { rule: 'list:windows-7', family: 'windows', list: '1,15,3,6,44,46,47,31,33,121,249,43' },
  { rule: 'list:windows-7-wpad', family: 'windows', list: '1,15,3,6,44,46,47,31,33,121,249,43,252' },
  { rule: 'list:windows-8', family: 'windows', list: '1,15,3,6,44,46,47,31,33,121,249,252,43' },
  { rule: 'list:apple-ios-configd', family: 'apple', list: '1,121,3,6,15,119,252,114' },
  { rule: 'list:apple-macos-configd', family: 'apple', list: '1,121,3,6,15,119,252,114,95,44,46' },
  { rule: 'list:apple-ios-15', family: 'apple', list: '1,121,3,6,15,108,114,119,252' },
  { rule: 'list:apple-macos-12', family: 'apple', list: '1,121,3,6,15,108,114,119,252,95,44,46' },
  { rule: 'list:apple-ios-14', family: 'apple', list: '1,121,3,6,15,119,252' },
  { rule: 'list:apple-macos-11', family: 'apple', list: '1,121,3,6,15,119,252,95,44,46' },
  { rule: 'list:apple-ios-legacy', family: 'apple', list: '1,3,6,15,119,252' },
  { rule: 'list:apple-macos-lion', family: 'apple', list: '1,3,6,15,119,95,252,44,46' },
  { rule: 'list:android-aosp', family: 'android', list: '1,3,6,15,26,28,51,58,59,43' },
  { rule: 'list:android-aosp-capport', family: 'android', list: '1,3,6,15,26,28,51,58,59,43,114' },
  { rule: 'list:android-12', family: 'android', list: '1,3,6,15,26,28,51,58,59,43,114,108' },
  { rule: 'list:android-aosp-5', family: 'android', list: '1,3,6,15,26,28,51,58,59' },
  { rule: 'list:android-dhcpcd', family: 'android', list: '1,121,33,3,6,15,28,51,58,59,119' },
  { rule: 'list:android-dhcpcd-short', family: 'android', list: '1,33,3,6,15,28,51,58,59' },
  { rule: 'list:linux-dhclient', family: 'linux', list: '1,28,2,3,15,6,119,12,44,47,26,121,42' },
  { rule: 'list:linux-udhcpc', family: 'linux', list: '1,3,6,12,15,28,42' },
  { rule: 'list:linux-dhcpcd9', family: 'linux', list: '1,121,3,6,12,15,26,28,33,51,54,58,59,119' },
];

/** Classify with the built-in table (or another one, for tests and future configuration). */
export function classifyFingerprint(
  fp: DhcpFingerprint,
  rules: readonly FingerprintRule[] = FINGERPRINT_RULES,
): { family: OsFamily; rule: string } {
  for (const r of rules) {
    if (r.vendor !== undefined && fp.vendorClass !== null && r.vendor.test(fp.vendorClass)) {
      return { family: r.family, rule: r.rule };
    }
    if (r.list !== undefined && fp.parameterList === r.list) return { family: r.family, rule: r.rule };
  }
  return { family: 'unknown', rule: 'none' };
}

/**
 * The vendor class with its version numbers folded to '#' and, for the dhcpcd form
 * "dhcpcd-<ver>:<OS>-<release>:<arch>:<cpu>", only the client and OS name kept: a kernel or
 * client upgrade must not look like a different device.
 */
function vendorShape(vc: string): string {
  const fields = vc.split(':');
  const head = fields.length > 1 ? `${fields[0]!}:${fields[1]!.split('-')[0]!}` : vc;
  return head.replace(/\d+(\.\d+)*/g, '#').slice(0, 64);
}

/**
 * A short stable key for "did this device's fingerprint change": option 55 in order plus the
 * vendor class shape. The host name and client identifier are left out (users rename
 * devices; RFC 4361 identifiers change with the DUID).
 */
export function fingerprintKey(fp: DhcpFingerprint): string {
  return `${fp.parameterList}|${fp.vendorClass === null ? '' : vendorShape(fp.vendorClass)}`;
}

/** A family change worth an alert: both ends known and different ('unknown' → 'windows' is not one). */
export function familyChange(prev: OsFamily, next: OsFamily): { from: OsFamily; to: OsFamily } | null {
  if (prev === 'unknown' || next === 'unknown' || prev === next) return null;
  return { from: prev, to: next };
}
