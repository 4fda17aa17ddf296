/**
 * The open-loop generator of bench:radius (test/bench/open-loop.ts) against the real daemon on
 * loopback: every request it sends is a new request (no duplicate-cache answers), each is
 * matched to its own reply with the right Accept/Reject, and a reply whose Response
 * Authenticator does not match its request is not counted as an answer.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '../../src/protocols/radius/index.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { registerDevices } from '../helpers/devices.js';
import { nativeGenerator, runOpenLoop, runOpenLoopNative, type MabRequestSpec, type OpenLoopOptions, type OpenLoopResult } from './open-loop.js';

const AP = '11-22-33-44-55-66';
const LAPTOP = '02-00-00-00-07-01';
const TABLET = '02-00-00-00-07-02';
const UNKNOWN = '02-00-00-00-07-99';

const mab = (mac: string, expect: 'accept' | 'reject'): MabRequestSpec => ({
  userName: mac.toLowerCase(),
  password: mac.toLowerCase(),
  callingStationId: mac,
  calledStationId: `${AP}:DCPS`,
  expect,
});
// Unknown devices are refused on DCPS (config/lanyard.yaml: unknownDevices: reject).
const SPECS = [mab(LAPTOP, 'accept'), mab(UNKNOWN, 'reject'), mab(TABLET, 'accept')];
const expectedCode = (i: number): number => (SPECS[i % SPECS.length]!.expect === 'accept' ? Code.AccessAccept : Code.AccessReject);

let daemon: RunningDaemon;

interface Stats {
  readonly accepts: number;
  readonly rejects: number;
  readonly duplicatesResent: number;
}

/** SIGUSR2, then the daemon's next stats line on stderr (bounded: 5 s). */
async function stats(): Promise<Stats> {
  const lines = (): string[] => daemon.logs().split('\n').filter((l) => l.includes('"msg":"stats"'));
  const before = lines().length;
  daemon.process.kill('SIGUSR2');
  for (let i = 0; i < 100 && lines().length === before; i++) await new Promise((r) => setTimeout(r, 50));
  const line = lines()[before];
  if (line === undefined) throw new Error(`no stats line after SIGUSR2:\n${daemon.logs().slice(-2000)}`);
  return JSON.parse(line) as Stats;
}

/**
 * A UDP relay on 127.0.0.1 in front of the daemon (one upstream socket per client port, so
 * replies go back to the socket that asked) that flips one octet of the Response Authenticator
 * of the first reply it carries.
 */
async function corruptingRelay(target: number): Promise<{ port: number; close(): void }> {
  const front = dgram.createSocket('udp4');
  const upstreams = new Map<number, dgram.Socket>();
  let corrupted = false;
  front.on('message', (msg, from) => {
    let up = upstreams.get(from.port);
    if (up === undefined) {
      up = dgram.createSocket('udp4');
      up.bind(0, '127.0.0.1');
      up.on('message', (reply) => {
        const out = Buffer.from(reply);
        if (!corrupted) {
          corrupted = true;
          out[4]! ^= 0xff; // RFC 2865 §3: octets 4..19 are the Response Authenticator
        }
        front.send(out, from.port, '127.0.0.1');
      });
      upstreams.set(from.port, up);
    }
    up.send(msg, target, '127.0.0.1');
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: front.address().port,
    close() {
      for (const up of upstreams.values()) up.close();
      front.close();
    },
  };
}

beforeAll(async () => {
  daemon = await startDaemon();
  await registerDevices(
    daemon,
    [
      [LAPTOP, 'school-staff-laptop', 'Open Loop'],
      [TABLET, 'school-tablet', 'Class 7'],
    ],
    { mac: TABLET, called: `${AP}:DCPS` },
  );
});

afterAll(async () => {
  await daemon?.stop();
});

// Both engines: the Node loop, and the C sender/receiver bench:radius uses (compiled with cc,
// which any machine that built better-sqlite3 has).
const ENGINES: readonly [string, (o: OpenLoopOptions) => Promise<OpenLoopResult>][] = [
  ['Node', runOpenLoop],
  [
    'C (open-loop.c)',
    (o) => {
      const binary = nativeGenerator();
      if (binary === null) throw new Error('open-loop.c did not compile with cc');
      return runOpenLoopNative(o, binary);
    },
  ],
];

describe.each(ENGINES)('open-loop generator (%s) against the daemon', (_name, runOpenLoop) => {
  it('answers every request, each with its own reply and the right Accept/Reject, none from the duplicate cache', async () => {
    const before = await stats();
    const r = await runOpenLoop({ port: daemon.authPort, secret: daemon.secret, requests: SPECS, rate: 200, seconds: 0.3 });
    const after = await stats();

    expect(r.sent).toBe(60);
    expect(r.answered).toBe(r.sent);
    expect({ lost: r.lost, late: r.late, invalid: r.invalid, unexpected: r.unexpected, sendErrors: r.sendErrors }).toEqual({ lost: 0, late: 0, invalid: 0, unexpected: 0, sendErrors: 0 });
    expect([...r.codes]).toEqual(Array.from({ length: r.sent }, (_, i) => expectedCode(i)));
    expect(r.accepted).toBe(40);
    expect(r.rejected).toBe(20);
    // Every send was a new request (its own Request Authenticator): decided, not resent.
    expect(after.accepts - before.accepts).toBe(40);
    expect(after.rejects - before.rejects).toBe(20);
    expect(after.duplicatesResent - before.duplicatesResent).toBe(0);
    expect(r.rttUs.p50).toBeGreaterThan(0);
    expect(r.rttUs.max).toBeGreaterThanOrEqual(r.rttUs.p99);
  });

  it('does not count a reply with a wrong Response Authenticator as an answer', async () => {
    const relay = await corruptingRelay(daemon.authPort);
    try {
      const r = await runOpenLoop({ port: relay.port, secret: daemon.secret, requests: SPECS, rate: 100, seconds: 0.3, timeoutMs: 300 });
      expect(r.sent).toBe(30);
      expect(r.invalid).toBe(1);
      expect(r.answered).toBe(29);
      expect(r.lost).toBe(1);
      const unanswered = [...r.codes.keys()].filter((i) => r.codes[i] === 0);
      expect(unanswered).toHaveLength(1);
      for (let i = 0; i < r.sent; i++) if (i !== unanswered[0]) expect(r.codes[i], `request ${i}`).toBe(expectedCode(i));
    } finally {
      relay.close();
    }
  });
});
