/**
 * The standard attribute dictionary: number → name, data type, tag and encryption flags.
 *
 * Data type names are those of RFC 8044 §3 ("string" there means binary octets; "text" is
 * UTF-8). The text/string split follows the RFC 8044 registry for the attributes Lanyard
 * reads or writes; for the legacy ones (LAT, AppleTalk, ARAP, IPX) it is [unverified].
 */
import { Attr } from './constants.js';

export type AttributeDataType =
  | 'text' // RFC 8044 §3.4: UTF-8, 1..253 octets
  | 'string' // RFC 8044 §3.5: binary octets, 1..253
  | 'integer' // RFC 8044 §3.1: 32-bit unsigned, network order
  | 'enum' // RFC 8044 §3.2: an integer whose values are named
  | 'time' // RFC 8044 §3.3: 32-bit seconds since 1970-01-01 UTC
  | 'concat' // RFC 8044 §3.6: octets split across several attributes (EAP-Message)
  | 'ifid' // RFC 8044 §3.7: 8-octet interface id
  | 'ipv4addr' // RFC 8044 §3.8
  | 'ipv6addr' // RFC 8044 §3.9
  | 'ipv6prefix' // RFC 8044 §3.10
  | 'vsa'; // RFC 8044 §3.14: Vendor-Id + vendor data

/**
 * How a value is hidden on the wire:
 * 1 = User-Password style (RFC 2865 §5.2), 2 = salted Tunnel-Password style (RFC 2868 §3.5, RFC 2548 §2.4.2).
 */
export type EncryptMethod = 1 | 2;

export interface AttributeDef {
  readonly type: number;
  readonly name: string;
  readonly dataType: AttributeDataType;
  /** RFC 2868 §3: the value starts with a Tag octet (integers) or may (strings, tag 0x01..0x1F). */
  readonly hasTag?: boolean;
  readonly encrypt?: EncryptMethod;
}

function def(
  type: number,
  name: string,
  dataType: AttributeDataType,
  flags: { hasTag?: boolean; encrypt?: EncryptMethod } = {},
): AttributeDef {
  return Object.freeze({ type, name, dataType, ...flags });
}

const TAG = { hasTag: true } as const;

export const STANDARD_ATTRIBUTES: readonly AttributeDef[] = Object.freeze([
  // RFC 2865 §5.1..§5.43
  def(Attr.UserName, 'User-Name', 'text'),
  def(Attr.UserPassword, 'User-Password', 'string', { encrypt: 1 }), // RFC 2865 §5.2
  def(Attr.ChapPassword, 'CHAP-Password', 'string'), // RFC 2865 §5.3: CHAP Ident + 16-octet response
  def(Attr.NasIpAddress, 'NAS-IP-Address', 'ipv4addr'),
  def(Attr.NasPort, 'NAS-Port', 'integer'),
  def(Attr.ServiceType, 'Service-Type', 'enum'),
  def(Attr.FramedProtocol, 'Framed-Protocol', 'enum'),
  def(Attr.FramedIpAddress, 'Framed-IP-Address', 'ipv4addr'),
  def(Attr.FramedIpNetmask, 'Framed-IP-Netmask', 'ipv4addr'),
  def(Attr.FramedRouting, 'Framed-Routing', 'enum'),
  def(Attr.FilterId, 'Filter-Id', 'text'),
  def(Attr.FramedMtu, 'Framed-MTU', 'integer'),
  def(Attr.FramedCompression, 'Framed-Compression', 'enum'),
  def(Attr.LoginIpHost, 'Login-IP-Host', 'ipv4addr'),
  def(Attr.LoginService, 'Login-Service', 'enum'),
  def(Attr.LoginTcpPort, 'Login-TCP-Port', 'integer'),
  def(Attr.ReplyMessage, 'Reply-Message', 'text'),
  def(Attr.CallbackNumber, 'Callback-Number', 'text'),
  def(Attr.CallbackId, 'Callback-Id', 'text'),
  def(Attr.FramedRoute, 'Framed-Route', 'text'),
  def(Attr.FramedIpxNetwork, 'Framed-IPX-Network', 'ipv4addr'), // [unverified] RFC 8044 type
  def(Attr.State, 'State', 'string'),
  def(Attr.Class, 'Class', 'string'),
  def(Attr.VendorSpecific, 'Vendor-Specific', 'vsa'),
  def(Attr.SessionTimeout, 'Session-Timeout', 'integer'),
  def(Attr.IdleTimeout, 'Idle-Timeout', 'integer'),
  def(Attr.TerminationAction, 'Termination-Action', 'enum'),
  def(Attr.CalledStationId, 'Called-Station-Id', 'text'),
  def(Attr.CallingStationId, 'Calling-Station-Id', 'text'),
  def(Attr.NasIdentifier, 'NAS-Identifier', 'text'),
  def(Attr.ProxyState, 'Proxy-State', 'string'),
  def(Attr.LoginLatService, 'Login-LAT-Service', 'text'),
  def(Attr.LoginLatNode, 'Login-LAT-Node', 'text'),
  def(Attr.LoginLatGroup, 'Login-LAT-Group', 'string'),
  def(Attr.FramedAppleTalkLink, 'Framed-AppleTalk-Link', 'integer'),
  def(Attr.FramedAppleTalkNetwork, 'Framed-AppleTalk-Network', 'integer'),
  def(Attr.FramedAppleTalkZone, 'Framed-AppleTalk-Zone', 'text'),
  // RFC 2866 §5.1..§5.12
  def(Attr.AcctStatusType, 'Acct-Status-Type', 'enum'),
  def(Attr.AcctDelayTime, 'Acct-Delay-Time', 'integer'),
  def(Attr.AcctInputOctets, 'Acct-Input-Octets', 'integer'),
  def(Attr.AcctOutputOctets, 'Acct-Output-Octets', 'integer'),
  def(Attr.AcctSessionId, 'Acct-Session-Id', 'text'),
  def(Attr.AcctAuthentic, 'Acct-Authentic', 'enum'),
  def(Attr.AcctSessionTime, 'Acct-Session-Time', 'integer'),
  def(Attr.AcctInputPackets, 'Acct-Input-Packets', 'integer'),
  def(Attr.AcctOutputPackets, 'Acct-Output-Packets', 'integer'),
  def(Attr.AcctTerminateCause, 'Acct-Terminate-Cause', 'enum'),
  def(Attr.AcctMultiSessionId, 'Acct-Multi-Session-Id', 'text'),
  def(Attr.AcctLinkCount, 'Acct-Link-Count', 'integer'),
  // RFC 2869 §5.1..§5.3
  def(Attr.AcctInputGigawords, 'Acct-Input-Gigawords', 'integer'),
  def(Attr.AcctOutputGigawords, 'Acct-Output-Gigawords', 'integer'),
  def(Attr.EventTimestamp, 'Event-Timestamp', 'time'),
  // RFC 4675 §2.1..§2.4 (IEEE 802 VLAN / priority)
  def(Attr.EgressVlanId, 'Egress-VLANID', 'integer'),
  def(Attr.IngressFilters, 'Ingress-Filters', 'enum'),
  def(Attr.EgressVlanName, 'Egress-VLAN-Name', 'text'),
  def(Attr.UserPriorityTable, 'User-Priority-Table', 'string'),
  // RFC 2865 §5.40..§5.43
  def(Attr.ChapChallenge, 'CHAP-Challenge', 'string'),
  def(Attr.NasPortType, 'NAS-Port-Type', 'enum'),
  def(Attr.PortLimit, 'Port-Limit', 'integer'),
  def(Attr.LoginLatPort, 'Login-LAT-Port', 'text'),
  // RFC 2868 §3.1..§3.10 (tagged), RFC 2867 §4
  def(Attr.TunnelType, 'Tunnel-Type', 'enum', TAG),
  def(Attr.TunnelMediumType, 'Tunnel-Medium-Type', 'enum', TAG),
  def(Attr.TunnelClientEndpoint, 'Tunnel-Client-Endpoint', 'text', TAG),
  def(Attr.TunnelServerEndpoint, 'Tunnel-Server-Endpoint', 'text', TAG),
  def(Attr.AcctTunnelConnection, 'Acct-Tunnel-Connection', 'text'),
  def(Attr.TunnelPassword, 'Tunnel-Password', 'string', { hasTag: true, encrypt: 2 }), // RFC 2868 §3.5
  // RFC 2869 §5.4..§5.18, RFC 3579 §3.1/§3.2
  def(Attr.ArapPassword, 'ARAP-Password', 'string'),
  def(Attr.ArapFeatures, 'ARAP-Features', 'string'),
  def(Attr.ArapZoneAccess, 'ARAP-Zone-Access', 'enum'),
  def(Attr.ArapSecurity, 'ARAP-Security', 'integer'),
  def(Attr.ArapSecurityData, 'ARAP-Security-Data', 'string'),
  def(Attr.PasswordRetry, 'Password-Retry', 'integer'),
  def(Attr.Prompt, 'Prompt', 'enum'),
  def(Attr.ConnectInfo, 'Connect-Info', 'text'),
  def(Attr.ConfigurationToken, 'Configuration-Token', 'string'),
  def(Attr.EapMessage, 'EAP-Message', 'concat'),
  def(Attr.MessageAuthenticator, 'Message-Authenticator', 'string'),
  def(Attr.TunnelPrivateGroupId, 'Tunnel-Private-Group-Id', 'string', TAG),
  def(Attr.TunnelAssignmentId, 'Tunnel-Assignment-Id', 'string', TAG),
  def(Attr.TunnelPreference, 'Tunnel-Preference', 'integer', TAG),
  def(Attr.ArapChallengeResponse, 'ARAP-Challenge-Response', 'string'),
  def(Attr.AcctInterimInterval, 'Acct-Interim-Interval', 'integer'),
  def(Attr.AcctTunnelPacketsLost, 'Acct-Tunnel-Packets-Lost', 'integer'),
  def(Attr.NasPortId, 'NAS-Port-Id', 'text'),
  def(Attr.FramedPool, 'Framed-Pool', 'text'),
  def(Attr.ChargeableUserIdentity, 'Chargeable-User-Identity', 'string'),
  def(Attr.TunnelClientAuthId, 'Tunnel-Client-Auth-Id', 'text', TAG),
  def(Attr.TunnelServerAuthId, 'Tunnel-Server-Auth-Id', 'text', TAG),
  def(Attr.NasFilterRule, 'NAS-Filter-Rule', 'text'),
  // RFC 3162 §2.1..§2.6
  def(Attr.NasIpv6Address, 'NAS-IPv6-Address', 'ipv6addr'),
  def(Attr.FramedInterfaceId, 'Framed-Interface-Id', 'ifid'),
  def(Attr.FramedIpv6Prefix, 'Framed-IPv6-Prefix', 'ipv6prefix'),
  def(Attr.LoginIpv6Host, 'Login-IPv6-Host', 'ipv6addr'),
  def(Attr.FramedIpv6Route, 'Framed-IPv6-Route', 'text'),
  def(Attr.FramedIpv6Pool, 'Framed-IPv6-Pool', 'text'),
  // RFC 5176 §3.5, RFC 4072 §4.1.4, RFC 4818 §3, RFC 6911 §3
  def(Attr.ErrorCause, 'Error-Cause', 'enum'),
  def(Attr.EapKeyName, 'EAP-Key-Name', 'string'),
  def(Attr.DelegatedIpv6Prefix, 'Delegated-IPv6-Prefix', 'ipv6prefix'),
  def(Attr.FramedIpv6Address, 'Framed-IPv6-Address', 'ipv6addr'),
  def(Attr.DnsServerIpv6Address, 'DNS-Server-IPv6-Address', 'ipv6addr'),
]);

// Indexed by the Type octet so lookups on the hot path are an array read.
const byType: (AttributeDef | undefined)[] = new Array<AttributeDef | undefined>(256).fill(undefined);
const byName = new Map<string, AttributeDef>();
for (const a of STANDARD_ATTRIBUTES) {
  byType[a.type] = a;
  byName.set(a.name.toLowerCase(), a);
}

/** The definition of a standard attribute type, or undefined (RFC 2865 §5: unknown types MAY be ignored). */
export function attributeByType(type: number): AttributeDef | undefined {
  return byType[type];
}

/** Look up a standard attribute by its RFC name, case-insensitively ("Calling-Station-Id"). */
export function attributeByName(name: string): AttributeDef | undefined {
  return byName.get(name.toLowerCase());
}
