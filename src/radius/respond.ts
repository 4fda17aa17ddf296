/** Encodes the reply to an exchange: one place, so every reply gets the same protection. */
import { Attr, AttributeWriter, Code, encodeReply, findAttribute } from '../protocols/radius/index.js';
import type { Exchange } from './exchange.js';

/** The reply's attributes plus the request's Proxy-States, when it has any (rare: a proxy sent it). */
const WITH_PROXY_STATE = new AttributeWriter();

/**
 * The reply to `ex` with attributes[0..attributesEnd) (all of `attributes` by default; pass an
 * AttributeWriter's storage and length to reuse one buffer for every reply's attributes).
 */
export function respond(ex: Exchange, code: number, attributes: Buffer, attributesEnd: number = attributes.length): Buffer {
  const buf = ex.buf;
  let attrs: Buffer = attributes;
  let end = attributesEnd;
  // RFC 2865 §4.2–4.4 and §5.33 (and RFC 2866 §5.13 for accounting): every Proxy-State a proxy
  // put in the request goes back unmodified and in order in the reply. A request straight from
  // an access point carries none, and then this costs one scan of its attributes.
  let at = findAttribute(buf, Attr.ProxyState);
  if (at >= 0) {
    const w = WITH_PROXY_STATE.reset().append(attributes.subarray(0, attributesEnd));
    for (; at >= 0; at = findAttribute(buf, Attr.ProxyState, at)) {
      w.append(buf.subarray(at - 2, at - 2 + buf[at - 1]!)); // the whole attribute, as received
    }
    attrs = w.storage;
    end = w.length;
  }
  // RFC 3579 §3.2 and the BlastRADIUS mitigation (CVE-2024-3596): Message-Authenticator is the
  // FIRST attribute of every reply; then the Response Authenticator (RFC 2865 §3). Identifier
  // and Request Authenticator come from the request in place. An Accounting-Response to an
  // Accounting-Request gets its Message-Authenticator over a zeroed authenticator, as FreeRADIUS
  // computes and checks it (see encodeResponse's messageAuthenticatorAuthenticator).
  return encodeReply(code, buf, attrs, ex.nas!.secret, true, buf[0] === Code.AccountingRequest, end);
}
