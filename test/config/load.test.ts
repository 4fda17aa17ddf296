import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { CONFIG_AJV_OPTIONS, formatKeyPath, loadConfig, loadConfigText } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import type { LanyardConfig } from '../../src/config/types.js';
import { isLanyardError, type ErrorCode, type LanyardError } from '../../src/errors.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const DEFAULT = path.join(ROOT, 'config', 'lanyard.yaml');
const EXAMPLES = path.join(ROOT, 'config', 'examples');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'config');
const env = { LANYARD_LOOPBACK_SECRET: 'loopback-secret-for-tests', TEST_AP_SECRET: 'ap-secret-for-the-tests' };

function catchError(fn: () => unknown): LanyardError {
  try {
    fn();
  } catch (e) {
    if (isLanyardError(e)) return e;
    throw e;
  }
  throw new Error('expected a LanyardError');
}

function plainPolicy(c: LanyardConfig): unknown {
  const obj = (m: ReadonlyMap<string, unknown>) => Object.fromEntries(m);
  const p = c.policy;
  return {
    networks: obj(p.networks),
    ssidToNetwork: obj(p.ssidToNetwork),
    profiles: obj(p.profiles),
    classes: obj(p.classes),
    destinations: obj(p.destinations),
  };
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-config-'));
  tmpDirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('the shipped configurations', () => {
  it('config/lanyard.yaml loads with the documented defaults', () => {
    const c = loadConfig(DEFAULT, { env });
    expect(c.source).toBe(DEFAULT);
    expect(c.dataDir).toBe(path.join(ROOT, 'data'));
    expect(c.store).toEqual({ database: path.join(ROOT, 'data', 'lanyard.db'), pollIntervalMs: 250 });
    expect(c.events).toEqual({ flushIntervalMs: 50, batchSize: 1000, decisionWriter: 'auto' });
    expect(c.log).toEqual({ level: 'info' });
    expect(c.radius).toMatchObject({ bind: '127.0.0.1', authPort: 1812, acctPort: 1813, duplicateWindowMs: 5000 });
    expect(c.radius.clients).toHaveLength(1);
    expect(c.radius.clients[0]).toMatchObject({
      name: 'loopback',
      address: '127.0.0.1',
      vendor: 'generic',
      requireMessageAuthenticator: true,
      defaultNetwork: null,
      coaPort: 3799,
      secretSource: 'env:LANYARD_LOOPBACK_SECRET',
    });
    expect(c.radius.clients[0]?.secret.toString()).toBe(env.LANYARD_LOOPBACK_SECRET);
    expect(c.warnings).toEqual([]);
    expect(c.notices).toEqual([]);
  });

  it('config/lanyard.yaml is the seed-000 matrix: six classes on DCPS (10) and BYOD (20)', () => {
    const p = loadConfig(DEFAULT, { env }).policy;
    const row = (cls: string) => {
      const c = p.classes.get(cls)!;
      return [c.ownership, c.network, p.networks.get(c.network)!.vlan, [...p.profiles.get(c.profile)!.allow].sort().join('+')];
    };
    expect(Object.fromEntries([...p.classes.keys()].map((k) => [k, row(k)]))).toEqual({
      'school-staff-laptop': ['school', 'DCPS', 10, 'internet+printers+servers'],
      'school-shared-laptop': ['school', 'DCPS', 10, 'internet+servers'],
      'school-tablet': ['school', 'DCPS', 10, 'internet'],
      'staff-personal-laptop': ['personal', 'BYOD', 20, 'internet+remote-access'],
      'staff-personal-phone': ['personal', 'BYOD', 20, 'internet'],
      visitor: ['visitor', 'BYOD', 20, 'internet'],
    });
    expect(p.networks.get('DCPS')?.unknownDevices).toEqual({ action: 'reject' });
    expect(p.networks.get('BYOD')?.unknownDevices).toEqual({ action: 'admit', asClass: 'visitor' });
    expect(p.classes.get('visitor')?.sessionTimeout).toBe(8 * 3600);
  });

  const examples = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
  it('there are examples for seeds 000 and 001', () => {
    expect(examples).toEqual(expect.arrayContaining(['dcps-000.yaml', 'template-001.yaml']));
  });
  it.each(examples)('config/examples/%s loads, with and without the secret in the environment', (name) => {
    const file = path.join(EXAMPLES, name);
    expect(loadConfig(file, { env }).policy.networks.size).toBeGreaterThan(0);
    const withoutEnv = loadConfig(file, { env: {} });
    expect(withoutEnv.dataDir).toBe(path.join(ROOT, 'data'));
    for (const c of withoutEnv.radius.clients) {
      if (c.secret.length === 0) expect(c.secretSource).toMatch(/^(pending|generated):/);
    }
  });

  it('config/examples/dcps-000.yaml is the same policy as config/lanyard.yaml', () => {
    expect(plainPolicy(loadConfig(path.join(EXAMPLES, 'dcps-000.yaml'), { env }))).toEqual(plainPolicy(loadConfig(DEFAULT, { env })));
  });

  it('template-001 has no personal network or classes and rejects unknown devices everywhere (R-12)', () => {
    const p = loadConfig(path.join(EXAMPLES, 'template-001.yaml'), { env }).policy;
    expect([...p.classes.values()].map((c) => c.ownership)).toEqual(['school', 'school', 'school']);
    for (const n of p.networks.values()) expect(n.unknownDevices).toEqual({ action: 'reject' });
    expect(new Set([...p.profiles.keys()])).toEqual(new Set(['internet-only', 'network', 'shared-folders']));
  });
});

describe('errors name the file, the key path and the reason', () => {
  const cases: ReadonlyArray<readonly [string, ErrorCode, string, RegExp]> = [
    ['unknown-key.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'networks.SCHOOL.vlna', /unknown key 'vlna' — did you mean 'vlan'\?/],
    ['bad-vlan.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'networks.GUEST.vlan', /must be a whole number from 1 to 4094 \(got 5000\)/],
    ['missing-profile.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'classes.laptop.profile', /profile 'staff' is not defined under profiles/],
    ['bad-cidr.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'destinations.internet.cidrs[1]', /'10\.0\.0\.0\/33' has an invalid prefix length/],
    ['octal-ip.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'radius.clients.ap.address', /'010\.0\.0\.1' is not a plain dotted-decimal IPv4 address/],
    ['duplicate-ssid.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'networks.GUEST.ssids[0]', /SSID 'SCHOOL' is already carried by network 'SCHOOL'/],
    ['duplicate-client.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'radius.clients.ap-dup.address', /same address as NAS 'ap'/],
    ['admit-unknown-to-school.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'networks.SCHOOL.unknownDevices', /must reject unknown devices \(POLICY\.md R-1\)/],
    ['bad-name.yaml', 'LANYARD_ERR_CONFIG_INVALID', 'classes["staff laptop"]', /the name 'staff laptop' must be/],
    ['missing-env-secret.yaml', 'LANYARD_ERR_SECRET_UNAVAILABLE', 'radius.clients.ap.secret.env', /environment variable LANYARD_TEST_UNSET_VARIABLE is not set/],
  ];

  it.each(cases)('%s → %s at %s', (fixture, code, keyPath, reason) => {
    const file = path.join(FIXTURES, fixture);
    const e = catchError(() => loadConfig(file, { env }));
    expect(e.code).toBe(code);
    expect(e.where).toBe(`${file}:${keyPath}`);
    expect(e.message).toContain(file);
    expect(e.message).toContain(keyPath);
    expect(e.message).toMatch(reason);
    expect(e.message).toMatch(/\(line \d+\)/);
  });

  it('the valid fixture the error fixtures are made from loads', () => {
    expect(loadConfig(path.join(FIXTURES, 'valid-minimal.yaml'), { env }).policy.classes.size).toBe(2);
  });

  it('events.decisionWriter is auto, loop or thread, and a bad value names the key', () => {
    const file = path.join(os.tmpdir(), `lanyard-writer-${process.pid}.yaml`);
    const base = fs.readFileSync(path.resolve('config/lanyard.yaml'), 'utf8');
    try {
      fs.writeFileSync(file, base.replace('decisionWriter: auto', 'decisionWriter: thread'));
      expect(loadConfig(file, { env: {} }).events.decisionWriter).toBe('thread');
      fs.writeFileSync(file, base.replace('decisionWriter: auto', 'decisionWriter: worker'));
      expect(() => loadConfig(file, { env: {} })).toThrow(/events\.decisionWriter/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('several problems are reported together, one per line, in file order', () => {
    const file = path.join(FIXTURES, 'several-problems.yaml');
    const e = catchError(() => loadConfig(file, { env }));
    expect(e.code).toBe('LANYARD_ERR_CONFIG_INVALID');
    const lines = e.message.split('\n');
    expect(lines[0]).toBe(`${file}: 4 problems:`);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}networks\.SCHOOL\.vlna \(line 11\): unknown key 'vlna'/),
      expect.stringMatching(/^ {2}networks\.SCHOOL\.vlan \(line 11\): is required but missing$/),
      expect.stringMatching(/^ {2}networks\.GUEST\.vlan \(line 12\): must be a whole number from 1 to 4094 \(got 0\)$/),
      expect.stringMatching(/^ {2}classes\.guest\.ownership \(line 15\): must be one of school, personal, visitor, pupil-exception \(got 'guest'\)$/),
    ]);
    expect(e.where).toBe(`${file}:networks.SCHOOL.vlna`);
  });

  it('YAML syntax errors give LANYARD_ERR_CONFIG_PARSE with line and column', () => {
    const file = path.join(FIXTURES, 'not-yaml.yaml');
    const e = catchError(() => loadConfig(file, { env }));
    expect(e.code).toBe('LANYARD_ERR_CONFIG_PARSE');
    expect(e.where).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+$`));
    expect(e.message).toMatch(/line \d+, column \d+/);
  });

  it('duplicate keys are a parse error', () => {
    const e = catchError(() => loadConfigText('profiles: {}\nprofiles: {}\n', '/x/dup.yaml'));
    expect(e.code).toBe('LANYARD_ERR_CONFIG_PARSE');
    expect(e.message).toMatch(/unique/);
  });

  it('a missing file gives LANYARD_ERR_CONFIG_READ', () => {
    const file = path.join(FIXTURES, 'no-such-file.yaml');
    const e = catchError(() => loadConfig(file));
    expect(e.code).toBe('LANYARD_ERR_CONFIG_READ');
    expect(e.message).toContain(file);
  });

  it.each([
    ['', '(top level)', /the file is empty/],
    ['- a\n- b\n', '(top level)', /must be a mapping/],
    ['profiles: {}\nnetworks: {}\n', 'classes', /is required but missing/],
    ['profiles: { p: {} }\nnetworks: { N: { vlan: 1, unknownDevices: rejected } }\nclasses: {}\n', 'networks.N.unknownDevices', /must be "reject", or \{ admitAs: <class name> \} \(got 'rejected'\) — did you mean 'reject'\?/],
    ['profiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: { c: { ownership: school, network: N, profile: p, sessionTimeout: 8 hours } }\n', 'classes.c.sessionTimeout', /duration such as 8h/],
    ['radius: { clients: { a: { address: 10.0.0.1, secret: { env: A, file: f } } } }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n', 'radius.clients.a.secret', /use exactly one of value, env or file/],
    ['radius: { clients: { a: { address: 10.0.0.1, secret: { file: f, generate: g } } } }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n', 'radius.clients.a.secret.generate', /only be used together with env/],
    ['radius: { authPort: 1900, acctPort: 1900 }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n', 'radius.acctPort', /must differ from authPort/],
    ['radius: { bind: 010.0.0.1 }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n', 'radius.bind', /not an IP address to listen on/],
    ['radius: { clients: { a: { address: 10.0.0.1, secret: { env: A }, coaPort: 65536 } } }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n', 'radius.clients.a.coaPort', /from 0 to 65535/],
    ['profiles: { p: { allow: [x, x] } }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n', 'profiles.p.allow[0]', /'x' is listed more than once/],
  ])('%j → %s', (text, keyPath, reason) => {
    const e = catchError(() => loadConfigText(text, '/etc/lanyard/test.yaml', { env: { A: 'a-long-enough-secret' } }));
    expect(e.code).toBe('LANYARD_ERR_CONFIG_INVALID');
    expect(e.message).toContain('/etc/lanyard/test.yaml');
    expect(e.message).toContain(`${keyPath}`);
    expect(e.message).toMatch(reason);
  });

  it('formatKeyPath', () => {
    expect(formatKeyPath(['radius', 'clients', 'ap-1', 'secret'])).toBe('radius.clients.ap-1.secret');
    expect(formatKeyPath(['networks', 'A', 'ssids', 0])).toBe('networks.A.ssids[0]');
    expect(formatKeyPath(['classes', 'a.b'])).toBe('classes["a.b"]');
    expect(formatKeyPath([])).toBe('(top level)');
  });
});

describe('the result', () => {
  it('is deep-frozen: changing anything throws (strict mode)', () => {
    const c = loadConfig(DEFAULT, { env });
    expect(() => {
      (c as { dataDir: string }).dataDir = '/tmp';
    }).toThrow(TypeError);
    expect(() => {
      (c.radius as { authPort: number }).authPort = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.radius.clients as unknown[]).push({});
    }).toThrow(TypeError);
    expect(() => {
      (c.radius.clients[0] as { vendor: string }).vendor = 'cisco';
    }).toThrow(TypeError);
    expect(() => {
      (c.policy.networks.get('DCPS') as { vlan: number }).vlan = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.policy.profiles.get('school-staff')!.allow as string[]).push('x');
    }).toThrow(TypeError);
    expect(() => (c.policy.classes as Map<string, unknown>).set('x', {})).toThrow(TypeError);
    expect(() => {
      (c.warnings as string[]).push('x');
    }).toThrow(TypeError);
  });

  it('applies overrides after validation', () => {
    const c = loadConfig(DEFAULT, { env, overrides: { database: 'rel/other.db', authPort: 0, acctPort: 0 } });
    expect(c.store.database).toBe(path.resolve('rel/other.db'));
    expect(c.radius.authPort).toBe(0);
    expect(c.radius.acctPort).toBe(0);
    const e = catchError(() => loadConfig(DEFAULT, { env, overrides: { authPort: 70000 } }));
    expect(e.code).toBe('LANYARD_ERR_CONFIG_INVALID');
    expect(e.message).toMatch(/radius\.authPort: the override 70000/);
  });

  it('resolves relative paths: dataDir and secret files against the config folder, database against dataDir', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'ap.secret'), 'file-secret-0123456789\n', { mode: 0o600 });
    const file = path.join(dir, 'lanyard.yaml');
    fs.writeFileSync(
      file,
      'dataDir: state\nstore: { database: db/x.db }\nradius: { clients: { ap: { address: 192.0.2.0/24, secret: { file: ap.secret } } } }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n',
    );
    const c = loadConfig(file, { env: {} });
    expect(c.dataDir).toBe(path.join(dir, 'state'));
    expect(c.store.database).toBe(path.join(dir, 'state', 'db', 'x.db'));
    expect(c.radius.clients[0]?.secret.toString()).toBe('file-secret-0123456789'); // trailing newline trimmed
    expect(c.radius.clients[0]?.secretSource).toBe(`file:${path.join(dir, 'ap.secret')}`);
    expect(c.warnings).toEqual([]);
  });
});

describe('secrets', () => {
  function writeConfig(dir: string, client: string): string {
    const file = path.join(dir, 'lanyard.yaml');
    fs.writeFileSync(
      file,
      `dataDir: data\nradius:\n  clients:\n    loopback:\n      address: 127.0.0.1\n${client}\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n`,
    );
    return file;
  }
  const GENERATE = '      secret: { env: LANYARD_LOOPBACK_SECRET, generate: loopback.secret }';

  it('generates a 0600 secret in the data dir once, then reuses it', () => {
    const dir = tmpDir();
    const file = writeConfig(dir, GENERATE);
    const secretFile = path.join(dir, 'data', 'loopback.secret');

    const pending = loadConfig(file, { env: {}, generateSecrets: false });
    expect(pending.radius.clients[0]?.secret.length).toBe(0);
    expect(pending.radius.clients[0]?.secretSource).toBe(`pending:${secretFile}`);
    expect(pending.notices).toEqual([expect.stringContaining(`will be generated in ${secretFile}`)]);
    expect(fs.existsSync(secretFile)).toBe(false);

    const first = loadConfig(file, { env: {}, generateSecrets: true });
    const secret = first.radius.clients[0]!.secret.toString();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(first.radius.clients[0]?.secretSource).toBe(`generated:${secretFile}`);
    expect(first.notices).toEqual([
      `generated a random shared secret for NAS 'loopback' in ${secretFile}; set LANYARD_LOOPBACK_SECRET to choose your own`,
    ]);

    const second = loadConfig(file, { env: {}, generateSecrets: true });
    expect(second.radius.clients[0]?.secret.toString()).toBe(secret);
    expect(second.notices).toEqual([]);

    const fromEnv = loadConfig(file, { env: { LANYARD_LOOPBACK_SECRET: 'chosen-by-the-ict-team' }, generateSecrets: true });
    expect(fromEnv.radius.clients[0]?.secret.toString()).toBe('chosen-by-the-ict-team');
    expect(fromEnv.radius.clients[0]?.secretSource).toBe('env:LANYARD_LOOPBACK_SECRET');

    const empty = loadConfig(file, { env: { LANYARD_LOOPBACK_SECRET: '' } });
    expect(empty.radius.clients[0]?.secret.toString()).toBe(secret);
  });

  it('an inline secret works but is warned about; a short one too', () => {
    const dir = tmpDir();
    const c = loadConfig(writeConfig(dir, '      secret: { value: short }'), { env: {} });
    expect(c.radius.clients[0]?.secretSource).toBe('inline');
    expect(c.warnings).toEqual([expect.stringMatching(/written inline/), expect.stringMatching(/shorter than 16/)]);
  });

  it('warns about Message-Authenticator not required (BlastRADIUS)', () => {
    const dir = tmpDir();
    const c = loadConfig(writeConfig(dir, `${GENERATE}\n      requireMessageAuthenticator: false`), { env: { LANYARD_LOOPBACK_SECRET: 'x'.repeat(20) } });
    expect(c.radius.clients[0]?.requireMessageAuthenticator).toBe(false);
    expect(c.warnings).toEqual(["NAS 'loopback' (127.0.0.1): Message-Authenticator not required — exposed to BlastRADIUS (CVE-2024-3596)"]);
  });

  it.each([
    ['      secret: { env: MY_SECRET }', { MY_SECRET: '' }, 'radius.clients.loopback.secret.env', /MY_SECRET is set but empty/],
    ['      secret: { file: missing.secret }', {}, 'radius.clients.loopback.secret.file', /missing\.secret does not exist/],
    ['      secret: { file: empty.secret }', {}, 'radius.clients.loopback.secret.file', /empty\.secret is empty/],
  ])('%s → LANYARD_ERR_SECRET_UNAVAILABLE', (client, secretEnv, keyPath, reason) => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'empty.secret'), '\n');
    const file = writeConfig(dir, client);
    const e = catchError(() => loadConfig(file, { env: secretEnv }));
    expect(e.code).toBe('LANYARD_ERR_SECRET_UNAVAILABLE');
    expect(e.where).toBe(`${file}:${keyPath}`);
    expect(e.message).toContain(file);
    expect(e.message).toContain(keyPath);
    expect(e.message).toMatch(reason);
  });

  it('never puts a secret value in an error message or warning', () => {
    const dir = tmpDir();
    const SECRET = 'Sup3r-S3cret-Value-do-not-print';
    fs.writeFileSync(path.join(dir, 'ap.secret'), SECRET, { mode: 0o644 });
    const base = `dataDir: data\nradius:\n  clients:\n    a: { address: 10.0.0.1, secret: { value: ${SECRET} } }\n    b: { address: 10.0.0.2, secret: { file: ap.secret } }\n    c: { address: 10.0.0.3, secret: { env: S } }\n`;
    const errors: string[] = [];
    // 1. invalid config elsewhere
    errors.push(catchError(() => loadConfigText(`${base}profiles: { p: {} }\nnetworks: { N: { vlan: 0 } }\nclasses: {}\n`, path.join(dir, 'x.yaml'), { env: { S: SECRET } })).message);
    // 2. a secret problem in another client
    errors.push(catchError(() => loadConfigText(`${base}    d: { address: 10.0.0.4, secret: { env: UNSET } }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n`, path.join(dir, 'x.yaml'), { env: { S: SECRET } })).message);
    // 3. a schema problem inside the secret itself
    errors.push(catchError(() => loadConfigText(`${base}    e: { address: 10.0.0.5, secret: { value: ${SECRET}, env: S } }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n`, path.join(dir, 'x.yaml'), { env: { S: SECRET } })).message);
    // 4. a secret of the wrong type (a number): the value is not echoed
    errors.push(catchError(() => loadConfigText(`${base}    f: { address: 10.0.0.6, secret: { value: 98765432109876 } }\nprofiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n`, path.join(dir, 'x.yaml'), { env: { S: SECRET } })).message);
    expect(errors[3]).toMatch(/radius\.clients\.f\.secret\.value \(line \d+\): must be text$/);
    expect(errors[3]).not.toContain('98765432109876');
    const ok = loadConfigText(`${base}profiles: { p: {} }\nnetworks: { N: { vlan: 1 } }\nclasses: {}\n`, path.join(dir, 'x.yaml'), { env: { S: SECRET } });
    expect(ok.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/readable by group or others/)]));
    for (const text of [...errors, ...ok.warnings, ...ok.notices, ...ok.radius.clients.map((c) => c.secretSource)]) {
      expect(text).not.toContain(SECRET);
    }
    expect(errors).toHaveLength(4);
  });
});

describe('the config schema', () => {
  // loadConfig compiles it without checking it against the meta-schema (start-up time): this does.
  it('is a valid JSON Schema (draft-07 meta-schema)', () => {
    const checking = new Ajv({ ...CONFIG_AJV_OPTIONS, validateSchema: true });
    checking.addVocabulary(['x-hint']);
    expect(checking.validateSchema(ConfigSchema), JSON.stringify(checking.errors)).toBe(true);
    expect(() => checking.compile(ConfigSchema)).not.toThrow();
  });
});
