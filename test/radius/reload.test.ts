/**
 * SIGHUP: daemon.reload(config) swaps the policy while requests are in flight, without dropping
 * any. Real UDP on 127.0.0.1 against the in-process daemon (the seed config), replies checked
 * with the codec; and the same through the pipeline, where the switch-over point is exact.
 */
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/app.js';
import { loadConfig, loadConfigText } from '../../src/config/load.js';
import type { LanyardConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/log.js';
import { Attr, Code, encodeRequest, encodeString, verifyMessageAuthenticator, verifyResponseAuthenticator } from '../../src/protocols/radius/index.js';
import { runPipeline } from '../../src/radius/pipeline.js';

const SEED = path.resolve('config/lanyard.yaml');
const SECRET = 'reload-test-secret-0123456';
const ADMIT = 'unknownDevices: { admitAs: visitor }';

let dir: string;
let daemon: Daemon;
let admitting: LanyardConfig;
let rejecting: LanyardConfig;

function load(text?: string, authPort = 0): LanyardConfig {
  const opts = { overrides: { database: path.join(dir, 'lanyard.db'), authPort, acctPort: 0, apiPort: 0 }, env: { LANYARD_LOOPBACK_SECRET: SECRET } };
  return text === undefined ? loadConfig(SEED, opts) : loadConfigText(text, SEED, opts);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-reload-'));
  const seedText = fs.readFileSync(SEED, 'utf8');
  expect(seedText).toContain(ADMIT);
  admitting = load();
  rejecting = load(seedText.replace(ADMIT, 'unknownDevices: reject'));
  daemon = await startDaemon(admitting, createLogger('silent'));
});

afterAll(async () => {
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function visitorRequest(id: number): { buf: Buffer; auth: Buffer } {
  const auth = crypto.randomBytes(16);
  const mac = `0200000b${id.toString(16).padStart(4, '0')}`;
  const buf = encodeRequest({
    code: Code.AccessRequest,
    identifier: id % 256,
    authenticator: auth,
    attributes: Buffer.concat([encodeString(Attr.UserName, mac), encodeString(Attr.CalledStationId, '11-22-33-44-55-66:BYOD')]),
    secret: Buffer.from(SECRET),
    messageAuthenticator: true,
  });
  return { buf, auth };
}

describe('reload (SIGHUP)', () => {
  it('switches policy at an exact point through the pipeline', () => {
    daemon.reload(admitting);
    const codes: number[] = [];
    for (let i = 0; i < 200; i++) {
      if (i === 100) expect(daemon.reload(rejecting)).toEqual([]);
      const { buf } = visitorRequest(1000 + i);
      const reply = runPipeline({ buf, address: '127.0.0.1', port: 50_000 + i, service: 'auth', receivedAt: performance.now(), nas: null, nasIndex: -1, dupEntry: null }, daemon.runtime);
      if (!Buffer.isBuffer(reply)) throw new Error(`dropped: ${String(reply)}`);
      codes.push(reply[0]!);
    }
    expect(codes.slice(0, 100).every((c) => c === Code.AccessAccept)).toBe(true);
    expect(codes.slice(100).every((c) => c === Code.AccessReject)).toBe(true);
    expect(daemon.runtime.counters.rejectReasons['unknown-device']).toBeGreaterThanOrEqual(100);
  });

  it('answers every one of 200 UDP requests while reloading in the middle', async () => {
    daemon.reload(admitting);
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const sent = new Map<number, Buffer>();
    const replies = new Map<number, Buffer>();
    let reloadedAt = -1;
    let halfway!: () => void;
    const reloaded = new Promise<void>((resolve) => (halfway = resolve));
    const all = new Promise<void>((resolve) => {
      socket.on('message', (msg) => {
        replies.set(msg[1]!, msg);
        if (replies.size === 50 && reloadedAt < 0) {
          // Half of the first hundred answered, the rest still in the sockets: swap the policy.
          reloadedAt = replies.size;
          daemon.reload(rejecting);
          halfway();
        }
        if (replies.size === 200) resolve();
      });
    });
    const fire = (id: number): void => {
      const { buf, auth } = visitorRequest(id);
      sent.set(id, auth);
      socket.send(buf, daemon.authPort, '127.0.0.1');
    };
    const timeout = (ms: number): Promise<never> =>
      new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${replies.size} of 200 answered`)), ms));
    try {
      for (let id = 0; id < 100; id++) fire(id);
      await Promise.race([reloaded, timeout(10_000)]);
      for (let id = 100; id < 200; id++) fire(id); // sent after the reload: the new policy
      await Promise.race([all, timeout(10_000)]);
    } finally {
      socket.close();
    }
    expect(reloadedAt).toBe(50);
    let accepts = 0;
    let rejects = 0;
    for (const [id, reply] of replies) {
      const auth = sent.get(id)!;
      expect(reply[20]).toBe(Attr.MessageAuthenticator);
      expect(verifyMessageAuthenticator(reply, Buffer.from(SECRET), auth)).toBe('valid');
      expect(verifyResponseAuthenticator(reply, auth, Buffer.from(SECRET))).toBe(true);
      if (reply[0] === Code.AccessAccept) accepts++;
      else if (reply[0] === Code.AccessReject) rejects++;
    }
    expect(accepts + rejects).toBe(200);
    expect(accepts).toBeGreaterThanOrEqual(50); // answered before the reload
    expect(rejects).toBeGreaterThanOrEqual(100); // everything sent after it sees the new policy
    for (let id = 100; id < 200; id++) expect(replies.get(id)![0]).toBe(Code.AccessReject);
  });

  it('reports what only a restart applies', () => {
    const notes = daemon.reload(load(undefined, 1812));
    expect(notes.join('\n')).toMatch(/authPort/);
    daemon.reload(admitting);
    const otherWriter = admitting.events.decisionWriter === 'loop' ? 'thread' : 'loop';
    expect(daemon.reload({ ...admitting, events: { ...admitting.events, decisionWriter: otherWriter } })).toContain(
      'events.flushIntervalMs/batchSize/decisionWriter changed: take effect at the next restart',
    );
    expect(daemon.reload(admitting)).toEqual([]);
  });
});
