/**
 * Listen mode (issue 4 item 4): the school's own DHCP server answers, and its relays send
 * Lanyard a copy of each client message (a second ip-helper). Nothing is ever sent; a REQUEST
 * is taken as the client holding the address it names (option 50 in SELECTING/INIT-REBOOT,
 * ciaddr when renewing, RFC 2131 §4.3.2), for the scope's lease time, and a RELEASE ends it.
 * We never see the other server's ACK or NAK, so a refused REQUEST is recorded too: the
 * client's next DISCOVER and REQUEST correct it.
 */
import { DHCP_MESSAGE_TYPES } from '../../protocols/dhcp/types.js';
import type { LeaseWrite } from '../../store/leases.js';
import { scopeOf, type DhcpContext } from '../engine.js';
import type { DhcpRequest } from '../request.js';

export function observeDhcp(req: DhcpRequest, ctx: DhcpContext): LeaseWrite | null {
  const scope = scopeOf(req, ctx);
  if (scope === undefined) return null;
  const p = req.packet;
  if (req.type === DHCP_MESSAGE_TYPES.REQUEST) {
    const ip = req.requestedIp ?? (p.ciaddr !== 0 ? p.ciaddr : null);
    if (ip === null || !scope.inSubnet(ip)) return null;
    return ctx.table.bind(scope, ip, req.client, ctx.now, scope.scope.leaseTime * 1000);
  }
  if (req.type === DHCP_MESSAGE_TYPES.RELEASE && p.ciaddr !== 0 && ctx.table.get(p.ciaddr)?.clientKey === req.client.key) {
    return ctx.table.release(p.ciaddr, ctx.now);
  }
  return null;
}
