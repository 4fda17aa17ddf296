/**
 * What the engine reads from a decoded DHCP message: one plain view built once per datagram,
 * so the handlers never walk the option list twice. Pure.
 */
import {
  clientId as clientIdOption,
  hostname as hostnameOption,
  leaseTime,
  maxMessageSize,
  messageType,
  parameterList,
  relayAgentInfo,
  requestedIp,
  serverId,
} from '../protocols/dhcp/index.js';
import { BOOTREQUEST, type DhcpMessageType, type DhcpPacket } from '../protocols/dhcp/types.js';
import { clientKeyOf, type ClientIdentity } from './pools.js';

export interface DhcpRequest {
  readonly packet: DhcpPacket;
  readonly type: DhcpMessageType;
  /** chaddr (Ethernet) as a 48-bit number. */
  readonly mac: number;
  readonly client: ClientIdentity;
  /** Option 50 (RFC 2132 §9.1), or null. */
  readonly requestedIp: number | null;
  /** Option 54 (RFC 2132 §9.7), or null. */
  readonly serverId: number | null;
  /** Option 55 codes in the client's order (RFC 2132 §9.8), or null. */
  readonly parameterList: readonly number[] | null;
  /** Option 82 as received (RFC 3046), echoed unchanged in the reply, or null. */
  readonly relayInfo: Uint8Array | null;
  /** Option 51 (RFC 2132 §9.2) in a DISCOVER or REQUEST: the lease time the client asks for, or null. */
  readonly leaseTime: number | null;
  /** Option 57 (RFC 2132 §9.10), or null: the largest message the client accepts. */
  readonly maxMessageSize: number | null;
}

/** Why a decoded message is not a client request the engine can act on. */
export type NotARequest = 'not-a-request' | 'no-message-type' | 'not-ethernet';

/** Builds the view, or says why the message is not a usable request. */
export function viewOf(packet: DhcpPacket): DhcpRequest | NotARequest {
  if (packet.op !== BOOTREQUEST) return 'not-a-request'; // RFC 2131 §4.1: servers answer BOOTREQUESTs only
  const type = messageType(packet);
  if (type === undefined) return 'no-message-type'; // a plain BOOTP request: Lanyard serves DHCP only
  // RFC 2131 §2: htype 1 / hlen 6 is Ethernet; the engine keys reservations and the device
  // registry on a 48-bit MAC, so anything else has no identity it can check.
  if (packet.htype !== 1 || packet.hlen !== 6) return 'not-ethernet';
  const mac = packet.chaddr.readUIntBE(0, 6); // chaddr is always 16 octets (decode.ts)
  const id = clientIdOption(packet);
  const clientIdHex = id === undefined || id.length === 0 ? null : id.toString('hex');
  const name = hostnameOption(packet) ?? null;
  return {
    packet,
    type,
    mac,
    client: { key: clientKeyOf(mac, clientIdHex), mac, clientId: clientIdHex, hostname: name },
    requestedIp: requestedIp(packet) ?? null,
    serverId: serverId(packet) ?? null,
    parameterList: parameterList(packet) ?? null,
    relayInfo: relayAgentInfo(packet) ?? null,
    leaseTime: leaseTime(packet) ?? null,
    maxMessageSize: maxMessageSize(packet) ?? null,
  };
}
