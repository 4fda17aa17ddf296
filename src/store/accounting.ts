/**
 * Raw accounting records as received (RFC 2866), and the sessions derived from them, written
 * in ONE transaction per batch: when the batch commits, every record in it is stored and
 * applied to its session, and only then are the Accounting-Responses sent (app.ts).
 *
 * Duplicates are recorded once. The listener's duplicate cache resends the reply to an
 * identical retransmission (RFC 5080 §2.2.2); a retransmission with a new Identifier — which
 * RFC 2866 §5.2 requires when Acct-Delay-Time changes — is a new packet, so it is recognised
 * here: same NAS address, Session-Id, status type, session time and counters, and an event
 * time within DUPLICATE_WINDOW_MS. Such a record is acknowledged but neither stored again nor
 * applied again.
 */
import type Database from 'better-sqlite3';
import type { AccountingRecord } from '../radius/handlers/accounting-request.js';
import { SqliteSessionRepository, type SessionChange } from './sessions.js';
import { recordSessionEvents, sessionEventsOf } from '../audit/log.js';

/** Event times of two copies of one record differ by the NAS's rounding of Acct-Delay-Time. */
export const DUPLICATE_WINDOW_MS = 30_000;

export interface BatchResult {
  /** Records stored (the batch less its duplicates). */
  readonly stored: number;
  readonly duplicates: number;
  /** Session starts and stops the batch caused (already told to the session listeners). */
  readonly changes: readonly SessionChange[];
}

interface RecordRow {
  at: number;
  eventAt: number;
  delayTime: number | null;
  nas: string;
  nasAddress: string;
  nasPort: number | null;
  statusType: number | null;
  sessionId: string | null;
  userName: string | null;
  mac: string | null;
  calledStationId: string | null;
  framedIp: string | null;
  sessionTime: number | null;
  inputOctets: number | null;
  outputOctets: number | null;
  inputPackets: number | null;
  outputPackets: number | null;
  terminateCause: number | null;
}

function toRow(r: AccountingRecord): RecordRow {
  return {
    at: r.at,
    eventAt: r.eventAt,
    delayTime: r.delayTime,
    nas: r.nas,
    nasAddress: r.nasAddress,
    nasPort: r.nasPort,
    statusType: r.statusType,
    sessionId: r.sessionId,
    userName: r.userName,
    mac: r.mac,
    calledStationId: r.calledStationId,
    framedIp: r.framedIp,
    sessionTime: r.sessionTime,
    inputOctets: r.inputOctets,
    outputOctets: r.outputOctets,
    inputPackets: r.inputPackets,
    outputPackets: r.outputPackets,
    terminateCause: r.terminateCause,
  };
}

export class SqliteAccountingRepository {
  readonly sessions: SqliteSessionRepository;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<RecordRow>;
  private readonly seen: Database.Statement<unknown[], { one: number }>;
  private readonly insertMany: (records: readonly AccountingRecord[]) => BatchResult;

  constructor(db: Database.Database, sessions?: SqliteSessionRepository) {
    this.db = db;
    this.sessions = sessions ?? new SqliteSessionRepository(db);
    this.insert = db.prepare(`
      INSERT INTO accounting_records (at, event_at, delay_time, nas, nas_address, nas_port, status_type, session_id,
        user_name, mac, called_station_id, framed_ip, session_time, input_octets, output_octets, input_packets,
        output_packets, terminate_cause)
      VALUES (@at, @eventAt, @delayTime, @nas, @nasAddress, @nasPort, @statusType, @sessionId, @userName, @mac,
        @calledStationId, @framedIp, @sessionTime, @inputOctets, @outputOctets, @inputPackets, @outputPackets,
        @terminateCause)`);
    this.seen = db.prepare(`
      SELECT 1 AS one FROM accounting_records
      WHERE nas_address = ? AND session_id IS ? AND status_type IS ? AND event_at BETWEEN ? AND ?
        AND session_time IS ? AND input_octets IS ? AND output_octets IS ? AND input_packets IS ?
        AND output_packets IS ? AND terminate_cause IS ?
      LIMIT 1`);
    this.insertMany = db.transaction((records: readonly AccountingRecord[]): BatchResult => {
      const changes: SessionChange[] = [];
      let duplicates = 0;
      for (const record of records) {
        if (this.isDuplicate(record)) {
          duplicates++;
          continue;
        }
        this.insert.run(toRow(record));
        this.sessions.apply(record, changes);
      }
      // Session start/stop rows join the audit log's chain in this same transaction (audit/log.ts).
      recordSessionEvents(db, sessionEventsOf(changes));
      return { stored: records.length - duplicates, duplicates, changes };
    });
  }

  private isDuplicate(r: AccountingRecord): boolean {
    return (
      this.seen.get(
        r.nasAddress,
        r.sessionId,
        r.statusType,
        r.eventAt - DUPLICATE_WINDOW_MS,
        r.eventAt + DUPLICATE_WINDOW_MS,
        r.sessionTime,
        r.inputOctets,
        r.outputOctets,
        r.inputPackets,
        r.outputPackets,
        r.terminateCause,
      ) !== undefined
    );
  }

  /** One transaction for the whole batch: records and sessions. Throws (nothing committed) on failure. */
  insertBatch(records: readonly AccountingRecord[]): BatchResult {
    const result = this.insertMany(records);
    this.sessions.notify(result.changes);
    return result;
  }

  /** Retention: deletes raw records received before `cutoff` (epoch ms). Returns how many. */
  purgeBefore(cutoff: number): number {
    return this.db.prepare('DELETE FROM accounting_records WHERE at < ?').run(cutoff).changes;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM accounting_records').get() as { n: number }).n;
  }

  recent(limit = 100): AccountingRecord[] {
    const rows = this.db
      .prepare(
        `SELECT at, event_at AS eventAt, delay_time AS delayTime, nas, nas_address AS nasAddress, nas_port AS nasPort,
           status_type AS statusType, session_id AS sessionId, user_name AS userName, mac,
           called_station_id AS calledStationId, framed_ip AS framedIp, session_time AS sessionTime,
           input_octets AS inputOctets, output_octets AS outputOctets, input_packets AS inputPackets,
           output_packets AS outputPackets, terminate_cause AS terminateCause
         FROM accounting_records ORDER BY id DESC LIMIT ?`,
      )
      .all(limit) as (RecordRow & { eventAt: number | null })[];
    // apMac/ssid are not stored separately: they are derived from calledStationId on the session.
    return rows.map((r) => ({ ...r, eventAt: r.eventAt ?? r.at, apMac: null, ssid: null }));
  }
}
