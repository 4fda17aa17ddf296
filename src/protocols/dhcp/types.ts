/**
 * The DHCPv4 codec's data model (RFC 2131 §2, RFC 2132, RFC 3396, RFC 3046): what decode
 * returns and what encode takes. Pure data: the codec (decode.ts, encode.ts, options.ts)
 * turns bytes into these values and back; it never opens a socket, reads a clock or logs.
 *
 * IPv4 addresses are unsigned 32-bit integers (network order, `>>> 0`): the server does pool
 * arithmetic on them, and a dotted string is made only at the edges (ip.ts).
 */

/** RFC 2131 §2: op. */
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

/** RFC 2132 §9.6: DHCP Message Type (option 53) values. */
export const DHCP_MESSAGE_TYPES = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type DhcpMessageTypeName = keyof typeof DHCP_MESSAGE_TYPES;
export type DhcpMessageType = (typeof DHCP_MESSAGE_TYPES)[DhcpMessageTypeName];

/** Option codes Lanyard reads or writes (RFC 2132 unless noted). */
export const DHCP_OPTION = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS_SERVERS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  BROADCAST_ADDRESS: 28,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  RELAY_AGENT_INFO: 82, // RFC 3046
  END: 255,
} as const;

/** Where an option entry was found: the options field, or file/sname when option 52 says so (RFC 2132 §9.3). */
export type OptionArea = 'options' | 'file' | 'sname';

/**
 * One option entry exactly as it sat on the wire, in wire order. Pad (0) and End (255) are not
 * listed. A long option split over several entries (RFC 3396 §6) appears as several entries with
 * the same code; `optionData()` concatenates them.
 */
export interface RawOption {
  readonly code: number;
  /** The entry's value octets (length 0..255), a view into the decoded datagram's copy. */
  readonly data: Buffer;
  readonly area: OptionArea;
}

/** A decoded DHCP message. Fields are RFC 2131 §2 Table 1. */
export interface DhcpPacket {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  /** Bit 15 (0x8000) is BROADCAST (RFC 2131 §2). */
  readonly flags: number;
  readonly ciaddr: number;
  readonly yiaddr: number;
  readonly siaddr: number;
  readonly giaddr: number;
  /** All 16 octets of chaddr; the hardware address is the first `hlen`. */
  readonly chaddr: Buffer;
  /** 64 octets; meaningful as text only when option 52 does not use it for options. */
  readonly sname: Buffer;
  /** 128 octets; likewise. */
  readonly file: Buffer;
  /** Every option entry in wire order (options field, then file, then sname: RFC 2131 §4.1). */
  readonly options: readonly RawOption[];
}

/** An option to encode: any length; the encoder splits values over 255 octets (RFC 3396 §6). */
export interface OutOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** What encodeDhcp() takes: a reply the server builds (or a request a test builds). */
export interface DhcpOutgoing {
  readonly op: number;
  readonly htype?: number; // default 1 (Ethernet)
  readonly hlen?: number; // default 6
  readonly hops?: number; // default 0
  readonly xid: number;
  readonly secs?: number;
  readonly flags?: number;
  readonly ciaddr?: number;
  readonly yiaddr?: number;
  readonly siaddr?: number;
  readonly giaddr?: number;
  /** Up to 16 octets; zero-filled to 16. */
  readonly chaddr: Uint8Array;
  /** Written in this order, after the magic cookie, followed by End; the datagram is padded to 300 octets (RFC 1542 §2.1 / BOOTP minimum). */
  readonly options: readonly OutOption[];
}

/** Why a datagram is not a DHCP message the codec hands on: a closed list (decode never throws). */
export const DHCP_DECODE_FAILURES = [
  'too-short', // under 236 + 4 octets (header + magic cookie)
  'bad-magic-cookie', // RFC 2131 §3: 99.130.83.99
  'bad-hlen', // hlen > 16
  'option-truncated', // an option's length runs past its area
  'missing-end', // an overloaded file/sname area has no End (decode.ts explains the leniency for the options field)
  'bad-overload', // option 52 not 1 octet of value 1, 2 or 3, or present in file/sname
] as const;
export type DhcpDecodeFailure = (typeof DHCP_DECODE_FAILURES)[number];

export type DhcpDecodeResult =
  | { readonly ok: true; readonly packet: DhcpPacket }
  | { readonly ok: false; readonly reason: DhcpDecodeFailure };
