/**
 * The RADIUS pipeline without sockets: a real daemon (startDaemon, real SQLite file in the
 * temp dir, UDP bound on 127.0.0.1:0 but unused here) driven through runPipeline exactly as
 * the listener's onMessage does, with packets built by the codec. A fake clock drives the
 * duplicate window.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import {
  Attr,
  Code,
  chapResponse,
  decodePacket,
  encodeOctets,
  encodePacket,
  encodeRequest,
  encodeString,
  encodeVsa,
  hidePassword,
  readInteger,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type RadiusPacket,
} from '../../src/protocols/radius/index.js';
import { DROP_CAUSES, type DropCause } from '../../src/radius/drops.js';
import type { Exchange, RadiusRuntime, Service } from '../../src/radius/exchange.js';
import { LoadGuard } from '../../src/radius/load.js';
import { runPipeline } from '../../src/radius/pipeline.js';
import { SqliteEventRepository } from '../../src/store/events.js';
import type { DecisionEvent } from '../../src/store/types.js';

const FIXTURE = path.resolve('test/fixtures/radius/vendors.yaml');
const SECRET = 'pipeline-test-secret-0123';
const LEGACY = { address: '127.0.0.9', secret: 'legacy-shared-secret-0123' };
const SWITCH = { address: '127.0.0.8', secret: 'switch-shared-secret-0123' };
const AP = 'AA-BB-CC-00-00-01';
const STAFF = '02-00-00-00-01-01';
const FORMS_MAC = '00-1B-63-DD-EE-01'; // globally administered (not randomised)
const T0 = 1_750_000_000_000;

let dir: string;
let daemon: Daemon;
let clock = T0;
let events: SqliteEventRepository;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-pipeline-'));
  const config = loadConfig(FIXTURE, {
    overrides: { database: path.join(dir, 'lanyard.db'), authPort: 0, acctPort: 0 },
    env: { LANYARD_LOOPBACK_SECRET: SECRET },
  });
  daemon = await startDaemon(config, createLogger('silent'), { now: () => clock });
  daemon.devices.add({ mac: STAFF, className: 'school-staff-laptop' }, 'test', T0);
  daemon.devices.add({ mac: FORMS_MAC, className: 'school-staff-laptop' }, 'test', T0);
  daemon.syncCache();
  events = new SqliteEventRepository(daemon.db);
});

afterAll(async () => {
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers

let nextPort = 20_000;
let nextId = 0;

function exchange(buf: Buffer, address: string, port: number, service: Service): Exchange {
  return { buf, address, port, service, receivedAt: performance.now(), nas: null, nasIndex: -1, dupEntry: null };
}

/** What the listener's onMessage does, minus the socket. A fresh source port unless given. */
function send(
  buf: Buffer,
  opts: { address?: string; port?: number; service?: Service; runtime?: RadiusRuntime } = {},
): Buffer | DropCause | Promise<Buffer | DropCause> {
  return runPipeline(exchange(buf, opts.address ?? '127.0.0.1', opts.port ?? nextPort++, opts.service ?? 'auth'), opts.runtime ?? daemon.runtime);
}

function sendSync(buf: Buffer, opts: Parameters<typeof send>[1] = {}): Buffer | DropCause {
  const r = send(buf, opts);
  if (r instanceof Promise) throw new Error('expected a synchronous result');
  return r;
}

interface AccessOptions {
  userName?: string;
  calling?: string;
  called?: string;
  password?: string;
  /** `sentId` puts another CHAP Ident on the wire than the one the response was computed with. */
  chap?: { password: string; id?: number; sentId?: number; challenge?: Buffer };
  ma?: boolean;
  secret?: string;
  id?: number;
  authenticator?: Buffer;
  /** Proxy-State values, as a proxy in front of us adds them (RFC 2865 §5.33). */
  proxyStates?: Buffer[];
}

function accessRequest(o: AccessOptions): Buffer {
  const secret = Buffer.from(o.secret ?? SECRET);
  const authenticator = o.authenticator ?? crypto.randomBytes(16);
  const parts: Buffer[] = [];
  if (o.userName !== undefined) parts.push(encodeString(Attr.UserName, o.userName));
  if (o.password !== undefined) parts.push(encodeOctets(Attr.UserPassword, hidePassword(o.password, secret, authenticator)));
  if (o.chap !== undefined) {
    const chapId = o.chap.id ?? 42;
    const challenge = o.chap.challenge ?? authenticator;
    const sentId = o.chap.sentId ?? chapId;
    parts.push(encodeOctets(Attr.ChapPassword, Buffer.concat([Buffer.from([sentId]), chapResponse(chapId, o.chap.password, challenge)])));
    if (o.chap.challenge !== undefined) parts.push(encodeOctets(Attr.ChapChallenge, o.chap.challenge));
  }
  if (o.calling !== undefined) parts.push(encodeString(Attr.CallingStationId, o.calling));
  if (o.called !== undefined) parts.push(encodeString(Attr.CalledStationId, o.called));
  for (const state of o.proxyStates ?? []) parts.push(encodeOctets(Attr.ProxyState, state));
  return encodeRequest({
    code: Code.AccessRequest,
    identifier: o.id ?? nextId++ % 256,
    authenticator,
    attributes: Buffer.concat(parts),
    secret,
    messageAuthenticator: o.ma ?? true,
  });
}

function accountingRequest(o: { secret?: string; ma?: boolean; id?: number; proxyStates?: Buffer[] } = {}): Buffer {
  return encodeRequest({
    code: Code.AccountingRequest,
    identifier: o.id ?? nextId++ % 256,
    attributes: Buffer.concat([
      Buffer.from([Attr.AcctStatusType, 6, 0, 0, 0, 1]),
      encodeString(Attr.AcctSessionId, `s-${crypto.randomUUID()}`),
      encodeString(Attr.CallingStationId, STAFF),
      ...(o.proxyStates ?? []).map((state) => encodeOctets(Attr.ProxyState, state)),
    ]),
    secret: Buffer.from(o.secret ?? SECRET),
    messageAuthenticator: o.ma ?? false,
  });
}

function statusServer(o: { secret?: string; ma?: boolean } = {}): Buffer {
  const authenticator = crypto.randomBytes(16);
  if (o.ma === false) {
    // encodeRequest always adds Message-Authenticator to Status-Server (RFC 5997 §3): build it raw.
    return encodePacket({ code: Code.StatusServer, identifier: nextId++ % 256, authenticator, attributes: [] });
  }
  return encodeRequest({ code: Code.StatusServer, identifier: nextId++ % 256, authenticator, attributes: Buffer.alloc(0), secret: Buffer.from(o.secret ?? SECRET) });
}

function decoded(reply: Buffer | DropCause): RadiusPacket {
  if (typeof reply === 'string') throw new Error(`dropped: ${reply}`);
  const r = decodePacket(reply);
  if (!r.ok) throw new Error(`reply does not decode: ${r.reason}`);
  return r.packet;
}

function attr(p: RadiusPacket, type: number): Buffer | undefined {
  return p.attributes.find((a) => a.type === type)?.value;
}

function decisionsTaken(): number {
  return daemon.runtime.decisions.written + daemon.runtime.decisions.pending;
}

function lastDecision(): DecisionEvent {
  daemon.runtime.decisions.flush();
  const [e] = events.listDecisions({ limit: 1 });
  if (e === undefined) throw new Error('no decision event');
  return e;
}

/** The request's authenticator field, for verifying the reply. */
function requestAuth(request: Buffer): Buffer {
  return request.subarray(4, 20);
}

function expectSealed(reply: Buffer | DropCause, request: Buffer, secret = SECRET): Buffer {
  if (typeof reply === 'string') throw new Error(`dropped: ${reply}`);
  expect(reply[1]).toBe(request[1]); // RFC 2865 §3: Identifier copied
  // Message-Authenticator FIRST (BlastRADIUS), then a valid Response Authenticator.
  expect(reply[20]).toBe(Attr.MessageAuthenticator);
  expect(reply[21]).toBe(18);
  expect(verifyMessageAuthenticator(reply, Buffer.from(secret), requestAuth(request))).toBe('valid');
  expect(verifyResponseAuthenticator(reply, requestAuth(request), Buffer.from(secret))).toBe(true);
  return reply;
}

function dropsOf(cause: DropCause): number {
  return daemon.runtime.counters.drops[cause];
}

// ---------------------------------------------------------------------------------------------

describe('malformed datagrams are dropped and counted, never thrown', () => {
  const valid = (): Buffer => accessRequest({ userName: 'aabbccddee01' });
  const withLength = (b: Buffer, n: number): Buffer => {
    const c = Buffer.from(b);
    c.writeUInt16BE(n, 2);
    return c;
  };
  /** A header of `code` followed by the given raw attribute bytes, Length set to fit. */
  const raw = (code: number, attrs: number[]): Buffer => {
    const b = Buffer.concat([Buffer.from([code, 1, 0, 0]), crypto.randomBytes(16), Buffer.from(attrs)]);
    b.writeUInt16BE(b.length, 2);
    return b;
  };
  const ma = [80, 18, ...new Array<number>(16).fill(0)];

  const CASES: ReadonlyArray<[string, () => Buffer]> = [
    ['empty datagram', () => Buffer.alloc(0)],
    ['shorter than the 20-octet header', () => valid().subarray(0, 19)],
    ['Length field below 20', () => withLength(valid(), 19)],
    ['Length field above 4096', () => withLength(Buffer.concat([valid(), Buffer.alloc(4100)]), 4097)],
    ['Length field beyond the datagram (truncated)', () => withLength(valid(), valid().length + 10)],
    ['unknown code 99', () => raw(99, [])],
    ['code 0', () => raw(0, [])],
    ['attribute with Length 1', () => raw(1, [1, 1])],
    ['attribute running past the end', () => raw(1, [1, 10, 0x61, 0x62])],
    ['one stray octet after the last attribute', () => raw(1, [1, 3, 0x61, 7])],
    ['attribute with no value (Length 2)', () => raw(1, [1, 2])],
    ['Message-Authenticator of Length 17', () => raw(1, [80, 17, ...new Array<number>(15).fill(0)])],
    ['two Message-Authenticators', () => raw(1, [...ma, ...ma])],
    ['Vendor-Specific shorter than 7 octets', () => raw(1, [26, 6, 0, 0, 0, 9])],
    ['printable garbage', () => Buffer.from('GET / HTTP/1.1\r\nHost: lanyard\r\n\r\n')],
  ];

  it.each(CASES)('%s (auth and accounting ports)', (_name, make) => {
    for (const service of ['auth', 'acct'] as const) {
      const before = dropsOf('malformed');
      let result: ReturnType<typeof send> | undefined;
      expect(() => (result = send(make(), { service }))).not.toThrow();
      expect(result).toBe('malformed');
      expect(dropsOf('malformed')).toBe(before + 1);
    }
  });

  it('never throws on arbitrary bytes from a known NAS, and never answers them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.constantFrom<Service>('auth', 'acct'), (bytes, service) => {
        const result = send(Buffer.from(bytes), { service });
        // Random bytes carry no valid authenticator: every one is dropped with a listed cause.
        expect(typeof result).toBe('string');
        expect(DROP_CAUSES).toContain(result);
      }),
      { numRuns: 2000, seed: 3596 },
    );
  });

  it('counts every datagram as received', () => {
    const before = daemon.runtime.counters.received;
    send(Buffer.alloc(3));
    send(accessRequest({ userName: 'aabbccddee01' }));
    expect(daemon.runtime.counters.received).toBe(before + 2);
  });
});

describe('the source address names the NAS', () => {
  it('drops a datagram from an address that is not a NAS client', () => {
    const before = dropsOf('unknown-nas');
    expect(send(accessRequest({ userName: 'aabbccddee01' }), { address: '192.0.2.77' })).toBe('unknown-nas');
    expect(send(accountingRequest(), { address: '192.0.2.77', service: 'acct' })).toBe('unknown-nas');
    expect(dropsOf('unknown-nas')).toBe(before + 2);
  });

  it('finds a NAS that a dual-stack socket reports as an IPv4-mapped IPv6 address', () => {
    const request = accessRequest({ userName: 'aabbccddee01', called: `${AP}:DCPS` });
    expectSealed(sendSync(request, { address: '::ffff:127.0.0.1' }), request);
  });

  it('uses the most specific CIDR entry (and its secret)', () => {
    const wide = accessRequest({ userName: '020000000101', called: `${AP}:DCPS`, secret: 'subnet-shared-secret-0123' });
    expectSealed(sendSync(wide, { address: '10.20.1.1' }), wide, 'subnet-shared-secret-0123');
    const narrow = accessRequest({ userName: '020000000101', called: `${AP}:DCPS`, secret: 'narrow-shared-secret-0123' });
    expectSealed(sendSync(narrow, { address: '10.20.30.5' }), narrow, 'narrow-shared-secret-0123');
    // The /16's secret does not work from inside the /24.
    expect(send(accessRequest({ userName: '020000000101', secret: 'subnet-shared-secret-0123' }), { address: '10.20.30.5' })).toBe(
      'message-authenticator-invalid',
    );
  });
});

describe('each port serves only its own codes', () => {
  it.each([
    ['Access-Request on the accounting port', () => accessRequest({ userName: 'aabbccddee01' }), 'acct'],
    ['Accounting-Request on the authentication port', () => accountingRequest(), 'auth'],
    ['Access-Accept sent to the server', () => encodePacket({ code: Code.AccessAccept, identifier: 1, authenticator: Buffer.alloc(16), attributes: [] }), 'auth'],
    ['CoA-Request on the authentication port', () => encodeRequest({ code: Code.CoaRequest, identifier: 1, attributes: Buffer.alloc(0), secret: Buffer.from(SECRET) }), 'auth'],
    ['Disconnect-Request on the accounting port', () => encodeRequest({ code: Code.DisconnectRequest, identifier: 1, attributes: Buffer.alloc(0), secret: Buffer.from(SECRET) }), 'acct'],
  ] as const)('%s → unexpected-code', (_name, make, service) => {
    const before = dropsOf('unexpected-code');
    expect(send(make(), { service })).toBe('unexpected-code');
    expect(dropsOf('unexpected-code')).toBe(before + 1);
  });
});

describe('Message-Authenticator (RFC 3579 §3.2, BlastRADIUS)', () => {
  it('drops an Access-Request without one when the NAS requires it (the default)', () => {
    const before = dropsOf('message-authenticator-missing');
    expect(send(accessRequest({ userName: 'aabbccddee01', called: `${AP}:DCPS`, ma: false }))).toBe('message-authenticator-missing');
    expect(dropsOf('message-authenticator-missing')).toBe(before + 1);
  });

  it('answers one without when the NAS is configured requireMessageAuthenticator: false, still protecting the reply', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS`, ma: false, secret: LEGACY.secret });
    const reply = expectSealed(sendSync(request, { address: LEGACY.address }), request, LEGACY.secret);
    expect(reply[0]).toBe(Code.AccessAccept);
  });

  it('drops a bad one even from a NAS that does not require it', () => {
    const request = accessRequest({ userName: 'aabbccddee01', called: `${AP}:DCPS`, secret: LEGACY.secret });
    const forged = Buffer.from(request);
    forged[25]! ^= 0xff; // inside the Message-Authenticator value
    const before = dropsOf('message-authenticator-invalid');
    expect(send(forged, { address: LEGACY.address })).toBe('message-authenticator-invalid');
    expect(dropsOf('message-authenticator-invalid')).toBe(before + 1);
  });

  it('drops a request whose attributes were changed after signing', () => {
    const request = accessRequest({ userName: 'aabbccddee01', called: `${AP}:DCPS` });
    const tampered = Buffer.from(request);
    tampered[tampered.length - 1] = 0x58; // last octet of the SSID
    expect(send(tampered)).toBe('message-authenticator-invalid');
  });

  it('drops an Access-Request signed with the wrong secret', () => {
    expect(send(accessRequest({ userName: 'aabbccddee01', secret: 'not-the-secret' }))).toBe('message-authenticator-invalid');
  });

  it('drops Status-Server without one on both ports (RFC 5997 §3)', () => {
    const before = dropsOf('message-authenticator-missing');
    expect(send(statusServer({ ma: false }))).toBe('message-authenticator-missing');
    expect(send(statusServer({ ma: false }), { service: 'acct' })).toBe('message-authenticator-missing');
    // Even from the NAS that may omit it on Access-Requests.
    expect(send(statusServer({ ma: false }), { address: LEGACY.address })).toBe('message-authenticator-missing');
    expect(dropsOf('message-authenticator-missing')).toBe(before + 3);
  });

  it('answers Status-Server with Access-Accept on auth and Accounting-Response on acct, every time (no duplicate cache)', () => {
    const before = daemon.runtime.counters.statusServer;
    const request = statusServer();
    const port = nextPort++;
    const a = expectSealed(sendSync(request, { port }), request);
    expect(a[0]).toBe(Code.AccessAccept);
    expectSealed(sendSync(request, { port }), request);
    const acctRequest = statusServer();
    const b = expectSealed(sendSync(acctRequest, { service: 'acct' }), acctRequest);
    expect(b[0]).toBe(Code.AccountingResponse);
    expect(daemon.runtime.counters.statusServer).toBe(before + 3);
  });

  it('drops an Accounting-Request with a wrong secret (request authenticator) ', () => {
    const before = dropsOf('request-authenticator-invalid');
    expect(send(accountingRequest({ secret: 'not-the-secret' }), { service: 'acct' })).toBe('request-authenticator-invalid');
    expect(dropsOf('request-authenticator-invalid')).toBe(before + 1);
    // With a Message-Authenticator, that check fails first.
    expect(send(accountingRequest({ secret: 'not-the-secret', ma: true }), { service: 'acct' })).toBe('message-authenticator-invalid');
  });
});

describe('replies', () => {
  it('puts Message-Authenticator first and seals Access-Accept with the Response Authenticator', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    const reply = expectSealed(sendSync(request), request);
    expect(reply[0]).toBe(Code.AccessAccept);
    const p = decoded(reply);
    expect(p.attributes[0]!.type).toBe(Attr.MessageAuthenticator);
    expect(p.attributes.filter((a) => a.type === Attr.MessageAuthenticator)).toHaveLength(1);
  });

  it('does the same for Access-Reject', () => {
    const request = accessRequest({ userName: '02000000ffff', called: `${AP}:DCPS` });
    const reply = expectSealed(sendSync(request), request);
    expect(reply[0]).toBe(Code.AccessReject);
    expect(decoded(reply).attributes.map((a) => a.type)).toEqual([Attr.MessageAuthenticator]);
  });

  it('adds Session-Timeout for a class that has one (visitor admitted on BYOD)', () => {
    const request = accessRequest({ userName: '0200000009aa', called: `${AP}:BYOD` });
    const p = decoded(expectSealed(sendSync(request), request));
    expect(p.code).toBe(Code.AccessAccept);
    expect(readInteger(attr(p, Attr.SessionTimeout)!)).toBe(8 * 3600);
    expect(lastDecision()).toMatchObject({ result: 'accept', reason: 'admitted-unknown', className: 'visitor', vlan: 20 });
  });

  it('places a device by the NAS default network when it sends no SSID (wired switch)', () => {
    const request = accessRequest({ userName: '020000000101', secret: SWITCH.secret });
    const p = decoded(expectSealed(sendSync(request, { address: SWITCH.address }), request, SWITCH.secret));
    expect(p.code).toBe(Code.AccessAccept);
    expect(attr(p, Attr.TunnelPrivateGroupId)?.toString()).toBe('10');
    const unknown = accessRequest({ userName: '0200000009ab', secret: SWITCH.secret });
    expect(decoded(sendSync(unknown, { address: SWITCH.address })).code).toBe(Code.AccessReject);
    expect(lastDecision()).toMatchObject({ result: 'reject', reason: 'unknown-device', nas: 'wired-switch' });
  });

  it('returns every Proxy-State unmodified and in order, in Accepts, Rejects and Accounting-Responses (RFC 2865 §5.33)', async () => {
    const states = [Buffer.from('proxy-a:0001'), Buffer.from([0, 1, 2, 0xff]), Buffer.alloc(200, 0x5a)];
    const proxyStatesOf = (reply: Buffer): Buffer[] => decoded(reply).attributes.filter((a) => a.type === Attr.ProxyState).map((a) => Buffer.from(a.value));

    const accept = accessRequest({ userName: '020000000101', called: `${AP}:DCPS`, proxyStates: states });
    const a = expectSealed(sendSync(accept), accept);
    expect(a[0]).toBe(Code.AccessAccept);
    expect(proxyStatesOf(a)).toEqual(states);
    // The accept body is still there, and Message-Authenticator still first.
    expect(decoded(a).attributes[0]!.type).toBe(Attr.MessageAuthenticator);
    expect(attr(decoded(a), Attr.TunnelPrivateGroupId)).toBeDefined();

    const reject = accessRequest({ userName: '02000000ffff', called: `${AP}:DCPS`, proxyStates: states.slice(0, 1) });
    const r = expectSealed(sendSync(reject), reject);
    expect(r[0]).toBe(Code.AccessReject);
    expect(proxyStatesOf(r)).toEqual(states.slice(0, 1));

    const acct = accountingRequest({ proxyStates: states.slice(1) });
    const response = await send(acct, { service: 'acct' });
    if (!Buffer.isBuffer(response)) throw new Error(`dropped: ${response}`);
    expect(response[0]).toBe(Code.AccountingResponse);
    expect(verifyResponseAuthenticator(response, requestAuth(acct), Buffer.from(SECRET))).toBe(true);
    expect(proxyStatesOf(response)).toEqual(states.slice(1));

    // Without Proxy-State (an access point), the reply carries none.
    const plain = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    expect(proxyStatesOf(expectSealed(sendSync(plain), plain))).toEqual([]);
  });

  it('answers Access-Reject (not silence) when the handler fails unexpectedly, and drops accounting', async () => {
    const seen: unknown[] = [];
    const hook = (error: unknown): void => void seen.push(error);
    // Access: the device cache throws (stands for any bug inside the handler).
    const brokenCache: RadiusRuntime = {
      ...daemon.runtime,
      cache: { get: () => { throw new Error('boom'); } } as unknown as RadiusRuntime['cache'],
      onInternalError: hook,
    };
    const before = daemon.runtime.counters.rejectReasons['internal-error'] ?? 0;
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    const reply = expectSealed(sendSync(request, { runtime: brokenCache }), request);
    expect(reply[0]).toBe(Code.AccessReject);
    expect(daemon.runtime.counters.rejectReasons['internal-error']).toBe(before + 1);

    // Accounting: the clock works for the duplicate step, then throws inside the handler.
    let calls = 0;
    const brokenClock: RadiusRuntime = {
      ...daemon.runtime,
      now: () => {
        if (calls++ > 0) throw new Error('boom');
        return clock;
      },
      onInternalError: hook,
    };
    const dropped = dropsOf('internal-error');
    const acct = accountingRequest();
    const port = nextPort++;
    expect(send(acct, { service: 'acct', port, runtime: brokenClock })).toBe('internal-error');
    expect(dropsOf('internal-error')).toBe(dropped + 1);
    expect(seen).toHaveLength(2);
    // Not left in the duplicate cache: the retransmission is handled afresh (and now stored).
    const retry = send(acct, { service: 'acct', port });
    expect(retry).toBeInstanceOf(Promise);
    const response = await retry;
    if (!Buffer.isBuffer(response)) throw new Error(`dropped: ${response}`);
    expect(response[0]).toBe(Code.AccountingResponse);
    expect(verifyResponseAuthenticator(response, requestAuth(acct), Buffer.from(SECRET))).toBe(true);
  });
});

describe('duplicate detection (RFC 5080 §2.2.2)', () => {
  it('resends the identical reply to a retransmission and decides once', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    const port = nextPort++;
    const first = sendSync(request, { port }) as Buffer;
    const accepts = daemon.runtime.counters.accepts;
    const taken = decisionsTaken();
    const resent = daemon.runtime.counters.duplicatesResent;
    for (let i = 0; i < 3; i++) {
      clock += 1000;
      const again = sendSync(request, { port });
      expect(Buffer.isBuffer(again) && again.equals(first)).toBe(true);
    }
    expect(daemon.runtime.counters.accepts).toBe(accepts);
    expect(decisionsTaken()).toBe(taken);
    expect(daemon.runtime.counters.duplicatesResent).toBe(resent + 3);
  });

  it('caches rejects the same way', () => {
    const request = accessRequest({ userName: '02000000eeee', called: `${AP}:DCPS` });
    const port = nextPort++;
    const first = sendSync(request, { port }) as Buffer;
    const rejects = daemon.runtime.counters.rejects;
    expect((sendSync(request, { port }) as Buffer).equals(first)).toBe(true);
    expect(daemon.runtime.counters.rejects).toBe(rejects);
  });

  it('treats the same Identifier with a new Request Authenticator as a new request', () => {
    const port = nextPort++;
    const a = accessRequest({ userName: '020000000101', called: `${AP}:DCPS`, id: 200 });
    const b = accessRequest({ userName: '020000000101', called: `${AP}:DCPS`, id: 200 });
    sendSync(a, { port });
    const taken = decisionsTaken();
    const reply = sendSync(b, { port });
    expectSealed(reply, b);
    expect(decisionsTaken()).toBe(taken + 1);
  });

  it('treats the same packet from another source port as a new request', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    sendSync(request);
    const taken = decisionsTaken();
    sendSync(request);
    expect(decisionsTaken()).toBe(taken + 1);
  });

  it('decides afresh once the window (5 s) has passed', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    const port = nextPort++;
    sendSync(request, { port });
    const taken = decisionsTaken();
    clock += 4999;
    sendSync(request, { port });
    expect(decisionsTaken()).toBe(taken);
    clock += 2;
    const reply = sendSync(request, { port });
    expect(decisionsTaken()).toBe(taken + 1);
    expectSealed(reply, request);
  });

  it('keeps the ports apart: an Access-Request and an Accounting-Request with the same source and id', async () => {
    const port = nextPort++;
    const acct = accountingRequest({ id: 77 });
    const pending = send(acct, { port, service: 'acct' }); // waits for its batch commit
    const access = accessRequest({ userName: '020000000101', called: `${AP}:DCPS`, id: 77 });
    const first = decoded(sendSync(access, { port, service: 'auth' }));
    expect(first.code).toBe(Code.AccessAccept);
    daemon.runtime.accounting.flush();
    expect(decoded(await pending).code).toBe(Code.AccountingResponse);
    // The retransmitted Access-Request gets its own cached Access-Accept, never the accounting reply.
    const again = sendSync(access, { port, service: 'auth' });
    expect(decoded(again).code).toBe(Code.AccessAccept);
    expectSealed(again, access);
  });

  it('does not cache a dropped request, so its retransmission is judged again', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS`, ma: false });
    const port = nextPort++;
    const before = dropsOf('message-authenticator-missing');
    expect(send(request, { port })).toBe('message-authenticator-missing');
    expect(send(request, { port })).toBe('message-authenticator-missing');
    expect(dropsOf('message-authenticator-missing')).toBe(before + 2);
  });
});

describe('load shedding (storms)', () => {
  it('sheds a new request while the decision queue is at its bound, and counts it', () => {
    const queued = daemon.runtime.decisions.pending;
    const rt: RadiusRuntime = { ...daemon.runtime, load: new LoadGuard({ maxQueued: queued, maxLagMs: 60_000 }) };
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    const before = dropsOf('shed');
    const taken = decisionsTaken();
    expect(send(request, { runtime: rt })).toBe('shed');
    expect(dropsOf('shed')).toBe(before + 1);
    expect(decisionsTaken()).toBe(taken); // nothing decided, so nothing to record
  });

  it('still answers a retransmission of a request decided before the shedding began', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    const port = nextPort++;
    const first = sendSync(request, { port }) as Buffer;
    const rt: RadiusRuntime = { ...daemon.runtime, load: new LoadGuard({ maxQueued: 0, maxLagMs: 60_000 }) };
    const again = sendSync(request, { port, runtime: rt });
    expect(Buffer.isBuffer(again) && again.equals(first)).toBe(true);
  });

  it('forgets a shed request, so its retransmission after the storm is decided', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
    const port = nextPort++;
    const rt: RadiusRuntime = { ...daemon.runtime, load: new LoadGuard({ maxQueued: 0, maxLagMs: 60_000 }) };
    expect(send(request, { port, runtime: rt })).toBe('shed');
    const taken = decisionsTaken();
    expectSealed(sendSync(request, { port }), request);
    expect(decisionsTaken()).toBe(taken + 1);
  });

  it('sheds while the event loop has been held longer than the bound', () => {
    let t = 0;
    const guard = new LoadGuard({ maxQueued: 1e9, maxLagMs: 500 }, () => t).start();
    try {
      const rt: RadiusRuntime = { ...daemon.runtime, load: guard };
      const request = accessRequest({ userName: '020000000101', called: `${AP}:DCPS` });
      t = 400; // the heartbeat last ran at 0: 375 ms of lag
      expectSealed(sendSync(request, { runtime: rt }), request);
      t = 600; // 575 ms
      expect(send(request, { runtime: rt })).toBe('shed');
      guard.tick(); // the loop turned
      expectSealed(sendSync(request, { runtime: rt }), request);
    } finally {
      guard.stop();
    }
  });

  it('never sheds Status-Server, so health checks see the server alive', () => {
    const rt: RadiusRuntime = { ...daemon.runtime, load: new LoadGuard({ maxQueued: 0, maxLagMs: 0 }) };
    const status = statusServer();
    const reply = sendSync(status, { runtime: rt });
    expect(Buffer.isBuffer(reply)).toBe(true);
  });
});

describe('MAC authentication (MAB)', () => {
  const FORMS = ['001b63ddee01', '001B63DDEE01', '00-1B-63-DD-EE-01', '00-1b-63-dd-ee-01', '00:1b:63:dd:ee:01', '00:1B:63:DD:EE:01', '001b.63dd.ee01', '001B.63DD.EE01'];

  it.each(FORMS)('reads the User-Name %s (no password: Call-Check MAB)', (form) => {
    const request = accessRequest({ userName: form, called: `${AP}:DCPS` });
    const p = decoded(expectSealed(sendSync(request), request));
    expect(p.code).toBe(Code.AccessAccept);
    expect(lastDecision()).toMatchObject({ result: 'accept', mac: FORMS_MAC, userName: form, method: 'mab', randomisedMac: false, ssid: 'DCPS', apMac: AP });
  });

  it.each(FORMS)('accepts PAP with the MAC as password in the same form (%s)', (form) => {
    const request = accessRequest({ userName: form, password: form, called: `${AP}:DCPS` });
    expect(decoded(sendSync(request)).code).toBe(Code.AccessAccept);
    expect(lastDecision()).toMatchObject({ result: 'accept', method: 'pap' });
  });

  it.each([
    ['001b63ddee01', '00-1B-63-DD-EE-01'],
    ['00-1B-63-DD-EE-01', '001b63ddee01'],
    ['001b.63dd.ee01', '00:1b:63:dd:ee:01'],
  ])('accepts PAP with the MAC in another form (User-Name %s, password %s)', (userName, password) => {
    expect(decoded(sendSync(accessRequest({ userName, password, called: `${AP}:DCPS` }))).code).toBe(Code.AccessAccept);
  });

  it.each(['guess', '001b63ddee02', '', '00-1B-63-DD-EE-0'])('rejects a PAP password that is not the MAC (%j) as bad-password', (password) => {
    const request = accessRequest({ userName: '001b63ddee01', password, called: `${AP}:DCPS` });
    const reply = expectSealed(sendSync(request), request);
    expect(reply[0]).toBe(Code.AccessReject);
    expect(lastDecision()).toMatchObject({ result: 'reject', reason: 'bad-password', method: 'pap' });
  });

  it('takes the SSID from Aruba-Essid-Name when Called-Station-Id has none, and prefers Called-Station-Id', () => {
    const build = (called: string): Buffer => {
      const authenticator = crypto.randomBytes(16);
      return encodeRequest({
        code: Code.AccessRequest,
        identifier: nextId++ % 256,
        authenticator,
        attributes: Buffer.concat([
          encodeString(Attr.UserName, '001b63ddee01'),
          encodeString(Attr.CalledStationId, called),
          encodeVsa(14823, 5, 'DCPS'), // Aruba-Essid-Name
        ]),
        secret: Buffer.from(SECRET),
        messageAuthenticator: true,
      });
    };
    expect(decoded(sendSync(build(AP))).code).toBe(Code.AccessAccept);
    expect(lastDecision()).toMatchObject({ result: 'accept', ssid: 'DCPS', apMac: AP });
    // An SSID in Called-Station-Id wins: the school laptop on BYOD is refused.
    expect(decoded(sendSync(build(`${AP}:BYOD`))).code).toBe(Code.AccessReject);
    expect(lastDecision()).toMatchObject({ result: 'reject', reason: 'wrong-network', ssid: 'BYOD' });
  });

  it('rejects a malformed User-Password value (not 16..128 octets) as bad-password', () => {
    const authenticator = crypto.randomBytes(16);
    const request = encodeRequest({
      code: Code.AccessRequest,
      identifier: 9,
      authenticator,
      attributes: Buffer.concat([encodeString(Attr.UserName, '001b63ddee01'), encodeOctets(Attr.UserPassword, Buffer.alloc(15, 1)), encodeString(Attr.CalledStationId, `${AP}:DCPS`)]),
      secret: Buffer.from(SECRET),
      messageAuthenticator: true,
    });
    expect(decoded(sendSync(request)).code).toBe(Code.AccessReject);
    expect(lastDecision()).toMatchObject({ reason: 'bad-password' });
  });

  it('accepts CHAP computed over the User-Name, with the Request Authenticator as challenge', () => {
    const request = accessRequest({ userName: '001b63ddee01', chap: { password: '001b63ddee01' }, called: `${AP}:DCPS` });
    expect(decoded(expectSealed(sendSync(request), request)).code).toBe(Code.AccessAccept);
    expect(lastDecision()).toMatchObject({ result: 'accept', method: 'chap' });
  });

  it('accepts CHAP with a CHAP-Challenge attribute', () => {
    const request = accessRequest({ userName: '00-1B-63-DD-EE-01', chap: { password: '00-1B-63-DD-EE-01', challenge: crypto.randomBytes(24) }, called: `${AP}:DCPS` });
    expect(decoded(sendSync(request)).code).toBe(Code.AccessAccept);
  });

  it.each([
    ['a wrong password', { password: 'secret' }],
    ['a CHAP Ident that is not the one the response was computed with', { password: '001b63ddee01', id: 1, sentId: 2 }],
  ])('rejects CHAP with %s as bad-password', (_name, chap) => {
    const request = accessRequest({ userName: '001b63ddee01', chap, called: `${AP}:DCPS` });
    expect(decoded(sendSync(request)).code).toBe(Code.AccessReject);
    expect(lastDecision()).toMatchObject({ reason: 'bad-password', method: 'chap' });
  });

  it.each(['02-00-00-00-01-01', '020000000101', '02:00:00:00:01:01', '0200.0000.0101'])(
    'reads the MAC from Calling-Station-Id %s when there is no User-Name',
    (calling) => {
      const request = accessRequest({ calling, called: `${AP}:DCPS` });
      expect(decoded(sendSync(request)).code).toBe(Code.AccessAccept);
      expect(lastDecision()).toMatchObject({ result: 'accept', mac: STAFF, userName: null, method: 'mab', randomisedMac: true });
    },
  );

  it.each([
    // The event still records the Calling-Station-Id MAC, for the ICT team's search.
    ['a User-Name that is not a MAC, even with a MAC in Calling-Station-Id', { userName: 'alice', calling: STAFF }, STAFF],
    ['a User-Name that is nearly a MAC', { userName: '00-1b-63-dd-ee:01' }, null],
    ['no User-Name and a Calling-Station-Id that is not a MAC', { calling: '+441234567890' }, null],
    ['neither User-Name nor Calling-Station-Id', {}, null],
  ])('rejects %s as not-a-mac', (_name, o, mac) => {
    const request = accessRequest({ ...o, called: `${AP}:DCPS` });
    const reply = expectSealed(sendSync(request), request);
    expect(reply[0]).toBe(Code.AccessReject);
    expect(lastDecision()).toMatchObject({ result: 'reject', reason: 'not-a-mac', method: 'none', mac });
  });

  it('counts accepts and rejects by reason', () => {
    const c = daemon.runtime.counters;
    const accepts = c.accepts;
    const rejects = c.rejects;
    const unknown = c.rejectReasons['unknown-device'] ?? 0;
    sendSync(accessRequest({ userName: '020000000101', called: `${AP}:DCPS` }));
    sendSync(accessRequest({ userName: '02000000dddd', called: `${AP}:DCPS` }));
    sendSync(accessRequest({ userName: '020000000101', called: `${AP}:Nowhere` }));
    expect(c.accepts).toBe(accepts + 1);
    expect(c.rejects).toBe(rejects + 2);
    expect(c.rejectReasons['unknown-device']).toBe(unknown + 1);
    expect(lastDecision()).toMatchObject({ reason: 'unknown-ssid', ssid: 'Nowhere' });
  });

  it('reads an SSID that contains a colon', () => {
    const request = accessRequest({ userName: '020000000101', called: `${AP}:Staff:5GHz` });
    expect(decoded(sendSync(request)).code).toBe(Code.AccessAccept);
    expect(lastDecision()).toMatchObject({ ssid: 'Staff:5GHz', apMac: AP, network: 'DCPS' });
  });

  it('records the decision time from the injected clock and a latency', () => {
    sendSync(accessRequest({ userName: '020000000101', called: `${AP}:DCPS` }));
    const e = lastDecision();
    expect(e.at).toBe(clock);
    expect(e.latencyUs).toBeGreaterThanOrEqual(0);
    expect(daemon.runtime.latency.count).toBeGreaterThan(0);
  });
});
