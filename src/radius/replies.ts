/**
 * Pre-encoded reply attributes. A policy has a handful of classes and a NAS one vendor, so
 * every Access-Accept body that can ever be sent is encoded once, when the config is loaded
 * (and again on SIGHUP), and the hot path only copies bytes. Session-Timeout is the one
 * attribute added per request (src/radius/handlers/access-request.ts), because a device's
 * expiry can shorten it.
 */
import type { NasVendor, Policy, DeviceClass } from '../policy/model.js';
import { Attr, TunnelMediumType, TunnelType } from '../protocols/radius/constants.js';
import { encodeInteger, encodeString, encodeVsa } from '../protocols/radius/encode.js';

/** The role / ACL / group attribute each vendor enforces (VENDORS.md). null: Filter-Id only. */
export const VENDOR_ROLE_ATTRIBUTE: Readonly<Record<NasVendor, { vendorId: number; type: number; name: string } | null>> = {
  generic: null,
  aruba: { vendorId: 14823, type: 1, name: 'Aruba-User-Role' },
  cisco: { vendorId: 14179, type: 6, name: 'Airespace-ACL-Name' },
  // Meraki reads the group policy name from Filter-Id (among others); nothing vendor-specific needed.
  meraki: null,
  ruckus: { vendorId: 25053, type: 1, name: 'Ruckus-User-Groups' },
  fortinet: { vendorId: 12356, type: 1, name: 'Fortinet-Group-Name' },
  // UniFi assigns the VLAN only; Extreme and Mist map Filter-Id to a policy role.
  ubiquiti: null,
  extreme: null,
  mist: null,
};

/** Accept body (without Message-Authenticator and Session-Timeout) for one class on one vendor. */
export function encodeAcceptBody(policy: Policy, deviceClass: DeviceClass, vendor: NasVendor): Buffer {
  const network = policy.networks.get(deviceClass.network);
  const profile = policy.profiles.get(deviceClass.profile);
  if (network === undefined || profile === undefined) {
    // The config loader cross-checks these; reaching here is a bug in that check.
    throw new Error(`class ${deviceClass.name} refers to an undefined network or profile`);
  }
  const parts: Buffer[] = [
    // RFC 3580 §3.31 / RFC 2868 §3.1-3.6: VLAN assignment. Tag 0 (untagged) in the high octet.
    encodeInteger(Attr.TunnelType, TunnelType.VLAN),
    encodeInteger(Attr.TunnelMediumType, TunnelMediumType.IEEE802),
    encodeString(Attr.TunnelPrivateGroupId, String(network.vlan)),
    // RFC 2865 §5.11: the filter the NAS applies, named by the profile.
    encodeString(Attr.FilterId, profile.filterId),
  ];
  const role = VENDOR_ROLE_ATTRIBUTE[vendor];
  if (role !== null) {
    const name = profile.vendorRoles[vendor] ?? profile.filterId;
    parts.push(encodeVsa(role.vendorId, role.type, Buffer.from(name, 'utf8')));
  }
  return Buffer.concat(parts);
}

/** Accept bodies for every (vendor in use, class). */
export class ReplyTemplates {
  private readonly byVendor = new Map<NasVendor, Map<string, Buffer>>();

  constructor(policy: Policy, vendors: Iterable<NasVendor>) {
    for (const vendor of new Set(vendors)) {
      const byClass = new Map<string, Buffer>();
      for (const deviceClass of policy.classes.values()) {
        byClass.set(deviceClass.name, encodeAcceptBody(policy, deviceClass, vendor));
      }
      this.byVendor.set(vendor, byClass);
    }
  }

  /** The table for one vendor (the NAS keeps a reference, so the hot path does one Map get). */
  forVendor(vendor: NasVendor): ReadonlyMap<string, Buffer> {
    const table = this.byVendor.get(vendor);
    if (table === undefined) throw new Error(`no reply templates for vendor ${vendor}`);
    return table;
  }
}
