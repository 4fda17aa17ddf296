import { describe, expect, it } from 'vitest';
import {
  checkPolicy,
  checkPortSpec,
  compilePolicy,
  deepFreeze,
  FrozenMap,
  parseAddressOrCidr,
  parseDuration,
  type PolicyInput,
} from '../../src/policy/compile.js';

describe('parseAddressOrCidr', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1/32'],
    ['10.10.0.0/24', '10.10.0.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.7/32', '192.0.2.7/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8::1', '2001:db8::1/128'],
    ['::ffff:192.0.2.1', '::ffff:c000:201/128'],
  ])('accepts %s as %s', (text, cidr) => {
    expect(parseAddressOrCidr(text)).toMatchObject({ ok: true, cidr });
  });

  it.each([
    ['010.0.0.1', /dotted-decimal/], // octal in ipaddr.parse: 8.0.0.1
    ['10.0.0.01', /dotted-decimal/],
    ['0x0a.0.0.1', /dotted-decimal/],
    ['10.1', /dotted-decimal/],
    ['256.0.0.1', /not an IP address/],
    ['10.0.0.0/33', /prefix length/],
    ['10.0.0.0/024', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.5/24', /host bits set: the network is 10\.0\.0\.0\/24/],
    ['fe80::1%eth0', /not an IP address/],
    ['::ffff:010.0.0.1', /not an IP address/],
    ['printers', /not an IP address/],
  ])('rejects %s', (text, reason) => {
    const r = parseAddressOrCidr(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('parseDuration and checkPortSpec', () => {
  it.each([
    [0, 0],
    [3600, 3600],
    ['8h', 28800],
    ['30m', 1800],
    ['1d', 86400],
    ['1h30m', 5400],
    ['45s', 45],
    ['8 hours', null],
    ['h', null],
    ['', null],
    [-1, null],
    [1.5, null],
  ] as const)('%s → %s', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    ['tcp/631', null],
    ['udp/53', null],
    ['tcp/8000-8080', null],
    ['tcp/0', null],
    ['tcp/65536', /0 to 65535/],
    ['tcp/9000-8000', /lower port/],
    ['icmp', /not a protocol and port/],
  ])('%s', (spec, result) => {
    const r = checkPortSpec(spec);
    if (result === null) expect(r).toBeNull();
    else expect(r).toMatch(result);
  });
});

const GOOD: PolicyInput = {
  destinations: { internet: { cidrs: ['0.0.0.0/0'] }, gw: { cidrs: ['10.1.0.1'], ports: ['tcp/443'] } },
  profiles: { web: { allow: ['internet'] }, remote: { filterId: 'REMOTE', allow: ['internet', 'gw'], vendorRoles: { aruba: 'remote-role' } } },
  networks: {
    SCHOOL: { vlan: 10, ssids: ['SCHOOL'] },
    GUEST: { vlan: 20, ssids: ['GUEST', 'GUEST-5G'], unknownDevices: { admitAs: 'guest' } },
  },
  classes: {
    laptop: { ownership: 'school', network: 'SCHOOL', profile: 'remote' },
    guest: { ownership: 'visitor', network: 'GUEST', profile: 'web', sessionTimeout: '1h30m' },
  },
};

describe('compilePolicy', () => {
  it('builds frozen maps with defaults filled in', () => {
    const p = compilePolicy(GOOD);
    expect(p.ssidToNetwork.get('GUEST-5G')).toBe('GUEST');
    expect(p.networks.get('SCHOOL')?.unknownDevices).toEqual({ action: 'reject' });
    expect(p.networks.get('GUEST')?.unknownDevices).toEqual({ action: 'admit', asClass: 'guest' });
    expect(p.profiles.get('web')).toEqual({ name: 'web', description: '', filterId: 'web', vendorRoles: {}, allow: ['internet'] });
    expect(p.profiles.get('remote')?.vendorRoles).toEqual({ aruba: 'remote-role' });
    expect(p.classes.get('guest')?.sessionTimeout).toBe(5400);
    expect(p.classes.get('laptop')?.sessionTimeout).toBe(0);
    expect(p.destinations.get('gw')).toEqual({ name: 'gw', cidrs: ['10.1.0.1/32'], ports: ['tcp/443'] });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.networks.get('GUEST')?.ssids)).toBe(true);
    expect(() => (p.networks as Map<string, unknown>).set('X', {})).toThrow(TypeError);
    expect(() => (p.classes as Map<string, unknown>).delete('guest')).toThrow(TypeError);
    expect(() => (p.ssidToNetwork as Map<string, unknown>).clear()).toThrow(TypeError);
  });

  it('refuses input checkPolicy finds problems in', () => {
    expect(() => compilePolicy({ ...GOOD, classes: { ...GOOD.classes, x: { ownership: 'school', network: 'NOPE', profile: 'web' } } })).toThrow(
      /network 'NOPE' is not defined/,
    );
  });

  it('checkPolicy reports every cross-reference problem with its key path', () => {
    const problems = checkPolicy({
      destinations: { internet: { cidrs: ['0.0.0.0/0', '0.0.0.0/0x'] } },
      profiles: { web: { allow: ['internet', 'printers'] } },
      networks: {
        A: { vlan: 10, ssids: ['X'] },
        B: { vlan: 10, ssids: ['X'], unknownDevices: { admitAs: 'ghost' } },
        C: { vlan: 30, ssids: ['Y'], unknownDevices: { admitAs: 'onA' } },
      },
      classes: {
        onA: { ownership: 'visitor', network: 'A', profile: 'web' },
        lost: { ownership: 'school', network: 'Z', profile: 'nope', sessionTimeout: 99999999999 },
        'bad name': { ownership: 'school', network: 'A', profile: 'web' },
      },
    });
    const byPath = problems.map((p) => `${p.path.join('.')}: ${p.message}`);
    expect(byPath).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^classes\.bad name: the name/),
        expect.stringMatching(/^destinations\.internet\.cidrs\.1: /),
        expect.stringMatching(/^profiles\.web\.allow\.1: destination 'printers' is not defined/),
        expect.stringMatching(/^networks\.B\.vlan: VLAN 10 is already used by network 'A'/),
        expect.stringMatching(/^networks\.B\.ssids\.0: SSID 'X' is already carried by network 'A'/),
        expect.stringMatching(/^networks\.B\.unknownDevices\.admitAs: class 'ghost' is not defined/),
        expect.stringMatching(/^networks\.C\.unknownDevices\.admitAs: class 'onA' belongs on network 'A'/),
        expect.stringMatching(/^classes\.lost\.network: network 'Z' is not defined/),
        expect.stringMatching(/^classes\.lost\.profile: profile 'nope' is not defined/),
        expect.stringMatching(/^classes\.lost\.sessionTimeout: must be at most/),
      ]),
    );
    expect(problems).toHaveLength(10);
  });

  it('R-1: a network carrying a school-owned class may not admit unknown devices', () => {
    const problems = checkPolicy({
      ...GOOD,
      classes: { ...GOOD.classes, school: { ownership: 'school', network: 'GUEST', profile: 'web' } },
    });
    expect(problems).toEqual([{ path: ['networks', 'GUEST', 'unknownDevices'], message: expect.stringMatching(/school-owned class 'school'.*R-1/) }]);
  });
});

describe('deepFreeze and FrozenMap', () => {
  it('freezes nested objects, arrays and map values, leaves buffers alone', () => {
    const buf = Buffer.from('abc');
    const v = deepFreeze({ a: { b: [1, { c: 2 }] }, m: new FrozenMap([['k', { x: 1 }]]), buf });
    expect(Object.isFrozen(v.a.b[1])).toBe(true);
    expect(Object.isFrozen(v.m.get('k'))).toBe(true);
    expect(() => {
      (v.a.b as unknown[]).push(3);
    }).toThrow(TypeError);
    expect(v.buf.toString()).toBe('abc');
  });
});
