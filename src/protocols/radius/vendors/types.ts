/**
 * Shapes of the vendor dictionaries. Each vendor file holds facts from the vendor's
 * published dictionary (numbers, names, types), checked as noted beside each entry.
 */
import type { AttributeDataType, EncryptMethod } from '../dictionary.js';

export interface VendorAttributeDef {
  /** Vendor-Type octet inside the VSA (RFC 2865 §5.26 recommended layout). */
  readonly type: number;
  /** Full name including the vendor prefix, e.g. "Aruba-User-Role". */
  readonly name: string;
  readonly dataType: AttributeDataType;
  /** 1 = User-Password style (RFC 2865 §5.2), 2 = salted (RFC 2868 §3.5 / RFC 2548 §2.4.2). */
  readonly encrypt?: EncryptMethod;
}

export interface VendorDictionary {
  /** SMI Network Management Private Enterprise Code (RFC 2865 §5.26 Vendor-Id). */
  readonly vendorId: number;
  readonly name: string;
  readonly attributes: readonly VendorAttributeDef[];
}

export function vendorAttr(
  type: number,
  name: string,
  dataType: AttributeDataType,
  encrypt?: EncryptMethod,
): VendorAttributeDef {
  return Object.freeze(encrypt === undefined ? { type, name, dataType } : { type, name, dataType, encrypt });
}
