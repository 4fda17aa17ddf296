/** The handler table: one per client message type (RFC 2131 §3.1, Table 2). */
import { DHCP_MESSAGE_TYPES, type DhcpMessageType } from '../../protocols/dhcp/types.js';
import { silent, type DhcpContext, type DhcpHandler, type DhcpOutcome } from '../engine.js';
import type { DhcpRequest } from '../request.js';
import { handleDecline } from './decline.js';
import { handleDiscover } from './discover.js';
import { handleInform } from './inform.js';
import { handleRelease } from './release.js';
import { handleRequest } from './request.js';

const HANDLERS: ReadonlyMap<DhcpMessageType, DhcpHandler> = new Map<DhcpMessageType, DhcpHandler>([
  [DHCP_MESSAGE_TYPES.DISCOVER, handleDiscover],
  [DHCP_MESSAGE_TYPES.REQUEST, handleRequest],
  [DHCP_MESSAGE_TYPES.DECLINE, handleDecline],
  [DHCP_MESSAGE_TYPES.RELEASE, handleRelease],
  [DHCP_MESSAGE_TYPES.INFORM, handleInform],
]);

/** Runs the handler for the request's message type; server-to-client types are ignored. */
export function handleDhcp(req: DhcpRequest, ctx: DhcpContext): DhcpOutcome {
  const handler = HANDLERS.get(req.type);
  return handler === undefined ? silent('unexpected-type') : handler(req, ctx);
}
