/**
 * What the web-filter feed says about a session, as pure functions over plain data: who the
 * user is and which group they are in (from the session, the device registry and the policy),
 * and the RFC 2866 Accounting-Request attributes that carry it. No sockets, clock or logging:
 * the forwarder (forwarder.ts) passes the time in and sends the bytes.
 */
import { Buffer } from 'node:buffer';
import type { Policy } from '../policy/model.js';
import { AcctStatusType, AcctTerminateCause, Attr } from '../protocols/radius/constants.js';
import { AttributeWriter } from '../protocols/radius/encode.js';
import type { SessionRecord } from '../store/sessions.js';

/** What goes in the group attribute. */
export const FEED_GROUPS = ['filterId', 'className', 'owner'] as const;
export type FeedGroup = (typeof FEED_GROUPS)[number];

/** The attribute that carries the group: Filter-Id (Smoothwall) or Class (FortiGate RSSO). */
export const FEED_GROUP_ATTRIBUTES = ['Filter-Id', 'Class'] as const;
export type FeedGroupAttribute = (typeof FEED_GROUP_ATTRIBUTES)[number];

/** What goes in User-Name. */
export const FEED_USER_NAMES = ['owner', 'mac', 'userName'] as const;
export type FeedUserName = (typeof FEED_USER_NAMES)[number];

/** The registry facts the feed needs about a device (from the decision cache). */
export interface FeedDevice {
  readonly className: string;
  readonly owner: string | null;
}

/** The session facts the feed needs, as the store keeps them (store/sessions.ts). */
export type FeedSession = Pick<
  SessionRecord,
  | 'id'
  | 'sessionId'
  | 'mac'
  | 'userName'
  | 'network'
  | 'startedAt'
  | 'stoppedAt'
  | 'inputOctets'
  | 'outputOctets'
  | 'inputPackets'
  | 'outputPackets'
  | 'sessionTime'
  | 'terminateCause'
  | 'stopReason'
>;

export interface FeedIdentity {
  /** User-Name to send, or null when nothing is known (the attribute is left out). */
  readonly userName: string | null;
  /** The group to send, or null (the group attribute is left out). */
  readonly group: string | null;
}

/**
 * The class of the device: its registry class, or for a device the registry does not know,
 * the class its network admits unknown devices as (networks.*.unknownDevices.admitAs).
 */
function classOf(session: FeedSession, device: FeedDevice | null, policy: Policy): string | null {
  if (device !== null) return device.className;
  const network = session.network === null ? undefined : policy.networks.get(session.network);
  return network?.unknownDevices.action === 'admit' ? network.unknownDevices.asClass : null;
}

/**
 * Who and which group, for one feed's choices. Falls back rather than sending nothing: a
 * device with no owner is named by the User-Name the AP sent, then by its MAC.
 */
export function feedIdentity(
  session: FeedSession,
  device: FeedDevice | null,
  policy: Policy,
  choice: { readonly userName: FeedUserName; readonly group: FeedGroup },
): FeedIdentity {
  const owner = device?.owner ?? null;
  const byUserName = session.userName ?? session.mac;
  const userName = choice.userName === 'owner' ? (owner ?? byUserName) : choice.userName === 'mac' ? (session.mac ?? session.userName) : byUserName;
  let group: string | null;
  if (choice.group === 'owner') {
    group = owner;
  } else {
    const className = classOf(session, device, policy);
    if (choice.group === 'className' || className === null) {
      group = className;
    } else {
      const profile = policy.profiles.get(policy.classes.get(className)?.profile ?? '');
      group = profile?.filterId ?? null;
    }
  }
  return { userName: clip(userName), group: clip(group) };
}

/** RFC 2865 §5: a text value is 1..253 octets; longer names are cut at a character boundary. */
function clip(value: string | null): string | null {
  if (value === null || value === '') return null;
  if (Buffer.byteLength(value, 'utf8') <= 253) return value;
  let out = value.slice(0, 253);
  while (Buffer.byteLength(out, 'utf8') > 253) out = out.slice(0, -1);
  return out;
}

/** One Start or Stop to forward, with everything resolved. */
export interface FeedEvent {
  readonly kind: 'start' | 'stop';
  readonly session: FeedSession;
  /** Epoch ms of the event (the session start, or its stop). */
  readonly at: number;
  /** The address the receiver maps to the user; events are only built once it is known. */
  readonly ip: string;
  readonly identity: FeedIdentity;
}

export interface FeedAttributeOptions {
  readonly groupAttribute: FeedGroupAttribute;
  /** NAS-Identifier (RFC 2865 §5.32). */
  readonly nasIdentifier: string;
  /** NAS-IP-Address (RFC 2865 §5.4), or null to send NAS-Identifier only. */
  readonly nasIpAddress: string | null;
  /** Epoch ms when the request is first sent, for Acct-Delay-Time (RFC 2866 §5.2). */
  readonly sentAt: number;
}

/** Acct-Session-Id for the feed: our row id (unique here) then the NAS's own id, for tracing. */
export function feedSessionId(session: FeedSession): string {
  return `${session.id}:${session.sessionId}`.slice(0, 253);
}

/** Why a session ended, when the NAS gave no Acct-Terminate-Cause (RFC 2866 §5.10). */
function terminateCause(session: FeedSession): number | null {
  if (session.terminateCause !== null) return session.terminateCause;
  if (session.stopReason === 'accounting-on' || session.stopReason === 'accounting-off') return AcctTerminateCause.NasReboot;
  if (session.stopReason === 'stale') return AcctTerminateCause.LostService;
  return null;
}

/** A 64-bit counter as the low 32 bits and the Gigawords count (RFC 2869 §5.1, §5.2). */
function putCounter(w: AttributeWriter, low: number, high: number, value: number | null): void {
  if (value === null || !Number.isFinite(value) || value < 0) return;
  const v = Math.floor(value);
  w.integer(low, v % 2 ** 32);
  const wraps = Math.floor(v / 2 ** 32);
  if (wraps > 0) w.integer(high, Math.min(wraps, 0xffffffff));
}

const secondsOf = (ms: number): number => Math.max(0, Math.floor(ms / 1000));

/**
 * The attributes of the Accounting-Request for one event, without Message-Authenticator
 * (encodeRequest adds it first). Returns a fresh Buffer.
 */
export function feedAttributes(event: FeedEvent, options: FeedAttributeOptions): Buffer {
  const { session, identity } = event;
  const w = new AttributeWriter();
  // RFC 2866 §5.1: Start or Stop.
  w.integer(Attr.AcctStatusType, event.kind === 'start' ? AcctStatusType.Start : AcctStatusType.Stop);
  w.string(Attr.AcctSessionId, feedSessionId(session)); // RFC 2866 §5.5: MUST be present
  if (identity.userName !== null) w.string(Attr.UserName, identity.userName); // RFC 2865 §5.1
  w.ipv4(Attr.FramedIpAddress, event.ip); // RFC 2865 §5.8: what the filter maps to the user
  if (session.mac !== null) w.string(Attr.CallingStationId, session.mac); // RFC 3580 §3.21 form
  // RFC 2865 §5.4/§5.32: a request carries NAS-IP-Address or NAS-Identifier (or both).
  if (options.nasIpAddress !== null) w.ipv4(Attr.NasIpAddress, options.nasIpAddress);
  w.string(Attr.NasIdentifier, options.nasIdentifier);
  if (identity.group !== null) {
    // RFC 2865 §5.11 Filter-Id (text), §5.25 Class (octets, echoed by a NAS in accounting).
    w.string(options.groupAttribute === 'Class' ? Attr.Class : Attr.FilterId, identity.group);
  }
  w.integer(Attr.EventTimestamp, secondsOf(event.at)); // RFC 2869 §5.3
  w.integer(Attr.AcctDelayTime, secondsOf(options.sentAt - event.at)); // RFC 2866 §5.2
  if (event.kind === 'stop') {
    // RFC 2866 §5.7: Acct-Session-Time is only in Stop (and Interim) records.
    const stoppedAt = session.stoppedAt ?? event.at;
    w.integer(Attr.AcctSessionTime, Math.min(session.sessionTime ?? secondsOf(stoppedAt - session.startedAt), 0xffffffff));
    putCounter(w, Attr.AcctInputOctets, Attr.AcctInputGigawords, session.inputOctets); // RFC 2866 §5.3
    putCounter(w, Attr.AcctOutputOctets, Attr.AcctOutputGigawords, session.outputOctets); // RFC 2866 §5.4
    if (session.inputPackets !== null) w.integer(Attr.AcctInputPackets, session.inputPackets % 2 ** 32); // RFC 2866 §5.8
    if (session.outputPackets !== null) w.integer(Attr.AcctOutputPackets, session.outputPackets % 2 ** 32); // RFC 2866 §5.9
    const cause = terminateCause(session);
    if (cause !== null) w.integer(Attr.AcctTerminateCause, cause); // RFC 2866 §5.10
  }
  return Buffer.from(w.bytes());
}
