/**
 * The validated, frozen configuration every part of Lanyard receives a slice of.
 * Produced only by config/load.ts; nothing outside config/ reads process.env or the YAML.
 */
import type { FeedGroup, FeedGroupAttribute, FeedUserName } from '../feed/attributes.js';
import type { NasVendor, Policy } from '../policy/model.js';

export interface NasClientConfig {
  /** Operator's name for the NAS (shown in logs and events). */
  readonly name: string;
  /** IPv4/IPv6 address or CIDR the NAS sends from, as written in the config. */
  readonly address: string;
  /** The shared secret (RFC 2865 §3). Never logged. */
  readonly secret: Buffer;
  /** Where the secret came from, for messages: 'inline', 'env:NAME', 'file:PATH', 'generated:PATH'. */
  readonly secretSource: string;
  readonly vendor: NasVendor;
  /** BlastRADIUS (CVE-2024-3596): drop requests without a valid Message-Authenticator. */
  readonly requireMessageAuthenticator: boolean;
  /** Network to use when this NAS sends no SSID (wired MAB), or null. */
  readonly defaultNetwork: string | null;
  /** Port the NAS listens on for CoA/Disconnect (RFC 5176 §3: 3799 by default). */
  readonly coaPort: number;
}

export interface RadiusConfig {
  /** Address the auth and accounting sockets bind to. */
  readonly bind: string;
  /** 0 = pick a free port. */
  readonly authPort: number;
  readonly acctPort: number;
  /** RFC 5080 §2.2.2 duplicate detection window in milliseconds. */
  readonly duplicateWindowMs: number;
  readonly clients: readonly NasClientConfig[];
}

export interface StoreConfig {
  /** Absolute path of the SQLite file. */
  readonly database: string;
  /** How often the daemon looks for changes made by other processes (ms). */
  readonly pollIntervalMs: number;
}

export interface EventsConfig {
  /** The batched event writer commits at least this often (ms)... */
  readonly flushIntervalMs: number;
  /** ...or when this many events are waiting. */
  readonly batchSize: number;
  /**
   * Where access decisions are appended to the audit log: on the event loop ('loop'), or on a
   * thread of their own fed by a shared ring ('thread', src/audit/decision-writer.ts), which
   * keeps SQLite's file writes off the loop (docs/benchmarks.md); 'auto': the thread when the
   * machine has two cores or more (decisionWriterFor, src/audit/decision-writer.ts).
   */
  readonly decisionWriter: 'auto' | 'loop' | 'thread';
}

/** The admin HTTP API (docs/api.md, docs/configuration.md "api"). */
export interface ApiConfig {
  /** false: no API listener at all. */
  readonly enabled: boolean;
  /** Address the API listens on (127.0.0.1 by default: put a TLS proxy in front to expose it). */
  readonly bind: string;
  /** TCP port; 0 = pick a free one. */
  readonly port: number;
  /** Largest JSON request body, bytes. */
  readonly bodyLimit: number;
  /** Largest CSV import body, bytes. */
  readonly importBodyLimit: number;
  /** Requests per client address: at most `max` in any `windowMs` (429 beyond). */
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Failed logins (missing or wrong token) per client address before it is refused for the window. */
  readonly failedLogins: { readonly max: number; readonly windowMs: number };
}

/** The audit log's retention (docs/audit-log.md). */
export interface AuditConfig {
  /** Days each kind of audit row is kept; session covers session-start and session-stop. */
  readonly retentionDays: {
    readonly decision: number;
    readonly session: number;
    readonly admin: number;
    readonly alert: number;
    readonly purge: number;
  };
  /** Local time of day (HH:MM) the daemon runs the daily purge. */
  readonly purgeAt: string;
}

/** One web-filter accounting receiver (docs/web-filter-feed.md). */
export interface FeedConfig {
  /** Operator's name for the receiver (logs, metrics). */
  readonly name: string;
  /** The receiver's IPv4 or IPv6 address. */
  readonly address: string;
  /** Its RADIUS accounting port (RFC 2866: 1813). */
  readonly port: number;
  /** The secret shared with the receiver (RFC 2866 §3). Never logged. */
  readonly secret: Buffer;
  /** 'inline', 'env:NAME' or 'file:PATH', for messages. */
  readonly secretSource: string;
  /** What the group attribute carries. */
  readonly group: FeedGroup;
  /** Which attribute carries the group. */
  readonly groupAttribute: FeedGroupAttribute;
  /** What User-Name carries. */
  readonly userName: FeedUserName;
  /** Wait for the first Accounting-Response, ms (doubles with each retry). */
  readonly timeoutMs: number;
  /** Retransmissions before a request counts as failed. */
  readonly retries: number;
  /** Requests waiting at most; the oldest is dropped beyond it. */
  readonly queueLimit: number;
  /** How long a session start waits for an address before it is given up, ms. */
  readonly holdMs: number;
  /** false for a receiver that never answers (FortiGate with rsso-radius-response disabled). */
  readonly expectResponse: boolean;
  /** NAS-Identifier sent in every request. */
  readonly nasIdentifier: string;
  /** NAS-IP-Address sent in every request, or null for none. */
  readonly nasIpAddress: string | null;
}

/** An address range of a DHCP pool, both ends included (addresses as unsigned 32-bit numbers). */
export interface DhcpRange {
  readonly start: number;
  readonly end: number;
}

/** A static DHCP reservation (a printer, a server): this MAC always gets this address. */
export interface DhcpReservation {
  readonly name: string;
  /** The MAC as a 48-bit number (policy/mac.ts). */
  readonly mac: number;
  readonly ip: number;
}

/** One network's DHCP scope (networks.<name>.dhcp). Addresses are unsigned 32-bit numbers. */
export interface DhcpScope {
  /** The network's name (a key of policy.networks). */
  readonly network: string;
  readonly vlan: number;
  readonly subnet: number;
  readonly prefix: number;
  readonly mask: number;
  readonly broadcast: number;
  readonly pools: readonly DhcpRange[];
  /** Option 3 (RFC 2132 §3.5), or null for none. */
  readonly router: number | null;
  /** Option 6 (RFC 2132 §3.8). */
  readonly dns: readonly number[];
  /** Option 15 (RFC 2132 §3.17), or null. */
  readonly domain: string | null;
  /** Seconds (option 51). */
  readonly leaseTime: number;
  readonly reservations: readonly DhcpReservation[];
}

/** The DHCP service (docs/dhcp.md). */
export interface DhcpConfig {
  /** off: no socket; serve: answer; listen: record relayed traffic, never answer. */
  readonly mode: 'off' | 'serve' | 'listen';
  readonly bind: string;
  /** 0 = pick a free port (tests). */
  readonly port: number;
  /** Option 54 and siaddr (RFC 2131 §4.3.1), or null (listen mode). */
  readonly serverId: number | null;
  /** Network whose subnet is attached to this host (requests with giaddr 0), or null. */
  readonly directNetwork: string | null;
  readonly offerHoldSeconds: number;
  readonly declineHoldSeconds: number;
  /** Refuse leases that contradict the device's RADIUS decision (issue 4 item 3). */
  readonly checkDevices: boolean;
  /** Every network with a dhcp section, in file order. */
  readonly scopes: readonly DhcpScope[];
}

export interface LogConfig {
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface LanyardConfig {
  /** Absolute path of the file this was loaded from. */
  readonly source: string;
  /** Absolute data directory (database, generated secrets). */
  readonly dataDir: string;
  readonly radius: RadiusConfig;
  readonly store: StoreConfig;
  readonly events: EventsConfig;
  readonly log: LogConfig;
  readonly api: ApiConfig;
  readonly audit: AuditConfig;
  readonly dhcp: DhcpConfig;
  readonly policy: Policy;
  /** Web-filter accounting receivers (the `feeds` key); empty when none. */
  readonly feeds: readonly FeedConfig[];
  /** Human-readable notes produced while loading (e.g. "secret generated at ..."), for the CLI to print. */
  readonly notices: readonly string[];
  /** Warnings the daemon logs at start (e.g. Message-Authenticator not required for a NAS). */
  readonly warnings: readonly string[];
}

/** Command-line overrides applied after validation (serve --db, --auth-port, --acct-port). */
export interface ConfigOverrides {
  readonly database?: string;
  readonly authPort?: number;
  readonly acctPort?: number;
  /** serve --api-port (0 = pick a free one). */
  readonly apiPort?: number;
  /** serve --dhcp-port (0 = pick a free one). */
  readonly dhcpPort?: number;
}
