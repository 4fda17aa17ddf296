/** Raw accounting records as received (RFC 2866); sessions are derived from them. */
import type Database from 'better-sqlite3';
import type { AccountingRecord } from '../radius/handlers/accounting-request.js';

export class SqliteAccountingRepository {
  private readonly insert: Database.Statement;
  private readonly insertMany: (records: readonly AccountingRecord[]) => void;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(`
      INSERT INTO accounting_records (at, nas, nas_address, status_type, session_id, user_name, mac,
        called_station_id, framed_ip, session_time, input_octets, output_octets, input_packets,
        output_packets, terminate_cause)
      VALUES (@at, @nas, @nasAddress, @statusType, @sessionId, @userName, @mac, @calledStationId,
        @framedIp, @sessionTime, @inputOctets, @outputOctets, @inputPackets, @outputPackets, @terminateCause)`);
    this.insertMany = db.transaction((records: readonly AccountingRecord[]) => {
      for (const record of records) this.insert.run(record);
    });
  }

  /** One transaction for the whole batch. */
  insertBatch(records: readonly AccountingRecord[]): void {
    this.insertMany(records);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM accounting_records').get() as { n: number }).n;
  }

  recent(limit = 100): AccountingRecord[] {
    const rows = this.db
      .prepare(
        `SELECT at, nas, nas_address AS nasAddress, status_type AS statusType, session_id AS sessionId,
           user_name AS userName, mac, called_station_id AS calledStationId, framed_ip AS framedIp,
           session_time AS sessionTime, input_octets AS inputOctets, output_octets AS outputOctets,
           input_packets AS inputPackets, output_packets AS outputPackets, terminate_cause AS terminateCause
         FROM accounting_records ORDER BY id DESC LIMIT ?`,
      )
      .all(limit);
    return rows as AccountingRecord[];
  }
}
