/** The dhcp configuration: defaults, the compiled scopes, and every cross-check naming file, key and reason. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DhcpSchema, NetworkDhcpSchema } from '../../src/config/schema.js';
import { loadConfig, loadConfigText } from '../../src/config/load.js';
import { isLanyardError } from '../../src/errors.js';
import { ipToString as ipv4Text } from '../../src/protocols/dhcp/index.js';
import { summariseConfig } from '../../src/cli/check-config.js';
import { dhcpConfigYaml, loadDhcpConfig } from './helpers.js';

const FILE = '/tmp/lanyard-dhcp-test.yaml';

function problem(yaml: string): string {
  try {
    loadConfigText(yaml, FILE);
  } catch (e) {
    if (isLanyardError(e, 'LANYARD_ERR_CONFIG_INVALID')) return e.message;
    throw e;
  }
  throw new Error('expected LANYARD_ERR_CONFIG_INVALID');
}

describe('dhcp configuration', () => {
  it('is off by default: the shipped config loads without it', () => {
    const c = loadConfig('config/lanyard.yaml', { env: { LANYARD_LOOPBACK_SECRET: 'x' } });
    expect(c.dhcp).toMatchObject({ mode: 'off', bind: '0.0.0.0', port: 67, serverId: null, directNetwork: null, offerHoldSeconds: 60, declineHoldSeconds: 3600, checkDevices: true, scopes: [] });
  });

  it('compiles scopes with addresses as numbers, durations as seconds and MACs in any format', () => {
    const c = loadDhcpConfig();
    const dcps = c.dhcp.scopes.find((s) => s.network === 'DCPS')!;
    expect(ipv4Text(dcps.subnet)).toBe('10.20.10.0');
    expect(dcps.prefix).toBe(24);
    expect(ipv4Text(dcps.mask)).toBe('255.255.255.0');
    expect(ipv4Text(dcps.broadcast)).toBe('10.20.10.255');
    expect(dcps.pools.map((p) => [ipv4Text(p.start), ipv4Text(p.end)])).toEqual([['10.20.10.100', '10.20.10.199']]);
    expect(dcps.leaseTime).toBe(8 * 3600);
    expect(dcps.domain).toBe('school.example');
    expect(dcps.reservations).toEqual([{ name: 'printer-staffroom', mac: 0xaabbcc000001, ip: dcps.subnet + 5 }]);
    expect(c.dhcp.mode).toBe('serve');
    expect(Object.isFrozen(c.dhcp.scopes[0])).toBe(true);
  });

  it('warns when a direct network is served from a socket that cannot hear broadcasts', () => {
    const c = loadDhcpConfig(dhcpConfigYaml({ dhcp: '  directNetwork: BYOD\n  bind: 10.99.0.1' }));
    expect(c.warnings).toContainEqual(expect.stringContaining("dhcp.bind is 10.99.0.1: clients on the direct network 'BYOD'"));
    expect(loadDhcpConfig(dhcpConfigYaml({ dhcp: '  directNetwork: BYOD' })).warnings.filter((w) => w.startsWith('dhcp.'))).toEqual([]);
  });

  it('serve --dhcp-port overrides dhcp.port', () => {
    const c = loadConfigText(dhcpConfigYaml(), FILE, { overrides: { dhcpPort: 0 } });
    expect(c.dhcp.port).toBe(0);
  });

  const cases: [string, Parameters<typeof dhcpConfigYaml>[0], RegExp][] = [
    ['a pool outside its subnet', { dcpsPools: '["10.20.11.100-10.20.11.199"]' }, /networks\.DCPS\.dhcp\.pools\[0\] \(line \d+\): '10\.20\.11\.100-10\.20\.11\.199' is not inside the subnet 10\.20\.10\.0\/24/],
    ['a pool that includes the broadcast address', { dcpsPools: '["10.20.10.200-10.20.10.255"]' }, /pools\[0\].*excluding its network and broadcast/],
    ['a backwards pool', { dcpsPools: '["10.20.10.199-10.20.10.100"]' }, /pools\[0\].*runs backwards/],
    ['overlapping pools in one network', { dcpsPools: '["10.20.10.100-10.20.10.150", "10.20.10.150-10.20.10.199"]' }, /networks\.DCPS\.dhcp\.pools\[1\].*overlaps pools\[0\]/],
    [
      'pools overlapping between networks',
      { extraNetworks: '  STAFF:\n    vlan: 30\n    dhcp:\n      subnet: 10.20.10.0/25\n      pools: ["10.20.10.110-10.20.10.120"]' },
      /networks\.STAFF\.dhcp\.pools\[0\].*overlaps network 'DCPS' pool '10\.20\.10\.100-10\.20\.10\.199'/,
    ],
    [
      'pools of more than a /16 in one network',
      { extraNetworks: '  WIDE:\n    vlan: 30\n    dhcp:\n      subnet: 10.64.0.0/10\n      pools: ["10.64.0.10-10.64.255.255", "10.65.0.0-10.65.0.10"]' },
      /networks\.WIDE\.dhcp\.pools \(line \d+\): hold 65537 addresses; at most 65536 \(a \/16\)/,
    ],
    ['a serverId inside a pool', { dhcp: '  serverId: 10.20.10.150' }, /dhcp\.serverId \(line \d+\): '10\.20\.10\.150' is inside a pool or reservation of network 'DCPS'/],
    ['serve mode without serverId', { dhcp: '  serverId: null' }, /dhcp\.serverId \(line \d+\): is required in serve mode/],
    ['a directNetwork that does not exist', { dhcp: '  directNetwork: GUEST' }, /dhcp\.directNetwork.*network 'GUEST' is not defined under networks/],
    [
      'a directNetwork without dhcp',
      { dhcp: '  directNetwork: PLAIN', extraNetworks: '  PLAIN:\n    vlan: 40' },
      /dhcp\.directNetwork.*network 'PLAIN' has no dhcp section/,
    ],
    ['a bad mode', { dhcp: '  mode: answer' }, /dhcp\.mode.*must be one of off, serve, listen/],
  ];
  for (const [what, opts, expected] of cases) {
    it(`refuses ${what}, naming the file, key and reason`, () => {
      // A key the case sets again under dhcp replaces the helper's own line (keys must be unique).
      const redefined = /^ {2}(\w+):/.exec(opts?.dhcp ?? '')?.[1];
      let yaml = dhcpConfigYaml(opts);
      const line = new RegExp(`^ {2}${redefined ?? '-'}: .*\\n`, 'gm');
      if ((yaml.match(line) ?? []).length > 1) yaml = yaml.replace(new RegExp(line.source, 'm'), '');
      const message = problem(yaml);
      expect(message.startsWith(FILE)).toBe(true);
      expect(message).toMatch(expected);
    });
  }

  it('refuses a router outside the subnet, duplicate reservations and a bad MAC, all at once', () => {
    const yaml = dhcpConfigYaml()
      .replace('router: 10.20.10.1', 'router: 10.20.99.1')
      .replace(
        '        printer-staffroom: { mac: "aa:bb:cc:00:00:01", ip: 10.20.10.5 }',
        [
          '        printer-staffroom: { mac: "aa:bb:cc:00:00:01", ip: 10.20.10.5 }',
          '        printer-hall: { mac: "AABB.CC00.0001", ip: 10.20.10.5 }',
          '        printer-bad: { mac: "not-a-mac", ip: 10.20.10.6 }',
        ].join('\n'),
      );
    const message = problem(yaml);
    expect(message).toMatch(/networks\.DCPS\.dhcp\.router.*'10\.20\.99\.1' is not a host address inside the subnet/);
    expect(message).toMatch(/reservations\.printer-hall\.mac.*already reserved by 'printer-staffroom'/);
    expect(message).toMatch(/reservations\.printer-hall\.ip.*'10\.20\.10\.5' is already reserved by 'printer-staffroom'/);
    expect(message).toMatch(/reservations\.printer-bad\.mac.*'not-a-mac' is not a MAC address/);
  });

  it('documents every dhcp key in docs/configuration.md', () => {
    const doc = fs.readFileSync('docs/configuration.md', 'utf8');
    for (const key of [...Object.keys(DhcpSchema.properties), ...Object.keys(NetworkDhcpSchema.properties)]) {
      expect(doc, key).toMatch(new RegExp(`^\\| \`${key}\` \\|`, 'm'));
    }
  });
});

describe('check-config summary of DHCP', () => {
  it('names the mode, the server and every scope with its pools, options and reservations', () => {
    const text = summariseConfig(loadDhcpConfig(dhcpConfigYaml({ dhcp: '  directNetwork: BYOD' })));
    expect(text).toContain('DHCP:             serve on 0.0.0.0:67, server id 10.99.0.1, direct network BYOD, network check on');
    expect(text).toContain(
      '  DCPS: 10.20.10.0/24, pools 10.20.10.100-10.20.10.199 (100 addresses), router 10.20.10.1, DNS 10.20.0.53, 10.20.0.54, lease 8h, 1 reservation',
    );
    expect(text).toContain('  BYOD: 10.20.20.0/24, pools 10.20.20.10-10.20.20.250 (241 addresses), router 10.20.20.1, no DNS, lease 1h, 0 reservations');
  });

  it('says off when DHCP is off', () => {
    expect(summariseConfig(loadDhcpConfig(dhcpConfigYaml({ dhcp: '  mode: off' }).replace('  mode: serve\n', '')))).toContain('DHCP:             off');
  });
});
