/**
 * The DHCP server's decisions, without the socket: a request view in, an outcome out (a reply
 * and where to send it, or silence and why), plus the lease change to store and the audit row
 * to write. One handler per message type (handlers/), like src/radius/handlers/. Pure apart
 * from the lease table it is given: the time comes in the context, nothing is logged here.
 */
import type { AuditEntry } from '../audit/log.js';
import type { DhcpConfig } from '../config/types.js';
import { decide } from '../policy/decide.js';
import type { DeviceFacts, Policy, RejectReason } from '../policy/model.js';
import { formatMac, isRandomisedMac } from '../policy/mac.js';
import type { LeaseWrite } from '../store/leases.js';
import {
  BOOTREPLY,
  DHCP_MESSAGE_TYPES,
  DHCP_OPTION,
  ipListOption,
  ipOption,
  ipToString,
  rawOption,
  textOption,
  u32Option,
  u8Option,
  type DhcpMessageType,
  type DhcpOutgoing,
  type OutOption,
} from '../protocols/dhcp/index.js';
import type { LeaseTable, ScopeState } from './pools.js';
import type { DhcpRequest } from './request.js';

/** RFC 2131 §4.1: servers send to port 67 of a relay, and clients listen on 68. */
export const SERVER_PORT = 67;
export const CLIENT_PORT = 68;
/** RFC 2131 §2: the BROADCAST bit of flags. */
export const BROADCAST_FLAG = 0x8000;

/** Why a request got no reply: a closed list, each counted (docs/dhcp.md "Counters"). */
export const DHCP_SILENCES = [
  'released', // RELEASE handled (RFC 2131 §4.3.4: no reply)
  'declined', // DECLINE handled (§4.3.3: no reply)
  'other-server', // server identifier names another server (§4.3.2 SELECTING): the client chose it
  'no-scope', // no network serves this giaddr / ciaddr, and no directNetwork for giaddr 0
  'no-record', // INIT-REBOOT or RENEWING for an address we have no record of (§4.3.2: remain silent)
  'pool-exhausted', // no free address in the pool
  'refused', // the network check refused a DISCOVER (issue 4 item 3)
  'unknown-lease', // RELEASE/DECLINE for an address this client does not hold
  'unexpected-type', // OFFER/ACK/NAK sent to the server, or a type it does not serve
  'listen-only', // dhcp.mode listen: recorded, never answered
] as const;
export type DhcpSilence = (typeof DHCP_SILENCES)[number];

export interface ReplyAddress {
  readonly address: number;
  readonly port: number;
}

export type DhcpOutcome =
  | {
      readonly kind: 'reply';
      readonly reply: DhcpOutgoing;
      readonly type: DhcpMessageType;
      readonly to: ReplyAddress;
      /** Store this before sending (an ACK): if it cannot be stored, send nothing; the client retransmits. */
      readonly write: LeaseWrite | null;
      readonly audit: AuditEntry | null;
    }
  | {
      readonly kind: 'silent';
      readonly reason: DhcpSilence;
      readonly write: LeaseWrite | null;
      readonly audit: AuditEntry | null;
    };

/** What the handlers read: the config slice, the policy, the table, the device registry, the time. */
export interface DhcpContext {
  readonly config: DhcpConfig;
  readonly policy: Policy;
  readonly table: LeaseTable;
  readonly devices: { get(mac: number): DeviceFacts | undefined };
  /** Epoch ms. */
  readonly now: number;
}

export type DhcpHandler = (req: DhcpRequest, ctx: DhcpContext) => DhcpOutcome;

export function silent(reason: DhcpSilence, write: LeaseWrite | null = null, audit: AuditEntry | null = null): DhcpOutcome {
  return { kind: 'silent', reason, write, audit };
}

/**
 * The scope a request belongs to: a relayed request by the subnet containing giaddr (RFC 2131
 * §4.3.1: the relay's address on the client's subnet); a unicast renewal (giaddr 0, ciaddr set)
 * by the subnet containing ciaddr; a broadcast on the attached segment by dhcp.directNetwork.
 */
export function scopeOf(req: DhcpRequest, ctx: DhcpContext): ScopeState | undefined {
  const p = req.packet;
  if (p.giaddr !== 0) return ctx.table.scopeContaining(p.giaddr);
  if (p.ciaddr !== 0) {
    const byClient = ctx.table.scopeContaining(p.ciaddr);
    if (byClient !== undefined) return byClient;
  }
  return ctx.config.directNetwork === null ? undefined : ctx.table.scope(ctx.config.directNetwork);
}

/**
 * The network check (issue 4 item 3): may this MAC hold a lease on this network? The same
 * rules as its RADIUS decision, asked as "a wired port on this network": a registered active
 * device only on its class's network; blocked, lost, retired or expired devices nowhere; an
 * unknown MAC only where the network's unknownDevices rule admits it (policy/decide.ts).
 */
export function leaseRefusal(ctx: DhcpContext, mac: number, network: string): RejectReason | null {
  if (!ctx.config.checkDevices) return null;
  const decision = decide(ctx.policy, ctx.devices.get(mac), { ssid: null, nasDefaultNetwork: network, now: ctx.now });
  return decision.kind === 'accept' ? null : decision.reason;
}

/** The audit row for a refused lease: a decision by method 'dhcp' (docs/audit-log.md). */
export function refusalEntry(req: DhcpRequest, scope: ScopeState, reason: RejectReason, ctx: DhcpContext): AuditEntry {
  const device = ctx.devices.get(req.mac);
  const ip = req.requestedIp ?? (req.packet.ciaddr !== 0 ? req.packet.ciaddr : null);
  return {
    at: ctx.now,
    kind: 'decision',
    actor: 'dhcp',
    mac: formatMac(req.mac),
    person: device?.owner ?? null,
    ip: ip === null ? null : ipToString(ip),
    // The decision_events view reads nas and nas_address as always set: the relay, or 0.0.0.0 when direct.
    nas: 'dhcp',
    nasAddress: ipToString(req.packet.giaddr),
    network: scope.scope.network,
    vlan: scope.scope.vlan,
    className: device?.className ?? null,
    method: 'dhcp',
    result: 'reject',
    reason,
    randomised: isRandomisedMac(req.mac),
    latencyUs: 0,
  };
}

/**
 * Where a reply goes (RFC 2131 §4.1): to the relay (giaddr, port 67) when relayed; else to
 * ciaddr when the client has one (RENEWING, INFORM); else — a client without an address —
 * to the subnet broadcast of the scope on port 68. (RFC 2131 wants a unicast to yiaddr or the
 * limited broadcast 255.255.255.255; Node's dgram can do neither without an ARP entry or a
 * route for it: docs/dhcp.md.) A NAK to a client on the attached segment is always broadcast
 * (§4.3.2: the client may not have the address it asked about).
 */
export function replyAddress(req: DhcpRequest, scope: ScopeState, nak: boolean): ReplyAddress {
  const p = req.packet;
  if (p.giaddr !== 0) return { address: p.giaddr, port: SERVER_PORT };
  if (!nak && p.ciaddr !== 0) return { address: p.ciaddr, port: CLIENT_PORT };
  return { address: scope.scope.broadcast, port: CLIENT_PORT };
}

/** The configuration options of a scope (RFC 2132 §3), in the client's option 55 order when it gave one. */
function scopeOptions(scope: ScopeState, order: readonly number[] | null): OutOption[] {
  const s = scope.scope;
  const out: OutOption[] = [ipOption(DHCP_OPTION.SUBNET_MASK, s.mask)]; // RFC 2132 §3.3
  if (s.router !== null) out.push(ipListOption(DHCP_OPTION.ROUTER, [s.router])); // §3.5
  if (s.dns.length > 0) out.push(ipListOption(DHCP_OPTION.DNS_SERVERS, s.dns)); // §3.8
  if (s.domain !== null) out.push(textOption(DHCP_OPTION.DOMAIN_NAME, s.domain)); // §3.17
  out.push(ipOption(DHCP_OPTION.BROADCAST_ADDRESS, s.broadcast)); // §5.3
  if (order === null) return out;
  // RFC 2132 §9.8: the server SHOULD try to insert the options in the order the client asked.
  const rank = (code: number): number => {
    const i = order.indexOf(code);
    return i < 0 ? order.length : i;
  };
  return out.sort((a, b) => rank(a.code) - rank(b.code));
}

/** An OFFER or ACK (RFC 2131 §4.3.1 Table 3). `leaseSeconds` null: an ACK to INFORM (no lease, §3.4). */
export function offerOrAck(
  req: DhcpRequest,
  scope: ScopeState,
  ctx: DhcpContext,
  type: typeof DHCP_MESSAGE_TYPES.OFFER | typeof DHCP_MESSAGE_TYPES.ACK,
  yiaddr: number,
  leaseSeconds: number | null,
): DhcpOutgoing {
  const p = req.packet;
  const serverId = ctx.config.serverId ?? 0;
  const options: OutOption[] = [u8Option(DHCP_OPTION.MESSAGE_TYPE, type), ipOption(DHCP_OPTION.SERVER_ID, serverId)];
  if (leaseSeconds !== null) {
    options.push(u32Option(DHCP_OPTION.LEASE_TIME, leaseSeconds)); // RFC 2132 §9.2
    options.push(u32Option(DHCP_OPTION.RENEWAL_TIME, Math.floor(leaseSeconds * 0.5))); // T1, RFC 2131 §4.4.5
    options.push(u32Option(DHCP_OPTION.REBINDING_TIME, Math.floor(leaseSeconds * 0.875))); // T2
  }
  options.push(...scopeOptions(scope, req.parameterList));
  if (req.relayInfo !== null) options.push(rawOption(DHCP_OPTION.RELAY_AGENT_INFO, req.relayInfo)); // RFC 3046 §2.2: echoed, last
  return {
    op: BOOTREPLY,
    htype: p.htype,
    hlen: p.hlen,
    xid: p.xid,
    flags: p.flags,
    // Table 3: ciaddr is the request's in an ACK (RENEWING, INFORM), 0 in an OFFER.
    ciaddr: type === DHCP_MESSAGE_TYPES.ACK ? p.ciaddr : 0,
    yiaddr,
    siaddr: serverId,
    giaddr: p.giaddr,
    chaddr: p.chaddr,
    options,
  };
}

/** A NAK (RFC 2131 §4.3.2, Table 3): no address, no lease; the relay must broadcast it. */
export function nak(req: DhcpRequest, ctx: DhcpContext, scope: ScopeState): DhcpOutcome {
  const p = req.packet;
  const options: OutOption[] = [u8Option(DHCP_OPTION.MESSAGE_TYPE, DHCP_MESSAGE_TYPES.NAK), ipOption(DHCP_OPTION.SERVER_ID, ctx.config.serverId ?? 0)];
  if (req.relayInfo !== null) options.push(rawOption(DHCP_OPTION.RELAY_AGENT_INFO, req.relayInfo));
  const reply: DhcpOutgoing = {
    op: BOOTREPLY,
    htype: p.htype,
    hlen: p.hlen,
    xid: p.xid,
    // §4.3.2: with giaddr set, the server sets the BROADCAST bit so the relay broadcasts the NAK.
    flags: p.giaddr !== 0 ? p.flags | BROADCAST_FLAG : p.flags,
    giaddr: p.giaddr,
    chaddr: p.chaddr,
    options,
  };
  return { kind: 'reply', reply, type: DHCP_MESSAGE_TYPES.NAK, to: replyAddress(req, scope, true), write: null, audit: null };
}
