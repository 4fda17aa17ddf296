/**
 * Every error Lanyard raises on purpose has a code from this one table, so that
 * operators can search docs/errors.md for it and tests can assert on it.
 * Libraries throw LanyardError; only the edges (CLI, listeners, routes) log or print.
 */

export const ERROR_CODES = {
  LANYARD_ERR_CONFIG_READ: { status: 500, summary: 'The configuration file could not be read.' },
  LANYARD_ERR_CONFIG_PARSE: { status: 500, summary: 'The configuration file is not valid YAML.' },
  LANYARD_ERR_CONFIG_INVALID: {
    status: 500,
    summary: 'The configuration does not satisfy the schema or refers to something undefined.',
  },
  LANYARD_ERR_SECRET_UNAVAILABLE: {
    status: 500,
    summary: 'A shared secret names an environment variable or file that cannot be read or is empty.',
  },
  LANYARD_ERR_MAC_INVALID: { status: 400, summary: 'The value is not a MAC address in a recognised format.' },
  LANYARD_ERR_DATE_INVALID: { status: 400, summary: 'The value is not an ISO 8601 date or date-time.' },
  LANYARD_ERR_CLASS_UNKNOWN: { status: 400, summary: 'The device class is not defined in the configuration.' },
  LANYARD_ERR_DEVICE_EXISTS: { status: 409, summary: 'A device with this MAC address is already registered.' },
  LANYARD_ERR_DEVICE_NOT_FOUND: { status: 404, summary: 'No device with this MAC address is registered.' },
  LANYARD_ERR_DEVICE_STATE: {
    status: 409,
    summary: 'The device is in a state that does not allow this change (for example, a retired device).',
  },
  LANYARD_ERR_FIELD_INVALID: { status: 400, summary: 'A field has a value outside what it accepts.' },
  LANYARD_ERR_CSV_INVALID: { status: 400, summary: 'The CSV file has rows or columns that cannot be imported.' },
  LANYARD_ERR_STORE_OPEN: { status: 500, summary: 'The SQLite database could not be opened or migrated.' },
  LANYARD_ERR_STORE_SCHEMA_NEWER: {
    status: 500,
    summary: 'The database was written by a newer Lanyard (its schema version is higher than this build knows).',
  },
  LANYARD_ERR_STORE_BUSY: {
    status: 503,
    summary: 'Another process holds the database write lock (for example a large import); retry shortly.',
  },
  LANYARD_ERR_AUDIT_FLUSH_TIMEOUT: {
    status: 503,
    summary: 'Access decisions waiting for the audit log were not committed in time (the database is locked or failing).',
  },
  LANYARD_ERR_LISTEN: { status: 500, summary: 'A listener could not bind its address and port.' },
  // Web-filter feed (docs/web-filter-feed.md): logged, never returned to a caller
  LANYARD_ERR_FEED_UNANSWERED: {
    status: 502,
    summary: 'A web-filter receiver did not acknowledge an accounting request after every retry.',
  },
  LANYARD_ERR_FEED_QUEUE_FULL: {
    status: 503,
    summary: "A web-filter feed's queue was full, so its oldest waiting request was dropped.",
  },
  // Admin API (docs/api.md)
  LANYARD_ERR_AUTH_REQUIRED: { status: 401, summary: 'The request has no API token, or the token is unknown or revoked.' },
  LANYARD_ERR_AUTH_FORBIDDEN: { status: 403, summary: "The API token's role does not allow this route." },
  LANYARD_ERR_AUTH_RATE_LIMITED: {
    status: 429,
    summary: 'Too many failed logins (missing or wrong token) from this address; wait and retry.',
  },
  LANYARD_ERR_RATE_LIMITED: { status: 429, summary: 'Too many requests from this address; wait and retry.' },
  LANYARD_ERR_REQUEST_INVALID: {
    status: 400,
    summary: 'The request cannot be read: malformed JSON, wrong content type, empty or oversized body.',
  },
  LANYARD_ERR_REQUEST_TOO_LARGE: { status: 413, summary: 'The request body is larger than the configured limit (api.bodyLimit, api.importBodyLimit).' },
  LANYARD_ERR_MEDIA_TYPE: { status: 415, summary: 'The request body has a content type this route does not accept.' },
  LANYARD_ERR_ROUTE_NOT_FOUND: { status: 404, summary: 'No API route has this method and path.' },
  LANYARD_ERR_TOKEN_EXISTS: { status: 409, summary: 'An active API token with this name exists (revoke it first).' },
  LANYARD_ERR_TOKEN_NOT_FOUND: { status: 404, summary: 'No active API token has this name.' },
  LANYARD_ERR_PERSON_NOT_FOUND: { status: 404, summary: 'No person with this id is registered.' },
  LANYARD_ERR_SESSION_NOT_FOUND: { status: 404, summary: 'No accounting session has this id.' },
  LANYARD_ERR_PERSON_EXISTS: { status: 409, summary: 'A person with this email address is already registered.' },
  LANYARD_ERR_INTERNAL: { status: 500, summary: 'An unexpected server error (a bug: please report it with the log line).' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class LanyardError extends Error {
  readonly code: ErrorCode;
  /** HTTP-style status: 4xx for what a caller sent, 5xx for the server's own state. */
  readonly status: number;
  /** Where the fault is: a config key path, a CSV line, an API field. */
  readonly where: string | undefined;

  constructor(code: ErrorCode, message: string, options: { where?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LanyardError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.where = options.where;
  }
}

/** SQLite's "database is locked" (SQLITE_BUSY and its extended codes). */
export function isStoreBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

export function isLanyardError(e: unknown, code?: ErrorCode): e is LanyardError {
  return e instanceof LanyardError && (code === undefined || e.code === code);
}
