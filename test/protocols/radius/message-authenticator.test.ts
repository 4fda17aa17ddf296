/**
 * Message-Authenticator (RFC 3579 §3.2, RFC 5176 §3.4) and Request/Response Authenticators.
 * Vectors here are built by this codec (not from an RFC); RFC vectors are in rfc-vectors.test.ts.
 */
import { Buffer } from 'node:buffer';
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Attr,
  AttributeWriter,
  Code,
  ZERO_AUTHENTICATOR,
  check,
  decodePacket,
  encodeAttributes,
  encodePacket,
  encodeRequest,
  encodeResponse,
  encodeString,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  verifyRequestMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../../src/protocols/radius/index.js';
import { toHex } from './helpers.js';

const SECRET = Buffer.from('s3cr3t-shared');
const REQ_AUTH = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

function accessRequest(): Buffer {
  return encodeRequest({
    code: Code.AccessRequest,
    identifier: 7,
    authenticator: REQ_AUTH,
    attributes: Buffer.concat([encodeString(Attr.UserName, 'aabbccddeeff'), encodeString(Attr.CallingStationId, 'AA-BB-CC-DD-EE-FF')]),
    secret: SECRET,
    messageAuthenticator: true,
  });
}

/** Independent HMAC computation, written from RFC 3579 §3.2 without the codec. */
function referenceMa(packet: Buffer, maOffset: number, authenticator: Uint8Array): Buffer {
  const copy = Buffer.from(packet);
  copy.set(authenticator, 4);
  copy.fill(0, maOffset, maOffset + 16);
  return createHmac('md5', SECRET).update(copy).digest();
}

describe('Message-Authenticator', () => {
  it('is written first in an Access-Request and verifies', () => {
    const pkt = accessRequest();
    expect(check(pkt)).toBeNull();
    expect(pkt[20]).toBe(Attr.MessageAuthenticator);
    expect(pkt[21]).toBe(18);
    expect(toHex(pkt.subarray(22, 38))).toBe(toHex(referenceMa(pkt, 22, REQ_AUTH)));
    expect(verifyMessageAuthenticator(pkt, SECRET)).toBe('valid');
    expect(verifyRequestMessageAuthenticator(pkt, SECRET)).toBe('valid');
    expect(verifyMessageAuthenticator(pkt, Buffer.from('other'))).toBe('invalid');
  });

  it('flipping any single bit anywhere in the packet makes it invalid', () => {
    const pkt = accessRequest();
    for (let i = 0; i < pkt.length; i++) {
      if (i === 2 || i === 3) continue; // Length: the packet would no longer frame (covered below)
      for (const bit of [0x01, 0x80]) {
        const bad = Buffer.from(pkt);
        bad[i] = bad[i]! ^ bit;
        const status = verifyMessageAuthenticator(bad, SECRET);
        // Changing the MA type octet or an attribute length can make it absent/malformed; all other flips are 'invalid'.
        expect(status === 'valid', `byte ${i} bit ${bit}`).toBe(false);
        if (i !== 20 && i !== 21 && i !== 39 && i !== 53) expect(status, `byte ${i}`).toBe('invalid');
      }
    }
  });

  it('absent when there is none; malformed on length 17, duplicates, or bad framing', () => {
    const plain = encodePacket({
      code: Code.AccessRequest,
      identifier: 1,
      authenticator: REQ_AUTH,
      attributes: [{ type: Attr.UserName, value: Buffer.from('x') }],
    });
    expect(verifyMessageAuthenticator(plain, SECRET)).toBe('absent');

    const short = encodePacket({
      code: Code.AccessRequest,
      identifier: 1,
      authenticator: REQ_AUTH,
      attributes: [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(15) }],
    });
    expect(short[21]).toBe(17);
    expect(verifyMessageAuthenticator(short, SECRET)).toBe('malformed');
    expect(check(short)).toBe('message-authenticator-malformed');

    const twice = encodePacket({
      code: Code.AccessRequest,
      identifier: 1,
      authenticator: REQ_AUTH,
      attributes: [
        { type: Attr.MessageAuthenticator, value: Buffer.alloc(16) },
        { type: Attr.MessageAuthenticator, value: Buffer.alloc(16) },
      ],
    });
    expect(verifyMessageAuthenticator(twice, SECRET)).toBe('malformed');
    expect(check(twice)).toBe('duplicate-message-authenticator');
    expect(verifyMessageAuthenticator(Buffer.alloc(5), SECRET)).toBe('malformed');
  });

  it('responses: computed with the Request Authenticator, then the Response Authenticator covers it', () => {
    const attrs = new AttributeWriter().tagged(Attr.TunnelType, 0, 13).tagged(Attr.TunnelMediumType, 0, 6).tagged(Attr.TunnelPrivateGroupId, 0, '20');
    const reply = encodeResponse({
      code: Code.AccessAccept,
      identifier: 7,
      requestAuthenticator: REQ_AUTH,
      attributes: attrs.bytes(),
      secret: SECRET,
      messageAuthenticator: true,
    });
    expect(check(reply)).toBeNull();
    expect(reply[20]).toBe(Attr.MessageAuthenticator);
    expect(reply.length).toBe(20 + 18 + 6 + 6 + 4);
    expect(verifyResponseAuthenticator(reply, REQ_AUTH, SECRET)).toBe(true);
    expect(verifyMessageAuthenticator(reply, SECRET, REQ_AUTH)).toBe('valid');
    // Without substituting the request authenticator it cannot verify.
    expect(verifyMessageAuthenticator(reply, SECRET)).toBe('invalid');
    // Independent computation of both values.
    expect(toHex(reply.subarray(22, 38))).toBe(toHex(referenceMa(reply, 22, REQ_AUTH)));
    const forResp = Buffer.from(reply);
    forResp.set(REQ_AUTH, 4);
    const respAuth = createHash('md5').update(forResp).update(SECRET).digest();
    expect(toHex(reply.subarray(4, 20))).toBe(toHex(respAuth));
  });

  it('Accounting/CoA/Disconnect requests: MA over a zeroed authenticator, Request Authenticator over that', () => {
    for (const code of [Code.AccountingRequest, Code.CoaRequest, Code.DisconnectRequest]) {
      const pkt = encodeRequest({
        code,
        identifier: 9,
        attributes: encodeString(Attr.AcctSessionId, 'abc'),
        secret: SECRET,
        messageAuthenticator: true,
      });
      expect(check(pkt)).toBeNull();
      expect(verifyRequestAuthenticator(pkt, SECRET)).toBe(true);
      expect(verifyMessageAuthenticator(pkt, SECRET, ZERO_AUTHENTICATOR)).toBe('valid');
      expect(verifyRequestMessageAuthenticator(pkt, SECRET)).toBe('valid');
      expect(toHex(pkt.subarray(22, 38))).toBe(toHex(referenceMa(pkt, 22, ZERO_AUTHENTICATOR)));
      const zeroed = Buffer.from(pkt);
      zeroed.fill(0, 4, 20);
      expect(toHex(pkt.subarray(4, 20))).toBe(toHex(createHash('md5').update(zeroed).update(SECRET).digest()));
      const bad = Buffer.from(pkt);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
      expect(verifyRequestAuthenticator(bad, SECRET)).toBe(false);
      expect(verifyRequestAuthenticator(pkt, Buffer.from('nope'))).toBe(false);
    }
  });

  it('Accounting-Request without MA: Request Authenticator per RFC 2866 §3', () => {
    const pkt = encodeRequest({
      code: Code.AccountingRequest,
      identifier: 1,
      attributes: encodeAttributes([{ type: Attr.AcctStatusType, value: Buffer.from([0, 0, 0, 1]) }]),
      secret: SECRET,
    });
    expect(pkt.length).toBe(26);
    expect(verifyRequestAuthenticator(pkt, SECRET)).toBe(true);
    expect(verifyMessageAuthenticator(pkt, SECRET, ZERO_AUTHENTICATOR)).toBe('absent');
  });

  it('padding after Length is ignored by every verifier (RFC 2865 §3)', () => {
    const pkt = accessRequest();
    const padded = Buffer.concat([pkt, Buffer.from([1, 2, 3, 4])]);
    expect(check(padded)).toBeNull();
    expect(verifyMessageAuthenticator(padded, SECRET)).toBe('valid');
    const r = decodePacket(padded);
    expect(r.ok && r.packet.attributes.length).toBe(3);
  });

  it('encodeResponse returns exactly the packet and leaves no secret in its memory', () => {
    const reply = encodeResponse({
      code: Code.AccessReject,
      identifier: 1,
      requestAuthenticator: REQ_AUTH,
      attributes: Buffer.alloc(0),
      secret: SECRET,
      messageAuthenticator: true,
    });
    expect(reply.length).toBe(38);
    // The Response Authenticator hashes the secret from where it lies (no copy after the
    // packet), so the memory behind the reply, whatever the allocator put there, is not it.
    const room = Math.min(SECRET.length, reply.buffer.byteLength - reply.byteOffset - reply.length);
    const behind = Buffer.from(reply.buffer, reply.byteOffset + reply.length, room);
    expect(behind.equals(SECRET)).toBe(false);
  });
});
