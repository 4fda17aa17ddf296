/**
 * `npm run bench:codec`: what the RADIUS codec costs per Access-Request on the MAB PAP path,
 * without sockets: the Message-Authenticator check, recovering the User-Password and encoding
 * the Access-Accept (Message-Authenticator first, then the Response Authenticator). For each
 * function it prints the bytes allocated per call and the CPU per call.
 *
 * Bytes per call are exact when no garbage collection runs during the loop, so the npm script
 * starts node with a young generation of 128 MB and --expose-gc (the heap-used delta over N
 * calls, divided by N). CPU is process.cpuUsage() over N calls, median (min–max) of ROUNDS.
 *
 * The request is shaped like radclient's in bench:radius: User-Name, User-Password (the MAC,
 * 17 octets, so two hidden blocks), Service-Type, Calling-Station-Id, Called-Station-Id,
 * NAS-IP-Address, NAS-Port-Type, then Message-Authenticator; the Accept body is a VLAN and
 * a Filter-Id (31 octets, pre-encoded as the daemon keeps it), plus a Session-Timeout added per
 * request (37 octets): once joined with Buffer.concat, once written into a reused AttributeWriter.
 *
 * Options (env): BENCH_CALLS per round (50000), BENCH_ROUNDS (7).
 */
import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';
import v8 from 'node:v8';
import {
  Attr,
  AttributeWriter,
  Code,
  encodeAttributes,
  encodeInteger,
  encodeReply,
  encodeResponse,
  hidePassword,
  unhidePassword,
  unhidePasswordAt,
  verifyMessageAuthenticator,
} from '../../src/protocols/radius/index.js';
import { fmt, summary } from './stats.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const SECRET = Buffer.from('bench-secret-k3j4h5');
const RA = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const MAC = 'aa-bb-cc-dd-ee-ff';

const int32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

function accessRequest(): { packet: Buffer; passwordAt: number; passwordLength: number } {
  const hidden = hidePassword(MAC, SECRET, RA);
  const attributes = encodeAttributes([
    { type: Attr.UserName, value: Buffer.from(MAC) },
    { type: Attr.UserPassword, value: hidden },
    { type: Attr.ServiceType, value: int32(10) }, // Call-Check
    { type: Attr.CallingStationId, value: Buffer.from(MAC.toUpperCase()) },
    { type: Attr.CalledStationId, value: Buffer.from('11-22-33-44-55-66:school-wifi') },
    { type: Attr.NasIpAddress, value: Buffer.from([127, 0, 0, 1]) },
    { type: Attr.NasPortType, value: int32(19) }, // Wireless-802.11
  ]);
  // radclient writes Message-Authenticator where the request file has it: last here.
  const packet = Buffer.concat([Buffer.alloc(20), attributes, Buffer.from([Attr.MessageAuthenticator, 18]), Buffer.alloc(16)]);
  packet[0] = Code.AccessRequest;
  packet[1] = 42;
  packet.writeUInt16BE(packet.length, 2);
  RA.copy(packet, 4);
  createHmac('md5', SECRET).update(packet).digest().copy(packet, packet.length - 16); // RFC 3579 §3.2
  return { packet, passwordAt: 20 + 2 + MAC.length + 2, passwordLength: hidden.length };
}

const { packet, passwordAt, passwordLength } = accessRequest();
const acceptBody = encodeAttributes([
  { type: Attr.TunnelType, value: int32(13) }, // VLAN
  { type: Attr.TunnelMediumType, value: int32(6) }, // IEEE-802
  { type: Attr.TunnelPrivateGroupId, value: Buffer.from('120') },
  { type: Attr.FilterId, value: Buffer.from('students-web') },
]);
const SESSION_TIMEOUT = 3600;
const clear = Buffer.alloc(128);
const writer = new AttributeWriter();

const cases: Record<string, () => unknown> = {
  verifyMessageAuthenticator: () => verifyMessageAuthenticator(packet, SECRET),
  'unhidePassword (views passed in)': () =>
    unhidePassword(packet.subarray(passwordAt, passwordAt + passwordLength), SECRET, packet.subarray(4, 20)),
  unhidePasswordAt: () => unhidePasswordAt(packet, passwordAt, passwordLength, SECRET, clear),
  'encodeReply (what respond() runs)': () => encodeReply(Code.AccessAccept, packet, acceptBody, SECRET, true, false),
  'encodeResponse (options object)': () =>
    encodeResponse({
      code: Code.AccessAccept,
      identifier: packet[1]!,
      requestAuthenticator: packet.subarray(4, 20),
      attributes: acceptBody,
      secret: SECRET,
      messageAuthenticator: true,
    }),
  '+ Session-Timeout, Buffer.concat': () =>
    encodeReply(Code.AccessAccept, packet, Buffer.concat([acceptBody, encodeInteger(Attr.SessionTimeout, SESSION_TIMEOUT)]), SECRET, true, false),
  '+ Session-Timeout, AttributeWriter': () => {
    writer.reset().append(acceptBody).integer(Attr.SessionTimeout, SESSION_TIMEOUT);
    return encodeReply(Code.AccessAccept, packet, writer.storage, SECRET, true, false, writer.length);
  },
};

// The answers first: a benchmark of functions that fail would measure nothing.
if (verifyMessageAuthenticator(packet, SECRET) !== 'valid') throw new Error('Message-Authenticator does not verify');
const clearLength = unhidePasswordAt(packet, passwordAt, passwordLength, SECRET, clear);
if (clear.toString('utf8', 0, clearLength) !== MAC) {
  throw new Error('User-Password does not unhide');
}

const gc = (globalThis as { gc?: () => void }).gc;

function bytesPerCall(fn: () => unknown): number {
  for (let i = 0; i < 2000; i++) fn(); // optimised before measuring
  gc?.();
  const before = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < CALLS; i++) fn();
  return (v8.getHeapStatistics().used_heap_size - before) / CALLS;
}

function nsPerCall(fn: () => unknown): number {
  const start = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) fn();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / CALLS;
}

if (gc === undefined) console.log('(run through npm run bench:codec: without --expose-gc the bytes include garbage)');
console.log(`Access-Request ${packet.length} octets, Accept body ${acceptBody.length} octets`);
console.log(`${fmt(CALLS)} calls × ${ROUNDS} rounds`);
for (const [name, fn] of Object.entries(cases)) {
  const bytes = bytesPerCall(fn);
  const ns: number[] = [];
  for (let r = 0; r < ROUNDS; r++) ns.push(nsPerCall(fn));
  console.log(`${name.padEnd(38)} ${fmt(bytes, 1).padStart(7)} B/call   CPU ${summary(ns)} ns/call`);
}
