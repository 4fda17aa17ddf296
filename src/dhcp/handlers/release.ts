/** DHCPRELEASE (RFC 2131 §4.3.4): the client gives its address back (ciaddr). No reply. */
import { silent, type DhcpHandler } from '../engine.js';

export const handleRelease: DhcpHandler = (req, ctx) => {
  if (req.serverId !== null && req.serverId !== ctx.config.serverId) return silent('other-server');
  const ip = req.packet.ciaddr;
  const lease = ip === 0 ? undefined : ctx.table.get(ip);
  // §4.3.4: identified by client identifier or chaddr, and the address in ciaddr.
  if (lease === undefined || lease.clientKey !== req.client.key) return silent('unknown-lease');
  const write = ctx.table.release(ip, ctx.now);
  return write === null ? silent('unknown-lease') : silent('released', write);
};
