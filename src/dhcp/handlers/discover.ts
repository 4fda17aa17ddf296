/** DHCPDISCOVER → DHCPOFFER (RFC 2131 §4.3.1). */
import { DHCP_MESSAGE_TYPES } from '../../protocols/dhcp/types.js';
import { leaseRefusal, offerOrAck, refusalEntry, replyAddress, scopeOf, silent, type DhcpHandler } from '../engine.js';

export const handleDiscover: DhcpHandler = (req, ctx) => {
  const scope = scopeOf(req, ctx);
  if (scope === undefined) return silent('no-scope');
  const refusal = leaseRefusal(ctx, req.mac, scope.scope.network);
  if (refusal !== null) return silent('refused', null, refusalEntry(req, scope, refusal, ctx));
  // §4.3.1: the client's current or previous address, else the one it asks for, else a free one.
  const ip = ctx.table.choose(scope, req.client, req.requestedIp, ctx.now);
  if (ip === undefined) return silent('pool-exhausted');
  // The offered address is held for offerHoldSeconds (RFC 2131 §4.3.1: "reserve the address").
  ctx.table.offer(scope, ip, req.client, ctx.now, ctx.config.offerHoldSeconds * 1000);
  const reply = offerOrAck(req, scope, ctx, DHCP_MESSAGE_TYPES.OFFER, ip, scope.scope.leaseTime);
  return { kind: 'reply', reply, type: DHCP_MESSAGE_TYPES.OFFER, to: replyAddress(req, scope, false), write: null, audit: null };
};
