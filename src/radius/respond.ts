/** Encodes the reply to an exchange: one place, so every reply gets the same protection. */
import { Code, encodeResponse, ZERO_AUTHENTICATOR } from '../protocols/radius/index.js';
import type { Exchange } from './exchange.js';

export function respond(ex: Exchange, code: number, attributes: Buffer): Buffer {
  // RFC 3579 §3.2 and the BlastRADIUS mitigation (CVE-2024-3596): Message-Authenticator is the
  // FIRST attribute of every reply; then the Response Authenticator (RFC 2865 §3).
  return encodeResponse({
    code,
    identifier: ex.buf[1]!,
    requestAuthenticator: ex.buf.subarray(4, 20),
    attributes,
    secret: ex.nas!.secret,
    messageAuthenticator: true,
    // An Accounting-Response to an Accounting-Request: Message-Authenticator over a zeroed
    // authenticator, as FreeRADIUS computes and checks it (see encodeResponse).
    ...(ex.buf[0] === Code.AccountingRequest ? { messageAuthenticatorAuthenticator: ZERO_AUTHENTICATOR } : {}),
  });
}
