/** Encodes the reply to an exchange: one place, so every reply gets the same protection. */
import { Code, encodeReply } from '../protocols/radius/index.js';
import type { Exchange } from './exchange.js';

export function respond(ex: Exchange, code: number, attributes: Buffer): Buffer {
  // RFC 3579 §3.2 and the BlastRADIUS mitigation (CVE-2024-3596): Message-Authenticator is the
  // FIRST attribute of every reply; then the Response Authenticator (RFC 2865 §3). Identifier
  // and Request Authenticator come from the request in place. An Accounting-Response to an
  // Accounting-Request gets its Message-Authenticator over a zeroed authenticator, as FreeRADIUS
  // computes and checks it (see encodeResponse's messageAuthenticatorAuthenticator).
  return encodeReply(code, ex.buf, attributes, ex.nas!.secret, true, ex.buf[0] === Code.AccountingRequest);
}
