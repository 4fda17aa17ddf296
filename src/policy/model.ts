/**
 * The policy model: plain data, no behaviour. Config is compiled into these shapes once
 * (config/load.ts), frozen, and handed to the pure functions in decide.ts.
 * Names (networks, profiles, classes) are per-school configuration, never constants in code.
 */

/** Who owns the device (POLICY.md ). */
export const OWNERSHIPS = ['school', 'personal', 'visitor', 'pupil-exception'] as const;
export type Ownership = (typeof OWNERSHIPS)[number];

/** Registry status of a device (R-4 lost, R-5 blocked, R-11 retired). */
export const DEVICE_STATUSES = ['active', 'blocked', 'lost', 'retired'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Access-point vendors whose role/ACL attribute Lanyard can emit (VENDORS.md). */
export const NAS_VENDORS = [
  'generic',
  'aruba',
  'cisco',
  'meraki',
  'ruckus',
  'fortinet',
  'ubiquiti',
  'extreme',
  'mist',
] as const;
export type NasVendor = (typeof NAS_VENDORS)[number];

/** A destination a profile may reach: CIDRs and optional ports ("tcp/631"). */
export interface Destination {
  readonly name: string;
  readonly cidrs: readonly string[];
  readonly ports: readonly string[];
}

/** What a device may reach. Rendered to Filter-Id and vendor role attributes. */
export interface Profile {
  readonly name: string;
  readonly description: string;
  /** Filter-Id value (RFC 2865 §5.11) sent in every Accept. */
  readonly filterId: string;
  /** Per-vendor role / ACL / group name; defaults to filterId. */
  readonly vendorRoles: Readonly<Partial<Record<NasVendor, string>>>;
  /** Names of destinations (keys of Policy.destinations). Empty: no access beyond the AP. */
  readonly allow: readonly string[];
}

/** What happens to a MAC that is not in the registry when it arrives on this network. */
export type UnknownDeviceRule =
  | { readonly action: 'reject' }
  | { readonly action: 'admit'; readonly asClass: string };

/** A VLAN and the SSIDs that carry it. */
export interface Network {
  readonly name: string;
  readonly vlan: number;
  readonly ssids: readonly string[];
  readonly unknownDevices: UnknownDeviceRule;
}

export interface DeviceClass {
  readonly name: string;
  readonly description: string;
  readonly ownership: Ownership;
  /** Name of the network (and so the VLAN) devices of this class are placed on. */
  readonly network: string;
  readonly profile: string;
  /** Session-Timeout in seconds (RFC 2865 §5.27); 0 = none sent. */
  readonly sessionTimeout: number;
}

/** The compiled, frozen policy. */
export interface Policy {
  readonly networks: ReadonlyMap<string, Network>;
  /** SSID (exact, case-sensitive as broadcast) → network name. */
  readonly ssidToNetwork: ReadonlyMap<string, string>;
  readonly profiles: ReadonlyMap<string, Profile>;
  readonly classes: ReadonlyMap<string, DeviceClass>;
  readonly destinations: ReadonlyMap<string, Destination>;
}

/** The registry facts about one device that a decision needs. */
export interface DeviceFacts {
  /** MAC as a 48-bit number (policy/mac.ts). */
  readonly mac: number;
  readonly className: string;
  readonly owner: string | null;
  readonly status: DeviceStatus;
  /** Epoch milliseconds at which access ends, or null for none. */
  readonly expiresAt: number | null;
}

/** What the request tells us about where the device is. */
export interface RequestContext {
  /** SSID from Called-Station-Id (`AP-MAC:SSID`), or null when the NAS sent none (wired). */
  readonly ssid: string | null;
  /** Network the NAS is pinned to in config when it sends no SSID, or null. */
  readonly nasDefaultNetwork: string | null;
  /** Decision time, epoch milliseconds (passed in: policy never reads the clock). */
  readonly now: number;
}

/** Closed list of reasons a device is refused, shown to the ICT team verbatim. */
export const REJECT_REASONS = [
  'unknown-device',
  'unknown-ssid',
  'no-network',
  'device-blocked',
  'device-lost',
  'device-retired',
  'device-expired',
  'class-undefined',
  'wrong-network',
  'not-a-mac',
  'bad-password',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const REJECT_MESSAGES: Readonly<Record<RejectReason, string>> = {
  'unknown-device': 'The MAC address is not registered and this network does not admit unknown devices.',
  'unknown-ssid': 'The SSID in Called-Station-Id is not carried by any configured network.',
  'no-network': 'The NAS sent no SSID and has no default network, so the device cannot be placed.',
  'device-blocked': 'The device has been blocked by the ICT team.',
  'device-lost': 'The device has been reported lost or stolen.',
  'device-retired': 'The device has been retired (no longer in use, or its owner has left).',
  'device-expired': 'The device’s access has passed its end date.',
  'class-undefined': 'The device’s class is not defined in the current configuration.',
  'wrong-network': 'The device belongs on a different network than the SSID it tried to join.',
  'not-a-mac': 'The request carries no MAC address Lanyard can read (User-Name or Calling-Station-Id).',
  'bad-password': 'The PAP/CHAP password does not match what MAC authentication expects.',
};

export type Decision =
  | {
      readonly kind: 'accept';
      readonly network: Network;
      readonly deviceClass: DeviceClass;
      readonly profile: Profile;
      /** True when an unknown MAC was admitted under the network's unknownDevices rule. */
      readonly admittedUnknown: boolean;
      /** Seconds to send as Session-Timeout, or 0 for none (class timeout capped by expiry). */
      readonly sessionTimeout: number;
    }
  | { readonly kind: 'reject'; readonly reason: RejectReason };
