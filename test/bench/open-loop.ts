/**
 * An open-loop RADIUS load generator for benchmarks: MAB Access-Requests sent to 127.0.0.1 at a
 * fixed rate, whatever the server does, with the round-trip time of each reply measured as the
 * client sees it.
 *
 * radclient -p N is closed-loop: it sends the next request only when a reply frees a slot, so a
 * server that stalls for 5 ms simply receives fewer requests in those 5 ms and no request "sees"
 * the stall. An access point does not wait like that: its clients arrive when they arrive. Here
 * request i is due at t0 + i / rate, is sent then (or as soon as the loop gets to it), and its
 * round trip includes the time the datagram sat in the server's socket while the server was
 * busy with something else (an audit commit, a GC pause).
 *
 * Every packet is built before the clock starts, each with its own random Request
 * Authenticator (RFC 2865 §3), so no send is a retransmission and no server's duplicate cache
 * (RFC 5080 §2.2.2) answers one. Identifiers are spread over enough sockets that an Identifier
 * comes round again on its socket only after twice the loss timeout. A reply counts as answered
 * only when it is an Access-Accept or Access-Reject whose Response Authenticator matches its
 * request (RFC 2865 §3); anything else is counted as invalid.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Attr,
  AUTHENTICATOR_LENGTH,
  Code,
  encodeAttributes,
  encodeRequest,
  hidePassword,
  NasPortType,
  ServiceType,
  verifyResponseAuthenticator,
  type RadiusAttribute,
} from '../../src/protocols/radius/index.js';

/** One MAB request as an access point sends it (User-Password is hidden per packet). */
export interface MabRequestSpec {
  readonly userName: string;
  readonly password: string;
  readonly callingStationId: string;
  /** "AP-MAC:SSID" (RFC 3580 §3.20). */
  readonly calledStationId: string;
  /** The answer this request must get; a different one is counted as `unexpected`. */
  readonly expect?: 'accept' | 'reject';
}

export interface OpenLoopOptions {
  /** UDP port on 127.0.0.1 (nothing else is ever addressed). */
  readonly port: number;
  readonly secret: string;
  /** Sent in turn, from the first again when the run needs more. */
  readonly requests: readonly MabRequestSpec[];
  /** Requests per second offered. */
  readonly rate: number;
  readonly seconds: number;
  /** A request with no valid reply this long after it was sent is lost (default 1,000 ms). */
  readonly timeoutMs?: number;
  /** At least this many client sockets (default 4); more when rate × timeout needs them. */
  readonly sockets?: number;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface OpenLoopResult {
  readonly offeredRate: number;
  readonly sent: number;
  /** Sent ÷ seconds from the first send to the last. */
  readonly achievedRate: number;
  readonly sockets: number;
  /** Valid Access-Accept or Access-Reject replies within the timeout. */
  readonly answered: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Answered with the other code than the request's `expect`. */
  readonly unexpected: number;
  /** Requests with no valid reply within the timeout. */
  readonly lost: number;
  /** Valid replies that came after their request's timeout (also counted in `lost`). */
  readonly late: number;
  /** Datagrams that were not a valid reply to an outstanding request (bad authenticator, wrong code, unknown Identifier). */
  readonly invalid: number;
  /** Errors the sockets reported while sending. */
  readonly sendErrors: number;
  /** Round trip of answered requests, µs: send to reply read. */
  readonly rttUs: Percentiles;
  /**
   * Round trip to the kernel's receive timestamp of the reply (SO_TIMESTAMPNS), µs: leaves out
   * the time the reply waited for the generator's own receiving thread. C engine only.
   */
  readonly rttKernelUs?: Percentiles;
  /** How far behind its schedule each request was sent, µs (the generator's own lag). */
  readonly sendLagUs: Percentiles;
  /** This process's CPU (user + system) from the first send until the last reply or timeout, µs. */
  readonly cpuUs: number;
  /** Per request sent, in order: the reply code (2 Accept, 3 Reject) or 0 for no valid reply. */
  readonly codes: Uint8Array;
}

/** Most requests sent in one turn of the loop before it yields to read replies. */
const MAX_BURST = 16;
/** The send phase gives up this long after its scheduled end if the loop cannot keep up. */
const SEND_SLACK_NS = 2e9;
const IDS_PER_SOCKET = 256;
/** The most client sockets a run may use: 256 Identifiers each, so a server may see up to 262,144 distinct (port, Identifier) keys. */
export const MAX_SOCKETS = 1024;

/** Nearest-rank percentiles of µs values (sorted in place). */
export function percentiles(values: Float64Array): Percentiles {
  const n = values.length;
  if (n === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
  values.sort();
  const at = (p: number): number => values[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: values[n - 1]! };
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** The attributes that do not depend on the Request Authenticator, in radclient's order. */
function fixedAttributes(spec: MabRequestSpec): RadiusAttribute[] {
  return [
    { type: Attr.UserName, value: Buffer.from(spec.userName) },
    { type: Attr.ServiceType, value: u32(ServiceType.CallCheck) }, // RFC 2865 §5.6: what MAB sends
    { type: Attr.CallingStationId, value: Buffer.from(spec.callingStationId) },
    { type: Attr.CalledStationId, value: Buffer.from(spec.calledStationId) },
    { type: Attr.NasIpAddress, value: Buffer.from([127, 0, 0, 1]) },
    { type: Attr.NasPortType, value: u32(NasPortType.Wireless80211) },
  ];
}

/** Request i goes to socket i mod S with Identifier ⌊i / S⌋ mod 256. */
function slotOf(i: number, sockets: number): { socket: number; id: number } {
  return { socket: i % sockets, id: Math.floor(i / sockets) % IDS_PER_SOCKET };
}

/**
 * Builds every packet of the run: request i is spec i mod n with a fresh random Request
 * Authenticator, its User-Password hidden with it (RFC 2865 §5.2), Message-Authenticator
 * computed over the whole packet (RFC 3579 §3.2).
 */
function buildPackets(specs: readonly MabRequestSpec[], total: number, sockets: number, secret: Buffer): { packets: Buffer[]; authenticators: Buffer } {
  const fixed = specs.map((s) => encodeAttributes(fixedAttributes(s)));
  const authenticators = crypto.randomBytes(total * AUTHENTICATOR_LENGTH);
  const packets: Buffer[] = new Array<Buffer>(total);
  for (let i = 0; i < total; i++) {
    const spec = specs[i % specs.length]!;
    const authenticator = authenticators.subarray(i * AUTHENTICATOR_LENGTH, (i + 1) * AUTHENTICATOR_LENGTH);
    const password = encodeAttributes([{ type: Attr.UserPassword, value: hidePassword(spec.password, secret, authenticator) }]);
    const attributes = Buffer.concat([fixed[i % specs.length]!, password]);
    const { id } = slotOf(i, sockets);
    packets[i] = encodeRequest({ code: Code.AccessRequest, identifier: id, authenticator, attributes, secret, messageAuthenticator: true });
  }
  return { packets, authenticators };
}

async function openSockets(count: number, port: number): Promise<dgram.Socket[]> {
  const out: dgram.Socket[] = [];
  try {
    for (let s = 0; s < count; s++) {
      const socket = dgram.createSocket('udp4');
      out.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => {
          // Connected: send() needs no address lookup, and only the server's datagrams arrive.
          socket.connect(port, '127.0.0.1', () => {
            socket.off('error', reject);
            resolve();
          });
        });
      });
    }
    return out;
  } catch (err) {
    for (const socket of out) socket.close();
    throw err;
  }
}

/** What both engines need before the clock starts: the checked options, sockets and packets. */
interface Plan {
  readonly timeoutMs: number;
  readonly total: number;
  /** Client sockets. */
  readonly S: number;
  readonly secret: Buffer;
  readonly packets: Buffer[];
  readonly authenticators: Buffer;
}

function plan(o: OpenLoopOptions): Plan {
  if (!(o.rate > 0) || !(o.seconds > 0)) throw new Error(`open loop: rate (${o.rate}) and seconds (${o.seconds}) must be positive`);
  if (o.requests.length === 0) throw new Error('open loop: no requests to send');
  const timeoutMs = o.timeoutMs ?? 1000;
  const total = Math.max(1, Math.round(o.rate * o.seconds));
  // An Identifier comes round on its socket every 256 × S / rate seconds: make that at least
  // twice the timeout, so a slow reply can never be taken for the next request's.
  const S = Math.max(o.sockets ?? 4, Math.ceil((2 * o.rate * timeoutMs) / 1000 / IDS_PER_SOCKET));
  if (S > MAX_SOCKETS) throw new Error(`open loop: ${o.rate}/s with a ${timeoutMs} ms timeout needs ${S} sockets; lower one of them`);
  const secret = Buffer.from(o.secret);
  return { timeoutMs, total, S, secret, ...buildPackets(o.requests, total, S, secret) };
}

/** Runs one open-loop round against 127.0.0.1:port; bounded by seconds + 2 s + the timeout. */
export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const { timeoutMs, total, S, secret, packets, authenticators } = plan(o);
  const sockets = await openSockets(S, o.port);

  const sentAt = new Float64Array(total); // ns since t0
  const lag = new Float64Array(total);
  const rtt = new Float64Array(total);
  const codes = new Uint8Array(total);
  /** Per request: 0 outstanding (or not yet sent), 1 answered, 2 lost. */
  const state = new Uint8Array(total);
  /** Request outstanding on (socket, Identifier), or -1; and the last one that timed out there. */
  const outstanding = new Int32Array(S * IDS_PER_SOCKET).fill(-1);
  const expired = new Int32Array(S * IDS_PER_SOCKET).fill(-1);
  let answered = 0;
  let accepted = 0;
  let unexpected = 0;
  let lost = 0;
  let late = 0;
  let invalid = 0;
  let sendErrors = 0;
  let next = 0;
  let expireHead = 0;
  const timeoutNs = timeoutMs * 1e6;
  const authOf = (i: number): Buffer => authenticators.subarray(i * AUTHENTICATOR_LENGTH, (i + 1) * AUTHENTICATOR_LENGTH);
  const isReplyTo = (msg: Buffer, i: number): boolean =>
    (msg[0] === Code.AccessAccept || msg[0] === Code.AccessReject) && verifyResponseAuthenticator(msg, authOf(i), secret); // RFC 2865 §3

  const t0 = process.hrtime.bigint();
  const now = (): number => Number(process.hrtime.bigint() - t0);
  sockets.forEach((socket, s) => {
    socket.on('error', () => sendErrors++);
    socket.on('message', (msg: Buffer) => {
      const t = now();
      const slot = s * IDS_PER_SOCKET + (msg[1] ?? 0);
      const i = msg.length >= 20 ? outstanding[slot]! : -1;
      if (i < 0 || !isReplyTo(msg, i)) {
        const j = msg.length >= 20 ? expired[slot]! : -1;
        if (j >= 0 && isReplyTo(msg, j)) {
          late++;
          expired[slot] = -1;
        } else invalid++;
        return;
      }
      outstanding[slot] = -1;
      state[i] = 1;
      rtt[answered++] = (t - sentAt[i]!) / 1000;
      codes[i] = msg[0]!;
      if (msg[0] === Code.AccessAccept) accepted++;
      const want = o.requests[i % o.requests.length]!.expect;
      if (want !== undefined && (want === 'accept') !== (msg[0] === Code.AccessAccept)) unexpected++;
    });
  });

  const lose = (i: number, slot: number): void => {
    state[i] = 2;
    outstanding[slot] = -1;
    expired[slot] = i;
    lost++;
  };
  /** Requests sent more than the timeout ago without a valid reply are lost (oldest first). */
  const expire = (t: number): void => {
    while (expireHead < next && (state[expireHead] !== 0 || sentAt[expireHead]! + timeoutNs <= t)) {
      if (state[expireHead] === 0) {
        const { socket, id } = slotOf(expireHead, S);
        lose(expireHead, socket * IDS_PER_SOCKET + id);
      }
      expireHead++;
    }
  };

  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const deadline = o.seconds * 1e9 + SEND_SLACK_NS;
    const tick = (): void => {
      const t = now();
      expire(t);
      // Request i is due at i / rate seconds: send everything due by now, at most MAX_BURST.
      const due = Math.min(total, Math.floor((t * o.rate) / 1e9) + 1);
      for (let k = 0; next < due && k < MAX_BURST; k++, next++) {
        const { socket, id } = slotOf(next, S);
        const slot = socket * IDS_PER_SOCKET + id;
        const before = outstanding[slot]!;
        if (before >= 0) lose(before, slot); // cannot happen with S as chosen; never two requests on one Identifier
        const at = now();
        sentAt[next] = at;
        lag[next] = (at - (next * 1e9) / o.rate) / 1000;
        outstanding[slot] = next;
        sockets[socket]!.send(packets[next]!);
      }
      if (next >= total || t >= deadline) resolve();
      // Behind or nearly due: go on at once (after reading replies). Otherwise sleep on a timer
      // (about 1 ms in Node): polling with setImmediate alone kept a whole core busy, which the
      // servers under test then lacked. So requests leave in bursts of about rate/1000, as
      // from many access points at once.
      else if ((next * 1e9) / o.rate - now() < 200_000) setImmediate(tick);
      else setTimeout(tick, 1);
    };
    setImmediate(tick);
  });
  // Drain: wait (bounded by the timeout) for the replies still outstanding.
  const sent = next;
  for (let waited = 0; waited <= timeoutMs + 50; waited += 5) {
    expire(now());
    if (expireHead >= sent) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  expire(Infinity);
  const cpu = process.cpuUsage(cpu0);
  // Replies still in flight after the timeout would arrive on closed sockets: read what is queued first.
  await new Promise((r) => setImmediate(r));
  for (const socket of sockets) socket.close();
  const lastSent = sent > 0 ? sentAt[sent - 1]! : 0;
  return {
    offeredRate: o.rate,
    sent,
    achievedRate: sent > 1 ? ((sent - 1) * 1e9) / Math.max(1, lastSent - sentAt[0]!) : sent / o.seconds,
    sockets: S,
    answered,
    accepted,
    rejected: answered - accepted,
    unexpected,
    lost,
    late,
    invalid,
    sendErrors,
    rttUs: percentiles(rtt.subarray(0, answered)),
    sendLagUs: percentiles(lag.subarray(0, sent)),
    cpuUs: cpu.user + cpu.system,
    codes: codes.subarray(0, sent),
  };
}

// ---------------------------------------------------------------------------------------------
// The same run with the sender and receiver in C (open-loop.c): what the benchmark uses when a
// C compiler is present, because the Node loop above costs the client as much CPU as the
// servers it measures (docs/benchmarks.md, "Latency an access point sees").

/** open-loop.c beside this file (src tree) or in the repository's test/bench (dist tree). */
function nativeSource(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, 'open-loop.c'), path.resolve(here, '../../../test/bench/open-loop.c')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('open loop: open-loop.c not found beside test/bench/open-loop.ts');
}

/** Compiles open-loop.c once per content into the temp directory; null when there is no cc. */
export function nativeGenerator(): string | null {
  const source = nativeSource();
  const hash = crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 16);
  const binary = path.join(os.tmpdir(), `lanyard-open-loop-${hash}`);
  if (fs.existsSync(binary)) return binary;
  const cc = spawnSync('cc', ['-O2', '-pthread', '-o', `${binary}.tmp`, source], { encoding: 'utf8', timeout: 60_000 });
  if (cc.error !== undefined || cc.status !== 0) return null;
  fs.renameSync(`${binary}.tmp`, binary);
  return binary;
}

/**
 * runOpenLoop with the C sender/receiver (`binary` from nativeGenerator). The packets are
 * built here exactly as for the Node loop, and every reply is checked here afterwards, off the
 * clock: only Access-Accepts and Access-Rejects whose Response Authenticator matches their
 * request (RFC 2865 §3), within the timeout, count as answered.
 */
export async function runOpenLoopNative(o: OpenLoopOptions, binary: string): Promise<OpenLoopResult> {
  const { timeoutMs, S, secret, packets, authenticators } = plan(o);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-open-loop-'));
  try {
    const input = path.join(dir, 'packets');
    const output = path.join(dir, 'results');
    const framed: Buffer[] = [];
    for (const p of packets) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(p.length);
      framed.push(len, p);
    }
    fs.writeFileSync(input, Buffer.concat(framed));
    // Bounded: the sends take `seconds` (plus any lag), then the receiver waits `timeoutMs`.
    const limitMs = o.seconds * 1000 + timeoutMs + 30_000;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binary, [input, String(o.port), String(o.rate), String(S), String(timeoutMs), output], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) reject(new Error(`open loop: ${binary} exited ${code}: ${stderr.trim()}`));
        else resolve();
      });
    });

    const r = fs.readFileSync(output);
    const requests = r.readUInt32LE(0);
    const replies = r.readUInt32LE(4);
    const cpuUs = Number(r.readBigUInt64LE(8));
    const sendErrors = r.readUInt32LE(16);
    let invalid = r.readUInt32LE(20);
    let at = 24;
    const lag = new Float64Array(requests);
    for (let i = 0; i < requests; i++, at += 8) lag[i] = Number(r.readBigInt64LE(at)) / 1000;
    const rtt = new Float64Array(requests);
    const rttKernel = new Float64Array(requests);
    let stamped = 0;
    const codes = new Uint8Array(requests);
    let answered = 0;
    let accepted = 0;
    let unexpected = 0;
    let late = 0;
    const timeoutNs = timeoutMs * 1e6;
    for (let k = 0; k < replies; k++) {
      const i = r.readUInt32LE(at);
      const ns = Number(r.readBigInt64LE(at + 4));
      const kernelNs = Number(r.readBigInt64LE(at + 12));
      const length = r.readUInt16LE(at + 20);
      const msg = r.subarray(at + 22, at + 22 + length);
      at += 22 + length;
      const auth = authenticators.subarray(i * AUTHENTICATOR_LENGTH, (i + 1) * AUTHENTICATOR_LENGTH);
      const valid = (msg[0] === Code.AccessAccept || msg[0] === Code.AccessReject) && verifyResponseAuthenticator(msg, auth, secret); // RFC 2865 §3
      if (!valid) {
        invalid++;
        continue;
      }
      if (ns > timeoutNs) {
        late++;
        continue;
      }
      rtt[answered++] = ns / 1000;
      if (kernelNs >= 0) rttKernel[stamped++] = kernelNs / 1000;
      codes[i] = msg[0]!;
      if (msg[0] === Code.AccessAccept) accepted++;
      const want = o.requests[i % o.requests.length]!.expect;
      if (want !== undefined && (want === 'accept') !== (msg[0] === Code.AccessAccept)) unexpected++;
    }
    return {
      offeredRate: o.rate,
      sent: requests,
      // The C sender keeps its schedule to within its lag; the rate achieved is the offered one
      // stretched by the last request's lag.
      achievedRate: requests > 1 ? (requests - 1) / ((requests - 1) / o.rate + Math.max(0, lag[requests - 1]!) / 1e6) : o.rate,
      sockets: S,
      answered,
      accepted,
      rejected: answered - accepted,
      unexpected,
      lost: requests - answered,
      late,
      invalid,
      sendErrors,
      rttUs: percentiles(rtt.subarray(0, answered)),
      ...(stamped > 0 ? { rttKernelUs: percentiles(rttKernel.subarray(0, stamped)) } : {}),
      sendLagUs: percentiles(lag),
      cpuUs,
      codes,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
