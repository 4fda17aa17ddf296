/**
 * Fingerprints: every table row classifies, the three Debian clients (captured DISCOVERs) are
 * 'linux' with three different keys, keys survive version bumps, and familyChange() only
 * reports a change between two known families.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FINGERPRINT_RULES,
  OS_FAMILIES,
  classifyFingerprint,
  decodeDhcp,
  familyChange,
  fingerprintKey,
  fingerprintOf,
  type DhcpFingerprint,
} from '../../../src/protocols/dhcp/index.js';
import { fixture, layout } from './helpers.js';

const blank: DhcpFingerprint = { parameterList: '', vendorClass: null, hostname: null, clientIdType: null, maxMessageSize: null };

/** A vendor class each vendor row is written for (real values: see the sources in fingerprint.ts). */
const VENDOR_SAMPLES: Readonly<Record<string, string>> = {
  'vendor:msft-xbox': 'MSFT 5.0 XBOX',
  'vendor:msft': 'MSFT 5.0',
  'vendor:android-dhcp': 'android-dhcp-14',
  'vendor:udhcp': 'udhcp 1.36.1',
  'vendor:dhcpcd-linux': 'dhcpcd-10.0.6:Linux-6.1.0-18-amd64:x86_64:GenuineIntel',
};

function fromFixture(name: string): DhcpFingerprint {
  const r = decodeDhcp(fixture(name));
  if (!r.ok) throw new Error(r.reason);
  return fingerprintOf(r.packet);
}

describe('the built-in table', () => {
  it('has unique rule names and unique option 55 lists, each row one kind', () => {
    const names = FINGERPRINT_RULES.map((r) => r.rule);
    expect(new Set(names).size).toBe(names.length);
    const lists = FINGERPRINT_RULES.flatMap((r) => (r.list === undefined ? [] : [r.list]));
    expect(new Set(lists).size).toBe(lists.length);
    for (const r of FINGERPRINT_RULES) {
      expect((r.list === undefined) !== (r.vendor === undefined)).toBe(true);
      expect(OS_FAMILIES).toContain(r.family);
      if (r.list !== undefined) expect(r.list).toMatch(/^\d{1,3}(,\d{1,3})*$/);
    }
  });

  it.each(FINGERPRINT_RULES.map((r) => [r.rule, r] as const))('row %s classifies', (_name, rule) => {
    const fp: DhcpFingerprint =
      rule.list !== undefined
        ? { ...blank, parameterList: rule.list }
        : { ...blank, vendorClass: VENDOR_SAMPLES[rule.rule] ?? '(no sample)' };
    expect(classifyFingerprint(fp)).toEqual({ family: rule.family, rule: rule.rule });
  });

  it('lets the vendor class decide before option 55 (a Windows vendor class with an Apple list)', () => {
    expect(classifyFingerprint({ ...blank, vendorClass: 'MSFT 5.0', parameterList: '1,121,3,6,15,119,252' }).family).toBe('windows');
  });

  it('classifies ChromeOS by option 55 even though its dhcpcd vendor class looks like Linux', () => {
    const fp = { ...blank, vendorClass: 'dhcpcd-5.1.4:Linux-3.8.11:armv7l:SAMSUNG EXYNOS5', parameterList: '1,121,33,3,6,12,15,26,28,51,54,58,59,119' };
    expect(classifyFingerprint(fp)).toEqual({ family: 'chromeos', rule: 'list:chromeos-dhcpcd5' });
  });

  it('answers unknown, rule none, for what it does not know', () => {
    expect(classifyFingerprint(blank)).toEqual({ family: 'unknown', rule: 'none' });
    expect(classifyFingerprint({ ...blank, parameterList: '1,3,6', vendorClass: 'Cisco Systems, Inc. IP Phone' })).toEqual({
      family: 'unknown',
      rule: 'none',
    });
    // A list must match whole: a prefix of the Windows 10 list is not Windows.
    expect(classifyFingerprint({ ...blank, parameterList: '1,3,6,15,31,33,43,44,46,47,119,121,249' }).family).toBe('unknown');
  });
});

describe('the three Debian clients (captured DISCOVERs)', () => {
  const udhcpc = fromFixture('udhcpc-1.35.0-discover.hex');
  const dhclient = fromFixture('dhclient-4.4.3-discover.hex');
  const dhcpcd = fromFixture('dhcpcd-9.4.1-discover.hex');

  it('reads their fingerprints', () => {
    expect(udhcpc).toEqual({
      parameterList: '1,3,6,12,15,28,42',
      vendorClass: 'udhcp 1.35.0',
      hostname: 'lab-udhcpc',
      clientIdType: 1,
      maxMessageSize: 576,
    });
    expect(dhclient).toEqual({
      parameterList: '1,28,2,3,15,6,119,12,44,47,26,121,42',
      vendorClass: null,
      hostname: 'vm',
      clientIdType: null,
      maxMessageSize: null,
    });
    expect(dhcpcd.parameterList).toBe('1,121,3,6,12,15,26,28,33,51,54,58,59,119');
    expect(dhcpcd.clientIdType).toBe(255);
    expect(dhcpcd.maxMessageSize).toBe(1472);
  });

  it("all classify as 'linux'", () => {
    expect(classifyFingerprint(udhcpc)).toEqual({ family: 'linux', rule: 'vendor:udhcp' });
    expect(classifyFingerprint(dhclient)).toEqual({ family: 'linux', rule: 'list:linux-dhclient' });
    expect(classifyFingerprint(dhcpcd)).toEqual({ family: 'linux', rule: 'vendor:dhcpcd-linux' });
    // Debian's stock dhcpcd.conf sends no vendor class: the option 55 row still says linux.
    expect(classifyFingerprint({ ...dhcpcd, vendorClass: null })).toEqual({ family: 'linux', rule: 'list:linux-dhcpcd9' });
  });

  it('have three different keys', () => {
    const keys = [udhcpc, dhclient, dhcpcd].map(fingerprintKey);
    expect(new Set(keys).size).toBe(3);
    expect(keys[0]).toBe('1,3,6,12,15,28,42|udhcp #');
    expect(keys[2]).toBe('1,121,3,6,12,15,26,28,33,51,54,58,59,119|dhcpcd-#:Linux');
  });
});

describe('fingerprintKey', () => {
  const base: DhcpFingerprint = { ...blank, parameterList: '1,3,6', vendorClass: 'dhcpcd-9.4.1:Linux-6.1.0-18-amd64:x86_64:GenuineIntel' };

  it('does not change with a client or kernel upgrade, a new host name or client id', () => {
    const upgraded = { ...base, vendorClass: 'dhcpcd-10.0.6:Linux-6.12.9+deb13-amd64:x86_64:AuthenticAMD', hostname: 'renamed', clientIdType: 1 };
    expect(fingerprintKey(upgraded)).toBe(fingerprintKey(base));
    expect(fingerprintKey({ ...base, vendorClass: 'android-dhcp-13' })).toBe(fingerprintKey({ ...base, vendorClass: 'android-dhcp-14' }));
  });

  it('changes when option 55 or the kind of vendor class changes', () => {
    expect(fingerprintKey({ ...base, parameterList: '1,6,3' })).not.toBe(fingerprintKey(base));
    expect(fingerprintKey({ ...base, vendorClass: 'MSFT 5.0' })).not.toBe(fingerprintKey(base));
    expect(fingerprintKey({ ...base, vendorClass: null })).not.toBe(fingerprintKey(base));
  });

  it('stays short for a long vendor class', () => {
    expect(fingerprintKey({ ...blank, vendorClass: 'x'.repeat(500) }).length).toBeLessThanOrEqual(65);
  });
});

describe('familyChange', () => {
  it('reports a change only between two different known families', () => {
    expect(familyChange('windows', 'apple')).toEqual({ from: 'windows', to: 'apple' });
    expect(familyChange('linux', 'android')).toEqual({ from: 'linux', to: 'android' });
    expect(familyChange('windows', 'windows')).toBeNull();
    expect(familyChange('unknown', 'windows')).toBeNull();
    expect(familyChange('apple', 'unknown')).toBeNull();
    expect(familyChange('unknown', 'unknown')).toBeNull();
  });

  it('flags a cloned MAC: the same chaddr with a Windows DISCOVER, then an Android one', () => {
    const chaddr = 'a4c3f0112233';
    const win = decodeDhcp(layout({ chaddr, options: '350101 3c084d53465420352e30 370e 0103060f1f212b2c2e2f7779f9fc ff' }));
    const droid = decodeDhcp(layout({ chaddr, options: '350101 3c0f616e64726f69642d646863702d3134 ff' }));
    if (!win.ok || !droid.ok) throw new Error('vectors must decode');
    const a = classifyFingerprint(fingerprintOf(win.packet));
    const b = classifyFingerprint(fingerprintOf(droid.packet));
    expect(a).toEqual({ family: 'windows', rule: 'vendor:msft' });
    expect(fingerprintOf(win.packet).parameterList).toBe('1,3,6,15,31,33,43,44,46,47,119,121,249,252');
    expect(b).toEqual({ family: 'android', rule: 'vendor:android-dhcp' });
    expect(familyChange(a.family, b.family)).toEqual({ from: 'windows', to: 'android' });
  });
});

describe('docs/dhcp-fingerprints.md', () => {
  it('lists every rule of the table with its family', () => {
    const doc = fs.readFileSync(path.resolve('docs/dhcp-fingerprints.md'), 'utf8');
    for (const r of FINGERPRINT_RULES) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${r.rule}\` |`));
      expect(row, r.rule).toBeDefined();
      expect(row).toContain(`| ${r.family}`);
      if (r.list !== undefined) expect(row).toContain(`\`${r.list}\``);
    }
  });
});
