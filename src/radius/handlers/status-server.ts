/**
 * Status-Server (RFC 5997): a NAS or monitor asks "are you alive?". The pipeline has already
 * required and verified its Message-Authenticator (RFC 5997 §3). The answer is an
 * Access-Accept on the authentication port and an Accounting-Response on the accounting
 * port (RFC 5997 §3), never cached as a duplicate.
 */
import { Code } from '../../protocols/radius/constants.js';
import type { Exchange, RadiusRuntime } from '../exchange.js';
import { respond } from '../respond.js';

const EMPTY = Buffer.alloc(0);

export function handleStatusServer(ex: Exchange, rt: RadiusRuntime): Buffer {
  rt.counters.statusServer++;
  return respond(ex, ex.service === 'auth' ? Code.AccessAccept : Code.AccountingResponse, EMPTY);
}
