/**
 * Who may call what (docs/api.md "Authentication and roles").
 *
 * Every route declares `config.roles`: the token roles allowed, or 'public' (no token).
 * server.ts refuses to register a route without one, so a forgotten declaration fails at
 * start-up, not in production; test/admin/routes.test.ts enumerates all routes as well.
 *
 *  - 401 LANYARD_ERR_AUTH_REQUIRED: no `Authorization: Bearer lny_…` header, or a token that
 *    is unknown or revoked. Counts as a failed login for the client address.
 *  - 403 LANYARD_ERR_AUTH_FORBIDDEN: a valid token whose role the route does not allow.
 *  - 429 LANYARD_ERR_AUTH_RATE_LIMITED: the address has had `failedLogins.max` failed logins in
 *    the current window; every request from it that needs a token is refused until the window
 *    ends (a correct token too: otherwise a guesser would learn when it guessed right).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LanyardError } from '../errors.js';
import type { Role, TokenRecord, TokenRepository } from '../store/tokens.js';

export type { Role };

/** Roles allowed on a route, or 'public'. */
export type RouteRoles = readonly Role[] | 'public';

/** The caller of a request, once its token is verified. */
export interface Principal {
  readonly tokenId: number;
  readonly name: string;
  readonly role: Role;
  /** As recorded in histories and the audit log: `api:<token name>`. */
  readonly actor: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (required on every route; see admin/auth.ts). */
    roles?: RouteRoles;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The role sets routes use; the table in docs/api.md mirrors these. */
export const ACCESS = {
  /** Devices and people: read. SLT can look up whose a device is; read-only is for dashboards. */
  registryRead: ['ict-admin', 'slt', 'read-only'],
  /** Devices, people and imports: write. */
  registryWrite: ['ict-admin'],
  /** Audit queries, sessions and exports (safeguarding: SLT only). */
  audit: ['slt'],
  /** Prometheus metrics: any token (give Prometheus a read-only one). */
  metrics: ['ict-admin', 'slt', 'read-only'],
  public: 'public',
} as const satisfies Record<string, RouteRoles>;

/**
 * Failed logins per client address in fixed windows. Bounded in memory: beyond `maxTracked`
 * addresses, expired entries are dropped, then the oldest.
 */
export class FailedLoginLimiter {
  readonly #entries = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxTracked = 10_000,
  ) {}

  /** Seconds until this address may try again, or 0 when it may now. */
  blockedFor(ip: string): number {
    const e = this.#entries.get(ip);
    if (e === undefined) return 0;
    const t = this.now();
    if (t >= e.resetAt) {
      this.#entries.delete(ip);
      return 0;
    }
    return e.count >= this.max ? Math.max(1, Math.ceil((e.resetAt - t) / 1000)) : 0;
  }

  fail(ip: string): void {
    const t = this.now();
    const e = this.#entries.get(ip);
    if (e === undefined || t >= e.resetAt) {
      if (e !== undefined) this.#entries.delete(ip);
      this.#prune(t);
      this.#entries.set(ip, { count: 1, resetAt: t + this.windowMs });
    } else {
      e.count++;
    }
  }

  get tracked(): number {
    return this.#entries.size;
  }

  #prune(t: number): void {
    if (this.#entries.size < this.maxTracked) return;
    for (const [ip, e] of this.#entries) if (t >= e.resetAt) this.#entries.delete(ip);
    while (this.#entries.size >= this.maxTracked) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export interface AuthOptions {
  readonly tokens: TokenRepository;
  readonly limiter: FailedLoginLimiter;
  readonly now: () => number;
  /** Called once per failed login (metrics). */
  readonly onFailure?: (reason: 'missing' | 'invalid' | 'rate-limited') => void;
}

/** The onRequest hook: authenticates, then authorises against the route's declared roles. */
export function authHook(opts: AuthOptions) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.principal = null;
    const roles = request.routeOptions.config.roles;
    // No roles: only the 404 handler (server.ts gives every registered route its roles).
    if (roles === undefined || roles === 'public') return;

    const wait = opts.limiter.blockedFor(request.ip);
    if (wait > 0) {
      opts.onFailure?.('rate-limited');
      void reply.header('retry-after', String(wait));
      throw new LanyardError('LANYARD_ERR_AUTH_RATE_LIMITED', `too many failed logins from ${request.ip}; retry in ${wait} s`);
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    let token: TokenRecord | undefined;
    if (match !== null) token = opts.tokens.verify(match[1]!);
    if (token === undefined) {
      opts.limiter.fail(request.ip);
      opts.onFailure?.(match === null ? 'missing' : 'invalid');
      void reply.header('www-authenticate', 'Bearer realm="lanyard"');
      throw new LanyardError(
        'LANYARD_ERR_AUTH_REQUIRED',
        match === null ? 'this route needs an API token: Authorization: Bearer lny_…' : 'the API token is not valid (unknown or revoked)',
        { where: 'authorization' },
      );
    }
    request.principal = { tokenId: token.id, name: token.name, role: token.role, actor: `api:${token.name}` };
    try {
      opts.tokens.touch(token.id, opts.now(), request.ip);
    } catch (err) {
      // "Last used" is a convenience: a busy database must not fail the request.
      request.log.warn({ err }, 'could not record the token use');
    }
    if (!roles.includes(token.role)) {
      throw new LanyardError(
        'LANYARD_ERR_AUTH_FORBIDDEN',
        `token "${token.name}" has role ${token.role}; this route needs ${roles.join(' or ')}`,
        { where: 'authorization' },
      );
    }
  };
}

/** The verified caller; routes with token roles always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) {
    throw new LanyardError('LANYARD_ERR_INTERNAL', 'route reached without an authenticated caller');
  }
  return request.principal;
}
