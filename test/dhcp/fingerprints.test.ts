/**
 * The fingerprint memory under a flood of made-up MACs: it stays bounded, and a registered
 * device's last fingerprint is never pushed out, so a clone of its MAC still raises the alert.
 */
import { describe, expect, it } from 'vitest';
import { FingerprintMemory } from '../../src/dhcp/fingerprints.js';
import { parseMac } from '../../src/policy/mac.js';
import type { DeviceFacts } from '../../src/policy/model.js';
import type { DhcpPacket } from '../../src/protocols/dhcp/types.js';
import { packet } from './helpers.js';

const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);
const LAPTOP = '00-11-22-33-44-55';
const laptop: DeviceFacts = { mac: parseMac(LAPTOP), className: 'school-laptop', owner: 'J. Bloggs', status: 'active', expiresAt: null };

function discover(mac: string, vendorClass: string): DhcpPacket {
  const p = packet({ type: 'DISCOVER', mac, giaddr: '10.20.10.1' });
  return { ...p, options: [...p.options, { code: 60, data: Buffer.from(vendorClass), area: 'options' }] };
}

function flood(memory: FingerprintMemory, count: number, at: number): void {
  for (let i = 0; i < count; i++) {
    const mac = `02-00-00-00-${(i >> 8).toString(16).padStart(2, '0')}-${(i & 255).toString(16).padStart(2, '0')}`;
    memory.observe(parseMac(mac), discover(mac, 'android-dhcp-14'), undefined, at, 'dhcp');
  }
}

describe('FingerprintMemory', () => {
  it('remembers at most its limit of unregistered MACs, and every registered one', () => {
    const memory = new FingerprintMemory([], parseMac, { limit: 50 });
    memory.observe(laptop.mac, discover(LAPTOP, 'MSFT 5.0'), laptop, T0, 'dhcp');
    flood(memory, 1000, T0 + 1000);
    expect(memory.size).toBe(51);
  });

  it('still alerts on a registered device changing OS family after a flood of other MACs', () => {
    const memory = new FingerprintMemory([], parseMac, { limit: 50 });
    memory.observe(laptop.mac, discover(LAPTOP, 'MSFT 5.0'), laptop, T0, 'dhcp');
    flood(memory, 1000, T0 + 1000);
    const r = memory.observe(laptop.mac, discover(LAPTOP, 'android-dhcp-14'), laptop, T0 + 2000, 'dhcp');
    expect(r.alert).toMatchObject({ action: 'fingerprint-changed', mac: LAPTOP, detail: { from: 'windows', to: 'android' } });
  });

  it('keeps a registered device loaded from the store apart from the flood too', () => {
    const stored = [{ mac: LAPTOP, key: '|MSFT #', params: null, vendorClass: 'MSFT 5.0', hostname: null, clientIdType: null, family: 'windows', firstSeen: T0, lastSeen: T0, seen: 1 }];
    const memory = new FingerprintMemory(stored, parseMac, { limit: 50, isRegistered: (mac) => mac === laptop.mac });
    flood(memory, 1000, T0 + 1000);
    const r = memory.observe(laptop.mac, discover(LAPTOP, 'android-dhcp-14'), laptop, T0 + 2000, 'dhcp');
    expect(r.alert).toMatchObject({ detail: { from: 'windows', to: 'android' } });
  });
});
