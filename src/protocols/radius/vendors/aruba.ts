/** Aruba (HPE), enterprise 14823. Source: Aruba's published RADIUS dictionary (as shipped in FreeRADIUS). */
import { vendorAttr, type VendorDictionary } from './types.js';

export const ARUBA: VendorDictionary = Object.freeze({
  vendorId: 14823,
  name: 'Aruba',
  attributes: Object.freeze([
    vendorAttr(1, 'Aruba-User-Role', 'text'),
    vendorAttr(2, 'Aruba-User-Vlan', 'integer'),
    vendorAttr(3, 'Aruba-Priv-Admin-User', 'integer'),
    vendorAttr(4, 'Aruba-Admin-Role', 'text'),
    vendorAttr(5, 'Aruba-Essid-Name', 'text'),
    vendorAttr(6, 'Aruba-Location-Id', 'text'),
    vendorAttr(7, 'Aruba-Port-Identifier', 'text'),
    vendorAttr(9, 'Aruba-Named-User-Vlan', 'text'),
    vendorAttr(10, 'Aruba-AP-Group', 'text'),
    vendorAttr(12, 'Aruba-Device-Type', 'text'),
    vendorAttr(23, 'Aruba-CPPM-Role', 'text'),
    vendorAttr(36, 'Aruba-User-Group', 'text'),
    vendorAttr(43, 'Aruba-Captive-Portal-URL', 'text'),
    // Per-device PSK; the dictionary marks it encrypted like Tunnel-Password (salted).
    vendorAttr(44, 'Aruba-MPSK-Passphrase', 'string', 2),
  ]),
});
