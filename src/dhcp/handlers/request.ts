/**
 * DHCPREQUEST → DHCPACK / DHCPNAK / silence, in each client state of RFC 2131 §4.3.2:
 *  - SELECTING: server identifier present. Not ours: the client chose another server, so our
 *    offer is withdrawn and we stay silent. Ours: ACK the address we offered, else NAK.
 *  - INIT-REBOOT: no server identifier, requested IP (option 50) set, ciaddr 0. NAK when the
 *    address is wrong for the network or is not this client's; silence when we have no record.
 *  - RENEWING (unicast) / REBINDING (broadcast): ciaddr set, no option 50. Extend the lease
 *    when it is this client's; NAK when the address belongs to someone else; else silence.
 * Before any ACK the network check runs again: a device blocked since its last lease is NAKed.
 */
import { DHCP_MESSAGE_TYPES } from '../../protocols/dhcp/types.js';
import { leaseRefusal, nak, offerOrAck, refusalEntry, replyAddress, scopeOf, silent, type DhcpContext, type DhcpHandler, type DhcpOutcome } from '../engine.js';
import { isActive, type ScopeState } from '../pools.js';
import type { DhcpRequest } from '../request.js';

function ack(req: DhcpRequest, ctx: DhcpContext, scope: ScopeState, ip: number): DhcpOutcome {
  const refusal = leaseRefusal(ctx, req.mac, scope.scope.network);
  if (refusal !== null) return { ...nak(req, ctx, scope), audit: refusalEntry(req, scope, refusal, ctx) };
  const write = ctx.table.bind(scope, ip, req.client, ctx.now, scope.scope.leaseTime * 1000);
  const reply = offerOrAck(req, scope, ctx, DHCP_MESSAGE_TYPES.ACK, ip, scope.scope.leaseTime);
  return { kind: 'reply', reply, type: DHCP_MESSAGE_TYPES.ACK, to: replyAddress(req, scope, false), write, audit: null };
}

function selecting(req: DhcpRequest, ctx: DhcpContext, scope: ScopeState): DhcpOutcome {
  const ip = req.requestedIp;
  const lease = ip === null ? undefined : ctx.table.get(ip);
  // §4.3.2: "requested IP address" MUST be the offered one; it must still be held for this client.
  if (ip === null || lease === undefined || lease.clientKey !== req.client.key || !isActive(lease, ctx.now) || !scope.inSubnet(ip)) {
    return nak(req, ctx, scope);
  }
  return ack(req, ctx, scope, ip);
}

function initReboot(req: DhcpRequest, ctx: DhcpContext, scope: ScopeState, ip: number): DhcpOutcome {
  if (!scope.inSubnet(ip)) return nak(req, ctx, scope); // §4.3.2: "incorrect for the network" (moved VLAN)
  const lease = ctx.table.get(ip);
  if (lease?.clientKey === req.client.key || scope.reservedFor.get(req.mac) === ip) {
    return ctx.table.usableBy(scope, ip, req.client, ctx.now) ? ack(req, ctx, scope, ip) : nak(req, ctx, scope);
  }
  if (ctx.table.addressOf(scope, req.client.key) !== undefined) return nak(req, ctx, scope); // we know its address: not this one
  if (lease !== undefined && isActive(lease, ctx.now)) return nak(req, ctx, scope); // someone else holds it
  return silent('no-record'); // §4.3.2: no record of this client: MUST remain silent
}

function renewing(req: DhcpRequest, ctx: DhcpContext, scope: ScopeState, ip: number): DhcpOutcome {
  const lease = ctx.table.get(ip);
  if (lease === undefined) return silent('no-record');
  if (lease.clientKey !== req.client.key) return isActive(lease, ctx.now) ? nak(req, ctx, scope) : silent('no-record');
  if (!ctx.table.usableBy(scope, ip, req.client, ctx.now)) return nak(req, ctx, scope); // left the pool since (reload)
  return ack(req, ctx, scope, ip);
}

export const handleRequest: DhcpHandler = (req, ctx) => {
  const p = req.packet;
  if (req.serverId !== null && req.serverId !== ctx.config.serverId) {
    // §4.3.2 SELECTING: "the client has declined the server's offer"; the address may be reused.
    const offered = ctx.table.offeredTo(req.client.key);
    if (offered !== undefined) ctx.table.withdrawOffer(offered, req.client.key);
    return silent('other-server');
  }
  const scope = scopeOf(req, ctx);
  if (scope === undefined) return silent('no-scope');
  if (req.serverId !== null) return selecting(req, ctx, scope);
  if (req.requestedIp !== null && p.ciaddr === 0) return initReboot(req, ctx, scope, req.requestedIp);
  if (p.ciaddr !== 0) return renewing(req, ctx, scope, p.ciaddr);
  return silent('no-record'); // neither option 50 nor ciaddr: nothing to confirm
};
