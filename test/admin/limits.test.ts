/**
 * Failed logins are limited per client address (api.failedLogins), and so is the request
 * rate (api.rateLimit): real HTTP against the real daemon, each with its own small limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from './helpers.js';

describe('failed logins', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApi({ failedLogins: { max: 3, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('after max failures the address is refused, even with a good token, until the window ends; /health still answers', async () => {
    expect((await h.call('GET', '/api/v1/devices', { as: 'read-only' })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/devices', { as: null })).status).toBe(401);
    expect((await h.call('GET', '/api/v1/devices', { as: { raw: 'lny_guess' } })).status).toBe(401);
    expect((await h.call('GET', '/api/v1/devices', { as: { raw: `lny_${'x'.repeat(43)}` } })).status).toBe(401);
    const limited = await h.call('GET', '/api/v1/devices', { as: { raw: 'lny_guess-again' } });
    expect(limited.status).toBe(429);
    expect(limited.json.error).toBe('LANYARD_ERR_AUTH_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // A correct token does not help: a guesser must not learn that it guessed right.
    expect((await h.call('GET', '/api/v1/devices', { as: 'ict-admin' })).status).toBe(429);
    expect((await h.call('GET', '/health', { as: null })).status).toBe(200);
  });

  it('a wrong role (403) is not a failed login', async () => {
    const fresh = await startApi({ failedLogins: { max: 2, windowMs: 60_000 } });
    try {
      for (let i = 0; i < 5; i++) expect((await fresh.call('POST', '/api/v1/devices', { as: 'read-only', body: {} })).status).toBe(403);
      expect((await fresh.call('GET', '/api/v1/devices', { as: 'read-only' })).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});

describe('request rate', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApi({ rateLimit: { max: 5, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('beyond api.rateLimit.max requests in the window: 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await h.call('GET', '/api/v1/devices', { as: 'read-only' })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const res = await h.call('GET', '/api/v1/devices', { as: 'read-only' });
    expect(res.json.error).toBe('LANYARD_ERR_RATE_LIMITED');
    expect(res.headers.get('retry-after')).not.toBeNull();
  });
});
