/**
 * RADIUS numbers: packet codes, attribute types and the enumerated values Lanyard uses.
 * Every number here comes from the RFC (or IANA registry entry) cited beside it.
 */

/** RFC 2865 §3: the header is Code(1) + Identifier(1) + Length(2) + Authenticator(16). */
export const HEADER_LENGTH = 20;
/** RFC 2865 §3: "The minimum length is 20 and maximum length is 4096." */
export const MAX_PACKET_LENGTH = 4096;
/** RFC 2865 §3: the Authenticator field is sixteen octets. */
export const AUTHENTICATOR_LENGTH = 16;
/** RFC 2865 §5: the attribute Length octet covers Type + Length + Value, so a value holds at most 253 octets. */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 253;
/** RFC 3579 §3.2: Message-Authenticator always has Length 18 (16-octet HMAC-MD5). */
export const MESSAGE_AUTHENTICATOR_LENGTH = 18;
/** RFC 2865 §5.26: Type(1) + Length(1) + Vendor-Id(4) + at least one octet of String. */
export const MIN_VSA_LENGTH = 7;
/** RFC 2865 §5.26: a VSA value (Vendor-Id + vendor type + vendor length + data) leaves 247 octets of data. */
export const MAX_VSA_DATA_LENGTH = 247;

/** Packet codes: RFC 2865 §3, RFC 2866 §3, RFC 5997 §3 (Status-Server), RFC 5176 §2.3 (DM/CoA). */
export const Code = {
  AccessRequest: 1, // RFC 2865 §4.1
  AccessAccept: 2, // RFC 2865 §4.2
  AccessReject: 3, // RFC 2865 §4.3
  AccountingRequest: 4, // RFC 2866 §4.1
  AccountingResponse: 5, // RFC 2866 §4.2
  AccessChallenge: 11, // RFC 2865 §4.4
  StatusServer: 12, // RFC 2865 §3 (experimental), RFC 5997 §3
  StatusClient: 13, // RFC 2865 §3 (experimental)
  DisconnectRequest: 40, // RFC 5176 §2.3
  DisconnectAck: 41, // RFC 5176 §2.3
  DisconnectNak: 42, // RFC 5176 §2.3
  CoaRequest: 43, // RFC 5176 §2.3
  CoaAck: 44, // RFC 5176 §2.3
  CoaNak: 45, // RFC 5176 §2.3
} as const;
export type CodeName = keyof typeof Code;
export type PacketCode = (typeof Code)[CodeName];

/** Every code the codec accepts; any other Code octet is 'unknown-code' (RFC 2865 §3: silently discard). */
export const KNOWN_CODES: readonly PacketCode[] = Object.values(Code);

// A 256-entry table so check() can test the Code octet without hashing or allocating.
const knownCodeTable = new Uint8Array(256);
for (const c of KNOWN_CODES) knownCodeTable[c] = 1;

export function isKnownCode(code: number): code is PacketCode {
  return knownCodeTable[code] === 1;
}

const codeNames = new Map<number, CodeName>(
  (Object.entries(Code) as [CodeName, PacketCode][]).map(([name, value]) => [value, name]),
);

/** The constant's name for a code ("AccessRequest"), or undefined for an unknown code. */
export function codeName(code: number): CodeName | undefined {
  return codeNames.get(code);
}

/** Standard attribute types (RFC 2865 §5, RFC 2866 §5, RFC 2867, RFC 2868 §3, RFC 2869 §5, RFC 3162, RFC 3579, RFC 4072, RFC 4372, RFC 4675, RFC 4818, RFC 5176). */
export const Attr = {
  UserName: 1, // RFC 2865 §5.1
  UserPassword: 2, // RFC 2865 §5.2
  ChapPassword: 3, // RFC 2865 §5.3
  NasIpAddress: 4, // RFC 2865 §5.4
  NasPort: 5, // RFC 2865 §5.5
  ServiceType: 6, // RFC 2865 §5.6
  FramedProtocol: 7, // RFC 2865 §5.7
  FramedIpAddress: 8, // RFC 2865 §5.8
  FramedIpNetmask: 9, // RFC 2865 §5.9
  FramedRouting: 10, // RFC 2865 §5.10
  FilterId: 11, // RFC 2865 §5.11
  FramedMtu: 12, // RFC 2865 §5.12
  FramedCompression: 13, // RFC 2865 §5.13
  LoginIpHost: 14, // RFC 2865 §5.14
  LoginService: 15, // RFC 2865 §5.15
  LoginTcpPort: 16, // RFC 2865 §5.16
  ReplyMessage: 18, // RFC 2865 §5.18
  CallbackNumber: 19, // RFC 2865 §5.19
  CallbackId: 20, // RFC 2865 §5.20
  FramedRoute: 22, // RFC 2865 §5.22
  FramedIpxNetwork: 23, // RFC 2865 §5.23
  State: 24, // RFC 2865 §5.24
  Class: 25, // RFC 2865 §5.25
  VendorSpecific: 26, // RFC 2865 §5.26
  SessionTimeout: 27, // RFC 2865 §5.27
  IdleTimeout: 28, // RFC 2865 §5.28
  TerminationAction: 29, // RFC 2865 §5.29
  CalledStationId: 30, // RFC 2865 §5.30
  CallingStationId: 31, // RFC 2865 §5.31
  NasIdentifier: 32, // RFC 2865 §5.32
  ProxyState: 33, // RFC 2865 §5.33
  LoginLatService: 34, // RFC 2865 §5.34
  LoginLatNode: 35, // RFC 2865 §5.35
  LoginLatGroup: 36, // RFC 2865 §5.36
  FramedAppleTalkLink: 37, // RFC 2865 §5.37
  FramedAppleTalkNetwork: 38, // RFC 2865 §5.38
  FramedAppleTalkZone: 39, // RFC 2865 §5.39
  AcctStatusType: 40, // RFC 2866 §5.1
  AcctDelayTime: 41, // RFC 2866 §5.2
  AcctInputOctets: 42, // RFC 2866 §5.3
  AcctOutputOctets: 43, // RFC 2866 §5.4
  AcctSessionId: 44, // RFC 2866 §5.5
  AcctAuthentic: 45, // RFC 2866 §5.6
  AcctSessionTime: 46, // RFC 2866 §5.7
  AcctInputPackets: 47, // RFC 2866 §5.8
  AcctOutputPackets: 48, // RFC 2866 §5.9
  AcctTerminateCause: 49, // RFC 2866 §5.10
  AcctMultiSessionId: 50, // RFC 2866 §5.11
  AcctLinkCount: 51, // RFC 2866 §5.12
  AcctInputGigawords: 52, // RFC 2869 §5.1
  AcctOutputGigawords: 53, // RFC 2869 §5.2
  EventTimestamp: 55, // RFC 2869 §5.3
  EgressVlanId: 56, // RFC 4675 §2.1
  IngressFilters: 57, // RFC 4675 §2.2
  EgressVlanName: 58, // RFC 4675 §2.3
  UserPriorityTable: 59, // RFC 4675 §2.4
  ChapChallenge: 60, // RFC 2865 §5.40
  NasPortType: 61, // RFC 2865 §5.41
  PortLimit: 62, // RFC 2865 §5.42
  LoginLatPort: 63, // RFC 2865 §5.43
  TunnelType: 64, // RFC 2868 §3.1
  TunnelMediumType: 65, // RFC 2868 §3.2
  TunnelClientEndpoint: 66, // RFC 2868 §3.3
  TunnelServerEndpoint: 67, // RFC 2868 §3.4
  AcctTunnelConnection: 68, // RFC 2867 §4.1
  TunnelPassword: 69, // RFC 2868 §3.5
  ArapPassword: 70, // RFC 2869 §5.4
  ArapFeatures: 71, // RFC 2869 §5.5
  ArapZoneAccess: 72, // RFC 2869 §5.6
  ArapSecurity: 73, // RFC 2869 §5.7
  ArapSecurityData: 74, // RFC 2869 §5.8
  PasswordRetry: 75, // RFC 2869 §5.9
  Prompt: 76, // RFC 2869 §5.10
  ConnectInfo: 77, // RFC 2869 §5.11
  ConfigurationToken: 78, // RFC 2869 §5.12
  EapMessage: 79, // RFC 3579 §3.1 (was RFC 2869 §5.13)
  MessageAuthenticator: 80, // RFC 3579 §3.2 (was RFC 2869 §5.14)
  TunnelPrivateGroupId: 81, // RFC 2868 §3.6
  TunnelAssignmentId: 82, // RFC 2868 §3.7
  TunnelPreference: 83, // RFC 2868 §3.8
  ArapChallengeResponse: 84, // RFC 2869 §5.15
  AcctInterimInterval: 85, // RFC 2869 §5.16
  AcctTunnelPacketsLost: 86, // RFC 2867 §4.2
  NasPortId: 87, // RFC 2869 §5.17
  FramedPool: 88, // RFC 2869 §5.18
  ChargeableUserIdentity: 89, // RFC 4372 §2.2
  TunnelClientAuthId: 90, // RFC 2868 §3.9
  TunnelServerAuthId: 91, // RFC 2868 §3.10
  NasFilterRule: 92, // RFC 4849 §2
  NasIpv6Address: 95, // RFC 3162 §2.1
  FramedInterfaceId: 96, // RFC 3162 §2.2 (printed as "3.2" in the RFC)
  FramedIpv6Prefix: 97, // RFC 3162 §2.3
  LoginIpv6Host: 98, // RFC 3162 §2.4
  FramedIpv6Route: 99, // RFC 3162 §2.5
  FramedIpv6Pool: 100, // RFC 3162 §2.6
  ErrorCause: 101, // RFC 5176 §3.5
  EapKeyName: 102, // RFC 4072 §4.1.4
  DelegatedIpv6Prefix: 123, // RFC 4818 §3
  FramedIpv6Address: 168, // RFC 6911 §3.1
  DnsServerIpv6Address: 169, // RFC 6911 §3.2
} as const;
export type AttrName = keyof typeof Attr;

/** Service-Type values: RFC 2865 §5.6; Authorize-Only (17) allocated by IANA at the request of RFC 3576 §4 / RFC 5176 §3.2. */
export const ServiceType = {
  Login: 1,
  Framed: 2,
  CallbackLogin: 3,
  CallbackFramed: 4,
  Outbound: 5,
  Administrative: 6,
  NasPrompt: 7,
  AuthenticateOnly: 8,
  CallbackNasPrompt: 9,
  CallCheck: 10, // RFC 2865 §5.6; what switches send for MAC Authentication Bypass
  CallbackAdministrative: 11,
  AuthorizeOnly: 17,
} as const;

/** Tunnel-Type values: RFC 2868 §3.1; VLAN (13) from RFC 3580 §3.31. */
export const TunnelType = {
  PPTP: 1,
  L2F: 2,
  L2TP: 3,
  ATMP: 4,
  VTP: 5,
  AH: 6,
  IpIp: 7,
  MinIpIp: 8,
  ESP: 9,
  GRE: 10,
  DVS: 11,
  IpInIpTunneling: 12,
  VLAN: 13, // RFC 3580 §3.31
} as const;

/** Tunnel-Medium-Type values: RFC 2868 §3.2. */
export const TunnelMediumType = {
  IPv4: 1,
  IPv6: 2,
  NSAP: 3,
  HDLC: 4,
  BBN1822: 5,
  IEEE802: 6, // "802 (includes all 802 media plus Ethernet canonical format)"
  E163: 7,
  E164: 8,
  F69: 9,
  X121: 10,
  IPX: 11,
  Appletalk: 12,
  DecnetIV: 13,
  BanyanVines: 14,
  E164WithNsap: 15,
} as const;

/** NAS-Port-Type values: RFC 2865 §5.41. */
export const NasPortType = {
  Async: 0,
  Sync: 1,
  IsdnSync: 2,
  IsdnAsyncV120: 3,
  IsdnAsyncV110: 4,
  Virtual: 5,
  PIAFS: 6,
  HdlcClearChannel: 7,
  X25: 8,
  X75: 9,
  G3Fax: 10,
  SDSL: 11,
  AdslCap: 12,
  AdslDmt: 13,
  IDSL: 14,
  Ethernet: 15,
  xDSL: 16,
  Cable: 17,
  WirelessOther: 18,
  Wireless80211: 19,
} as const;

/** Acct-Status-Type values: RFC 2866 §5.1. */
export const AcctStatusType = {
  Start: 1,
  Stop: 2,
  InterimUpdate: 3,
  AccountingOn: 7,
  AccountingOff: 8,
} as const;

/** Acct-Authentic values: RFC 2866 §5.6. */
export const AcctAuthentic = { Radius: 1, Local: 2, Remote: 3 } as const;

/** Acct-Terminate-Cause values: RFC 2866 §5.10. */
export const AcctTerminateCause = {
  UserRequest: 1,
  LostCarrier: 2,
  LostService: 3,
  IdleTimeout: 4,
  SessionTimeout: 5,
  AdminReset: 6,
  AdminReboot: 7,
  PortError: 8,
  NasError: 9,
  NasRequest: 10,
  NasReboot: 11,
  PortUnneeded: 12,
  PortPreempted: 13,
  PortSuspended: 14,
  ServiceUnavailable: 15,
  Callback: 16,
  UserError: 17,
  HostRequest: 18,
} as const;

/** Error-Cause values: RFC 5176 §3.5. */
export const ErrorCause = {
  ResidualSessionContextRemoved: 201,
  InvalidEapPacket: 202,
  UnsupportedAttribute: 401,
  MissingAttribute: 402,
  NasIdentificationMismatch: 403,
  InvalidRequest: 404,
  UnsupportedService: 405,
  UnsupportedExtension: 406,
  InvalidAttributeValue: 407,
  AdministrativelyProhibited: 501,
  RequestNotRoutable: 502,
  SessionContextNotFound: 503,
  SessionContextNotRemovable: 504,
  OtherProxyProcessingError: 505,
  ResourcesUnavailable: 506,
  RequestInitiated: 507,
  MultipleSessionSelectionUnsupported: 508,
} as const;
