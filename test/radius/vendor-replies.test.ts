/**
 * What an Access-Accept carries for each NAS vendor (VENDORS.md): the RFC 3580 VLAN triple
 * with tag 0, Filter-Id = the profile's filterId, and the vendor's role/ACL/group VSA with the
 * profile's vendorRoles entry (or filterId). One NAS client per vendor in
 * test/fixtures/radius/vendors.yaml, each on its own loopback address.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import {
  Attr,
  Code,
  TunnelMediumType,
  TunnelType,
  decodePacket,
  decodeVendorSpecific,
  encodeRequest,
  encodeString,
  readInteger,
  readTagged,
  readTaggedInteger,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type RadiusPacket,
} from '../../src/protocols/radius/index.js';
import type { Exchange } from '../../src/radius/exchange.js';
import { runPipeline } from '../../src/radius/pipeline.js';
import { VENDOR_ROLE_ATTRIBUTE } from '../../src/radius/replies.js';

const FIXTURE = path.resolve('test/fixtures/radius/vendors.yaml');
const STAFF = '02-00-00-00-01-01';

let dir: string;
let daemon: Daemon;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-vendors-'));
  const config = loadConfig(FIXTURE, {
    overrides: { database: path.join(dir, 'lanyard.db'), authPort: 0, acctPort: 0 },
    env: { LANYARD_LOOPBACK_SECRET: 'generic-shared-secret-0123' },
  });
  daemon = await startDaemon(config, createLogger('silent'));
  daemon.devices.add({ mac: STAFF, className: 'school-staff-laptop' }, 'test', Date.now());
  daemon.syncCache();
});

afterAll(async () => {
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let port = 30_000;
let visitors = 0;

function ask(address: string, secret: string, userName: string, ssid: string): RadiusPacket {
  const authenticator = crypto.randomBytes(16);
  const request = encodeRequest({
    code: Code.AccessRequest,
    identifier: port % 256,
    authenticator,
    attributes: Buffer.concat([encodeString(Attr.UserName, userName), encodeString(Attr.CalledStationId, `00-11-22-33-44-55:${ssid}`)]),
    secret: Buffer.from(secret),
    messageAuthenticator: true,
  });
  const ex: Exchange = { buf: request, address, port: port++, service: 'auth', receivedAt: performance.now(), nas: null, nasIndex: -1, dupEntry: null };
  const reply = runPipeline(ex, daemon.runtime);
  if (!Buffer.isBuffer(reply)) throw new Error(`no reply: ${String(reply)}`);
  expect(reply[20]).toBe(Attr.MessageAuthenticator);
  expect(verifyMessageAuthenticator(reply, Buffer.from(secret), authenticator)).toBe('valid');
  expect(verifyResponseAuthenticator(reply, authenticator, Buffer.from(secret))).toBe(true);
  const d = decodePacket(reply);
  if (!d.ok) throw new Error(d.reason);
  return d.packet;
}

function all(p: RadiusPacket, type: number): Buffer[] {
  return p.attributes.filter((a) => a.type === type).map((a) => a.value);
}

function expectVlan(p: RadiusPacket, vlan: string): void {
  // RFC 3580 §3.31 / RFC 2868: one of each, tag 0 ("unused") on the integers, no tag octet on
  // the group id (its first character is above 0x1F).
  const [type] = all(p, Attr.TunnelType);
  const [medium] = all(p, Attr.TunnelMediumType);
  const [group] = all(p, Attr.TunnelPrivateGroupId);
  expect(all(p, Attr.TunnelType)).toHaveLength(1);
  expect(readTaggedInteger(type!)).toEqual({ tag: 0, value: TunnelType.VLAN });
  expect(readTaggedInteger(medium!)).toEqual({ tag: 0, value: TunnelMediumType.IEEE802 });
  expect(type!.equals(Buffer.from([0, 0, 0, 13]))).toBe(true);
  expect(medium!.equals(Buffer.from([0, 0, 0, 6]))).toBe(true);
  expect(group!.toString()).toBe(vlan);
  expect(readTagged(group!).tag).toBe(0);
}

/** Vendor-Specific attributes as [vendorId, type, value]. */
function vsas(p: RadiusPacket): [number, number, string][] {
  return all(p, Attr.VendorSpecific).flatMap((v) => {
    const d = decodeVendorSpecific(v);
    if (d === null) throw new Error('VSA not in the RFC 2865 §5.26 layout');
    return d.subAttributes.map((s): [number, number, string] => [d.vendorId, s.type, s.value.toString('utf8')]);
  });
}

const NAS = [
  // name, address, secret, expected VSA for school-staff, for visitor
  ['generic', '127.0.0.1', 'generic-shared-secret-0123', null, null],
  ['aruba (Aruba-User-Role, vendorRoles override)', '127.0.0.2', 'aruba-shared-secret-0123', [14823, 1, 'staff-role'], [14823, 1, 'visitor']],
  ['cisco (Airespace-ACL-Name)', '127.0.0.3', 'cisco-shared-secret-0123', [14179, 6, 'school-staff'], [14179, 6, 'visitor']],
  ['fortinet (Fortinet-Group-Name)', '127.0.0.4', 'fortinet-shared-secret-0123', [12356, 1, 'school-staff'], [12356, 1, 'visitor']],
  ['ruckus (Ruckus-User-Groups, vendorRoles override)', '127.0.0.5', 'ruckus-shared-secret-0123', [25053, 1, 'staff-group'], [25053, 1, 'visitor']],
  ['meraki (Filter-Id only)', '127.0.0.6', 'meraki-shared-secret-0123', null, null],
  ['ubiquiti (VLAN only, Filter-Id harmless)', '127.0.0.7', 'unifi-shared-secret-0123', null, null],
  ['aruba found through a CIDR entry', '10.20.30.40', 'narrow-shared-secret-0123', [14823, 1, 'staff-role'], [14823, 1, 'visitor']],
] as const;

describe('Access-Accept per NAS vendor', () => {
  it.each(NAS)('%s: registered school laptop on DCPS', (_name, address, secret, staffVsa) => {
    const p = ask(address, secret, '020000000101', 'DCPS');
    expect(p.code).toBe(Code.AccessAccept);
    expectVlan(p, '10');
    expect(all(p, Attr.FilterId).map((v) => v.toString())).toEqual(['school-staff']);
    expect(vsas(p)).toEqual(staffVsa === null ? [] : [staffVsa]);
    expect(all(p, Attr.SessionTimeout)).toEqual([]); // class has none
  });

  it.each(NAS)('%s: unknown device admitted as a visitor on BYOD', (_name, address, secret, _staff, visitorVsa) => {
    const p = ask(address, secret, `0200000a00${(visitors++).toString(16).padStart(2, '0')}`, 'BYOD');
    expect(p.code).toBe(Code.AccessAccept);
    expectVlan(p, '20');
    expect(all(p, Attr.FilterId).map((v) => v.toString())).toEqual(['visitor']);
    expect(vsas(p)).toEqual(visitorVsa === null ? [] : [visitorVsa]);
    expect(readInteger(all(p, Attr.SessionTimeout)[0]!)).toBe(8 * 3600);
  });

  it.each(NAS)('%s: Access-Reject carries nothing but Message-Authenticator', (_name, address, secret) => {
    const p = ask(address, secret, '020000000101', 'BYOD'); // school laptop on BYOD: wrong-network
    expect(p.code).toBe(Code.AccessReject);
    expect(p.attributes.map((a) => a.type)).toEqual([Attr.MessageAuthenticator]);
  });

  it('uses the attribute numbers from the vendors’ dictionaries', () => {
    expect(VENDOR_ROLE_ATTRIBUTE).toMatchObject({
      generic: null,
      aruba: { vendorId: 14823, type: 1, name: 'Aruba-User-Role' },
      cisco: { vendorId: 14179, type: 6, name: 'Airespace-ACL-Name' },
      ruckus: { vendorId: 25053, type: 1, name: 'Ruckus-User-Groups' },
      fortinet: { vendorId: 12356, type: 1, name: 'Fortinet-Group-Name' },
      meraki: null,
      ubiquiti: null,
    });
  });
});
