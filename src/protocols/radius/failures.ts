/**
 * Why a datagram is not a RADIUS packet the codec will hand on: a CLOSED list.
 *
 * check() and decodePacket() return exactly one of these (never throw): the header reasons
 * in the order listed, then the reason of the first bad attribute in wire order, so one
 * datagram always yields the same reason. Each reason is about
 * framing (RFC 2865 §3 header, RFC 2865 §5 attribute TLVs) or about the two attributes
 * whose length the RFCs fix and that the security checks depend on (Message-Authenticator,
 * Vendor-Specific). Per-attribute value rules (an integer that is not 4 octets, a
 * User-Password that is not 16..128 octets) are left to the typed readers, which return
 * null, because RFC 2865 §5 asks for an Access-Reject there rather than a silent drop.
 */
export const DECODE_FAILURES = [
  'packet-too-short',
  'length-too-small',
  'packet-too-long',
  'length-field-mismatch',
  'unknown-code',
  'attribute-truncated',
  'attribute-length-invalid',
  'attribute-zero-length-value',
  'message-authenticator-malformed',
  'duplicate-message-authenticator',
  'vsa-malformed',
] as const;

export type DecodeFailure = (typeof DECODE_FAILURES)[number];

export const failureMessage: Readonly<Record<DecodeFailure, string>> = {
  'packet-too-short': 'The datagram is shorter than the 20-octet RADIUS header (RFC 2865 §3).',
  'length-too-small': 'The Length field is below the minimum of 20 (RFC 2865 §3).',
  'packet-too-long': 'The Length field is above the maximum of 4096 (RFC 2865 §3).',
  'length-field-mismatch':
    'The Length field claims more octets than the datagram holds, so the packet was truncated (RFC 2865 §3).',
  'unknown-code': 'The Code field is not a known RADIUS packet type (RFC 2865 §3: silently discard).',
  'attribute-truncated': 'One octet is left after the last attribute: too short for an attribute header (RFC 2865 §5).',
  'attribute-length-invalid':
    'An attribute Length is below 2 or runs past the end of the packet (RFC 2865 §5).',
  'attribute-zero-length-value':
    'An attribute has Length 2 (no value); every RADIUS data type needs at least one octet (RFC 2865 §5, RFC 8044 §3).',
  'message-authenticator-malformed': 'Message-Authenticator does not have Length 18 (RFC 3579 §3.2).',
  'duplicate-message-authenticator':
    'More than one Message-Authenticator is present; exactly one is allowed (RFC 3579 §3.3).',
  'vsa-malformed': 'A Vendor-Specific attribute is shorter than 7 octets (RFC 2865 §5.26).',
};

export function isDecodeFailure(value: unknown): value is DecodeFailure {
  return typeof value === 'string' && (DECODE_FAILURES as readonly string[]).includes(value);
}
