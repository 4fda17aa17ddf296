/**
 * Accounting-Request (RFC 2866 §4.1). The record is handed to the batched writer and the
 * Accounting-Response is sent only after its batch has committed; if it cannot be stored,
 * no response is sent, so the NAS retransmits rather than losing the record (RFC 2866 §2).
 * The same transaction derives the sessions (src/store/sessions.ts), so an Accounting-Response
 * means both the raw record and the session change are on disk.
 */
import { Attr, Code } from '../../protocols/radius/constants.js';
import { formatMac, parseMacBytes } from '../../policy/mac.js';
import { parseCalledStation } from '../called-station.js';
import type { DropCause } from '../drops.js';
import type { Exchange, RadiusRuntime } from '../exchange.js';
import { respond } from '../respond.js';

export interface AccountingRecord {
  /** Epoch ms of receipt. */
  readonly at: number;
  /**
   * Epoch ms when the event happened: receipt minus Acct-Delay-Time (RFC 2866 §5.2: "the
   * time of the event" = arrival − delay). Sessions use this time, never `at`.
   */
  readonly eventAt: number;
  /** Acct-Delay-Time, seconds (RFC 2866 §5.2), or null when absent. */
  readonly delayTime: number | null;
  readonly nas: string;
  readonly nasAddress: string;
  /** NAS-Port (RFC 2865 §5.5). */
  readonly nasPort: number | null;
  /** Acct-Status-Type (RFC 2866 §5.1): 1 Start, 2 Stop, 3 Interim-Update, 7 On, 8 Off. */
  readonly statusType: number | null;
  readonly sessionId: string | null;
  readonly userName: string | null;
  readonly mac: string | null;
  readonly calledStationId: string | null;
  /** From Called-Station-Id "AP-MAC:SSID" (RFC 3580 §3.20), AA-BB-CC-DD-EE-FF. */
  readonly apMac: string | null;
  readonly ssid: string | null;
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

function text(buf: Buffer, at: number): string | null {
  return at < 0 ? null : buf.toString('utf8', at, end(buf, at));
}

function int(buf: Buffer, at: number): number | null {
  return at < 0 ? null : buf.readUInt32BE(at);
}

function withGigawords(low: number | null, high: number | null): number | null {
  if (low === null) return null;
  return (high ?? 0) * 2 ** 32 + low; // RFC 2869 §5.1: times the counter wrapped 2^32
}

/**
 * One pass over the attributes (the packet passed check(), so every length is sane), keeping
 * the value offset of the first occurrence of each attribute we read; strings are built only
 * for the values we keep.
 */
export function parseAccounting(ex: Exchange, now: number): AccountingRecord {
  const buf = ex.buf;
  const length = (buf[2]! << 8) | buf[3]!;
  let userName = -1;
  let nasPort = -1;
  let framedIp = -1;
  let called = -1;
  let calling = -1;
  let status = -1;
  let delay = -1;
  let inOctets = -1;
  let outOctets = -1;
  let sessionId = -1;
  let sessionTime = -1;
  let inPackets = -1;
  let outPackets = -1;
  let cause = -1;
  let inGiga = -1;
  let outGiga = -1;
  for (let off = 20; off + 2 <= length; ) {
    const len = buf[off + 1]!;
    if (len < 2) break; // defensive: check() refuses such packets
    const v = off + 2;
    switch (buf[off]) {
      case Attr.UserName: if (userName < 0) userName = v; break;
      case Attr.NasPort: if (nasPort < 0 && len === 6) nasPort = v; break;
      case Attr.FramedIpAddress: if (framedIp < 0 && len === 6) framedIp = v; break;
      case Attr.CalledStationId: if (called < 0) called = v; break;
      case Attr.CallingStationId: if (calling < 0) calling = v; break;
      case Attr.AcctStatusType: if (status < 0 && len === 6) status = v; break;
      case Attr.AcctDelayTime: if (delay < 0 && len === 6) delay = v; break;
      case Attr.AcctInputOctets: if (inOctets < 0 && len === 6) inOctets = v; break;
      case Attr.AcctOutputOctets: if (outOctets < 0 && len === 6) outOctets = v; break;
      case Attr.AcctSessionId: if (sessionId < 0) sessionId = v; break;
      case Attr.AcctSessionTime: if (sessionTime < 0 && len === 6) sessionTime = v; break;
      case Attr.AcctInputPackets: if (inPackets < 0 && len === 6) inPackets = v; break;
      case Attr.AcctOutputPackets: if (outPackets < 0 && len === 6) outPackets = v; break;
      case Attr.AcctTerminateCause: if (cause < 0 && len === 6) cause = v; break;
      case Attr.AcctInputGigawords: if (inGiga < 0 && len === 6) inGiga = v; break;
      case Attr.AcctOutputGigawords: if (outGiga < 0 && len === 6) outGiga = v; break;
    }
    off += len;
  }
  const mac = calling >= 0 ? parseMacBytes(buf, calling, end(buf, calling)) : -1;
  const station = called >= 0 ? parseCalledStation(buf, called, end(buf, called)) : null;
  const delayTime = int(buf, delay);
  return {
    at: now,
    eventAt: delayTime === null ? now : now - delayTime * 1000, // RFC 2866 §5.2
    delayTime,
    nas: ex.nas!.name,
    nasAddress: ex.address,
    nasPort: int(buf, nasPort),
    statusType: int(buf, status),
    sessionId: text(buf, sessionId),
    userName: text(buf, userName),
    mac: mac >= 0 ? formatMac(mac) : null,
    calledStationId: text(buf, called),
    apMac: station !== null && station.apMac >= 0 ? formatMac(station.apMac) : null,
    ssid: station?.ssid ?? null,
    framedIp: framedIp >= 0 ? `${buf[framedIp]}.${buf[framedIp + 1]}.${buf[framedIp + 2]}.${buf[framedIp + 3]}` : null,
    sessionTime: int(buf, sessionTime),
    inputOctets: withGigawords(int(buf, inOctets), int(buf, inGiga)),
    outputOctets: withGigawords(int(buf, outOctets), int(buf, outGiga)),
    inputPackets: int(buf, inPackets),
    outputPackets: int(buf, outPackets),
    terminateCause: int(buf, cause),
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
