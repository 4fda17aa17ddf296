/**
 * Every route × every role, through real HTTP: allowed roles get their 2xx, the others 403,
 * no token or a wrong one 401. The route list comes from fastify itself (onRoute), so a new
 * route that is missing from TABLE, or that declares no roles, fails this file.
 */
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { CompileOnUse } from '../../src/admin/compile-on-use.js';
import { SHARED_SCHEMAS } from '../../src/admin/schemas.js';
import { BASE_AJV, buildAdminServer, type AdminServer } from '../../src/admin/server.js';
import { createLogger } from '../../src/log.js';
import { SqlitePeopleRepository } from '../../src/store/people.js';
import { ROLES, SqliteTokenRepository, type Role } from '../../src/store/tokens.js';
import { startApi, type ApiHarness } from './helpers.js';

const READ: readonly Role[] = ['ict-admin', 'slt', 'read-only'];
const WRITE: readonly Role[] = ['ict-admin'];
const ANY: readonly Role[] = ['ict-admin', 'slt', 'read-only'];
const SLT: readonly Role[] = ['slt'];

let h: ApiHarness;
let macSeq = 0x100;
/** A fresh MAC in the given format style. */
function freshMac(): string {
  macSeq++;
  const hex = (0x020000000000 + macSeq).toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}
const SEED_MAC = '02:00:00:00:00:01';
let seedPerson = 0;
let seedSession = 0;

/** A device registered directly in the store, in the given status. */
function device(status: 'active' | 'blocked' = 'active'): string {
  const mac = freshMac();
  h.daemon.devices.add({ mac, className: 'school-staff-laptop', owner: null }, 'test', Date.now());
  if (status === 'blocked') h.daemon.devices.setStatus(mac, 'blocked', 'test', 'test', Date.now());
  return mac;
}

interface Case {
  readonly method: string;
  /** The route pattern as registered. */
  readonly url: string;
  readonly roles: readonly Role[] | 'public';
  /** Builds the request an allowed caller makes (fresh objects where the route changes them). */
  readonly request: () => { path: string; body?: unknown; contentType?: string };
  readonly ok: number;
}

const TABLE: readonly Case[] = [
  { method: 'GET', url: '/health', roles: 'public', request: () => ({ path: '/health' }), ok: 200 },
  { method: 'GET', url: '/metrics', roles: ANY, request: () => ({ path: '/metrics' }), ok: 200 },
  { method: 'GET', url: '/api/v1/devices', roles: READ, request: () => ({ path: '/api/v1/devices?search=02:00&limit=5' }), ok: 200 },
  {
    method: 'POST',
    url: '/api/v1/devices',
    roles: WRITE,
    request: () => ({ path: '/api/v1/devices', body: { mac: freshMac(), class: 'school-tablet' } }),
    ok: 201,
  },
  { method: 'GET', url: '/api/v1/devices/:mac', roles: READ, request: () => ({ path: `/api/v1/devices/${SEED_MAC}` }), ok: 200 },
  {
    method: 'PATCH',
    url: '/api/v1/devices/:mac',
    roles: WRITE,
    request: () => ({ path: `/api/v1/devices/${SEED_MAC}`, body: { label: `L-${macSeq}` } }),
    ok: 200,
  },
  { method: 'DELETE', url: '/api/v1/devices/:mac', roles: WRITE, request: () => ({ path: `/api/v1/devices/${device()}?reason=gone` }), ok: 200 },
  { method: 'POST', url: '/api/v1/devices/:mac/block', roles: WRITE, request: () => ({ path: `/api/v1/devices/${device()}/block`, body: { reason: 'misuse' } }), ok: 200 },
  { method: 'POST', url: '/api/v1/devices/:mac/lost', roles: WRITE, request: () => ({ path: `/api/v1/devices/${device()}/lost`, body: { reason: 'stolen' } }), ok: 200 },
  { method: 'POST', url: '/api/v1/devices/:mac/unblock', roles: WRITE, request: () => ({ path: `/api/v1/devices/${device('blocked')}/unblock`, body: {} }), ok: 200 },
  { method: 'GET', url: '/api/v1/devices/:mac/history', roles: READ, request: () => ({ path: `/api/v1/devices/${SEED_MAC}/history` }), ok: 200 },
  {
    method: 'POST',
    url: '/api/v1/devices/import',
    roles: WRITE,
    request: () => ({ path: '/api/v1/devices/import', body: `mac,class\n${freshMac()},school-tablet\n`, contentType: 'text/csv' }),
    ok: 200,
  },
  { method: 'GET', url: '/api/v1/people', roles: READ, request: () => ({ path: '/api/v1/people?search=seed' }), ok: 200 },
  { method: 'POST', url: '/api/v1/people', roles: WRITE, request: () => ({ path: '/api/v1/people', body: { kind: 'visitor', name: `V ${macSeq++}` } }), ok: 201 },
  { method: 'GET', url: '/api/v1/people/:id', roles: READ, request: () => ({ path: `/api/v1/people/${seedPerson}` }), ok: 200 },
  {
    method: 'PATCH',
    url: '/api/v1/people/:id',
    roles: WRITE,
    request: () => ({ path: `/api/v1/people/${seedPerson}`, body: { aupReturnedAt: `2025-09-${String((macSeq++ % 28) + 1).padStart(2, '0')}` } }),
    ok: 200,
  },
  { method: 'GET', url: '/api/v1/audit/who', roles: SLT, request: () => ({ path: '/api/v1/audit/who?ip=10.20.0.5&at=2025-03-04T09:15:00Z' }), ok: 200 },
  { method: 'GET', url: '/api/v1/audit/events', roles: SLT, request: () => ({ path: `/api/v1/audit/events?from=2025-01-01&to=2030-12-31&mac=${SEED_MAC}` }), ok: 200 },
  { method: 'GET', url: '/api/v1/audit/network', roles: SLT, request: () => ({ path: '/api/v1/audit/network?from=2025-01-01&to=2025-01-02&network=DCPS' }), ok: 200 },
  { method: 'GET', url: '/api/v1/audit/rejections', roles: SLT, request: () => ({ path: '/api/v1/audit/rejections?from=2025-01-01&to=2030-01-01&reason=unknown-device,device-lost' }), ok: 200 },
  { method: 'GET', url: '/api/v1/audit/export', roles: SLT, request: () => ({ path: '/api/v1/audit/export?from=2025-01-01&to=2030-01-01&format=csv' }), ok: 200 },
  { method: 'GET', url: '/api/v1/sessions', roles: SLT, request: () => ({ path: '/api/v1/sessions?open=true' }), ok: 200 },
  { method: 'GET', url: '/api/v1/sessions/:id', roles: SLT, request: () => ({ path: `/api/v1/sessions/${seedSession}` }), ok: 200 },
];

/** Routes fastify registered, collected by a second server built on the same store. */
const registered: RouteOptions[] = [];
let probe: AdminServer;
const compilers = new CompileOnUse();
let pendingAtBuild = 0;

beforeAll(async () => {
  h = await startApi();
  h.daemon.devices.add({ mac: SEED_MAC, className: 'school-staff-laptop', owner: 'seed@school.example' }, 'test', Date.now());
  const people = new SqlitePeopleRepository(h.daemon.db, h.daemon.devices);
  seedSession = Number(
    h.daemon.db
      .prepare(`INSERT INTO sessions (nas, nas_address, session_id, mac, framed_ip, started_at, updated_at) VALUES ('loopback', '127.0.0.1', 's-1', ?, '10.20.0.5', ?, ?)`)
      .run('02-00-00-00-00-01', Date.now(), Date.now()).lastInsertRowid,
  );
  seedPerson = people.add({ kind: 'staff', name: 'Seed Person', email: 'seed@school.example' }, 'test', Date.now()).id;
  probe = await buildAdminServer({
    api: h.config.api,
    classes: () => new Set(h.config.policy.classes.keys()),
    db: h.daemon.db,
    devices: h.daemon.devices,
    tokens: new SqliteTokenRepository(h.daemon.db),
    people,
    sessions: h.daemon.sessions,
    runtime: () => h.daemon.runtime,
    radiusPorts: () => ({ authPort: h.daemon.authPort, acctPort: h.daemon.acctPort }),
    syncCache: () => void h.daemon.syncCache(),
    log: createLogger('silent'),
    onRoute: (r) => registered.push(r),
    compilers,
  });
  pendingAtBuild = compilers.pending;
});

afterAll(async () => {
  await probe?.close();
  await h?.close();
});

describe('route declarations', () => {
  it('every route declares its roles, and every /api route is in the test table with the same roles', () => {
    const routes = registered.filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(10);
    for (const r of registered) {
      expect(r.config?.roles, `${String(r.method)} ${r.url}`).toBeDefined();
    }
    const api = routes.filter((r) => r.url.startsWith('/api/') || r.url === '/metrics' || r.url === '/health');
    const key = (m: unknown, u: string) => `${String(m)} ${u}`;
    const inTable = new Map(TABLE.map((c) => [key(c.method, c.url), c]));
    for (const r of api) {
      const c = inTable.get(key(r.method, r.url));
      expect(c, `route ${key(r.method, r.url)} is not in the test table`).toBeDefined();
      const roles = r.config!.roles!;
      expect(roles === 'public' ? 'public' : [...roles].sort()).toEqual(c!.roles === 'public' ? 'public' : [...c!.roles].sort());
      if (roles !== 'public') expect(roles.length).toBeGreaterThan(0);
    }
    expect(api.map((r) => key(r.method, r.url)).sort()).toEqual([...inTable.keys()].sort());
    // Only /health and the documentation are public.
    const pub = routes.filter((r) => r.config?.roles === 'public').map((r) => r.url);
    expect(pub.filter((u) => !u.startsWith('/docs'))).toEqual(['/health']);
  });

  it('compiles no route schema while it starts, and every one compiles on demand', () => {
    const withSchemas = registered.filter((r) => r.schema?.response !== undefined || r.schema?.body !== undefined || r.schema?.querystring !== undefined);
    expect(withSchemas.length).toBeGreaterThan(10);
    expect(pendingAtBuild).toBeGreaterThanOrEqual(withSchemas.length);
    compilers.compileAll();
    expect(compilers.pending).toBe(0);
  });

  it('every route schema and shared schema is a valid JSON Schema (the server does not check them at start)', () => {
    const checking = new Ajv({ ...BASE_AJV, validateSchema: true });
    const parts = (r: RouteOptions): unknown[] => {
      const sc = (r.schema ?? {}) as Record<string, unknown>;
      return [sc.body, sc.querystring, sc.params, sc.headers, ...Object.values((sc.response ?? {}) as Record<string, unknown>)].filter((p) => p !== undefined);
    };
    let checked = 0;
    for (const schema of [...SHARED_SCHEMAS, ...registered.flatMap(parts)]) {
      expect(checking.validateSchema(schema as object), JSON.stringify(checking.errors)).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('builds without listening and answers inject too', async () => {
    const res = await probe.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(probe.server.listening).toBe(false);
  });
});

describe.each(TABLE)('$method $url', (c) => {
  const callers: (Role | 'none' | 'bad')[] = [...ROLES, 'none', 'bad'];
  it.each(callers)('as %s', async (who) => {
    const req = c.request();
    const as = who === 'none' ? null : who === 'bad' ? { raw: `lny_${'A'.repeat(43)}` } : who;
    const res = await h.call(c.method, req.path, {
      as,
      ...(req.body === undefined ? {} : { body: req.body }),
      ...(req.contentType === undefined ? {} : { contentType: req.contentType }),
    });
    let expected: number;
    if (c.roles === 'public') expected = c.ok;
    else if (who === 'none' || who === 'bad') expected = 401;
    else expected = c.roles.includes(who) ? c.ok : 403;
    expect(res.status, `${c.method} ${req.path} as ${who}: ${res.text.slice(0, 300)}`).toBe(expected);
    if (expected === 401) {
      expect(res.json.error).toBe('LANYARD_ERR_AUTH_REQUIRED');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    if (expected === 403) expect(res.json.error).toBe('LANYARD_ERR_AUTH_FORBIDDEN');
  });
});

describe('tokens', () => {
  it('a revoked token gets 401 at once', async () => {
    const repo = new SqliteTokenRepository(h.daemon.db);
    const { token } = repo.create('short-lived', 'read-only', 'test', Date.now());
    expect((await h.call('GET', '/api/v1/devices', { as: { raw: token } })).status).toBe(200);
    repo.revoke('short-lived', 'test', Date.now());
    expect((await h.call('GET', '/api/v1/devices', { as: { raw: token } })).status).toBe(401);
  });

  it('records the last use, never the token', async () => {
    await h.call('GET', '/api/v1/devices', { as: 'read-only' });
    const row = h.daemon.db.prepare(`SELECT * FROM api_tokens WHERE name = 'test-read-only'`).get() as Record<string, unknown>;
    expect(row.last_used_from).toBe('127.0.0.1');
    expect(JSON.stringify(row)).not.toContain(h.tokens['read-only']);
  });

  it('accepts the scheme in any case, refuses other schemes', async () => {
    expect((await h.call('GET', '/api/v1/devices', { as: null, headers: { authorization: `bearer ${h.tokens['slt']}` } })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/devices', { as: null, headers: { authorization: `Basic ${h.tokens['slt']}` } })).status).toBe(401);
  });
});
