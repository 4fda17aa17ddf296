/**
 * Access-Request (RFC 2865 §4.1): MAC authentication (MAB), with or without PAP/CHAP.
 * Reads only the attributes the decision needs, straight from the datagram; decides from the
 * in-memory cache; answers with a pre-encoded body. Nothing here waits for the store.
 */
import { Attr, Code } from '../../protocols/radius/constants.js';
import { AttributeWriter, findAttribute, findVendorAttribute, readStringAt, unhidePasswordAt, verifyChap, vendorAttributeByName } from '../../protocols/radius/index.js';
import { decide } from '../../policy/decide.js';
import { formatMac, isRandomisedMac, parseMacBytes } from '../../policy/mac.js';
import type { Decision, RejectReason } from '../../policy/model.js';
import type { DecisionEvent } from '../../store/types.js';
import { calledStationMacEnd, calledStationSsid } from '../called-station.js';
import type { Exchange, RadiusRuntime } from '../exchange.js';
import { respond } from '../respond.js';

type Method = DecisionEvent['method'];

/** Aruba-Essid-Name, from the vendor dictionary (vendor 14823, type 5). */
const ARUBA_ESSID = vendorAttributeByName('Aruba-Essid-Name')!;

const EMPTY = Buffer.alloc(0);

function valueEnd(buf: Buffer, valueOffset: number): number {
  return valueOffset + buf[valueOffset - 1]! - 2; // attribute length octet covers type+length
}

function text(buf: Buffer, offset: number): string | null {
  return offset < 0 ? null : buf.toString('utf8', offset, valueEnd(buf, offset));
}

/** The methods in the order checkPassword numbers them. */
const METHODS: readonly Method[] = ['mab', 'pap', 'chap'];
const MAB = 0;
const PAP = 2;
const CHAP = 4;
/** Bit 0 of checkPassword's answer: the password matched. */
const MATCHED = 1;

/** The recovered User-Password (RFC 2865 §5.2: at most 128 octets), reused by every request. */
const CLEAR = Buffer.alloc(128);

/**
 * Checks the password a MAB request carries. Vendors send the MAC as the password (in the
 * same or another MAC format) or repeat the User-Name; anything else is a wrong password.
 * Returns the method (MAB, PAP or CHAP) with MATCHED set when the password is right: a number,
 * because this runs for every request and an object per answer is garbage per request.
 */
function checkPassword(ex: Exchange, mac: number, userNameOffset: number): number {
  const buf = ex.buf;
  const secret = ex.nas!.secret;
  const userNameEnd = valueEnd(buf, userNameOffset);
  const chap = findAttribute(buf, Attr.ChapPassword);
  if (chap >= 0) {
    // RFC 2865 §2.2: the challenge is CHAP-Challenge when present, else the Request Authenticator.
    const challengeAt = findAttribute(buf, Attr.ChapChallenge);
    const challenge = challengeAt >= 0 ? buf.subarray(challengeAt, valueEnd(buf, challengeAt)) : buf.subarray(4, 20);
    const userName = buf.subarray(userNameOffset, userNameEnd);
    return verifyChap(buf.subarray(chap, valueEnd(buf, chap)), challenge, userName) ? CHAP | MATCHED : CHAP;
  }
  const pap = findAttribute(buf, Attr.UserPassword);
  if (pap >= 0) {
    // RFC 2865 §5.2: hidden with MD5(secret + Request Authenticator); recovered into CLEAR.
    const n = unhidePasswordAt(buf, pap, valueEnd(buf, pap) - pap, secret, CLEAR);
    if (n < 0) return PAP;
    const matched = parseMacBytes(CLEAR, 0, n) === mac || CLEAR.compare(buf, userNameOffset, userNameEnd, 0, n) === 0;
    CLEAR.fill(0, 0, n); // no password lingers in module memory
    return matched ? PAP | MATCHED : PAP;
  }
  // RFC 2865 §5.6: Call-Check is MAB without a password (Cisco switches and some APs).
  return MAB | MATCHED;
}

/**
 * The SSID when Called-Station-Id carries none: Aruba controllers and Instant APs send it as
 * Aruba-Essid-Name (vendor 14823, type 5) and may leave it out of Called-Station-Id.
 */
function vendorSsid(buf: Buffer): string | null {
  const at = findVendorAttribute(buf, ARUBA_ESSID.vendorId, ARUBA_ESSID.attribute.type);
  return at < 0 ? null : readStringAt(buf, at);
}

/** Reply attributes composed per request (accept body + Session-Timeout); respond() copies them out. */
const ATTRIBUTES = new AttributeWriter();

const NOT_A_MAC: Decision = Object.freeze({ kind: 'reject', reason: 'not-a-mac' });
const BAD_PASSWORD: Decision = Object.freeze({ kind: 'reject', reason: 'bad-password' });

/**
 * The request context decide() reads, filled afresh for each request: decide() keeps no
 * reference to it and the handler is synchronous, so one object serves every request.
 */
const context: { ssid: string | null; nasDefaultNetwork: string | null; now: number } = { ssid: null, nasDefaultNetwork: null, now: 0 };

export function handleAccessRequest(ex: Exchange, rt: RadiusRuntime): Buffer {
  const buf = ex.buf;
  const nas = ex.nas!;
  const now = rt.now();

  const userNameAt = findAttribute(buf, Attr.UserName);
  const callingAt = findAttribute(buf, Attr.CallingStationId);
  const calledAt = findAttribute(buf, Attr.CalledStationId);
  const userMac = userNameAt >= 0 ? parseMacBytes(buf, userNameAt, valueEnd(buf, userNameAt)) : -1;
  const callingMac = callingAt >= 0 ? parseMacBytes(buf, callingAt, valueEnd(buf, callingAt)) : -1;
  const calledEnd = calledAt >= 0 ? valueEnd(buf, calledAt) : -1;
  const apMacEnd = calledAt >= 0 ? calledStationMacEnd(buf, calledAt, calledEnd) : -1;
  const apMac = apMacEnd >= 0 ? parseMacBytes(buf, calledAt, apMacEnd) : -1;
  const ssid = calledStationSsid(buf, apMacEnd, calledEnd) ?? vendorSsid(buf);

  let method: Method = 'none';
  let decision: Decision;
  const mac = userMac >= 0 ? userMac : callingMac;
  const facts = mac >= 0 ? rt.cache.get(mac) : undefined;
  if (userMac < 0 && (userNameAt >= 0 || callingMac < 0)) {
    // A user name that is not a MAC is a per-person login; those credentials are not in this
    // build, so the request is refused with a reason rather than guessed at.
    decision = NOT_A_MAC;
  } else {
    // Without a User-Name the MAC comes from Calling-Station-Id alone: MAB with nothing to check.
    const password = userNameAt >= 0 ? checkPassword(ex, mac, userNameAt) : MAB | MATCHED;
    method = METHODS[password >> 1]!;
    if ((password & MATCHED) !== 0) {
      context.ssid = ssid;
      context.nasDefaultNetwork = nas.defaultNetwork;
      context.now = now;
      decision = decide(rt.state.policy, facts, context);
    } else decision = BAD_PASSWORD;
  }

  let reply: Buffer;
  if (decision.kind === 'accept') {
    const body = rt.state.acceptBodies[ex.nasIndex]!.get(decision.deviceClass.name) ?? EMPTY;
    if (decision.sessionTimeout > 0) {
      // RFC 2865 §5.27: the pre-encoded body plus this request's Session-Timeout, in one reused buffer.
      ATTRIBUTES.reset().append(body).integer(Attr.SessionTimeout, decision.sessionTimeout);
      reply = respond(ex, Code.AccessAccept, ATTRIBUTES.storage, ATTRIBUTES.length);
    } else reply = respond(ex, Code.AccessAccept, body);
    rt.counters.accepts++;
  } else {
    reply = respond(ex, Code.AccessReject, EMPTY);
    countReject(rt, decision.reason);
  }

  const latencyUs = (performance.now() - ex.receivedAt) * 1000;
  rt.latency.record(latencyUs);
  const event: DecisionEvent = {
    at: now,
    result: decision.kind,
    reason: decision.kind === 'accept' ? (decision.admittedUnknown ? 'admitted-unknown' : 'ok') : decision.reason,
    mac: mac >= 0 ? formatMac(mac) : null,
    userName: text(buf, userNameAt),
    nas: nas.name,
    nasAddress: ex.address,
    apMac: apMac >= 0 ? formatMac(apMac) : null,
    ssid,
    network: decision.kind === 'accept' ? decision.network.name : null,
    vlan: decision.kind === 'accept' ? decision.network.vlan : null,
    className: decision.kind === 'accept' ? decision.deviceClass.name : (facts?.className ?? null),
    person: facts?.owner ?? null,
    profile: decision.kind === 'accept' ? decision.profile.name : null,
    method,
    randomisedMac: mac >= 0 && isRandomisedMac(mac),
    latencyUs: Math.round(latencyUs),
  };
  rt.decisions.push(event);
  // every attempt by a device reported lost raises an alert naming the AP and the time.
  if (decision.kind === 'reject' && decision.reason === 'device-lost') rt.onAlert?.(event);
  return reply;
}

function countReject(rt: RadiusRuntime, reason: RejectReason | 'internal-error'): void {
  rt.counters.rejects++;
  rt.counters.rejectReasons[reason] = (rt.counters.rejectReasons[reason] ?? 0) + 1;
}

/** The Access-Reject sent when a handler failed unexpectedly (pipeline ON_HANDLER_FAILURE). */
export function rejectForInternalError(ex: Exchange, rt: RadiusRuntime): Buffer {
  countReject(rt, 'internal-error');
  return respond(ex, Code.AccessReject, EMPTY);
}
