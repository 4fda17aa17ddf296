/**
 * The shape of config/lanyard.yaml as a TypeBox (JSON Schema) definition. Every object is
 * closed (`additionalProperties: false`), so a mistyped key is an error that names it.
 * Defaults are applied by load.ts after validation, not by the schema, so that one place
 * documents them (docs/configuration.md). Cross-references (a class's network exists, SSIDs
 * are unique ...) are checked by policy/compile.ts and load.ts, which know the whole file.
 *
 * `x-hint` is an annotation (registered with ajv as a vocabulary word): the plain-words
 * description of what a value must look like, used in error messages.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { FEED_GROUP_ATTRIBUTES, FEED_GROUPS, FEED_USER_NAMES } from '../feed/attributes.js';
import { NAS_VENDORS, OWNERSHIPS } from '../policy/model.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const closed = { additionalProperties: false } as const;

function literalUnion<T extends readonly string[]>(values: T, hint: string): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v)), { 'x-hint': hint }));
}

/** A map keyed by operator-chosen names. */
function named<T extends TSchema>(item: T, options: { minProperties?: number } = {}) {
  return Type.Record(Type.String(), item, options);
}

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const PositiveMs = Type.Integer({ minimum: 1, maximum: 3_600_000 });
const Text = Type.String({ maxLength: 1000 });

/** `{ value }`, `{ env }`, `{ file }` or `{ env, generate }`; exactly-one is checked in load.ts. */
export const SecretSchema = Type.Object(
  {
    value: Type.Optional(Type.String({ minLength: 1 })),
    env: Type.Optional(
      Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-hint': 'an environment variable name such as LANYARD_AP_SECRET' }),
    ),
    file: Type.Optional(Type.String({ minLength: 1 })),
    generate: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', 'x-hint': 'a plain file name (no directories) such as loopback.secret' }),
    ),
  },
  closed,
);

export const NasClientSchema = Type.Object(
  {
    address: Type.String({ minLength: 1 }),
    secret: SecretSchema,
    vendor: Type.Optional(literalUnion(NAS_VENDORS, `one of ${NAS_VENDORS.join(', ')}`)),
    requireMessageAuthenticator: Type.Optional(Type.Boolean()),
    defaultNetwork: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()], { 'x-hint': 'the name of a network, or null' })),
    coaPort: Type.Optional(Port),
    description: Type.Optional(Text),
  },
  closed,
);

export const RadiusSchema = Type.Object(
  {
    bind: Type.Optional(Type.String({ minLength: 1 })),
    authPort: Type.Optional(Port),
    acctPort: Type.Optional(Port),
    duplicateWindowMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
    clients: Type.Optional(named(NasClientSchema)),
  },
  closed,
);

export const DestinationSchema = Type.Object(
  {
    description: Type.Optional(Text),
    cidrs: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
    ports: Type.Optional(
      Type.Array(
        Type.String({
          pattern: '^(tcp|udp)/[0-9]{1,5}(-[0-9]{1,5})?$',
          'x-hint': 'a protocol and port such as tcp/631, udp/53 or tcp/8000-8080',
        }),
        { uniqueItems: true },
      ),
    ),
  },
  closed,
);

const VendorRolesSchema = Type.Object(
  Object.fromEntries(NAS_VENDORS.map((v) => [v, Type.Optional(Type.String({ minLength: 1, maxLength: 253 }))])),
  closed,
);

export const ProfileSchema = Type.Object(
  {
    description: Type.Optional(Text),
    filterId: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    allow: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
    vendorRoles: Type.Optional(VendorRolesSchema),
  },
  closed,
);

export const UnknownDevicesSchema = Type.Union(
  [Type.Literal('reject'), Type.Object({ admitAs: Type.String({ minLength: 1 }) }, closed)],
  { 'x-hint': '"reject", or { admitAs: <class name> }' },
);

/** Seconds as a whole number, or a duration such as "8h", "30m", "1d", "1h30m". */
export const DurationSchema = Type.Union(
  [
    Type.Integer({ minimum: 0, maximum: 4294967295 }),
    Type.String({ pattern: '^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$' }),
  ],
  { 'x-hint': 'a number of seconds (0 for none) or a duration such as 8h, 30m, 1d or 1h30m' },
);

const Ipv4Text = Type.String({ minLength: 1, maxLength: 15, 'x-hint': 'an IPv4 address such as 10.20.10.1' });

/** A network's DHCP scope (docs/dhcp.md): used when dhcp.mode is serve. */
export const NetworkDhcpSchema = Type.Object(
  {
    subnet: Type.String({ minLength: 1, 'x-hint': 'an IPv4 subnet such as 10.20.10.0/24' }),
    pools: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9.]+-[0-9.]+$', 'x-hint': 'an address range such as 10.20.10.100-10.20.10.199' }), {
        uniqueItems: true,
      }),
    ),
    router: Type.Optional(Ipv4Text),
    dns: Type.Optional(Type.Array(Ipv4Text, { uniqueItems: true, maxItems: 8 })),
    domain: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$', 'x-hint': 'a DNS domain name such as school.example' }),
    ),
    leaseTime: Type.Optional(DurationSchema),
    reservations: Type.Optional(
      named(
        Type.Object(
          {
            mac: Type.String({ minLength: 1, 'x-hint': 'a MAC address such as AA-BB-CC-00-00-01' }),
            ip: Ipv4Text,
            description: Type.Optional(Text),
          },
          closed,
        ),
      ),
    ),
  },
  closed,
);

export const NetworkSchema = Type.Object(
  {
    description: Type.Optional(Text),
    vlan: Type.Integer({ minimum: 1, maximum: 4094 }),
    ssids: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
    unknownDevices: Type.Optional(UnknownDevicesSchema),
    dhcp: Type.Optional(NetworkDhcpSchema),
  },
  closed,
);

export const DHCP_MODES = ['off', 'serve', 'listen'] as const;

/** The DHCP service (docs/dhcp.md, docs/configuration.md "dhcp"). */
export const DhcpSchema = Type.Object(
  {
    mode: Type.Optional(literalUnion(DHCP_MODES, `one of ${DHCP_MODES.join(', ')}`)),
    bind: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Port),
    serverId: Type.Optional(Type.Union([Ipv4Text, Type.Null()], { 'x-hint': 'an IPv4 address, or null' })),
    directNetwork: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()], { 'x-hint': 'the name of a network, or null' })),
    offerHoldSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    declineHoldSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 86400 })),
    checkDevices: Type.Optional(Type.Boolean()),
  },
  closed,
);

export const ClassSchema = Type.Object(
  {
    description: Type.Optional(Text),
    ownership: literalUnion(OWNERSHIPS, `one of ${OWNERSHIPS.join(', ')}`),
    network: Type.String({ minLength: 1 }),
    profile: Type.String({ minLength: 1 }),
    sessionTimeout: Type.Optional(DurationSchema),
  },
  closed,
);

/** A request budget per client address: at most `max` in any `windowMs`. */
const RequestBudget = Type.Object(
  {
    max: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    windowMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
  },
  closed,
);

/** The admin HTTP API (docs/api.md). */
export const ApiSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    bind: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Port),
    bodyLimit: Type.Optional(Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 })),
    importBodyLimit: Type.Optional(Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024 })),
    rateLimit: Type.Optional(RequestBudget),
    failedLogins: Type.Optional(RequestBudget),
  },
  closed,
);

/** Audit log retention (docs/audit-log.md, POLICY.md R-14): days per event kind, and when the daily purge runs. */
const RetentionDaysValue = Type.Integer({ minimum: 1, maximum: 36_500, 'x-hint': 'a whole number of days from 1 to 36500' });
export const AuditSchema = Type.Object(
  {
    retentionDays: Type.Optional(
      Type.Object(
        {
          decision: Type.Optional(RetentionDaysValue),
          session: Type.Optional(RetentionDaysValue),
          admin: Type.Optional(RetentionDaysValue),
          alert: Type.Optional(RetentionDaysValue),
          purge: Type.Optional(RetentionDaysValue),
        },
        closed,
      ),
    ),
    purgeAt: Type.Optional(
      Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', 'x-hint': 'a local time of day HH:MM such as 03:00' }),
    ),
  },
  closed,
);

/** A web-filter accounting receiver (docs/web-filter-feed.md); address and secret are checked in load.ts. */
export const FeedSchema = Type.Object(
  {
    address: Type.String({ minLength: 1 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    secret: SecretSchema,
    group: Type.Optional(literalUnion(FEED_GROUPS, `one of ${FEED_GROUPS.join(', ')}`)),
    groupAttribute: Type.Optional(literalUnion(FEED_GROUP_ATTRIBUTES, `one of ${FEED_GROUP_ATTRIBUTES.join(', ')}`)),
    userName: Type.Optional(literalUnion(FEED_USER_NAMES, `one of ${FEED_USER_NAMES.join(', ')}`)),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    queueLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    holdMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    expectResponse: Type.Optional(Type.Boolean()),
    nasIdentifier: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    nasIpAddress: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Text),
  },
  closed,
);

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    log: Type.Optional(Type.Object({ level: Type.Optional(literalUnion(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`)) }, closed)),
    radius: Type.Optional(RadiusSchema),
    store: Type.Optional(
      Type.Object(
        {
          database: Type.Optional(Type.String({ minLength: 1 })),
          pollIntervalMs: Type.Optional(PositiveMs),
        },
        closed,
      ),
    ),
    events: Type.Optional(
      Type.Object(
        {
          flushIntervalMs: Type.Optional(PositiveMs),
          batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          decisionWriter: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('loop'), Type.Literal('thread')])),
        },
        closed,
      ),
    ),
    api: Type.Optional(ApiSchema),
    audit: Type.Optional(AuditSchema),
    dhcp: Type.Optional(DhcpSchema),
    destinations: Type.Optional(named(DestinationSchema)),
    profiles: named(ProfileSchema, { minProperties: 1 }),
    networks: named(NetworkSchema, { minProperties: 1 }),
    classes: named(ClassSchema),
    feeds: Type.Optional(named(FeedSchema)),
  },
  closed,
);

export type RawConfig = Static<typeof ConfigSchema>;
export type RawSecret = Static<typeof SecretSchema>;
export type RawNasClient = Static<typeof NasClientSchema>;
export type RawFeed = Static<typeof FeedSchema>;
export type RawNetworkDhcp = Static<typeof NetworkDhcpSchema>;
export type RawDhcp = Static<typeof DhcpSchema>;
