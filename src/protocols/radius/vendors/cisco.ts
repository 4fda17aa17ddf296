/** Cisco, enterprise 9. Source: Cisco's published RADIUS VSA dictionary (vendor type 1 = cisco-av-pair). */
import { vendorAttr, type VendorDictionary } from './types.js';

export const CISCO: VendorDictionary = Object.freeze({
  vendorId: 9,
  name: 'Cisco',
  attributes: Object.freeze([
    // "protocol:attribute=value" pairs, e.g. "subscriber:command=reauthenticate" in CoA,
    // "url-redirect=...", "ACS:CiscoSecure-Defined-ACL=..." on switches.
    vendorAttr(1, 'Cisco-AVPair', 'text'),
    vendorAttr(2, 'Cisco-NAS-Port', 'text'),
  ]),
});
