/**
 * Accounting-Request (RFC 2866 §4.1). The record is handed to the batched writer and the
 * Accounting-Response is sent only after its batch has committed; if it cannot be stored,
 * no response is sent, so the NAS retransmits rather than losing the record (RFC 2866 §2).
 * Sessions, Accounting-On/Off and the audit log build on these records (issue 3).
 */
import { Attr, Code } from '../../protocols/radius/constants.js';
import { findAttribute } from '../../protocols/radius/index.js';
import { formatMac, parseMacBytes } from '../../policy/mac.js';
import type { DropCause } from '../drops.js';
import type { Exchange, RadiusRuntime } from '../exchange.js';
import { respond } from '../respond.js';

export interface AccountingRecord {
  /** Epoch ms of receipt. */
  readonly at: number;
  readonly nas: string;
  readonly nasAddress: string;
  /** Acct-Status-Type (RFC 2866 §5.1): 1 Start, 2 Stop, 3 Interim-Update, 7 On, 8 Off. */
  readonly statusType: number | null;
  readonly sessionId: string | null;
  readonly userName: string | null;
  readonly mac: string | null;
  readonly calledStationId: string | null;
  readonly framedIp: string | null;
  readonly sessionTime: number | null;
  /** Octets include the Gigawords high words (RFC 2869 §5.1, §5.2). */
  readonly inputOctets: number | null;
  readonly outputOctets: number | null;
  readonly inputPackets: number | null;
  readonly outputPackets: number | null;
  readonly terminateCause: number | null;
}

const EMPTY = Buffer.alloc(0);

function end(buf: Buffer, at: number): number {
  return at + buf[at - 1]! - 2;
}

function textAttr(buf: Buffer, type: number): string | null {
  const at = findAttribute(buf, type);
  return at < 0 ? null : buf.toString('utf8', at, end(buf, at));
}

function intAttr(buf: Buffer, type: number): number | null {
  const at = findAttribute(buf, type);
  return at < 0 || end(buf, at) - at !== 4 ? null : buf.readUInt32BE(at);
}

function withGigawords(low: number | null, high: number | null): number | null {
  if (low === null) return null;
  return (high ?? 0) * 2 ** 32 + low; // RFC 2869 §5.1: times the counter wrapped 2^32
}

export function parseAccounting(ex: Exchange, now: number): AccountingRecord {
  const buf = ex.buf;
  const callingAt = findAttribute(buf, Attr.CallingStationId);
  const mac = callingAt >= 0 ? parseMacBytes(buf, callingAt, end(buf, callingAt)) : -1;
  const ipAt = findAttribute(buf, Attr.FramedIpAddress);
  return {
    at: now,
    nas: ex.nas!.name,
    nasAddress: ex.address,
    statusType: intAttr(buf, Attr.AcctStatusType),
    sessionId: textAttr(buf, Attr.AcctSessionId),
    userName: textAttr(buf, Attr.UserName),
    mac: mac >= 0 ? formatMac(mac) : null,
    calledStationId: textAttr(buf, Attr.CalledStationId),
    framedIp: ipAt >= 0 && end(buf, ipAt) - ipAt === 4 ? `${buf[ipAt]}.${buf[ipAt + 1]}.${buf[ipAt + 2]}.${buf[ipAt + 3]}` : null,
    sessionTime: intAttr(buf, Attr.AcctSessionTime),
    inputOctets: withGigawords(intAttr(buf, Attr.AcctInputOctets), intAttr(buf, Attr.AcctInputGigawords)),
    outputOctets: withGigawords(intAttr(buf, Attr.AcctOutputOctets), intAttr(buf, Attr.AcctOutputGigawords)),
    inputPackets: intAttr(buf, Attr.AcctInputPackets),
    outputPackets: intAttr(buf, Attr.AcctOutputPackets),
    terminateCause: intAttr(buf, Attr.AcctTerminateCause),
  };
}

export function handleAccountingRequest(ex: Exchange, rt: RadiusRuntime): Promise<Buffer | DropCause> {
  const record = parseAccounting(ex, rt.now());
  return new Promise((resolve) => {
    rt.accounting.push(record, (error) => {
      if (error !== null) {
        resolve('store-unavailable');
        return;
      }
      rt.counters.accountingResponses++;
      resolve(respond(ex, Code.AccountingResponse, EMPTY)); // RFC 2866 §4.2
    });
  });
}
