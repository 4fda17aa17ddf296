/**
 * DHCP leases and fingerprints in SQLite (migration "DHCP serve/listen mode", docs/dhcp.md).
 *
 * The DHCP engine keeps its leases in memory and hands every change here in batches (app.ts,
 * BatchWriter): one transaction per batch, and an ACK is sent only after the batch holding its
 * lease commits, so a client never holds an address the store does not know about. At start
 * the engine reloads the table, so leases survive a restart.
 *
 * Each bound lease also has a row in ip_bindings (source 'dhcp', no session): written when the
 * address is first bound to a MAC, its to_at extended on each renewal to the lease's end, and
 * cut short on RELEASE/DECLINE or a new holder. to_at is the lease's end rather than NULL, so a
 * client that vanishes without releasing still stops "holding" the address when its lease
 * runs out, even if Lanyard was down at that moment. whoHad (audit/query.ts) reads these rows.
 *
 * Accounting sessions whose access point sent no Framed-IP-Address are completed from the
 * leases (issue 4 item 6): binding a lease fills in the address of the MAC's open sessions
 * that have none, and a session that starts while the MAC holds a lease is filled in by the
 * DHCP service (fillSessionAddresses) — whichever comes first, the session learns its address.
 */
import type Database from 'better-sqlite3';

export const LEASE_STATES = ['offered', 'bound', 'released', 'expired', 'declined'] as const;
export type LeaseState = (typeof LEASE_STATES)[number];

/** One address's lease as stored. */
export interface LeaseRecord {
  /** Dotted decimal. */
  readonly ip: string;
  readonly network: string;
  /** AA-BB-CC-DD-EE-FF. */
  readonly mac: string;
  /** Option 61 as lower-case hex, or null. */
  readonly clientId: string | null;
  readonly hostname: string | null;
  readonly state: LeaseState;
  /** Epoch ms: the latest ACK (bound), or when the state began. */
  readonly starts: number;
  /** Epoch ms: end of the lease, of the offer, or of the quarantine (declined). */
  readonly expires: number;
}

/** A lease change to store: the record after the change, and when it happened. */
export interface LeaseWrite extends LeaseRecord {
  readonly at: number;
}

/** A DHCP fingerprint sighting (options 55, 60, 12, 61). */
export interface FingerprintSighting {
  readonly mac: string;
  /** Canonical text of the fingerprint (the codec's fingerprintKey). */
  readonly key: string;
  /** Option 55 codes in order, comma-separated. */
  readonly params: string | null;
  readonly vendorClass: string | null;
  readonly hostname: string | null;
  readonly clientIdType: number | null;
  /** OS family, or null when the table does not know it. */
  readonly family: string | null;
  readonly at: number;
}

/** An accounting session (sessions.id) to complete with a leased address. */
export interface SessionAddress {
  readonly id: number;
  readonly ip: string;
}

export interface FingerprintRecord extends Omit<FingerprintSighting, 'at'> {
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly seen: number;
}

interface LeaseRow {
  ip: string;
  network: string;
  mac: string;
  client_id: string | null;
  hostname: string | null;
  state: LeaseState;
  starts: number;
  expires: number;
  binding_row: number | null;
}

interface FingerprintRow {
  mac: string;
  fp_key: string;
  params: string | null;
  vendor_class: string | null;
  hostname: string | null;
  client_id_type: number | null;
  family: string | null;
  first_seen: number;
  last_seen: number;
  seen: number;
}

function recordOf(r: LeaseRow): LeaseRecord {
  return {
    ip: r.ip,
    network: r.network,
    mac: r.mac,
    clientId: r.client_id,
    hostname: r.hostname,
    state: r.state,
    starts: r.starts,
    expires: r.expires,
  };
}

function fingerprintOfRow(r: FingerprintRow): FingerprintRecord {
  return {
    mac: r.mac,
    key: r.fp_key,
    params: r.params,
    vendorClass: r.vendor_class,
    hostname: r.hostname,
    clientIdType: r.client_id_type,
    family: r.family,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    seen: r.seen,
  };
}

export class SqliteLeaseRepository {
  readonly #get: Database.Statement<[string], LeaseRow>;
  readonly #all: Database.Statement<[], LeaseRow>;
  readonly #upsert: Database.Statement<LeaseRow>;
  readonly #openBinding: Database.Statement<{ ip: string; mac: string; from: number; to: number }>;
  readonly #extendBinding: Database.Statement<{ id: number; to: number }>;
  readonly #cutBinding: Database.Statement<{ id: number; at: number }>;
  readonly #fillOpenSessions: Database.Statement<{ mac: string; ip: string }>;
  readonly #fillSession: Database.Statement<{ id: number; ip: string }>;
  readonly #fillTx: (fills: readonly SessionAddress[]) => void;
  readonly #fpUpsert: Database.Statement<Omit<FingerprintRow, 'seen'>>;
  readonly #fpOfMac: Database.Statement<[string], FingerprintRow>;
  readonly #fpLatest: Database.Statement<[], FingerprintRow>;
  readonly #applyTx: (writes: readonly LeaseWrite[]) => void;
  readonly #fpTx: (sightings: readonly FingerprintSighting[]) => void;

  constructor(db: Database.Database) {
    this.#get = db.prepare(`SELECT * FROM dhcp_leases WHERE ip = ?`);
    this.#all = db.prepare(`SELECT * FROM dhcp_leases ORDER BY ip`);
    this.#upsert = db.prepare(
      `INSERT INTO dhcp_leases (ip, network, mac, client_id, hostname, state, starts, expires, binding_row)
       VALUES (@ip, @network, @mac, @client_id, @hostname, @state, @starts, @expires, @binding_row)
       ON CONFLICT (ip) DO UPDATE SET network = excluded.network, mac = excluded.mac, client_id = excluded.client_id,
         hostname = excluded.hostname, state = excluded.state, starts = excluded.starts, expires = excluded.expires,
         binding_row = excluded.binding_row`,
    );
    this.#openBinding = db.prepare(
      `INSERT INTO ip_bindings (ip, mac, from_at, to_at, source, session_row) VALUES (@ip, @mac, @from, @to, 'dhcp', NULL)`,
    );
    this.#extendBinding = db.prepare(`UPDATE ip_bindings SET to_at = @to WHERE id = @id`);
    // Never lengthen a holding when cutting it short (a late RELEASE after the lease ran out).
    this.#cutBinding = db.prepare(`UPDATE ip_bindings SET to_at = min(coalesce(to_at, @at), @at) WHERE id = @id`);
    this.#fillOpenSessions = db.prepare(
      `UPDATE sessions SET framed_ip = @ip WHERE mac = @mac AND stopped_at IS NULL AND framed_ip IS NULL`,
    );
    this.#fillSession = db.prepare(`UPDATE sessions SET framed_ip = @ip WHERE id = @id AND framed_ip IS NULL`);
    this.#fillTx = db.transaction((fills: readonly SessionAddress[]) => {
      for (const f of fills) this.#fillSession.run(f);
    });
    this.#fpUpsert = db.prepare(
      `INSERT INTO dhcp_fingerprints (mac, fp_key, params, vendor_class, hostname, client_id_type, family, first_seen, last_seen)
       VALUES (@mac, @fp_key, @params, @vendor_class, @hostname, @client_id_type, @family, @first_seen, @last_seen)
       ON CONFLICT (mac, fp_key) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), seen = seen + 1,
         hostname = coalesce(excluded.hostname, hostname), family = excluded.family`,
    );
    this.#fpOfMac = db.prepare(`SELECT * FROM dhcp_fingerprints WHERE mac = ? ORDER BY first_seen, id`);
    // The newest fingerprint of every MAC (bare-column max(): SQLite returns that row's columns).
    this.#fpLatest = db.prepare(
      `SELECT mac, fp_key, params, vendor_class, hostname, client_id_type, family, first_seen, max(last_seen) AS last_seen, seen
       FROM dhcp_fingerprints GROUP BY mac`,
    );
    this.#applyTx = db.transaction((writes: readonly LeaseWrite[]) => {
      for (const w of writes) this.#apply(w);
    });
    this.#fpTx = db.transaction((sightings: readonly FingerprintSighting[]) => {
      for (const s of sightings) {
        this.#fpUpsert.run({
          mac: s.mac,
          fp_key: s.key,
          params: s.params,
          vendor_class: s.vendorClass,
          hostname: s.hostname,
          client_id_type: s.clientIdType,
          family: s.family,
          first_seen: s.at,
          last_seen: s.at,
        });
      }
    });
  }

  /** Every stored lease (the engine reloads them at start). */
  all(): LeaseRecord[] {
    return this.#all.all().map(recordOf);
  }

  get(ip: string): LeaseRecord | undefined {
    const row = this.#get.get(ip);
    return row === undefined ? undefined : recordOf(row);
  }

  /** Stores a batch of lease changes, in order, in one transaction (throws on failure: nothing is stored). */
  applyBatch(writes: readonly LeaseWrite[]): void {
    if (writes.length > 0) this.#applyTx(writes);
  }

  /** Gives sessions without an address the one their MAC leased (only where they still have none). */
  fillSessionAddresses(fills: readonly SessionAddress[]): void {
    if (fills.length > 0) this.#fillTx(fills);
  }

  /** Records fingerprint sightings in one transaction. */
  recordFingerprints(sightings: readonly FingerprintSighting[]): void {
    if (sightings.length > 0) this.#fpTx(sightings);
  }

  /** Every distinct fingerprint a MAC has shown, oldest first. */
  fingerprints(mac: string): FingerprintRecord[] {
    return this.#fpOfMac.all(mac).map(fingerprintOfRow);
  }

  /** The latest fingerprint of every MAC (the engine's memory of "previous", reloaded at start). */
  latestFingerprints(): FingerprintRecord[] {
    return this.#fpLatest.all().map(fingerprintOfRow);
  }

  #apply(w: LeaseWrite): void {
    const old = this.#get.get(w.ip);
    const held = old !== undefined && old.state === 'bound' && old.binding_row !== null ? old.binding_row : null;
    let binding: number | null = null;
    if (w.state === 'bound') {
      if (held !== null && old!.mac === w.mac) {
        this.#extendBinding.run({ id: held, to: w.expires }); // a renewal (RFC 2131 §4.3.2 RENEWING/REBINDING)
        binding = held;
      } else {
        if (held !== null) this.#cutBinding.run({ id: held, at: w.at }); // a new holder ends the old one
        binding = Number(this.#openBinding.run({ ip: w.ip, mac: w.mac, from: w.starts, to: w.expires }).lastInsertRowid);
      }
      this.#fillOpenSessions.run({ mac: w.mac, ip: w.ip });
    } else if (w.state === 'offered' && held !== null && old!.mac === w.mac) {
      binding = held; // an offer to the client that holds the address does not end its lease
    } else if (held !== null) {
      this.#cutBinding.run({ id: held, at: Math.min(w.at, old!.expires) });
    }
    this.#upsert.run({
      ip: w.ip,
      network: w.network,
      mac: w.mac,
      client_id: w.clientId,
      hostname: w.hostname,
      state: w.state,
      starts: w.starts,
      expires: w.expires,
      binding_row: binding,
    });
  }
}
