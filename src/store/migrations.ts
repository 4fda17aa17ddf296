/**
 * The SQLite schema as an ordered list of migrations. Migration i (0-based) brings a database
 * from `PRAGMA user_version = i` to `i + 1`; db.ts applies each in its own transaction.
 * Append only: never edit a migration that has shipped, add a new one.
 */

export const MIGRATIONS: readonly string[] = [
  // 1: devices, their change history (audit + change feed), decision events.
  `
  CREATE TABLE devices (
    mac           TEXT PRIMARY KEY CHECK (length(mac) = 17),   -- AA-BB-CC-DD-EE-FF
    class         TEXT NOT NULL,
    owner         TEXT,
    label         TEXT,
    status        TEXT NOT NULL CHECK (status IN ('active', 'blocked', 'lost', 'retired')),
    status_reason TEXT,
    expires_at    INTEGER,                                     -- epoch ms, NULL = never
    source        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT NOT NULL
  );
  CREATE INDEX devices_owner ON devices (owner);
  CREATE INDEX devices_class ON devices (class);

  -- One row per write to devices, in the same transaction: the record after the change.
  -- seq is the change feed the daemon's cache follows (changesSince).
  CREATE TABLE device_history (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    mac           TEXT NOT NULL,
    op            TEXT NOT NULL CHECK (op IN ('create', 'update', 'status', 'delete')),
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    class         TEXT NOT NULL,
    owner         TEXT,
    label         TEXT,
    status        TEXT NOT NULL,
    status_reason TEXT,
    expires_at    INTEGER,
    source        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT NOT NULL
  );
  CREATE INDEX device_history_mac_seq ON device_history (mac, seq);

  CREATE TABLE decision_events (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('accept', 'reject', 'drop')),
    reason      TEXT NOT NULL,
    mac         TEXT,
    user_name   TEXT,
    nas         TEXT NOT NULL,
    nas_address TEXT NOT NULL,
    ap_mac      TEXT,
    ssid        TEXT,
    network     TEXT,
    vlan        INTEGER,
    class       TEXT,
    profile     TEXT,
    method      TEXT NOT NULL,
    randomised  INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL
  );
  CREATE INDEX decision_events_at ON decision_events (at);
  CREATE INDEX decision_events_mac_at ON decision_events (mac, at);
  `,
  // 2: raw accounting records (RFC 2866), stored before the Accounting-Response is sent.
  `
  CREATE TABLE accounting_records (
    id                INTEGER PRIMARY KEY,
    at                INTEGER NOT NULL,          -- epoch ms of receipt
    nas               TEXT NOT NULL,
    nas_address       TEXT NOT NULL,
    status_type       INTEGER,                   -- Acct-Status-Type: 1 Start, 2 Stop, 3 Interim, 7 On, 8 Off
    session_id        TEXT,
    user_name         TEXT,
    mac               TEXT,
    called_station_id TEXT,
    framed_ip         TEXT,
    session_time      INTEGER,
    input_octets      INTEGER,                   -- with Acct-Input-Gigawords folded in
    output_octets     INTEGER,
    input_packets     INTEGER,
    output_packets    INTEGER,
    terminate_cause   INTEGER
  );
  CREATE INDEX accounting_records_at ON accounting_records (at);
  CREATE INDEX accounting_records_session ON accounting_records (session_id);
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
