/** NasRegistry: which configured NAS a source address belongs to. */
import { describe, expect, it } from 'vitest';
import type { NasClientConfig } from '../../src/config/types.js';
import { NasRegistry } from '../../src/radius/nas-registry.js';

function nas(name: string, address: string): NasClientConfig {
  return {
    name,
    address,
    secret: Buffer.from(`${name}-secret`),
    secretSource: 'inline',
    vendor: 'generic',
    requireMessageAuthenticator: true,
    defaultNetwork: null,
    coaPort: 3799,
  };
}

const registry = new NasRegistry([
  nas('exact', '192.0.2.10'),
  nas('site', '10.0.0.0/8'),
  nas('building', '10.1.0.0/16'),
  nas('one-ap', '10.1.2.3/32'),
  nas('room', '10.1.2.0/24'),
  nas('v6-exact', '2001:DB8:0:0:0:0:0:1'),
  nas('v6-net', '2001:db8:1::/48'),
  nas('mapped', '::ffff:198.51.100.7'),
]);

describe('NasRegistry.lookup', () => {
  it.each([
    ['192.0.2.10', 'exact'],
    ['10.200.0.1', 'site'],
    ['10.1.9.9', 'building'],
    ['10.1.2.4', 'room'],
    ['10.1.2.3', 'one-ap'],
    ['10.1.2.255', 'room'],
    ['2001:db8::1', 'v6-exact'],
    ['2001:db8:1:ffff::9', 'v6-net'],
    ['198.51.100.7', 'mapped'],
    // Dual-stack sockets report IPv4 peers as IPv4-mapped IPv6.
    ['::ffff:192.0.2.10', 'exact'],
    ['::ffff:10.1.2.3', 'one-ap'],
    ['::ffff:10.1.2.4', 'room'],
    ['::ffff:198.51.100.7', 'mapped'],
  ])('%s → %s (most specific wins)', (address, name) => {
    expect(registry.lookup(address)?.config.name).toBe(name);
    expect(registry.lookup(address)?.config.name).toBe(name); // memoised answer is the same
  });

  it.each(['192.0.2.11', '11.0.0.1', '2001:db8:2::1', '::1', '::ffff:192.0.2.11', 'garbage', '', '999.1.1.1'])(
    '%j → null (unknown: the datagram is dropped)',
    (address) => {
      expect(registry.lookup(address)).toBeNull();
      expect(registry.lookup(address)).toBeNull();
    },
  );

  it('gives each NAS its index in the config list', () => {
    expect(registry.lookup('192.0.2.10')?.index).toBe(0);
    expect(registry.lookup('10.1.2.3')?.index).toBe(3);
    expect(registry.lookup('2001:db8::1')?.index).toBe(5);
    expect(registry.size).toBe(8);
  });

  it('bounds its memo of CIDR look-ups, misses included, so a scan of sources cannot grow it', () => {
    const r = new NasRegistry([nas('site', '10.0.0.0/8')]);
    for (let i = 0; i < 20_000; i++) {
      const address = `172.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      expect(r.lookup(address)).toBeNull();
    }
    const memo = (r as unknown as { memo: Map<string, unknown> }).memo;
    expect(memo.size).toBeLessThanOrEqual(4096);
    expect(r.lookup('10.9.9.9')?.config.name).toBe('site');
  });

  it('finds nothing when no clients are configured', () => {
    const empty = new NasRegistry([]);
    expect(empty.lookup('127.0.0.1')).toBeNull();
    expect(empty.size).toBe(0);
  });
});
