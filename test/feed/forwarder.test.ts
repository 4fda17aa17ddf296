/**
 * The forwarder over real loopback UDP sockets: session changes become Accounting-Requests at
 * a receiver (a socket in this test that checks them with the codec and answers like an
 * RFC 2866 server, or stays silent, or answers with the wrong secret); starts without an
 * address are held until an address is known; failures are counted. The real FreeRADIUS
 * receiver is in interop.test.ts.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedConfig } from '../../src/config/types.js';
import { WebFilterFeed } from '../../src/feed/forwarder.js';
import { createLogger } from '../../src/log.js';
import {
  AcctStatusType,
  Attr,
  Code,
  decodePacket,
  encodeResponse,
  readInteger,
  readIpv4,
  readString,
  verifyRequestAuthenticator,
  type RadiusPacket,
} from '../../src/protocols/radius/index.js';
import type { AccountingRecord } from '../../src/radius/handlers/accounting-request.js';
import type { SessionChange, SessionRecord } from '../../src/store/sessions.js';
import { LAPTOP, policy, sessionRecord, T0 } from './helpers.js';

const SECRET = 'feed-receiver-secret';
const log = createLogger('silent');
const devices = new Map([[LAPTOP, { className: 'school-staff-laptop', owner: 'Jo Smith' }]]);

interface Received {
  readonly status: number | null;
  readonly user: string | null;
  readonly ip: string | null;
  readonly filterId: string | null;
  readonly sessionId: string | null;
}

/** A receiver on 127.0.0.1 that records every valid Accounting-Request and answers as asked. */
async function receiver(mode: 'answer' | 'silent' | 'wrong-secret'): Promise<{ port: number; got: Received[]; datagrams: () => number; close: () => Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  const got: Received[] = [];
  let datagrams = 0;
  socket.on('message', (msg, rinfo) => {
    datagrams++;
    const decoded = decodePacket(msg);
    if (!decoded.ok || decoded.packet.code !== Code.AccountingRequest || !verifyRequestAuthenticator(msg, Buffer.from(SECRET))) return;
    const p = decoded.packet;
    const str = (t: number): string | null => {
      const a = p.attributes.find((x) => x.type === t);
      return a === undefined ? null : readString(a.value);
    };
    const first = (t: number): RadiusPacket['attributes'][number] | undefined => p.attributes.find((x) => x.type === t);
    got.push({
      status: first(Attr.AcctStatusType) === undefined ? null : readInteger(first(Attr.AcctStatusType)!.value),
      user: str(Attr.UserName),
      ip: first(Attr.FramedIpAddress) === undefined ? null : readIpv4(first(Attr.FramedIpAddress)!.value),
      filterId: str(Attr.FilterId),
      sessionId: str(Attr.AcctSessionId),
    });
    if (mode === 'silent') return;
    const reply = encodeResponse({
      code: Code.AccountingResponse,
      identifier: p.identifier,
      requestAuthenticator: p.authenticator,
      attributes: Buffer.alloc(0),
      secret: Buffer.from(mode === 'answer' ? SECRET : 'not-the-secret'),
      messageAuthenticator: false,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: socket.address().port,
    got,
    datagrams: () => datagrams,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function feedConfig(port: number, over: Partial<FeedConfig> = {}): FeedConfig {
  return {
    name: 'test-filter',
    address: '127.0.0.1',
    port,
    secret: Buffer.from(SECRET),
    secretSource: 'inline',
    group: 'filterId',
    groupAttribute: 'Filter-Id',
    userName: 'owner',
    timeoutMs: 200,
    retries: 2,
    queueLimit: 100,
    holdMs: 60_000,
    expectResponse: true,
    nasIdentifier: 'lanyard',
    nasIpAddress: null,
    ...over,
  };
}

const start = (session: SessionRecord): SessionChange => ({ kind: 'start', at: session.startedAt, session });
const stop = (session: SessionRecord, at: number): SessionChange => ({ kind: 'stop', at, session: { ...session, stoppedAt: at, stopReason: 'stop' } });

/** Waits (at most 200 × 10 ms) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(mode: 'answer' | 'silent' | 'wrong-secret', over: Partial<FeedConfig> = {}, now?: () => number) {
  const r = await receiver(mode);
  cleanups.push(r.close);
  const feed = await WebFilterFeed.start({
    feeds: [feedConfig(r.port, over)],
    log,
    policy: () => policy,
    device: (mac) => devices.get(mac) ?? null,
    ...(now === undefined ? {} : { now }),
  });
  cleanups.push(() => feed.close());
  return { r, feed };
}

describe('WebFilterFeed to a receiver that answers', () => {
  it('forwards Start and Stop with the person, the Filter-Id and the address; both answered', async () => {
    const { r, feed } = await setup('answer');
    const s = sessionRecord({ framedIp: '10.10.7.21' });
    feed.onSessionChanges([start(s)]);
    // The Stop record may lack the address: the Stop repeats what the Start said.
    feed.onSessionChanges([stop({ ...s, framedIp: null }, T0 + 60_000)]);
    await until(() => feed.stats()[0]!.answered === 2);
    expect(r.got).toEqual([
      { status: AcctStatusType.Start, user: 'Jo Smith', ip: '10.10.7.21', filterId: 'school-staff', sessionId: `${s.id}:${s.sessionId}` },
      { status: AcctStatusType.Stop, user: 'Jo Smith', ip: '10.10.7.21', filterId: 'school-staff', sessionId: `${s.id}:${s.sessionId}` },
    ]);
    expect(feed.stats()[0]).toMatchObject({ feed: 'test-filter', sent: 2, answered: 2, retried: 0, failed: 0, queued: 0, inFlight: 0, held: 0 });
  });

  it('holds a Start without an address until a lease names one (addressKnown)', async () => {
    const { r, feed } = await setup('answer');
    const s = sessionRecord();
    feed.onSessionChanges([start(s)]);
    expect(feed.held).toBe(1);
    feed.addressKnown('02:00:00:00:03:01', '10.10.7.30', T0 + 2000); // any MAC form
    expect(feed.held).toBe(0);
    await until(() => r.got.length === 1);
    expect(r.got[0]).toMatchObject({ status: AcctStatusType.Start, ip: '10.10.7.30', user: 'Jo Smith' });
  });

  it('uses an address reported shortly before the Start at once', async () => {
    const { r, feed } = await setup('answer');
    feed.addressKnown(LAPTOP, '10.10.7.31', T0 - 5000);
    feed.onSessionChanges([start(sessionRecord())]);
    expect(feed.held).toBe(0);
    await until(() => r.got.length === 1);
    expect(r.got[0]!.ip).toBe('10.10.7.31');
  });

  it('releases a held Start when a committed Interim-Update carries the address', async () => {
    const { r, feed } = await setup('answer');
    const s = sessionRecord();
    feed.onSessionChanges([start(s)]);
    const interim = { mac: LAPTOP, framedIp: '10.10.7.32', statusType: AcctStatusType.InterimUpdate } as unknown as AccountingRecord;
    feed.accountingRecords([interim]);
    await until(() => r.got.length === 1);
    expect(r.got[0]!.ip).toBe('10.10.7.32');
  });

  it('a session that never gets an address is not forwarded, and is counted', async () => {
    let now = T0;
    const { r, feed } = await setup('answer', { holdMs: 10_000 }, () => now);
    const a = sessionRecord();
    const b = sessionRecord({ mac: '02-00-00-00-03-02' });
    feed.onSessionChanges([start(a), start(b)]);
    expect(feed.held).toBe(2);
    feed.onSessionChanges([stop(a, T0 + 5000)]); // stopped while held, still no address
    now = T0 + 10_000;
    expect(feed.expireHolds()).toBe(1); // b ran out of time
    expect(feed.stats()[0]).toMatchObject({ held: 0, unaddressed: 2, sent: 0 });
    expect(r.datagrams()).toBe(0);
  });

  it('a held session whose Stop brings the address: Start then Stop', async () => {
    const { r, feed } = await setup('answer');
    const s = sessionRecord();
    feed.onSessionChanges([start(s)]);
    feed.onSessionChanges([stop({ ...s, framedIp: '10.10.7.33' }, T0 + 30_000)]);
    await until(() => r.got.length === 2);
    expect(r.got.map((g) => [g.status, g.ip])).toEqual([
      [AcctStatusType.Start, '10.10.7.33'],
      [AcctStatusType.Stop, '10.10.7.33'],
    ]);
  });
});

describe('WebFilterFeed when the receiver does not acknowledge', () => {
  it('silent receiver: retransmitted `retries` times, then counted as failed', async () => {
    const { r, feed } = await setup('silent', { timeoutMs: 100, retries: 2 });
    feed.onSessionChanges([start(sessionRecord({ framedIp: '10.10.7.40' }))]);
    await until(() => feed.stats()[0]!.failed === 1);
    expect(r.datagrams()).toBe(3);
    expect(feed.stats()[0]).toMatchObject({ sent: 1, retried: 2, failed: 1, answered: 0, inFlight: 0 });
  });

  it('answers signed with another secret are refused (badResponses) and the request fails', async () => {
    const { feed } = await setup('wrong-secret', { timeoutMs: 100, retries: 1 });
    feed.onSessionChanges([start(sessionRecord({ framedIp: '10.10.7.41' }))]);
    await until(() => feed.stats()[0]!.failed === 1);
    expect(feed.stats()[0]).toMatchObject({ sent: 1, retried: 1, answered: 0, badResponses: 2 });
  });

  it('expectResponse: false sends each request once and settles it', async () => {
    const { r, feed } = await setup('silent', { expectResponse: false, timeoutMs: 100 });
    feed.onSessionChanges([start(sessionRecord({ framedIp: '10.10.7.42' }))]);
    await until(() => r.datagrams() === 1);
    expect(feed.stats()[0]).toMatchObject({ sent: 1, retried: 0, failed: 0, inFlight: 0 });
  });

  it('nothing listening at the port: the ICMP errors do not break the socket; counted as failed', async () => {
    const { r, feed } = await setup('silent', { timeoutMs: 100, retries: 1 });
    await r.close(); // the port is now closed: the kernel answers with port-unreachable
    cleanups.splice(cleanups.indexOf(r.close), 1);
    feed.onSessionChanges([start(sessionRecord({ framedIp: '10.10.7.43' }))]);
    await until(() => feed.stats()[0]!.failed === 1);
    expect(feed.stats()[0]).toMatchObject({ sent: 1, retried: 1, failed: 1 });
  });

  it('queue limit while the receiver is silent: the oldest waiting are dropped and counted', async () => {
    const { feed } = await setup('silent', { queueLimit: 5, timeoutMs: 100, retries: 0 });
    const many = Array.from({ length: 80 }, (_, i) => start(sessionRecord({ mac: null, framedIp: `10.10.8.${i + 1}` })));
    feed.onSessionChanges(many); // one synchronous burst: 80 queued before the first send
    expect(feed.stats()[0]).toMatchObject({ queued: 5, droppedQueueFull: 75 });
    await until(() => feed.stats()[0]!.failed === 5);
    expect(feed.stats()[0]).toMatchObject({ sent: 5, queued: 0 });
  });
});
