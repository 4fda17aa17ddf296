/**
 * Dictionaries and constants, plus the purity rule: the codec imports nothing but
 * node:crypto, node:buffer and its own files.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  Attr,
  Code,
  ErrorCause,
  KNOWN_CODES,
  STANDARD_ATTRIBUTES,
  VENDORS,
  VendorId,
  attributeByName,
  attributeByType,
  codeName,
  isKnownCode,
  vendorAttribute,
  vendorAttributeByName,
  vendorById,
  vendorByName,
} from '../../../src/protocols/radius/index.js';

describe('constants', () => {
  it('packet codes match RFC 2865 §3 / RFC 5176 §2.3', () => {
    expect(KNOWN_CODES).toEqual([1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45]);
    expect(isKnownCode(Code.CoaNak)).toBe(true);
    expect(isKnownCode(0)).toBe(false);
    expect(isKnownCode(256)).toBe(false);
    expect(codeName(11)).toBe('AccessChallenge');
    expect(codeName(7)).toBeUndefined();
    expect(ErrorCause.SessionContextNotFound).toBe(503);
  });
});

describe('standard dictionary', () => {
  it('has unique types and names, and agrees with Attr', () => {
    const types = new Set(STANDARD_ATTRIBUTES.map((a) => a.type));
    expect(types.size).toBe(STANDARD_ATTRIBUTES.length);
    expect(new Set(Object.values(Attr)).size).toBe(Object.values(Attr).length);
    for (const t of Object.values(Attr)) expect(attributeByType(t), `type ${t}`).toBeDefined();
  });

  it('looks up by number and by name', () => {
    expect(attributeByType(31)?.name).toBe('Calling-Station-Id');
    expect(attributeByName('calling-station-id')?.type).toBe(31);
    expect(attributeByType(2)?.encrypt).toBe(1);
    expect(attributeByType(69)).toMatchObject({ hasTag: true, encrypt: 2 });
    expect(attributeByType(64)?.hasTag).toBe(true);
    expect(attributeByType(81)?.name).toBe('Tunnel-Private-Group-Id');
    expect(attributeByType(17)).toBeUndefined();
  });
});

describe('vendor dictionaries', () => {
  it('registry by id and name', () => {
    expect(vendorById(14823)?.name).toBe('Aruba');
    expect(vendorByName('AIRESPACE')?.vendorId).toBe(VendorId.Airespace);
    expect(vendorAttribute(9, 1)?.name).toBe('Cisco-AVPair');
    expect(vendorAttribute(311, 16)).toMatchObject({ name: 'MS-MPPE-Send-Key', encrypt: 2 });
    expect(vendorAttribute(14823, 44)).toMatchObject({ name: 'Aruba-MPSK-Passphrase', encrypt: 2 });
    expect(vendorAttributeByName('Fortinet-Group-Name')).toMatchObject({ vendorId: 12356, attribute: { type: 1 } });
    expect(vendorAttributeByName('Meraki-Device-Name')?.vendorId).toBe(29671);
    expect(vendorAttributeByName('Ruckus-User-Groups')?.attribute.type).toBe(1);
  });

  it('each vendor has unique types and prefixed names', () => {
    for (const v of VENDORS) {
      expect(new Set(v.attributes.map((a) => a.type)).size).toBe(v.attributes.length);
      const prefix = v.name === 'Microsoft' ? 'MS-' : `${v.name}-`;
      for (const a of v.attributes) expect(a.name.startsWith(prefix), a.name).toBe(true);
    }
  });
});

describe('purity', () => {
  const root = fileURLToPath(new URL('../../../src/protocols/radius/', import.meta.url));
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(root);

  it('imports only node:crypto, node:buffer and relative files', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/from\s+'([^']+)'/g)) {
        const spec = m[1]!;
        expect(spec === 'node:crypto' || spec === 'node:buffer' || spec.startsWith('./') || spec.startsWith('../'), `${f}: ${spec}`).toBe(true);
        if (spec.startsWith('.')) expect(spec.endsWith('.js'), `${f}: ${spec}`).toBe(true);
      }
    }
  });

  it('uses no clock, randomness, environment, console or any', () => {
    for (const f of files) {
      const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, f).not.toMatch(/Date\.now|Math\.random|randomBytes|process\.|console\.|: any\b|as any\b|<any>/);
    }
  });
});
