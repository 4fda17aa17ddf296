/** Ruckus (CommScope), enterprise 25053. Source: the Ruckus dictionary (as shipped in FreeRADIUS). */
import { vendorAttr, type VendorDictionary } from './types.js';

export const RUCKUS: VendorDictionary = Object.freeze({
  vendorId: 25053,
  name: 'Ruckus',
  attributes: Object.freeze([
    vendorAttr(1, 'Ruckus-User-Groups', 'text'), // comma-separated group names
    vendorAttr(2, 'Ruckus-Sta-RSSI', 'integer'),
    vendorAttr(3, 'Ruckus-SSID', 'text'),
    vendorAttr(4, 'Ruckus-Wlan-Id', 'integer'),
    vendorAttr(9, 'Ruckus-VLAN-ID', 'integer'),
    vendorAttr(14, 'Ruckus-BSSID', 'string'),
    // The brief guessed DPSK at 20; the published dictionary has 20 = FlexAuth-AVP and
    // DPSK at 142. [unverified] whether 142 carries the passphrase or a derived PMK, and
    // whether Ruckus hides it: treat as opaque octets.
    vendorAttr(20, 'Ruckus-FlexAuth-AVP', 'text'),
    vendorAttr(142, 'Ruckus-DPSK', 'string'),
  ]),
});
