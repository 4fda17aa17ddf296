/** Microsoft, enterprise 311. Source: RFC 2548 (Microsoft Vendor-specific RADIUS Attributes). */
import { vendorAttr, type VendorDictionary } from './types.js';

export const MICROSOFT: VendorDictionary = Object.freeze({
  vendorId: 311,
  name: 'Microsoft',
  attributes: Object.freeze([
    vendorAttr(1, 'MS-CHAP-Response', 'string'), // RFC 2548 §2.1.3
    vendorAttr(2, 'MS-CHAP-Error', 'text'), // RFC 2548 §2.1.5
    vendorAttr(7, 'MS-MPPE-Encryption-Policy', 'enum'), // RFC 2548 §2.4.4
    vendorAttr(8, 'MS-MPPE-Encryption-Types', 'integer'), // RFC 2548 §2.4.5
    vendorAttr(10, 'MS-CHAP-Domain', 'text'), // RFC 2548 §2.1.4
    vendorAttr(11, 'MS-CHAP-Challenge', 'string'), // RFC 2548 §2.1.2
    vendorAttr(12, 'MS-CHAP-MPPE-Keys', 'string', 1), // RFC 2548 §2.4.1: hidden as User-Password
    vendorAttr(16, 'MS-MPPE-Send-Key', 'string', 2), // RFC 2548 §2.4.2: salted
    vendorAttr(17, 'MS-MPPE-Recv-Key', 'string', 2), // RFC 2548 §2.4.3: salted
    vendorAttr(25, 'MS-CHAP2-Response', 'string'), // RFC 2548 §2.3.2
    vendorAttr(26, 'MS-CHAP2-Success', 'string'), // RFC 2548 §2.3.3
    vendorAttr(28, 'MS-Primary-DNS-Server', 'ipv4addr'), // RFC 2548 §2.7.6
    vendorAttr(29, 'MS-Secondary-DNS-Server', 'ipv4addr'), // RFC 2548 §2.7.7
  ]),
});
