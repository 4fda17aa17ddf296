/** DHCPDECLINE (RFC 2131 §4.3.3): the client found the address in use; quarantine it. No reply. */
import { silent, type DhcpHandler } from '../engine.js';

export const handleDecline: DhcpHandler = (req, ctx) => {
  if (req.serverId !== null && req.serverId !== ctx.config.serverId) return silent('other-server');
  const ip = req.requestedIp; // §4.3.3: option 50 carries the declined address
  const lease = ip === null ? undefined : ctx.table.get(ip);
  if (ip === null || lease === undefined || lease.clientKey !== req.client.key) return silent('unknown-lease');
  // "The server MUST mark the network address as not available": held for declineHoldSeconds.
  return silent('declined', ctx.table.decline(ip, ctx.now, ctx.config.declineHoldSeconds * 1000));
};
