/** Cisco Meraki, enterprise 29671. Source: the Meraki dictionary (as shipped in FreeRADIUS); only these four are listed there. */
import { vendorAttr, type VendorDictionary } from './types.js';

export const MERAKI: VendorDictionary = Object.freeze({
  vendorId: 29671,
  name: 'Meraki',
  attributes: Object.freeze([
    vendorAttr(1, 'Meraki-Device-Name', 'text'),
    vendorAttr(2, 'Meraki-Network-Name', 'text'),
    vendorAttr(3, 'Meraki-Ap-Name', 'text'),
    vendorAttr(4, 'Meraki-Ap-Tags', 'text'),
  ]),
});
