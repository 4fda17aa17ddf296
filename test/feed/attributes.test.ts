/**
 * The Accounting-Request the feed builds for each group / groupAttribute / userName choice,
 * read back with the project's own codec: the attributes, the RFC 2866 §3 Request
 * Authenticator and the Message-Authenticator (RFC 3579 §3.2 with a zeroed authenticator,
 * RFC 5176 §3.4).
 */
import { describe, expect, it } from 'vitest';
import {
  FEED_GROUP_ATTRIBUTES,
  FEED_GROUPS,
  FEED_USER_NAMES,
  feedAttributes,
  feedIdentity,
  type FeedDevice,
  type FeedEvent,
  type FeedSession,
} from '../../src/feed/attributes.js';
import {
  AcctStatusType,
  AcctTerminateCause,
  Attr,
  Code,
  decodePacket,
  encodeRequest,
  readInteger,
  readIpv4,
  readString,
  verifyRequestAuthenticator,
  verifyRequestMessageAuthenticator,
  type RadiusPacket,
} from '../../src/protocols/radius/index.js';
import { policy, sessionRecord, T0 } from './helpers.js';

const SECRET = Buffer.from('feed-receiver-secret');

const session = (over: Partial<FeedSession> = {}): FeedSession => sessionRecord({ id: 42, sessionId: 'ap-0001', ...over });
const laptop: FeedDevice = { className: 'school-staff-laptop', owner: 'Jo Smith' };

/** Encodes as the forwarder does and decodes with the codec. */
function roundTrip(event: FeedEvent, groupAttribute: 'Filter-Id' | 'Class', sentAt = event.at + 3000): { buf: Buffer; packet: RadiusPacket } {
  const buf = encodeRequest({
    code: Code.AccountingRequest,
    identifier: 7,
    attributes: feedAttributes(event, { groupAttribute, nasIdentifier: 'lanyard', nasIpAddress: null, sentAt }),
    secret: SECRET,
    messageAuthenticator: true,
  });
  const decoded = decodePacket(buf);
  if (!decoded.ok) throw new Error(`the feed built a packet the codec refuses: ${decoded.reason}`);
  return { buf, packet: decoded.packet };
}

function values(packet: RadiusPacket, type: number): Buffer[] {
  return packet.attributes.filter((a) => a.type === type).map((a) => a.value);
}
const text = (packet: RadiusPacket, type: number): string | undefined => {
  const v = values(packet, type)[0];
  return v === undefined ? undefined : readString(v);
};
const int = (packet: RadiusPacket, type: number): number | null | undefined => {
  const v = values(packet, type)[0];
  return v === undefined ? undefined : readInteger(v);
};

describe('feedIdentity: who and which group', () => {
  const expectedUser = { owner: 'Jo Smith', mac: '02-00-00-00-03-01', userName: '020000000301' } as const;
  const expectedGroup = { filterId: 'school-staff', className: 'school-staff-laptop', owner: 'Jo Smith' } as const;
  for (const userName of FEED_USER_NAMES) {
    for (const group of FEED_GROUPS) {
      it(`userName: ${userName}, group: ${group}`, () => {
        expect(feedIdentity(session(), laptop, policy, { userName, group })).toEqual({ userName: expectedUser[userName], group: expectedGroup[group] });
      });
    }
  }

  it('an unregistered device admitted on BYOD takes the class the network admits it as', () => {
    const s = session({ network: 'BYOD', mac: '02-00-00-00-09-09', userName: '020000000909' });
    expect(feedIdentity(s, null, policy, { userName: 'owner', group: 'className' })).toEqual({ userName: '020000000909', group: 'visitor' });
    expect(feedIdentity(s, null, policy, { userName: 'owner', group: 'filterId' })).toEqual({ userName: '020000000909', group: 'visitor' });
    // No owner: the group attribute is left out rather than sent empty (RFC 2865 §5).
    expect(feedIdentity(s, null, policy, { userName: 'mac', group: 'owner' })).toEqual({ userName: '02-00-00-00-09-09', group: null });
  });

  it('an unregistered device on a network that rejects unknowns has no group; no MAC falls back to the User-Name', () => {
    const s = session({ mac: null, userName: 'someone' });
    expect(feedIdentity(s, null, policy, { userName: 'mac', group: 'filterId' })).toEqual({ userName: 'someone', group: null });
  });

  it('a class whose profile is gone from the policy gives no group', () => {
    expect(feedIdentity(session(), { className: 'not-in-config', owner: null }, policy, { userName: 'owner', group: 'filterId' })).toEqual({
      userName: '020000000301',
      group: null,
    });
  });

  it('names longer than an attribute holds are cut to 253 octets, not split inside a character', () => {
    const owner = `${'é'.repeat(200)}`; // 400 octets of UTF-8
    const id = feedIdentity(session(), { className: 'school-tablet', owner }, policy, { userName: 'owner', group: 'owner' });
    expect(Buffer.byteLength(id.userName!, 'utf8')).toBe(252);
    expect(id.userName).toBe('é'.repeat(126));
  });
});

describe('feedAttributes: the Accounting-Request', () => {
  for (const groupAttribute of FEED_GROUP_ATTRIBUTES) {
    for (const group of FEED_GROUPS) {
      it(`Start with ${groupAttribute} = ${group}: attributes, Request Authenticator and Message-Authenticator`, () => {
        const identity = feedIdentity(session(), laptop, policy, { userName: 'owner', group });
        const { buf, packet } = roundTrip({ kind: 'start', session: session(), at: T0, ip: '10.10.7.21', identity }, groupAttribute);
        expect(packet.code).toBe(Code.AccountingRequest);
        expect(verifyRequestAuthenticator(buf, SECRET)).toBe(true); // RFC 2866 §3
        expect(verifyRequestAuthenticator(buf, Buffer.from('another-secret'))).toBe(false);
        expect(verifyRequestMessageAuthenticator(buf, SECRET)).toBe('valid');
        expect(packet.attributes[0]!.type).toBe(Attr.MessageAuthenticator); // first, as since BlastRADIUS
        expect(int(packet, Attr.AcctStatusType)).toBe(AcctStatusType.Start);
        expect(text(packet, Attr.AcctSessionId)).toBe('42:ap-0001');
        expect(text(packet, Attr.UserName)).toBe('Jo Smith');
        expect(readIpv4(values(packet, Attr.FramedIpAddress)[0]!)).toBe('10.10.7.21');
        expect(text(packet, Attr.CallingStationId)).toBe('02-00-00-00-03-01');
        expect(text(packet, Attr.NasIdentifier)).toBe('lanyard');
        expect(values(packet, Attr.NasIpAddress)).toEqual([]);
        const carrier = groupAttribute === 'Class' ? Attr.Class : Attr.FilterId;
        const other = groupAttribute === 'Class' ? Attr.FilterId : Attr.Class;
        expect(text(packet, carrier)).toBe(identity.group);
        expect(values(packet, other)).toEqual([]);
        expect(int(packet, Attr.EventTimestamp)).toBe(T0 / 1000);
        expect(int(packet, Attr.AcctDelayTime)).toBe(3);
        // Start records carry no session time or counters (RFC 2866 §5.7).
        expect(values(packet, Attr.AcctSessionTime)).toEqual([]);
        expect(values(packet, Attr.AcctInputOctets)).toEqual([]);
      });
    }
  }

  it('Stop carries Acct-Session-Time, 64-bit counters as Gigawords, packets and the terminate cause', () => {
    const s = session({
      stoppedAt: T0 + 3_600_000,
      sessionTime: 3599,
      inputOctets: 2 * 2 ** 32 + 10,
      outputOctets: 20,
      inputPackets: 5,
      outputPackets: 6,
      terminateCause: AcctTerminateCause.UserRequest,
      stopReason: 'stop',
    });
    const identity = feedIdentity(s, laptop, policy, { userName: 'owner', group: 'filterId' });
    const { buf, packet } = roundTrip({ kind: 'stop', session: s, at: T0 + 3_600_000, ip: '10.10.7.21', identity }, 'Filter-Id');
    expect(verifyRequestAuthenticator(buf, SECRET)).toBe(true);
    expect(int(packet, Attr.AcctStatusType)).toBe(AcctStatusType.Stop);
    expect(int(packet, Attr.AcctSessionTime)).toBe(3599);
    expect(int(packet, Attr.AcctInputOctets)).toBe(10);
    expect(int(packet, Attr.AcctInputGigawords)).toBe(2);
    expect(int(packet, Attr.AcctOutputOctets)).toBe(20);
    expect(values(packet, Attr.AcctOutputGigawords)).toEqual([]);
    expect(int(packet, Attr.AcctInputPackets)).toBe(5);
    expect(int(packet, Attr.AcctOutputPackets)).toBe(6);
    expect(int(packet, Attr.AcctTerminateCause)).toBe(AcctTerminateCause.UserRequest);
    expect(readIpv4(values(packet, Attr.FramedIpAddress)[0]!)).toBe('10.10.7.21');
  });

  it('Stop of a session closed by the sweep or an AP reboot: the time from start to stop, and a cause', () => {
    for (const [stopReason, cause] of [
      ['stale', AcctTerminateCause.LostService],
      ['accounting-on', AcctTerminateCause.NasReboot],
    ] as const) {
      const s = session({ stoppedAt: T0 + 90_500, stopReason });
      const { packet } = roundTrip({ kind: 'stop', session: s, at: T0 + 90_500, ip: '10.10.7.21', identity: { userName: 'x', group: null } }, 'Class');
      expect(int(packet, Attr.AcctSessionTime)).toBe(90);
      expect(int(packet, Attr.AcctTerminateCause)).toBe(cause);
      expect(values(packet, Attr.Class)).toEqual([]);
    }
  });

  it('NAS-IP-Address when configured; no User-Name attribute when nothing names the user', () => {
    const s = session({ mac: null, userName: null });
    const attrs = feedAttributes(
      { kind: 'start', session: s, at: T0, ip: '10.0.0.9', identity: { userName: null, group: null } },
      { groupAttribute: 'Filter-Id', nasIdentifier: 'lanyard-2', nasIpAddress: '192.0.2.5', sentAt: T0 },
    );
    const buf = encodeRequest({ code: Code.AccountingRequest, identifier: 1, attributes: attrs, secret: SECRET });
    const decoded = decodePacket(buf);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(readIpv4(values(decoded.packet, Attr.NasIpAddress)[0]!)).toBe('192.0.2.5');
    expect(text(decoded.packet, Attr.NasIdentifier)).toBe('lanyard-2');
    expect(values(decoded.packet, Attr.UserName)).toEqual([]);
    expect(values(decoded.packet, Attr.CallingStationId)).toEqual([]);
  });
});
