/**
 * Accounting-Request (RFC 2866): the Accounting-Response goes out only after the record's
 * batch has committed; when the store fails no response is sent (the NAS retransmits) and the
 * retransmission is handled afresh. The writer in test/fixtures/radius/accounting.yaml
 * commits only when the test flushes it, so the order is observable without races.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import {
  AcctStatusType,
  Attr,
  Code,
  ZERO_AUTHENTICATOR,
  encodeInteger,
  encodeIpv4,
  encodeRequest,
  encodeString,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../src/protocols/radius/index.js';
import type { DropCause } from '../../src/radius/drops.js';
import type { Exchange } from '../../src/radius/exchange.js';
import { runPipeline } from '../../src/radius/pipeline.js';
import { SqliteAccountingRepository } from '../../src/store/accounting.js';

const SECRET = 'accounting-test-secret-0123';
const T0 = 1_760_000_000_000;

let dir: string;
let daemon: Daemon;
let store: SqliteAccountingRepository;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-acct-'));
  const config = loadConfig(path.resolve('test/fixtures/radius/accounting.yaml'), {
    overrides: { database: path.join(dir, 'lanyard.db'), authPort: 0, acctPort: 0 },
    env: { LANYARD_LOOPBACK_SECRET: SECRET },
  });
  daemon = await startDaemon(config, createLogger('silent'), { now: () => T0 });
  store = new SqliteAccountingRepository(daemon.db);
});

afterAll(async () => {
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let nextPort = 41_000;
let nextId = 0;

function request(attributes: Buffer[], ma = false): Buffer {
  return encodeRequest({ code: Code.AccountingRequest, identifier: nextId++ % 256, attributes: Buffer.concat(attributes), secret: Buffer.from(SECRET), messageAuthenticator: ma });
}

function start(session: string): Buffer[] {
  return [
    encodeInteger(Attr.AcctStatusType, AcctStatusType.Start),
    encodeString(Attr.AcctSessionId, session),
    encodeString(Attr.UserName, '020000000101'),
    encodeString(Attr.CallingStationId, '02:00:00:00:01:01'),
    encodeString(Attr.CalledStationId, '00-11-22-33-44-55:SCHOOL'),
    encodeIpv4(Attr.FramedIpAddress, '10.10.1.5'),
  ];
}

function send(buf: Buffer, port = nextPort++): Buffer | DropCause | Promise<Buffer | DropCause> {
  const ex: Exchange = { buf, address: '127.0.0.1', port, service: 'acct', receivedAt: performance.now(), nas: null, nasIndex: -1, dupEntry: null };
  return runPipeline(ex, daemon.runtime);
}

/** Resolves to 'pending' if the promise has not settled after a few turns of the event loop. */
async function settledOrPending<T>(p: Promise<T>): Promise<T | 'pending'> {
  const marker = Symbol('pending');
  const r = await Promise.race([p, new Promise<typeof marker>((res) => setTimeout(() => res(marker), 20))]);
  return r === marker ? 'pending' : (r as T);
}

function expectAccountingResponse(reply: Buffer | DropCause | 'pending', req: Buffer): Buffer {
  if (!Buffer.isBuffer(reply)) throw new Error(`expected a response, got ${String(reply)}`);
  expect(reply[0]).toBe(Code.AccountingResponse);
  expect(reply[1]).toBe(req[1]);
  expect(reply[20]).toBe(Attr.MessageAuthenticator);
  // Message-Authenticator over a zeroed authenticator (as FreeRADIUS computes it), then the
  // Response Authenticator over the request's authenticator (RFC 2866 §3).
  expect(verifyMessageAuthenticator(reply, Buffer.from(SECRET), ZERO_AUTHENTICATOR)).toBe('valid');
  expect(verifyResponseAuthenticator(reply, req.subarray(4, 20), Buffer.from(SECRET))).toBe(true);
  return reply;
}

describe('Accounting-Request', () => {
  it('is answered only after its batch has committed', async () => {
    const before = store.count();
    const responses = daemon.runtime.counters.accountingResponses;
    const req = request(start('s-commit'));
    const pending = send(req);
    expect(pending).toBeInstanceOf(Promise);
    expect(await settledOrPending(pending as Promise<Buffer | DropCause>)).toBe('pending');
    expect(store.count()).toBe(before);
    expect(daemon.runtime.counters.accountingResponses).toBe(responses);

    daemon.runtime.accounting.flush();
    expectAccountingResponse(await pending, req);
    expect(store.count()).toBe(before + 1);
    expect(daemon.runtime.counters.accountingResponses).toBe(responses + 1);
    expect(store.recent(1)[0]).toMatchObject({
      at: T0,
      nas: 'loopback',
      nasAddress: '127.0.0.1',
      statusType: 1,
      sessionId: 's-commit',
      userName: '020000000101',
      mac: '02-00-00-00-01-01',
      calledStationId: '00-11-22-33-44-55:SCHOOL',
      framedIp: '10.10.1.5',
    });
  });

  it('accepts one carrying a valid Message-Authenticator', async () => {
    const req = request(start('s-ma'), true);
    const p = send(req);
    daemon.runtime.accounting.flush();
    expectAccountingResponse(await p, req);
  });

  it('drops a retransmission while the first copy is being stored, then resends the same response', async () => {
    const before = store.count();
    const req = request(start('s-dup'));
    const port = nextPort++;
    const first = send(req, port) as Promise<Buffer | DropCause>;
    const inProgress = daemon.runtime.counters.drops['duplicate-in-progress'];
    expect(send(req, port)).toBe('duplicate-in-progress');
    expect(daemon.runtime.counters.drops['duplicate-in-progress']).toBe(inProgress + 1);
    daemon.runtime.accounting.flush();
    const reply = expectAccountingResponse(await first, req);
    const again = send(req, port);
    expect(Buffer.isBuffer(again) && again.equals(reply)).toBe(true);
    expect(store.count()).toBe(before + 1); // stored once
  });

  it('folds Acct-Input/Output-Gigawords into the octet counts (RFC 2869 §5.1, §5.2)', async () => {
    const req = request([
      encodeInteger(Attr.AcctStatusType, AcctStatusType.Stop),
      encodeString(Attr.AcctSessionId, 's-giga'),
      encodeInteger(Attr.AcctInputOctets, 5),
      encodeInteger(Attr.AcctInputGigawords, 2),
      encodeInteger(Attr.AcctOutputOctets, 0xffffffff),
      encodeInteger(Attr.AcctOutputGigawords, 1),
      encodeInteger(Attr.AcctInputPackets, 10),
      encodeInteger(Attr.AcctOutputPackets, 20),
      encodeInteger(Attr.AcctSessionTime, 3600),
      encodeInteger(Attr.AcctTerminateCause, 1),
    ]);
    const p = send(req);
    daemon.runtime.accounting.flush();
    expectAccountingResponse(await p, req);
    expect(store.recent(1)[0]).toMatchObject({
      statusType: 2,
      sessionId: 's-giga',
      inputOctets: 2 * 2 ** 32 + 5,
      outputOctets: 2 ** 33 - 1,
      inputPackets: 10,
      outputPackets: 20,
      sessionTime: 3600,
      terminateCause: 1,
      mac: null,
      framedIp: null,
    });
  });

  it('keeps octets without Gigawords as they are, and records absent counters as null', async () => {
    const req = request([encodeInteger(Attr.AcctStatusType, AcctStatusType.InterimUpdate), encodeString(Attr.AcctSessionId, 's-plain'), encodeInteger(Attr.AcctInputOctets, 1234)]);
    const p = send(req);
    daemon.runtime.accounting.flush();
    await p;
    expect(store.recent(1)[0]).toMatchObject({ sessionId: 's-plain', inputOctets: 1234, outputOctets: null, sessionTime: null });
  });

  it('sends no response when the store fails, and handles the retransmission afresh', async () => {
    const before = store.count();
    const unavailable = daemon.runtime.counters.drops['store-unavailable'];
    const req = request(start('s-outage'));
    const port = nextPort++;

    daemon.db.exec('ALTER TABLE accounting_records RENAME TO accounting_records_away');
    try {
      const p = send(req, port);
      daemon.runtime.accounting.flush();
      expect(await p).toBe('store-unavailable');
      expect(daemon.runtime.counters.drops['store-unavailable']).toBe(unavailable + 1);
      expect(daemon.runtime.accounting.pending).toBe(0); // not queued again: the NAS will resend
    } finally {
      daemon.db.exec('ALTER TABLE accounting_records_away RENAME TO accounting_records');
    }
    expect(store.count()).toBe(before);

    // The NAS retransmits the same datagram from the same port: not a duplicate any more.
    const retry = send(req, port);
    expect(retry).toBeInstanceOf(Promise);
    daemon.runtime.accounting.flush();
    expectAccountingResponse(await retry, req);
    expect(store.count()).toBe(before + 1);
  });

  it('answers none of a batch whose commit failed, and all of them once the store is back', async () => {
    const reqs = [0, 1, 2].map((i) => request(start(`s-batch-${i}`)));
    daemon.db.exec('ALTER TABLE accounting_records RENAME TO accounting_records_away');
    try {
      const ps = reqs.map((r) => send(r));
      daemon.runtime.accounting.flush();
      expect(await Promise.all(ps)).toEqual(['store-unavailable', 'store-unavailable', 'store-unavailable']);
    } finally {
      daemon.db.exec('ALTER TABLE accounting_records_away RENAME TO accounting_records');
    }
    const ps = reqs.map((r) => send(r));
    daemon.runtime.accounting.flush();
    const replies = await Promise.all(ps);
    replies.forEach((r, i) => expectAccountingResponse(r, reqs[i]!));
  });
});
