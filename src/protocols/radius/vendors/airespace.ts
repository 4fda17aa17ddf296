/** Airespace (Cisco WLC / AireOS), enterprise 14179. Source: the Airespace dictionary (as shipped in FreeRADIUS). */
import { vendorAttr, type VendorDictionary } from './types.js';

export const AIRESPACE: VendorDictionary = Object.freeze({
  vendorId: 14179,
  name: 'Airespace',
  attributes: Object.freeze([
    vendorAttr(1, 'Airespace-WLAN-Id', 'integer'),
    vendorAttr(2, 'Airespace-QOS-Level', 'enum'),
    vendorAttr(3, 'Airespace-DSCP', 'integer'),
    vendorAttr(4, 'Airespace-8021p-Tag', 'integer'),
    vendorAttr(5, 'Airespace-Interface-Name', 'text'),
    vendorAttr(6, 'Airespace-ACL-Name', 'text'),
    vendorAttr(7, 'Airespace-Data-Bandwidth-Average-Contract', 'integer'),
    vendorAttr(8, 'Airespace-Real-Time-Bandwidth-Average-Contract', 'integer'),
    vendorAttr(9, 'Airespace-Data-Bandwidth-Burst-Contract', 'integer'),
    vendorAttr(10, 'Airespace-Real-Time-Bandwidth-Burst-Contract', 'integer'),
    vendorAttr(11, 'Airespace-Guest-Role-Name', 'text'),
  ]),
});
