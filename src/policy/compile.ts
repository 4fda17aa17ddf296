/**
 * Turns the policy part of a configuration (plain data, already shape-checked by the schema)
 * into the frozen `Policy` that decide.ts reads. Pure: no file system, no environment.
 *
 * checkPolicy() finds every cross-reference problem (a class naming a missing profile, a
 * duplicated SSID, a bad CIDR ...) and returns them all with their key paths, so that the
 * loader can report every mistake at once. compilePolicy() builds the Maps and freezes them.
 */
import ipaddr from 'ipaddr.js';
import { prepareDecisions } from './decide.js';
import type {
  DeviceClass,
  Destination,
  NasVendor,
  Network,
  Ownership,
  Policy,
  Profile,
  UnknownDeviceRule,
} from './model.js';

/** Names of clients, destinations, profiles, networks and classes. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const NAME_HINT = '1 to 64 letters, digits, "_", "." or "-"';

/** RFC 2865 §5.27: Session-Timeout is a 32-bit unsigned integer. */
export const MAX_SESSION_TIMEOUT = 4294967295;

/** IEEE 802.11: an SSID is at most 32 octets. */
const MAX_SSID_OCTETS = 32;

export interface PolicyInput {
  readonly destinations?: Readonly<
    Record<string, { readonly cidrs: readonly string[]; readonly ports?: readonly string[]; readonly description?: string }>
  >;
  readonly profiles: Readonly<
    Record<
      string,
      {
        readonly filterId?: string;
        readonly description?: string;
        readonly allow?: readonly string[];
        readonly vendorRoles?: Readonly<Partial<Record<NasVendor, string>>>;
      }
    >
  >;
  readonly networks: Readonly<
    Record<
      string,
      {
        readonly vlan: number;
        readonly ssids?: readonly string[];
        readonly unknownDevices?: 'reject' | { readonly admitAs: string };
        readonly description?: string;
      }
    >
  >;
  readonly classes: Readonly<
    Record<
      string,
      {
        readonly ownership: Ownership;
        readonly network: string;
        readonly profile: string;
        readonly description?: string;
        readonly sessionTimeout?: number | string;
      }
    >
  >;
}

/** One thing wrong with the input: where (key path segments) and why, in plain words. */
export interface PolicyProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

// ---------------------------------------------------------------------------------------------
// Addresses

export type ParsedAddress =
  | { readonly ok: true; readonly kind: 'ipv4' | 'ipv6'; readonly cidr: string; readonly prefix: number; readonly isRange: boolean }
  | { readonly ok: false; readonly reason: string };

/** Strict IPv4 text: four decimal parts, no leading zeros (ipaddr.parse('010.0.0.1') is octal). */
function validIPv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text) && !/(^|\.)0[0-9]/.test(text);
}

function validIPv6(text: string): boolean {
  if (text.includes('%')) return false; // zone ids name an interface, not a network
  if (!ipaddr.IPv6.isValid(text)) return false;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  return !tail.includes('.') || validIPv4(tail); // embedded IPv4 (::ffff:10.0.0.1) must be decimal too
}

/** Validates an address (`10.0.0.1`, `2001:db8::1`) or CIDR (`10.0.0.0/24`); returns it as a CIDR. */
export function parseAddressOrCidr(text: string, allowBare = true): ParsedAddress {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? null : text.slice(slash + 1);
  let kind: 'ipv4' | 'ipv6';
  if (validIPv4(addrText)) kind = 'ipv4';
  else if (validIPv6(addrText)) kind = 'ipv6';
  else if (ipaddr.isValid(addrText) && !addrText.includes(':')) {
    return { ok: false, reason: `'${text}' is not a plain dotted-decimal IPv4 address (leading zeros, hex or short forms are ambiguous)` };
  } else {
    return { ok: false, reason: `'${text}' is not an IP address or CIDR` };
  }
  const bits = kind === 'ipv4' ? 32 : 128;
  if (prefixText === null) {
    if (!allowBare) return { ok: false, reason: `'${text}' has no prefix length (write it as ${text}/${bits})` };
    return { ok: true, kind, cidr: `${ipaddr.parse(addrText).toString()}/${bits}`, prefix: bits, isRange: false };
  }
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return { ok: false, reason: `'${text}' has an invalid prefix length (must be 0 to ${bits})` };
  }
  const prefix = Number(prefixText);
  const addr = ipaddr.parse(addrText);
  const network =
    kind === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addrText}/${prefix}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addrText}/${prefix}`);
  if (network.toString() !== addr.toString()) {
    return {
      ok: false,
      reason: `'${text}' has host bits set: the network is ${network.toString()}/${prefix} (or write the single address ${addrText}/${bits})`,
    };
  }
  return { ok: true, kind, cidr: `${network.toString()}/${prefix}`, prefix, isRange: prefix < bits };
}

// ---------------------------------------------------------------------------------------------
// Durations and ports

const DURATION = /^(?=[0-9])(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/;

/** Seconds from a whole number or "8h" / "30m" / "1d" / "1h30m"; null when not a duration. */
export function parseDuration(value: number | string): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  const m = DURATION.exec(value);
  if (m === null) return null;
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
}

/** "tcp/631" or "udp/8000-8080": checks the numbers; null when fine, else the reason. */
export function checkPortSpec(spec: string): string | null {
  const m = /^(tcp|udp)\/([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(spec);
  if (m === null) return `'${spec}' is not a protocol and port such as tcp/631, udp/53 or tcp/8000-8080`;
  const lo = Number(m[2]);
  const hi = m[3] === undefined ? lo : Number(m[3]);
  if (lo > 65535 || hi > 65535) return `'${spec}': port numbers must be 0 to 65535`;
  if (hi < lo) return `'${spec}': the range must run from the lower port to the higher`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Checking

function checkNames(section: string, record: object | undefined, problems: PolicyProblem[]): void {
  if (record === undefined) return;
  for (const name of Object.keys(record)) {
    if (!NAME_PATTERN.test(name)) problems.push({ path: [section, name], message: `the name '${name}' must be ${NAME_HINT}` });
  }
}

function unknownRuleOf(raw: PolicyInput['networks'][string]['unknownDevices']): UnknownDeviceRule {
  return raw === undefined || raw === 'reject' ? { action: 'reject' } : { action: 'admit', asClass: raw.admitAs };
}

/** Every cross-reference and value problem in the policy sections, in file order of sections. */
export function checkPolicy(input: PolicyInput): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const destinations = input.destinations ?? {};
  const { profiles, networks, classes } = input;
  checkNames('destinations', destinations, problems);
  checkNames('profiles', profiles, problems);
  checkNames('networks', networks, problems);
  checkNames('classes', classes, problems);

  for (const [name, d] of Object.entries(destinations)) {
    const seen = new Map<string, number>();
    d.cidrs.forEach((text, i) => {
      const parsed = parseAddressOrCidr(text);
      if (!parsed.ok) {
        problems.push({ path: ['destinations', name, 'cidrs', i], message: parsed.reason });
        return;
      }
      const first = seen.get(parsed.cidr);
      if (first !== undefined) {
        problems.push({ path: ['destinations', name, 'cidrs', i], message: `'${text}' is the same network as cidrs[${first}]` });
      } else {
        seen.set(parsed.cidr, i);
      }
    });
    (d.ports ?? []).forEach((spec, i) => {
      const reason = checkPortSpec(spec);
      if (reason !== null) problems.push({ path: ['destinations', name, 'ports', i], message: reason });
    });
  }

  for (const [name, p] of Object.entries(profiles)) {
    (p.allow ?? []).forEach((dest, i) => {
      if (!Object.hasOwn(destinations, dest)) {
        problems.push({ path: ['profiles', name, 'allow', i], message: `destination '${dest}' is not defined under destinations` });
      }
    });
  }

  const vlanOwner = new Map<number, string>();
  const ssidOwner = new Map<string, string>();
  for (const [name, n] of Object.entries(networks)) {
    const other = vlanOwner.get(n.vlan);
    if (other !== undefined) {
      problems.push({ path: ['networks', name, 'vlan'], message: `VLAN ${n.vlan} is already used by network '${other}'` });
    } else {
      vlanOwner.set(n.vlan, name);
    }
    (n.ssids ?? []).forEach((ssid, i) => {
      if (Buffer.byteLength(ssid, 'utf8') > MAX_SSID_OCTETS) {
        problems.push({ path: ['networks', name, 'ssids', i], message: `SSID '${ssid}' is longer than ${MAX_SSID_OCTETS} bytes` });
      }
      const owner = ssidOwner.get(ssid);
      if (owner !== undefined && owner !== name) {
        problems.push({
          path: ['networks', name, 'ssids', i],
          message: `SSID '${ssid}' is already carried by network '${owner}' (an SSID belongs to one network)`,
        });
      } else {
        ssidOwner.set(ssid, name);
      }
    });
    const rule = unknownRuleOf(n.unknownDevices);
    if (rule.action === 'admit') {
      const cls = Object.hasOwn(classes, rule.asClass) ? classes[rule.asClass] : undefined;
      if (cls === undefined) {
        problems.push({ path: ['networks', name, 'unknownDevices', 'admitAs'], message: `class '${rule.asClass}' is not defined under classes` });
      } else if (cls.network !== name) {
        problems.push({
          path: ['networks', name, 'unknownDevices', 'admitAs'],
          message: `class '${rule.asClass}' belongs on network '${cls.network}', not '${name}': unknown devices must be admitted as a class of this network`,
        });
      }
      // R-1: unknown devices are never admitted to the school network.
      const schoolClass = Object.entries(classes).find(([, c]) => c.network === name && c.ownership === 'school');
      if (schoolClass !== undefined) {
        problems.push({
          path: ['networks', name, 'unknownDevices'],
          message: `this network carries the school-owned class '${schoolClass[0]}', so it must reject unknown devices (POLICY.md R-1); use unknownDevices: reject`,
        });
      }
    }
  }

  for (const [name, c] of Object.entries(classes)) {
    if (!Object.hasOwn(networks, c.network)) {
      problems.push({ path: ['classes', name, 'network'], message: `network '${c.network}' is not defined under networks` });
    }
    if (!Object.hasOwn(profiles, c.profile)) {
      problems.push({ path: ['classes', name, 'profile'], message: `profile '${c.profile}' is not defined under profiles` });
    }
    if (c.sessionTimeout !== undefined) {
      const seconds = parseDuration(c.sessionTimeout);
      if (seconds === null) {
        problems.push({ path: ['classes', name, 'sessionTimeout'], message: `'${c.sessionTimeout}' is not a number of seconds or a duration such as 8h` });
      } else if (seconds > MAX_SESSION_TIMEOUT) {
        problems.push({ path: ['classes', name, 'sessionTimeout'], message: `must be at most ${MAX_SESSION_TIMEOUT} seconds (RFC 2865 §5.27)` });
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Freezing

/** A Map that refuses changes at run time too (ReadonlyMap only stops the compiler). */
export class FrozenMap<K, V> extends Map<K, V> {
  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [k, v] of entries) Map.prototype.set.call(this, k, v);
    Object.freeze(this);
  }
  override set(key: K): this {
    throw new TypeError(`Cannot set '${String(key)}': this map is frozen`);
  }
  override delete(key: K): boolean {
    throw new TypeError(`Cannot delete '${String(key)}': this map is frozen`);
  }
  override clear(): void {
    throw new TypeError('Cannot clear: this map is frozen');
  }
}

/**
 * Freezes plain objects, arrays and Map values recursively. Buffers and typed arrays are left
 * alone (JavaScript cannot freeze their bytes); everything else that is not plain is skipped.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    if (!(value instanceof FrozenMap)) Object.freeze(value);
    return value;
  }
  if (Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Compiling

/**
 * Builds the frozen Policy. Throws a TypeError when checkPolicy() finds problems: callers that
 * want to report them (config/load.ts) call checkPolicy() first.
 */
export function compilePolicy(input: PolicyInput): Policy {
  const problems = checkPolicy(input);
  if (problems.length > 0) {
    throw new TypeError(`policy has ${problems.length} problem(s): ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  }
  const destinations = new FrozenMap<string, Destination>(
    Object.entries(input.destinations ?? {}).map(([name, d]) => [
      name,
      deepFreeze({
        name,
        cidrs: d.cidrs.map((c) => (parseAddressOrCidr(c) as { cidr: string }).cidr),
        ports: [...(d.ports ?? [])],
      }),
    ]),
  );
  const profiles = new FrozenMap<string, Profile>(
    Object.entries(input.profiles).map(([name, p]) => [
      name,
      deepFreeze({
        name,
        description: p.description ?? '',
        filterId: p.filterId ?? name,
        vendorRoles: { ...(p.vendorRoles ?? {}) },
        allow: [...(p.allow ?? [])],
      }),
    ]),
  );
  const networks = new FrozenMap<string, Network>(
    Object.entries(input.networks).map(([name, n]) => [
      name,
      deepFreeze({ name, vlan: n.vlan, ssids: [...(n.ssids ?? [])], unknownDevices: unknownRuleOf(n.unknownDevices) }),
    ]),
  );
  const ssidToNetwork = new FrozenMap<string, string>([...networks.values()].flatMap((n) => n.ssids.map((s) => [s, n.name] as const)));
  const classes = new FrozenMap<string, DeviceClass>(
    Object.entries(input.classes).map(([name, c]) => [
      name,
      deepFreeze({
        name,
        description: c.description ?? '',
        ownership: c.ownership,
        network: c.network,
        profile: c.profile,
        sessionTimeout: c.sessionTimeout === undefined ? 0 : (parseDuration(c.sessionTimeout) ?? 0),
      }),
    ]),
  );
  const policy: Policy = Object.freeze({ networks, ssidToNetwork, profiles, classes, destinations });
  prepareDecisions(policy); // precompute the per-class decisions now, not on the first packet
  return policy;
}
