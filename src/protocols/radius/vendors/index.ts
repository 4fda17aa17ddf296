/**
 * Registry of the vendor dictionaries, by Vendor-Id (RFC 2865 §5.26) and by name.
 */
import { AIRESPACE } from './airespace.js';
import { ARUBA } from './aruba.js';
import { CISCO } from './cisco.js';
import { FORTINET } from './fortinet.js';
import { MERAKI } from './meraki.js';
import { MICROSOFT } from './microsoft.js';
import { RUCKUS } from './ruckus.js';
import type { VendorAttributeDef, VendorDictionary } from './types.js';

export type { VendorAttributeDef, VendorDictionary } from './types.js';
export { AIRESPACE, ARUBA, CISCO, FORTINET, MERAKI, MICROSOFT, RUCKUS };

/** Private Enterprise Codes of the vendors Lanyard knows. */
export const VendorId = {
  Cisco: 9,
  Microsoft: 311,
  Fortinet: 12356,
  Airespace: 14179,
  Aruba: 14823,
  Ruckus: 25053,
  Meraki: 29671,
} as const;

export const VENDORS: readonly VendorDictionary[] = Object.freeze([
  CISCO,
  MICROSOFT,
  FORTINET,
  AIRESPACE,
  ARUBA,
  RUCKUS,
  MERAKI,
]);

const byId = new Map<number, VendorDictionary>();
const byName = new Map<string, VendorDictionary>();
const attrsByVendor = new Map<number, Map<number, VendorAttributeDef>>();
const attrsByName = new Map<string, { vendorId: number; attribute: VendorAttributeDef }>();
for (const v of VENDORS) {
  byId.set(v.vendorId, v);
  byName.set(v.name.toLowerCase(), v);
  const m = new Map<number, VendorAttributeDef>();
  for (const a of v.attributes) {
    m.set(a.type, a);
    attrsByName.set(a.name.toLowerCase(), { vendorId: v.vendorId, attribute: a });
  }
  attrsByVendor.set(v.vendorId, m);
}

export function vendorById(vendorId: number): VendorDictionary | undefined {
  return byId.get(vendorId);
}

/** Case-insensitive: "aruba", "Aruba". */
export function vendorByName(name: string): VendorDictionary | undefined {
  return byName.get(name.toLowerCase());
}

export function vendorAttribute(vendorId: number, vendorType: number): VendorAttributeDef | undefined {
  return attrsByVendor.get(vendorId)?.get(vendorType);
}

/** Case-insensitive lookup of a vendor attribute by full name ("Aruba-User-Role"). */
export function vendorAttributeByName(name: string): { vendorId: number; attribute: VendorAttributeDef } | undefined {
  return attrsByName.get(name.toLowerCase());
}
