/**
 * The admin HTTP API (docs/api.md). buildAdminServer() builds a fastify instance with every
 * route, schema, hook and the OpenAPI document; it never listens (app.ts does, or a test
 * injects). Routes live in routes/*.ts and each declares its roles (auth.ts).
 *
 * Request validation uses two ajv instances: query strings and path parameters are coerced
 * from text ("limit=10" → 10), JSON bodies are not ({"class": 5} is a 400, not "5"). Unknown
 * fields are rejected, not silently removed. Every error a client can cause is a 4xx with
 * { error: LANYARD_ERR_*, message, field }.
 */
import type Database from 'better-sqlite3';
import { Ajv, type ErrorObject } from 'ajv';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchemaCompiler,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyRateLimit from '@fastify/rate-limit';
import { LanyardError, isLanyardError, isStoreBusy, type ErrorCode } from '../errors.js';
import type { ApiConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { RadiusRuntime } from '../radius/exchange.js';
import type { DeviceRepository } from '../store/types.js';
import type { TokenRepository } from '../store/tokens.js';
import type { SqlitePeopleRepository } from '../store/people.js';
import type { SqliteSessionRepository } from '../store/sessions.js';
import { FailedLoginLimiter, authHook } from './auth.js';
import { CompileOnUse } from './compile-on-use.js';
import { createAdminMetrics, type AdminMetrics } from './metrics.js';
import type { FeedStats } from '../feed/forwarder.js';
import type { DhcpCounters } from '../dhcp/listener.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { deviceRoutes } from './routes/devices.js';
import { peopleRoutes } from './routes/people.js';
import { systemRoutes } from './routes/system.js';
import { auditRoutes } from './routes/audit.js';

export const API_PREFIX = '/api/v1';
export const API_VERSION = '1.0.0';

export interface AdminServerDeps {
  readonly api: ApiConfig;
  /** Configured class names (read per request: SIGHUP may change them). */
  readonly classes: () => ReadonlySet<string>;
  readonly db: Database.Database;
  readonly devices: DeviceRepository;
  readonly tokens: TokenRepository;
  readonly people: SqlitePeopleRepository;
  /** Accounting sessions (GET /api/v1/sessions); without it those routes are not registered. */
  readonly sessions?: SqliteSessionRepository;
  /** The RADIUS runtime for /metrics and /health, or null (API without a daemon). */
  readonly runtime: () => RadiusRuntime | null;
  /** The web-filter feed's counters per receiver for /metrics (none when absent). */
  readonly feeds?: () => readonly FeedStats[];
  readonly radiusPorts: () => { authPort: number; acctPort: number };
  /** The DHCP service's counters for /metrics, or null when DHCP is off. */
  readonly dhcpCounters?: () => DhcpCounters | null;
  /** Pulls store changes into the decision cache at once (after every device write). */
  readonly syncCache: () => void;
  /** The same in chunks that let RADIUS packets through between them (after an import). */
  readonly syncCacheInChunks?: () => Promise<void>;
  readonly log: Logger;
  readonly now?: () => number;
  /** Sees every route as it is registered (tests enumerate them). */
  readonly onRoute?: (route: RouteOptions) => void;
  /** Where route schemas wait to be compiled on first use (tests pass one to compile them all). */
  readonly compilers?: CompileOnUse;
}

/** What route modules receive. */
export interface RouteContext extends AdminServerDeps {
  readonly now: () => number;
  readonly metrics: AdminMetrics;
  /** After a device write: make the RADIUS cache see it now. */
  afterDeviceWrite(): void;
  /** After a bulk write (an import): the same, in chunks. */
  afterBulkDeviceWrite(): Promise<void>;
}

export type AdminServer = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

// verbose: errors carry their schema, so a failed union can list the values it allows.
// validateSchema: false: the schemas are code, checked against the meta-schema once by a test
// (test/admin/schemas.test.ts) rather than at every start (that check compiles the meta-schema
// in each ajv instance).
export const BASE_AJV = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false, addUsedSchema: false, verbose: true, validateSchema: false } as const;

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type SerializerFactory = NonNullable<CompilersFactory['buildSerializer']>;

/**
 * fastify's own response serializer factory (fast-json-stringify), taken from where fastify
 * itself loads it, so the serializers compiled on first use are the ones fastify would have
 * compiled at start-up.
 */
function fastifySerializerFactory(): SerializerFactory {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const selector = fromFastify('@fastify/fast-json-stringify-compiler') as { SerializerSelector: () => SerializerFactory };
  return selector.SerializerSelector();
}

function describeAjvError(e: ErrorObject): { path: string; message: string } {
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: [...segments, String(params.missingProperty)].join('.'), message: 'is required' };
    case 'additionalProperties':
      return { path: [...segments, String(params.additionalProperty)].join('.'), message: 'is not a known field' };
    case 'enum':
      return { path: segments.join('.'), message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'minProperties':
      return { path: segments.join('.'), message: 'must name at least one field to change' };
    default:
      return { path: segments.join('.'), message: e.message ?? 'is not valid' };
  }
}

/** Unions fail as anyOf: name the allowed values or types instead of "must match a schema in anyOf". */
function describeUnion(branches: unknown): string | null {
  if (!Array.isArray(branches)) return null;
  const consts = branches.map((s) => (s as { const?: unknown }).const);
  if (consts.every((v) => typeof v === 'string')) return `must be one of ${(consts as string[]).join(', ')}`;
  const types = branches.map((s) => (s as { type?: unknown }).type);
  if (types.every((t) => typeof t === 'string')) return `must be ${(types as string[]).join(' or ')}`;
  return null;
}

interface ErrorBody {
  error: ErrorCode;
  message: string;
  field?: string;
  report?: unknown;
}

function errorBody(code: ErrorCode, message: string, field?: string): ErrorBody {
  return field === undefined ? { error: code, message } : { error: code, message, field };
}

/** Maps any error to a status and body; never lets a client-caused error become a 500. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (isLanyardError(err)) {
    const body = errorBody(err.code, err.message, err.where);
    const report = (err as LanyardError & { report?: unknown }).report;
    if (report !== undefined) body.report = report;
    return { status: err.status, body };
  }
  if (isStoreBusy(err)) {
    return { status: 503, body: errorBody('LANYARD_ERR_STORE_BUSY', 'the database is busy with another write (an import?); retry in a second') };
  }
  const fe = err as FastifyError & { validationContext?: string };
  const validation = (err as { validation?: unknown }).validation as ErrorObject[] | undefined;
  if (Array.isArray(validation) && validation.length > 0) {
    // A union (`string | null`) reports each branch, then anyOf. A branch that failed on more
    // than its type (too long, bad pattern) says what is wrong; otherwise name the union.
    const union = validation.find((e) => e.keyword === 'anyOf');
    const specific = validation.find((e) => !['type', 'const', 'anyOf', 'enum'].includes(e.keyword));
    const first = specific ?? union ?? validation[0]!;
    const { path, message } = describeAjvError(first);
    const part = fe.validationContext ?? 'request';
    const text = (first.keyword === 'anyOf' ? describeUnion(first.schema) : null) ?? message;
    const field = path === '' ? part : path;
    const where = part === 'querystring' ? 'query' : part;
    return { status: 400, body: errorBody('LANYARD_ERR_FIELD_INVALID', `${where}${field === part ? '' : ` "${field}"`} ${text}`, field) };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 413) return { status, body: errorBody('LANYARD_ERR_REQUEST_TOO_LARGE', fe.message) };
  if (status === 415) return { status, body: errorBody('LANYARD_ERR_MEDIA_TYPE', `${fe.message}; send application/json (or text/csv to /devices/import)`) };
  if (status === 429) return { status, body: errorBody('LANYARD_ERR_RATE_LIMITED', fe.message) };
  if (status >= 400 && status < 500) return { status, body: errorBody('LANYARD_ERR_REQUEST_INVALID', fe.message) };
  return { status: 500, body: errorBody('LANYARD_ERR_INTERNAL', 'internal error; the server log has the details') };
}

export async function buildAdminServer(deps: AdminServerDeps): Promise<AdminServer> {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ component: 'api' });
  const metrics = createAdminMetrics(deps.runtime, { feeds: deps.feeds, dhcp: deps.dhcpCounters, radiusPorts: deps.radiusPorts });

  const queryAjv = new Ajv({ ...BASE_AJV, coerceTypes: 'array' });
  const bodyAjv = new Ajv({ ...BASE_AJV, coerceTypes: false });
  for (const s of SHARED_SCHEMAS) {
    queryAjv.addSchema(s);
    bodyAjv.addSchema(s);
  }

  // Route schemas are compiled on first use (src/admin/compile-on-use.ts), not while fastify gets ready.
  const compilers = deps.compilers ?? new CompileOnUse();
  const serializers = fastifySerializerFactory();
  const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
    compilers.validator(() => (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema as object));
  const app = Fastify({
    schemaController: {
      compilersFactory: {
        // Given here rather than with setValidatorCompiler, so fastify does not load its default one.
        // (fastify's types name the factory after its own ajv compiler; any FastifySchemaCompiler serves.)
        buildValidator: (() => validatorCompiler) as unknown as CompilersFactory['buildValidator'],
        buildSerializer: (externalSchemas, options) => {
          const compile = serializers(externalSchemas, options);
          return (route) => compilers.serializer(() => compile(route));
        },
      },
    },
    loggerInstance: log as FastifyBaseLogger,
    // One line per request from the onResponse hook below, instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.api.bodyLimit,
    // Path parameters are MACs and ids: anything longer is rejected before routing.
    routerOptions: { maxParamLength: 128 },
    forceCloseConnections: true,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  for (const s of SHARED_SCHEMAS) app.addSchema(s);

  // Fail closed: a route without declared roles is a start-up error (docs excepted: public).
  app.addHook('onRoute', (route) => {
    if (route.config?.roles === undefined) {
      if (route.url === '/docs' || route.url.startsWith('/docs/')) {
        route.config = { ...route.config, roles: 'public' };
      } else {
        throw new Error(`admin API route ${String(route.method)} ${route.url} declares no roles (config.roles)`);
      }
    }
    if (route.config.roles === 'public' && route.schema !== undefined) {
      route.schema = { ...route.schema, security: [] };
    }
    deps.onRoute?.(route);
  });

  app.decorateRequest('principal', null);
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const limiter = new FailedLoginLimiter(deps.api.failedLogins.max, deps.api.failedLogins.windowMs, now);
  app.addHook('onRequest', authHook({ tokens: deps.tokens, limiter, now, onFailure: (r) => metrics.observeAuthFailure(r) }));

  await app.register(fastifyRateLimit, {
    global: true,
    max: deps.api.rateLimit.max,
    timeWindow: deps.api.rateLimit.windowMs,
    errorResponseBuilder: (_req, ctx) =>
      new LanyardError(
        'LANYARD_ERR_RATE_LIMITED',
        `more than ${ctx.max} requests from this address in ${Math.round(deps.api.rateLimit.windowMs / 1000)} s (api.rateLimit); retry in ${ctx.after}`,
      ),
  });

  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorResponse(err);
    if (status === 503) void reply.header('retry-after', '1');
    if (status >= 500) request.log.error({ err }, 'request failed');
    else if (body.error !== 'LANYARD_ERR_FIELD_INVALID') request.log.debug({ code: body.error, msg: body.message }, 'request refused');
    void reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(errorBody('LANYARD_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''} (see /docs)`));
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unknown route)';
    metrics.observeRequest(request.method, route, reply.statusCode);
    const level = reply.statusCode >= 500 ? 'error' : request.method === 'GET' || request.method === 'HEAD' ? 'debug' : 'info';
    request.log[level](
      { method: request.method, route, status: reply.statusCode, actor: request.principal?.actor, ip: request.ip, ms: Math.round(reply.elapsedTime) },
      'api request',
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Lanyard admin API',
        version: API_VERSION,
        description:
          'Devices, people and imports for the ICT team; audit queries and sessions for SLT. ' +
          'Every route needs `Authorization: Bearer lny_…` (create one with `lanyard tokens create`) except /health. See docs/api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from `lanyard tokens create`' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'devices', description: 'the device registry (ICT team)' },
        { name: 'people', description: 'staff, pupils, visitors, contractors (R-3, R-11)' },
        { name: 'audit', description: 'safeguarding queries (SLT)' },
        { name: 'system', description: 'health and metrics' },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });

  const ctx: RouteContext = {
    ...deps,
    now,
    metrics,
    afterDeviceWrite() {
      try {
        deps.syncCache();
      } catch (err) {
        // The write is committed; the daemon's poll will catch up within store.pollIntervalMs.
        log.error({ err }, 'could not apply a device change to the cache at once');
      }
    },
    async afterBulkDeviceWrite() {
      if (deps.syncCacheInChunks === undefined) return ctx.afterDeviceWrite();
      try {
        await deps.syncCacheInChunks();
      } catch (err) {
        log.error({ err }, 'could not apply imported devices to the cache at once; the poll will');
      }
    },
  };
  await app.register(systemRoutes(ctx));
  await app.register(deviceRoutes(ctx), { prefix: API_PREFIX });
  await app.register(peopleRoutes(ctx), { prefix: API_PREFIX });
  await app.register(auditRoutes(ctx), { prefix: API_PREFIX });
  await app.ready();
  return app;
}
