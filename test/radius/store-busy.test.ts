/**
 * "No request ever waits for the store": while ANOTHER process holds SQLite's write lock (a
 * CLI import, a purge), the daemon keeps deciding and answering. Decision events stay queued
 * and are written once the lock is free; an Accounting-Request gets no response (the NAS
 * retransmits) and its retransmission is stored afterwards. The lock is held by a second real
 * connection to the same file; nothing here depends on timing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/app.js';
import { LOOP_BUSY_TIMEOUT_MS } from '../../src/audit/decision-writer.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { AcctStatusType, Attr, Code, encodeInteger, encodeRequest, encodeString, hidePassword, encodeOctets } from '../../src/protocols/radius/index.js';
import type { Exchange, Service } from '../../src/radius/exchange.js';
import { runPipeline } from '../../src/radius/pipeline.js';

const SECRET = 'store-busy-test-secret-0123';
function exchange(buf: Buffer, service: Service, p = port++): Exchange {
  return { buf, address: '127.0.0.1', port: p, service, receivedAt: performance.now(), nas: null, nasIndex: -1, dupEntry: null };
}

function accessRequest(): Buffer {
  const authenticator = crypto.randomBytes(16);
  const secret = Buffer.from(SECRET);
  return encodeRequest({
    code: Code.AccessRequest,
    identifier: port & 255,
    authenticator,
    attributes: Buffer.concat([
      encodeString(Attr.UserName, '020000000101'),
      encodeOctets(Attr.UserPassword, hidePassword('020000000101', secret, authenticator)),
      encodeString(Attr.CalledStationId, '00-11-22-33-44-55:SCHOOL'),
    ]),
    secret,
    messageAuthenticator: true,
  });
}

function accountingStart(session: string): Buffer {
  return encodeRequest({
    code: Code.AccountingRequest,
    identifier: port & 255,
    attributes: Buffer.concat([
      encodeInteger(Attr.AcctStatusType, AcctStatusType.Start),
      encodeString(Attr.AcctSessionId, session),
      encodeString(Attr.CallingStationId, '02-00-00-00-01-01'),
    ]),
    secret: Buffer.from(SECRET),
  });
}

const decisionRows = (): number => other.prepare("SELECT count(*) FROM audit_log WHERE kind = 'decision'").pluck().get() as number;

let dir: string;
let daemon: Daemon;
let other: Database.Database;
let port = 43_000;

// Both places decisions may be appended (events.decisionWriter): the event loop, and the audit thread.
describe.each(['loop', 'thread'] as const)('while another process holds the write lock (decisions appended on the %s)', (writer) => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-busy-'));
    const config = loadConfig(path.resolve('test/fixtures/radius/accounting.yaml'), {
      overrides: { database: path.join(dir, 'lanyard.db'), authPort: 0, acctPort: 0 },
      env: { LANYARD_LOOPBACK_SECRET: SECRET },
    });
    daemon = await startDaemon({ ...config, events: { ...config.events, decisionWriter: writer } }, createLogger('silent'));
    daemon.devices.add({ mac: '02-00-00-00-01-01', className: 'laptop' }, 'test', Date.now());
    daemon.syncCache();
    other = new Database(config.store.database);
  });

  afterAll(async () => {
    if (other?.inTransaction) other.exec('ROLLBACK');
    other?.close();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the daemon's connection does not wait for another process's lock (busy_timeout 0; with the audit thread, at most one of its batches)", () => {
    expect(daemon.db.pragma('busy_timeout', { simple: true })).toBe(writer === 'thread' ? LOOP_BUSY_TIMEOUT_MS : 0);
  });

  it('answers Access-Requests, keeps their events queued, and writes them once the lock is free', () => {
    const before = decisionRows();
    other.exec('BEGIN IMMEDIATE'); // what a CLI import does for the length of its transaction
    try {
      for (let i = 0; i < 20; i++) {
        const reply = runPipeline(exchange(accessRequest(), 'auth'), daemon.runtime);
        expect(Buffer.isBuffer(reply) && reply[0] === Code.AccessAccept).toBe(true);
      }
      daemon.runtime.decisions.flush(); // finds the lock taken: fails at once, keeps the batch
      expect(daemon.runtime.decisions.pending).toBeGreaterThanOrEqual(20);
    } finally {
      other.exec('COMMIT');
    }
    daemon.runtime.decisions.flush();
    expect(daemon.runtime.decisions.pending).toBe(0);
    expect(decisionRows()).toBe(before + 20);
  });

  it('sends no Accounting-Response until the record is stored; the retransmission is stored', async () => {
    const request = accountingStart(`busy-${port}`);
    const source = port++;
    other.exec('BEGIN IMMEDIATE');
    let first: unknown;
    try {
      const pending = runPipeline(exchange(request, 'acct', source), daemon.runtime);
      daemon.runtime.accounting.flush();
      first = await pending;
    } finally {
      other.exec('COMMIT');
    }
    expect(first).toBe('store-unavailable');
    const retry = runPipeline(exchange(request, 'acct', source), daemon.runtime);
    daemon.runtime.accounting.flush();
    const reply = await retry;
    expect(Buffer.isBuffer(reply) && reply[0] === Code.AccountingResponse).toBe(true);
  });
});
