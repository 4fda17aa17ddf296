/**
 * Attribute encoders and readers: RFC 2868 tagged tunnel attributes, VSAs (Aruba, Airespace),
 * passwords, CHAP, and the encode-side error policy.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Attr,
  AttributeWriter,
  Code,
  LanyardCodecError,
  TunnelMediumType,
  TunnelType,
  VendorId,
  attributeLength,
  chapResponse,
  decodePacket,
  decodeVendorSpecific,
  decryptSalted,
  decryptTunnelPassword,
  encodeAttribute,
  encodeDate,
  encodeInteger,
  encodeIpv4,
  encodePacket,
  encodeRequest,
  encodeResponse,
  encodeString,
  encodeTagged,
  encodeVsa,
  encryptSalted,
  encryptTunnelPassword,
  findAttribute,
  findVendorAttribute,
  hidePassword,
  readDate,
  readInteger,
  readIntegerAt,
  readIpv4,
  readString,
  readStringAt,
  readTagged,
  readTaggedInteger,
  unhidePassword,
  vendorAttributeByName,
  verifyChap,
} from '../../../src/protocols/radius/index.js';
import { hex, toHex } from './helpers.js';

const SECRET = Buffer.from('xyzzy5461');
const RA = Buffer.from('0f403f9473978057bd83d5cb98f4227a', 'hex');

describe('RFC 2868 tagged tunnel attributes', () => {
  it('encode to the octets RFC 2868 §3.1/§3.2/§3.6 describe (VLAN 20, tag 0)', () => {
    expect(toHex(encodeTagged(Attr.TunnelType, 0, TunnelType.VLAN))).toBe('40060000000d');
    expect(toHex(encodeTagged(Attr.TunnelMediumType, 0, TunnelMediumType.IEEE802))).toBe('410600000006');
    expect(toHex(encodeTagged(Attr.TunnelPrivateGroupId, 0, '20'))).toBe('51043230');
  });

  it('with a tag 1..31 the Tag octet replaces the high octet / prefixes the string', () => {
    expect(toHex(encodeTagged(Attr.TunnelType, 1, 13))).toBe('40060100000d');
    expect(toHex(encodeTagged(Attr.TunnelPrivateGroupId, 1, '20'))).toBe('5105013230');
    expect(readTaggedInteger(hex('0100000d'))).toEqual({ tag: 1, value: 13 });
    expect(readTaggedInteger(hex('00000d'))).toBeNull();
    const t = readTagged(hex('013230'));
    expect([t.tag, t.value.toString()]).toEqual([1, '20']);
    const u = readTagged(hex('3230'));
    expect([u.tag, u.value.toString()]).toEqual([0, '20']);
  });

  it('tag 0 with a value starting below 0x20 gets an explicit 0x00 so it reads back intact', () => {
    const enc = encodeTagged(Attr.TunnelPrivateGroupId, 0, Buffer.from([0x05, 0x41]));
    expect(toHex(enc)).toBe('5105000541');
    expect(readTagged(enc.subarray(2)).value.equals(Buffer.from([0x05, 0x41]))).toBe(true);
  });

  it('rejects a bad tag or an out-of-range tagged integer', () => {
    expect(() => encodeTagged(Attr.TunnelType, 32, 13)).toThrow(LanyardCodecError);
    expect(() => encodeTagged(Attr.TunnelType, 0, 0x1000000)).toThrow(LanyardCodecError);
    expect(() => encodeTagged(Attr.TunnelPrivateGroupId, 0, '')).toThrow(LanyardCodecError);
  });

  it('a VLAN Access-Accept built with AttributeWriter decodes back', () => {
    const w = new AttributeWriter()
      .tagged(Attr.TunnelType, 0, TunnelType.VLAN)
      .tagged(Attr.TunnelMediumType, 0, TunnelMediumType.IEEE802)
      .tagged(Attr.TunnelPrivateGroupId, 0, '120')
      .string(Attr.FilterId, 'students')
      .integer(Attr.SessionTimeout, 3600)
      .ipv4(Attr.FramedIpAddress, '10.0.0.1');
    const reply = encodeResponse({
      code: Code.AccessAccept,
      identifier: 3,
      requestAuthenticator: RA,
      attributes: w.bytes(),
      secret: SECRET,
      messageAuthenticator: true,
    });
    const r = decodePacket(reply);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const byType = new Map(r.packet.attributes.map((a) => [a.type, a.value]));
    expect(readTaggedInteger(byType.get(Attr.TunnelType)!)).toEqual({ tag: 0, value: 13 });
    expect(readTagged(byType.get(Attr.TunnelPrivateGroupId)!).value.toString()).toBe('120');
    expect(readString(byType.get(Attr.FilterId)!)).toBe('students');
    expect(readInteger(byType.get(Attr.SessionTimeout)!)).toBe(3600);
    expect(readIpv4(byType.get(Attr.FramedIpAddress)!)).toBe('10.0.0.1');
    w.reset();
    expect(w.length).toBe(0);
  });

  it('Tunnel-Password (RFC 2868 §3.5) round trips and sets the salt MSB', () => {
    const v = encryptTunnelPassword('vpn-pass', SECRET, RA, Buffer.from([0x12, 0x34]), 2);
    expect(v[0]).toBe(2);
    expect(v[1]).toBe(0x92); // 0x12 | 0x80
    expect(v.length).toBe(1 + 2 + 16);
    expect(decryptTunnelPassword(v, SECRET, RA)).toEqual({ tag: 2, password: Buffer.from('vpn-pass') });
    // Independent computation of c(1) = p(1) xor MD5(S + R + A).
    const b1 = createHash('md5').update(SECRET).update(RA).update(Buffer.from([0x92, 0x34])).digest();
    const p1 = Buffer.alloc(16);
    p1[0] = 8;
    Buffer.from('vpn-pass').copy(p1, 1);
    for (let i = 0; i < 16; i++) p1[i] = p1[i]! ^ b1[i]!;
    expect(toHex(v.subarray(3))).toBe(toHex(p1));
    expect(decryptTunnelPassword(v.subarray(0, 10), SECRET, RA)).toBeNull();
    expect(decryptSalted(encryptSalted(Buffer.alloc(0), SECRET, RA, Buffer.from([1, 2])), SECRET, RA)?.length).toBe(0);
    expect(() => encryptSalted(Buffer.alloc(240), SECRET, RA, Buffer.from([1, 2]))).toThrow(LanyardCodecError);
  });
});

describe('Vendor-Specific attributes', () => {
  it('Aruba-User-Role round trips (RFC 2865 §5.26 layout)', () => {
    const role = vendorAttributeByName('Aruba-User-Role')!;
    expect(role.vendorId).toBe(14823);
    const enc = encodeVsa(role.vendorId, role.attribute.type, 'student-byod');
    expect(toHex(enc.subarray(0, 8))).toBe(toHex(Buffer.from([26, 8 + 12, 0, 0, 0x39, 0xe7, 1, 14])));
    const dec = decodeVendorSpecific(enc.subarray(2));
    expect(dec?.vendorId).toBe(VendorId.Aruba);
    expect(dec?.subAttributes.length).toBe(1);
    expect(dec?.subAttributes[0]?.type).toBe(1);
    expect(readString(dec!.subAttributes[0]!.value)).toBe('student-byod');
  });

  it('Airespace-ACL-Name round trips, and the hot-path finder locates it inside a packet', () => {
    const acl = vendorAttributeByName('airespace-acl-name')!;
    expect([acl.vendorId, acl.attribute.type]).toEqual([14179, 6]);
    const vsa = encodeVsa(acl.vendorId, acl.attribute.type, 'GUEST-ACL');
    const wire = encodePacket({
      code: Code.AccessAccept,
      identifier: 1,
      authenticator: RA,
      attributes: [
        { type: Attr.ReplyMessage, value: Buffer.from('hi') },
        { type: 26, value: encodeVsa(VendorId.Aruba, 1, 'x').subarray(2) },
        { type: 26, value: vsa.subarray(2) },
      ],
    });
    const off = findVendorAttribute(wire, 14179, 6);
    expect(off).toBeGreaterThan(0);
    expect(readStringAt(wire, off)).toBe('GUEST-ACL');
    expect(findVendorAttribute(wire, 14179, 5)).toBe(-1);
    expect(findVendorAttribute(wire, 9, 1)).toBe(-1);
    const r = decodePacket(wire);
    expect(r.ok && decodeVendorSpecific(r.packet.attributes[2]!.value)?.subAttributes[0]?.value.toString()).toBe('GUEST-ACL');
  });

  it('integer VSA data and several sub-attributes in one VSA', () => {
    const enc = encodeVsa(VendorId.Aruba, 2, 120);
    expect(toHex(enc)).toBe('1a0c000039e7020600000078');
    const two = Buffer.from([0, 0, 0x39, 0xe7, 1, 3, 0x61, 5, 4, 0x62, 0x63]);
    expect(decodeVendorSpecific(two)?.subAttributes.map((s) => [s.type, s.value.toString()])).toEqual([
      [1, 'a'],
      [5, 'bc'],
    ]);
  });

  it('returns null for layouts other than the recommended one', () => {
    expect(decodeVendorSpecific(Buffer.from([0, 0, 0, 9]))).toBeNull(); // no data
    expect(decodeVendorSpecific(Buffer.from([1, 0, 0, 9, 1, 3, 0x61]))).toBeNull(); // Vendor-Id high octet non-zero
    expect(decodeVendorSpecific(Buffer.from([0, 0, 0, 9, 1, 9, 0x61]))).toBeNull(); // sub-length overruns
    expect(decodeVendorSpecific(Buffer.from([0, 0, 0, 9, 1, 1, 0x61]))).toBeNull(); // sub-length < 2
    expect(decodeVendorSpecific(Buffer.from([0, 0, 0, 9, 1, 3, 0x61, 7]))).toBeNull(); // trailing octet
  });

  it('rejects VSA data over 247 octets or an out-of-range vendor id', () => {
    expect(encodeVsa(9, 1, Buffer.alloc(247)).length).toBe(255);
    expect(() => encodeVsa(9, 1, Buffer.alloc(248))).toThrow(LanyardCodecError);
    expect(() => encodeVsa(0x1000000, 1, 'x')).toThrow(LanyardCodecError);
  });
});

describe('passwords and CHAP', () => {
  it('hides a 20-octet password into 32 octets and back; rejects bad lengths', () => {
    const pw = 'abcdefghijklmnopqrst';
    const hidden = hidePassword(pw, SECRET, RA);
    expect(hidden.length).toBe(32);
    expect(unhidePassword(hidden, SECRET, RA)?.toString()).toBe(pw);
    expect(hidePassword('', SECRET, RA).length).toBe(16);
    expect(unhidePassword(hidden.subarray(0, 17), SECRET, RA)).toBeNull();
    expect(unhidePassword(Buffer.alloc(0), SECRET, RA)).toBeNull();
    expect(unhidePassword(Buffer.alloc(144), SECRET, RA)).toBeNull();
    expect(() => hidePassword(Buffer.alloc(129), SECRET, RA)).toThrow(LanyardCodecError);
  });

  it('verifies CHAP against MD5(id + password + challenge), constant-time', () => {
    const challenge = Buffer.from('5e4b2b4b8a3f6a1c9d0e7f1a2b3c4d5e', 'hex');
    const id = 0x16;
    const expected = createHash('md5').update(Buffer.from([id])).update('letmein').update(challenge).digest();
    expect(toHex(chapResponse(id, 'letmein', challenge))).toBe(toHex(expected));
    const chapPassword = Buffer.concat([Buffer.from([id]), expected]);
    expect(verifyChap(chapPassword, challenge, 'letmein')).toBe(true);
    expect(verifyChap(chapPassword, challenge, 'letmeout')).toBe(false);
    expect(verifyChap(chapPassword, RA, 'letmein')).toBe(false);
    expect(verifyChap(chapPassword.subarray(0, 16), challenge, 'letmein')).toBe(false);
    const otherId = Buffer.from(chapPassword);
    otherId[0] = 0x17;
    expect(verifyChap(otherId, challenge, 'letmein')).toBe(false);
  });

  it('uses the Request Authenticator as the challenge when CHAP-Challenge is absent (RFC 2865 §2.2)', () => {
    const id = 1;
    const value = Buffer.concat([Buffer.from([id]), chapResponse(id, 'pw', RA)]);
    const req = encodeRequest({
      code: Code.AccessRequest,
      identifier: 1,
      authenticator: RA,
      attributes: Buffer.concat([encodeString(Attr.UserName, 'u'), encodeAttribute(Attr.ChapPassword, value)]),
      secret: SECRET,
    });
    const at = findAttribute(req, Attr.ChapChallenge);
    const challenge = at === -1 ? req.subarray(4, 20) : req.subarray(at, at + attributeLength(req, at));
    const cp = findAttribute(req, Attr.ChapPassword);
    expect(verifyChap(req.subarray(cp, cp + attributeLength(req, cp)), challenge, 'pw')).toBe(true);
  });
});

describe('scalar encoders and readers', () => {
  it('integers, addresses, dates', () => {
    expect(toHex(encodeInteger(Attr.NasPort, 3))).toBe('050600000003');
    expect(toHex(encodeAttribute(Attr.NasPort, 0xffffffff))).toBe('0506ffffffff');
    expect(readInteger(hex('ffffffff'))).toBe(0xffffffff);
    expect(readInteger(hex('000001'))).toBeNull();
    expect(toHex(encodeIpv4(Attr.NasIpAddress, '192.168.1.16'))).toBe('0406c0a80110');
    expect(readIpv4(hex('c0a801'))).toBeNull();
    const d = encodeDate(Attr.EventTimestamp, new Date('2024-01-02T03:04:05Z'));
    expect(readDate(d.subarray(2))?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(readDate(hex('00'))).toBeNull();
    const pkt = encodePacket({ code: 4, identifier: 0, authenticator: RA, attributes: [{ type: Attr.NasPort, value: hex('0000000a') }] });
    expect(readIntegerAt(pkt, findAttribute(pkt, Attr.NasPort))).toBe(10);
  });

  it('finds repeated attributes in order with the `after` cursor', () => {
    const pkt = encodePacket({
      code: 2,
      identifier: 0,
      authenticator: RA,
      attributes: [
        { type: Attr.Class, value: Buffer.from('one') },
        { type: Attr.ReplyMessage, value: Buffer.from('x') },
        { type: Attr.Class, value: Buffer.from('two') },
      ],
    });
    const first = findAttribute(pkt, Attr.Class);
    const second = findAttribute(pkt, Attr.Class, first);
    expect([readStringAt(pkt, first), readStringAt(pkt, second)]).toEqual(['one', 'two']);
    expect(findAttribute(pkt, Attr.Class, second)).toBe(-1);
  });

  it('throws LanyardCodecError for values the wire cannot carry', () => {
    const cases: (() => unknown)[] = [
      () => encodeString(Attr.ReplyMessage, 'x'.repeat(254)),
      () => encodeString(Attr.ReplyMessage, ''),
      () => encodeInteger(Attr.NasPort, -1),
      () => encodeInteger(Attr.NasPort, 2 ** 32),
      () => encodeInteger(Attr.NasPort, 1.5),
      () => encodeIpv4(Attr.NasIpAddress, '256.1.1.1'),
      () => encodeIpv4(Attr.NasIpAddress, '1.2.3'),
      () => encodeAttribute(0, 'x'),
      () => encodeAttribute(256, 'x'),
      () => encodePacket({ code: 1, identifier: 256, authenticator: RA, attributes: [] }),
      () => encodePacket({ code: 1, identifier: 0, authenticator: RA.subarray(0, 15), attributes: [] }),
      () => encodePacket({ code: 1, identifier: 0, authenticator: RA, attributes: new Array(17).fill({ type: 1, value: Buffer.alloc(253) }) }),
      () => encodeResponse({ code: Code.AccessRequest, identifier: 0, requestAuthenticator: RA, attributes: Buffer.alloc(0), secret: SECRET, messageAuthenticator: false }),
      () => encodeRequest({ code: Code.AccessRequest, identifier: 0, attributes: Buffer.alloc(0), secret: SECRET }),
      () => encodeRequest({ code: Code.AccountingRequest, identifier: 0, authenticator: RA, attributes: Buffer.alloc(0), secret: SECRET }),
      () => encodeRequest({ code: Code.AccessAccept, identifier: 0, authenticator: RA, attributes: Buffer.alloc(0), secret: SECRET }),
      () => new AttributeWriter(10).string(1, 'x'.repeat(20)),
    ];
    for (const f of cases) expect(f).toThrow(LanyardCodecError);
    expect(encodeString(Attr.ReplyMessage, 'é'.repeat(126)).length).toBe(254); // 252 UTF-8 octets
  });
});
