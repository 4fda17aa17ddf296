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
  // 3 (admin API): API tokens (only a SHA-256 of each token is kept) and people.
  `
  CREATE TABLE api_tokens (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('ict-admin', 'slt', 'read-only')),
    hash           TEXT NOT NULL UNIQUE,        -- hex SHA-256 of the whole token text
    hint           TEXT NOT NULL,               -- 'lny_' + first 4 characters, to tell tokens apart
    created_at     INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    last_used_at   INTEGER,
    last_used_from TEXT,
    revoked_at     INTEGER,
    revoked_by     TEXT
  );
  -- One live token per name; revoked ones stay for the record.
  CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

  CREATE TABLE people (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('staff', 'pupil', 'visitor', 'contractor')),
    name            TEXT NOT NULL,
    email           TEXT,
    aup_returned_at INTEGER,                    -- epoch ms (R-3), NULL = not returned
    status          TEXT NOT NULL CHECK (status IN ('active', 'left')),
    left_at         INTEGER,
    created_at      INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    updated_by      TEXT NOT NULL
  );
  CREATE UNIQUE INDEX people_email ON people (lower(email)) WHERE email IS NOT NULL;
  CREATE INDEX people_name ON people (lower(name));
  CREATE INDEX devices_owner_nocase ON devices (owner COLLATE NOCASE);
  `,
  // 4 (accounting): sessions derived from accounting records (RFC 2866), who held which IP address
  // when (ip_bindings: accounting now, DHCP leases later), and the indexes the SLT queries use
  // (src/audit/query.ts). 604800000 ms = 7 days: the "long session" partial index lets a query
  // for sessions overlapping a period bound its scan on started_at (see query.ts LONG_SESSION_MS).
  `
  ALTER TABLE accounting_records ADD COLUMN event_at INTEGER;     -- at − Acct-Delay-Time (RFC 2866 §5.2)
  ALTER TABLE accounting_records ADD COLUMN delay_time INTEGER;   -- Acct-Delay-Time, seconds
  ALTER TABLE accounting_records ADD COLUMN nas_port INTEGER;     -- NAS-Port (RFC 2865 §5.5)
  CREATE INDEX accounting_records_dedupe ON accounting_records (nas_address, session_id, status_type, event_at);

  CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    nas             TEXT NOT NULL,               -- NAS client name (config radius.clients)
    nas_address     TEXT NOT NULL,               -- source address: with session_id, the session's key
    session_id      TEXT NOT NULL,               -- Acct-Session-Id (RFC 2866 §5.5)
    mac             TEXT,                        -- Calling-Station-Id, AA-BB-CC-DD-EE-FF
    user_name       TEXT,
    nas_port        INTEGER,
    ap_mac          TEXT,                        -- Called-Station-Id "AP-MAC:SSID" (RFC 3580 §3.20)
    ssid            TEXT,
    network         TEXT,                        -- from the latest accept decision for the MAC
    vlan            INTEGER,
    framed_ip       TEXT,                        -- the latest Framed-IP-Address
    started_at      INTEGER NOT NULL,            -- epoch ms, event time (delay removed)
    updated_at      INTEGER NOT NULL,            -- event time of the latest record applied
    stopped_at      INTEGER,                     -- NULL while open
    input_octets    INTEGER,                     -- Gigawords folded in (RFC 2869 §5.1)
    output_octets   INTEGER,
    input_packets   INTEGER,
    output_packets  INTEGER,
    session_time    INTEGER,                     -- seconds (RFC 2866 §5.7)
    terminate_cause INTEGER,                     -- RFC 2866 §5.10
    stop_reason     TEXT CHECK (stop_reason IN ('stop', 'accounting-on', 'accounting-off', 'stale')),
    CHECK ((stopped_at IS NULL) = (stop_reason IS NULL))
  );
  CREATE INDEX sessions_key ON sessions (nas_address, session_id);
  CREATE INDEX sessions_open_nas ON sessions (nas_address) WHERE stopped_at IS NULL;
  CREATE INDEX sessions_open_updated ON sessions (updated_at) WHERE stopped_at IS NULL;
  -- (…, started_at, stopped_at): "overlaps [from, to)" is decided inside the index, so the rows a
  -- period's scan skips are never read from the table.
  CREATE INDEX sessions_mac_started ON sessions (mac, started_at, stopped_at);
  CREATE INDEX sessions_started ON sessions (started_at, stopped_at);
  CREATE INDEX sessions_stopped ON sessions (stopped_at);
  CREATE INDEX sessions_ap_started ON sessions (ap_mac, started_at, stopped_at);
  CREATE INDEX sessions_ssid_started ON sessions (ssid, started_at, stopped_at);
  CREATE INDEX sessions_network_started ON sessions (network, started_at, stopped_at);
  CREATE INDEX sessions_long ON sessions (started_at, stopped_at)
    WHERE stopped_at IS NULL OR stopped_at - started_at > 604800000;

  -- Who held an IP address, from when to when. Sessions write rows with source 'accounting';
  -- DHCP leases (issue 4) add rows with source 'dhcp' and no session. to_at NULL = still held.
  -- No foreign key to sessions, so a retention purge can delete either side in any order.
  CREATE TABLE ip_bindings (
    id          INTEGER PRIMARY KEY,
    ip          TEXT NOT NULL,
    mac         TEXT,
    from_at     INTEGER NOT NULL,
    to_at       INTEGER,
    source      TEXT NOT NULL,
    session_row INTEGER
  );
  CREATE INDEX ip_bindings_ip ON ip_bindings (ip, from_at, to_at);
  CREATE INDEX ip_bindings_open_ip ON ip_bindings (ip) WHERE to_at IS NULL;
  CREATE INDEX ip_bindings_session ON ip_bindings (session_row);

  -- "Everything a person did": the devices a person has ever owned (owner is free text, any case).
  CREATE INDEX device_history_owner ON device_history (owner COLLATE NOCASE, mac);
  -- "Rejected attempts in a period" without reading every accept.
  CREATE INDEX decision_events_result_at ON decision_events (result, at);
  `,
  // 5 (audit log): the connection audit log (docs/audit-log.md). One append-only table of
  // decisions, session start/stop, admin actions, alerts and purges; every row hash-chained to
  // the previous row of its kind (src/audit/chain.ts). audit_chain holds, per kind, the newest
  // row (head) and the newest purged row (anchor): a purge removes the oldest rows of a kind and
  // keeps only that one id and hash. decision_events becomes a view of the decision rows; its
  // old rows are moved into the chain (they need hashing) by src/audit/log.ts
  // importLegacyDecisions, which then drops decision_events_legacy.
  `
  ALTER TABLE decision_events RENAME TO decision_events_legacy;

  CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,            -- one sequence for all kinds; holes only where purged
    at          INTEGER NOT NULL,               -- epoch ms
    kind        TEXT NOT NULL CHECK (kind IN ('decision', 'session-start', 'session-stop', 'admin', 'alert', 'purge')),
    actor       TEXT NOT NULL,                  -- 'radius', 'cli:<login>', 'api:<token name>', 'lanyard'
    source      TEXT,                           -- admin: client IP address or 'cli'
    action      TEXT,                           -- admin: 'device.create', 'device.block' ...; purge: 'purge'
    subject     TEXT,                           -- admin: what was acted on (MAC, person id, token name)
    mac         TEXT,                           -- AA-BB-CC-DD-EE-FF
    person      TEXT,                           -- the device's owner / the person concerned
    user_name   TEXT,                           -- RADIUS User-Name
    ip          TEXT,                           -- Framed-IP-Address (sessions)
    nas         TEXT,                           -- NAS client name
    nas_address TEXT,                           -- the NAS's source address
    ap_mac      TEXT,
    ssid        TEXT,
    network     TEXT,
    vlan        INTEGER,
    class       TEXT,
    profile     TEXT,
    method      TEXT,                           -- decision: 'mab' | 'pap' | 'chap' | 'none'
    result      TEXT,                           -- decision: 'accept' | 'reject' | 'drop'
    reason      TEXT,                           -- decision: RejectReason / 'ok'; admin: status reason
    randomised  INTEGER,                        -- decision: locally administered MAC (0/1)
    latency_us  INTEGER,                        -- decision: receive → send
    session_id  TEXT,                           -- sessions: Acct-Session-Id
    detail      TEXT,                           -- JSON: admin { before, after }; session counters; purge plan
    prev_hash   BLOB NOT NULL,                  -- hash of the previous row of this kind (32 zero bytes: none)
    hash        BLOB NOT NULL,                  -- SHA-256 of the canonical encoding (src/audit/chain.ts)
    CHECK (kind <> 'decision' OR result IN ('accept', 'reject', 'drop'))
  );
  CREATE INDEX audit_log_at ON audit_log (at);
  CREATE INDEX audit_log_kind_at ON audit_log (kind, at);
  CREATE INDEX audit_log_mac_at ON audit_log (mac, at) WHERE mac IS NOT NULL;
  CREATE INDEX audit_log_person_at ON audit_log (person, at) WHERE person IS NOT NULL;
  -- "Rejected attempts in a period" (replaces decision_events_result_at).
  CREATE INDEX audit_log_decision_result_at ON audit_log (result, at) WHERE kind = 'decision';
  -- The purge walks each kind's rows in id order; decisions (most rows) walk the table itself.
  CREATE INDEX audit_log_kind_id ON audit_log (kind) WHERE kind <> 'decision';

  CREATE TABLE audit_chain (
    kind        TEXT PRIMARY KEY,
    head_id     INTEGER NOT NULL,               -- newest row of this kind (0: none yet)
    head_hash   BLOB NOT NULL,
    anchor_id   INTEGER NOT NULL,               -- newest row of this kind removed by a purge (0: none)
    anchor_hash BLOB NOT NULL,
    purged      INTEGER NOT NULL                -- rows of this kind purged so far
  ) WITHOUT ROWID;
  INSERT INTO audit_chain (kind, head_id, head_hash, anchor_id, anchor_hash, purged)
    SELECT column1, 0, zeroblob(32), 0, zeroblob(32), 0
    FROM (VALUES ('decision'), ('session-start'), ('session-stop'), ('admin'), ('alert'), ('purge'));

  CREATE VIEW decision_events AS
    SELECT id, at, result, reason, mac, user_name, nas, nas_address, ap_mac, ssid, network, vlan, class, profile,
           method, randomised, latency_us, person
    FROM audit_log WHERE kind = 'decision';
  `,
  // DHCP serve/listen mode (issue 4, docs/dhcp.md): the current lease of each address, and the
  // DHCP fingerprints seen per MAC (one row per distinct fingerprint: its history). A bound
  // lease also writes a row in ip_bindings (source 'dhcp', binding_row here) so "who had IP X
  // at T" works from DHCP alone. Times are epoch ms.
  `
  CREATE TABLE dhcp_leases (
    ip          TEXT PRIMARY KEY,                -- dotted decimal, as in ip_bindings
    network     TEXT NOT NULL,                   -- config networks.<name>
    mac         TEXT NOT NULL,                   -- chaddr, AA-BB-CC-DD-EE-FF
    client_id   TEXT,                            -- option 61 as hex (RFC 2132 §9.14), NULL when absent
    hostname    TEXT,                            -- option 12
    state       TEXT NOT NULL CHECK (state IN ('offered', 'bound', 'released', 'expired', 'declined')),
    starts      INTEGER NOT NULL,
    expires     INTEGER NOT NULL,                -- end of the lease, the offer or the quarantine
    binding_row INTEGER                          -- the ip_bindings row of the current holding
  ) WITHOUT ROWID;
  CREATE INDEX dhcp_leases_mac ON dhcp_leases (mac);

  CREATE TABLE dhcp_fingerprints (
    id            INTEGER PRIMARY KEY,
    mac           TEXT NOT NULL,
    fp_key        TEXT NOT NULL,                 -- the fingerprint's canonical text (codec fingerprintKey)
    params        TEXT,                          -- option 55 codes in order, comma-separated
    vendor_class  TEXT,                          -- option 60
    hostname      TEXT,                          -- option 12
    client_id_type INTEGER,                      -- first octet of option 61
    family        TEXT,                          -- OS family the table maps it to, NULL = unknown
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    seen          INTEGER NOT NULL DEFAULT 1,
    UNIQUE (mac, fp_key)
  );
  CREATE INDEX dhcp_fingerprints_mac_last ON dhcp_fingerprints (mac, last_seen);
  `,
  // (hot path, issue 5): a decision row updates only the indexes the queries over decisions
  // use, and only at their END. Decisions are most rows and arrive tens of thousands a second;
  // an index whose new entries land at random places (one keyed by MAC first) dirties about
  // one page per row, and every dirty page is written to the WAL at the commit
  // (test/bench/audit-append.ts: ~4.7 KB of WAL per row). So decisions are read by period,
  // through (kind, at, mac), which grows at its end like the table; a device's or a person's
  // decisions are that period's index range filtered by MAC inside the index (the MAC is in
  // the key, so no table row is read for another device), and refused ones through the partial
  // index below, which accepts — nine rows in ten — do not enter. audit_log_mac_at,
  // audit_log_at and audit_log_person_at now index the other kinds only (sessions, admin
  // actions, alerts: a person's activity goes through the MACs they owned, src/audit/query.ts).
  `
  DROP INDEX audit_log_kind_at;
  CREATE INDEX audit_log_kind_at ON audit_log (kind, at, mac);
  DROP INDEX audit_log_mac_at;
  CREATE INDEX audit_log_mac_at ON audit_log (mac, at) WHERE mac IS NOT NULL AND kind <> 'decision';
  DROP INDEX audit_log_at;
  CREATE INDEX audit_log_at ON audit_log (at) WHERE kind <> 'decision';
  DROP INDEX audit_log_person_at;
  CREATE INDEX audit_log_person_at ON audit_log (person, at) WHERE person IS NOT NULL AND kind <> 'decision';
  DROP INDEX audit_log_decision_result_at;
  CREATE INDEX audit_log_decision_refused_at ON audit_log (result, at) WHERE kind = 'decision' AND result <> 'accept';
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
