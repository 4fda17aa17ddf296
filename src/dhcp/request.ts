/**
 * What the engine reads from a decoded DHCP message: one plain view built once per datagram,
 * so the handlers never walk the option list twice. Pure.
 */
import {
  clientId as clientIdOption,
  hostname as hostnameOption,
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
}

/** Why a decoded message is not a client request the engine can act on. */
export type NotARequest = 'not-a-request' | 'no-message-type' | 'not-ethernet';

const HEX = '0123456789abcdef';

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

/** Builds the view, or says why the message is not a usable request. */
export function viewOf(packet: DhcpPacket): DhcpRequest | NotARequest {
  if (packet.op !== BOOTREQUEST) return 'not-a-request'; // RFC 2131 §4.1: servers answer BOOTREQUESTs only
  const type = messageType(packet);
  if (type === undefined) return 'no-message-type'; // a plain BOOTP request: Lanyard serves DHCP only
  // RFC 2131 §2: htype 1 / hlen 6 is Ethernet; the engine keys reservations and the device
  // registry on a 48-bit MAC, so anything else has no identity it can check.
  if (packet.htype !== 1 || packet.hlen !== 6) return 'not-ethernet';
  let mac = 0;
  for (let i = 0; i < 6; i++) mac = mac * 256 + (packet.chaddr[i] ?? 0);
  const id = clientIdOption(packet);
  const clientIdHex = id === undefined || id.length === 0 ? null : hex(id);
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
  };
}
