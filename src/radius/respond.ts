/** Encodes the reply to an exchange: one place, so every reply gets the same protection. */
import { Code, encodeReply } from '../protocols/radius/index.js';
import type { Exchange } from './exchange.js';

/**
 * The reply to `ex` with attributes[0..attributesEnd) (all of `attributes` by default; pass an
 * AttributeWriter's storage and length to reuse one buffer for every reply's attributes).
 */
export function respond(ex: Exchange, code: number, attributes: Buffer, attributesEnd: number = attributes.length): Buffer {
  // RFC 3579 §3.2 and the BlastRADIUS mitigation (CVE-2024-3596): Message-Authenticator is the
  // FIRST attribute of every reply; then the Response Authenticator (RFC 2865 §3). Identifier
  // and Request Authenticator come from the request in place. An Accounting-Response to an
  // Accounting-Request gets its Message-Authenticator over a zeroed authenticator, as FreeRADIUS
  // computes and checks it (see encodeResponse's messageAuthenticatorAuthenticator).
  return encodeReply(code, ex.buf, attributes, ex.nas!.secret, true, ex.buf[0] === Code.AccountingRequest, attributesEnd);
}
