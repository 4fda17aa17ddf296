/** Fortinet, enterprise 12356. Source: Fortinet's RADIUS dictionary (as shipped in FreeRADIUS). */
import { vendorAttr, type VendorDictionary } from './types.js';

export const FORTINET: VendorDictionary = Object.freeze({
  vendorId: 12356,
  name: 'Fortinet',
  attributes: Object.freeze([
    vendorAttr(1, 'Fortinet-Group-Name', 'text'),
    vendorAttr(2, 'Fortinet-Client-IP-Address', 'ipv4addr'),
    vendorAttr(3, 'Fortinet-Vdom-Name', 'text'),
    vendorAttr(5, 'Fortinet-Interface-Name', 'text'),
    vendorAttr(6, 'Fortinet-Access-Profile', 'text'),
    vendorAttr(7, 'Fortinet-SSID', 'text'),
    vendorAttr(8, 'Fortinet-AP-Name', 'text'),
  ]),
});
