/**
 * The `feeds` config key: defaults, secrets in the same forms as radius.clients (no generated
 * ones: the receiver has its own), and bad values named by file, key and reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summariseConfig } from '../../src/cli/check-config.js';
import { loadConfigText } from '../../src/config/load.js';
import { isLanyardError, type LanyardError } from '../../src/errors.js';

const BASE = fs.readFileSync(path.resolve('test/fixtures/config/valid-minimal.yaml'), 'utf8');
const FILE = path.resolve('test/fixtures/config/feeds.yaml'); // named in messages only, never read
const env = { TEST_AP_SECRET: 'ap-secret-for-the-tests', LANYARD_SMOOTHWALL_SECRET: 'smoothwall-secret-0123' };

const load = (feeds: string) => loadConfigText(`${BASE}feeds:\n${feeds}`, FILE, { env });

function failure(feeds: string): LanyardError {
  try {
    load(feeds);
  } catch (e) {
    if (isLanyardError(e)) return e;
    throw e;
  }
  throw new Error('expected the config to be refused');
}

describe('feeds config', () => {
  it('no feeds key: none', () => {
    expect(loadConfigText(BASE, FILE, { env }).feeds).toEqual([]);
  });

  it('a Smoothwall entry with only address and secret gets the documented defaults', () => {
    const [f, ...rest] = load('  smoothwall:\n    address: 10.10.0.5\n    secret: { env: LANYARD_SMOOTHWALL_SECRET }\n').feeds;
    expect(rest).toEqual([]);
    expect({ ...f, secret: f!.secret.toString() }).toEqual({
      name: 'smoothwall',
      address: '10.10.0.5',
      port: 1813,
      secret: 'smoothwall-secret-0123',
      secretSource: 'env:LANYARD_SMOOTHWALL_SECRET',
      group: 'filterId',
      groupAttribute: 'Filter-Id',
      userName: 'owner',
      timeoutMs: 2000,
      retries: 3,
      queueLimit: 10000,
      holdMs: 900000,
      expectResponse: true,
      nasIdentifier: 'lanyard',
      nasIpAddress: null,
    });
  });

  it('check-config lists each feed in words, naming where the secret comes from but not the secret', () => {
    const summary = summariseConfig(load('  smoothwall:\n    address: 10.10.0.5\n    secret: { env: LANYARD_SMOOTHWALL_SECRET }\n'));
    expect(summary).toContain(
      'Web-filter feeds (1):\n  smoothwall: 10.10.0.5:1813, Filter-Id = filterId, User-Name = owner, 3 retries from 2000 ms, secret from env:LANYARD_SMOOTHWALL_SECRET\n',
    );
    expect(summary).not.toContain('smoothwall-secret-0123');
  });

  it('a FortiGate RSSO entry with every key set', () => {
    const c = load(
      [
        '  fortigate:',
        '    address: "2001:db8::5"',
        '    port: 1646',
        '    secret: { value: fortigate-rsso-secret-1 }',
        '    group: className',
        '    groupAttribute: Class',
        '    userName: mac',
        '    timeoutMs: 500',
        '    retries: 0',
        '    queueLimit: 50',
        '    holdMs: 0',
        '    expectResponse: false',
        '    nasIdentifier: lanyard-school-a',
        '    nasIpAddress: 192.0.2.1',
        '',
      ].join('\n'),
    );
    expect(c.feeds[0]).toMatchObject({
      name: 'fortigate',
      address: '2001:db8::5',
      port: 1646,
      secretSource: 'inline',
      group: 'className',
      groupAttribute: 'Class',
      userName: 'mac',
      timeoutMs: 500,
      retries: 0,
      queueLimit: 50,
      holdMs: 0,
      expectResponse: false,
      nasIdentifier: 'lanyard-school-a',
      nasIpAddress: '192.0.2.1',
    });
    // Inline secrets are allowed, with the same warning as for a NAS, naming the feed.
    expect(c.warnings.some((w) => w.startsWith("feed 'fortigate' (2001:db8::5): shared secret is written inline"))).toBe(true);
    expect(c.warnings.join('\n')).not.toContain('fortigate-rsso-secret-1');
  });

  it.each([
    ['an unknown group attribute', '    groupAttribute: Filter-ID\n', "feeds.f.groupAttribute (line 20): must be one of Filter-Id, Class (got 'Filter-ID') — did you mean 'Filter-Id'?"],
    ['an unknown group source', '    group: profile\n', 'feeds.f.group (line 20): must be one of filterId, className, owner'],
    ['a network instead of an address', '', "feeds.f.address (line 18): '10.10.0.0/24' is a network; give the single address of the receiver", '10.10.0.0/24'],
    ['an IPv6 NAS-IP-Address', '    nasIpAddress: "::1"\n', "feeds.f.nasIpAddress (line 20): '::1' is not an IPv4 address (NAS-IP-Address carries IPv4 only, RFC 2865 §5.4)"],
    ['a port of 0', '    port: 0\n', 'feeds.f.port (line 20): must be a whole number from 1 to 65535 (got 0)'],
    ['a generated secret', '', 'feeds.f.secret.generate (line 19): cannot be used here: the secret must be the one the receiver is configured with', '10.10.0.5', '{ env: X_SECRET, generate: f.secret }'],
    ['a mistyped key', '    retires: 3\n', "feeds.f.retires (line 20): unknown key 'retires' — did you mean 'retries'?"],
  ])('refuses %s, naming the file, the key and the reason', (_what, extra, message, address = '10.10.0.5', secret = '{ env: LANYARD_SMOOTHWALL_SECRET }') => {
    const e = failure(`  f:\n    address: ${address}\n    secret: ${secret}\n${extra}`);
    expect(e.code).toBe('LANYARD_ERR_CONFIG_INVALID');
    expect(e.message).toContain(FILE);
    expect(e.message).toContain(message);
  });

  it('a secret from an unset variable is LANYARD_ERR_SECRET_UNAVAILABLE at the feed key', () => {
    const e = failure('  f:\n    address: 10.10.0.5\n    secret: { env: NOT_SET_ANYWHERE }\n');
    expect(e.code).toBe('LANYARD_ERR_SECRET_UNAVAILABLE');
    expect(e.message).toContain('feeds.f.secret.env (line 19): environment variable NOT_SET_ANYWHERE is not set');
  });
});
