/**
 * DHCPINFORM → DHCPACK with configuration only (RFC 2131 §3.4, §4.3.5): the client already has
 * an address (ciaddr); no lease is made, no lease-time options are sent, yiaddr is 0.
 */
import { DHCP_MESSAGE_TYPES } from '../../protocols/dhcp/types.js';
import { offerOrAck, replyAddress, scopeOf, silent, type DhcpHandler } from '../engine.js';

export const handleInform: DhcpHandler = (req, ctx) => {
  const scope = scopeOf(req, ctx);
  if (scope === undefined) return silent('no-scope');
  const reply = offerOrAck(req, scope, ctx, DHCP_MESSAGE_TYPES.ACK, 0, null);
  return { kind: 'reply', reply, type: DHCP_MESSAGE_TYPES.ACK, to: replyAddress(req, scope, false), write: null, audit: null };
};
