/** The `api` section of the configuration (docs/configuration.md "api"). */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { isLanyardError } from '../../src/errors.js';
import { CONFIG } from './helpers.js';

const base = fs.readFileSync(CONFIG, 'utf8');
const env = { LANYARD_LOOPBACK_SECRET: 'a-secret-of-sixteen-chars' };
const load = (extra: string, overrides = {}) => loadConfigText(`${base}\n${extra}`, CONFIG, { env, overrides });

describe('api configuration', () => {
  it('has safe defaults: on, loopback, port 8080, limits', () => {
    expect(load('').api).toEqual({
      enabled: true,
      bind: '127.0.0.1',
      port: 8080,
      bodyLimit: 1024 * 1024,
      importBodyLimit: 32 * 1024 * 1024,
      rateLimit: { max: 600, windowMs: 60_000 },
      failedLogins: { max: 10, windowMs: 900_000 },
    });
  });

  it('reads every key; --api-port overrides the port', () => {
    const c = load('api:\n  enabled: false\n  bind: 0.0.0.0\n  port: 9443\n  failedLogins: { max: 3 }\n  rateLimit: { windowMs: 10000 }\n', { apiPort: 0 });
    expect(c.api).toMatchObject({ enabled: false, bind: '0.0.0.0', port: 0, failedLogins: { max: 3, windowMs: 900_000 }, rateLimit: { max: 600, windowMs: 10_000 } });
  });

  it.each([
    ['api:\n  bind: localhost\n', /api\.bind.*not an IP address/],
    ['api:\n  port: 70000\n', /api\.port/],
    ['api:\n  prot: 8080\n', /unknown key 'prot' — did you mean 'port'\?/],
    ['api:\n  failedLogins: { max: 0 }\n', /api\.failedLogins\.max/],
  ])('refuses %j', (extra, message) => {
    try {
      load(extra);
      expect.unreachable();
    } catch (e) {
      expect(isLanyardError(e, 'LANYARD_ERR_CONFIG_INVALID')).toBe(true);
      expect((e as Error).message).toMatch(message);
    }
  });
});
