/** docs/vendors.md's table of role attributes must say what Lanyard really sends per `vendor:`. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMac } from '../../src/policy/mac.js';
import { NAS_VENDORS } from '../../src/policy/model.js';
import { VENDOR_ROLE_ATTRIBUTE } from '../../src/radius/replies.js';

const text = fs.readFileSync(path.resolve('docs/vendors.md'), 'utf8');

/** Rows of the "attribute sent for the role" table: vendor names → attribute cell, ids cell. */
function table(): Map<string, { attribute: string; ids: string }> {
  const rows = new Map<string, { attribute: string; ids: string }>();
  const start = text.indexOf('| `vendor:` on the NAS client |');
  expect(start).toBeGreaterThan(-1);
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [names, attribute, ids] = line.split('|').slice(1, 4).map((c) => c.trim());
    for (const m of names!.matchAll(/`([a-z]+)`/g)) rows.set(m[1]!, { attribute: attribute!, ids: ids! });
  }
  return rows;
}

describe('docs/vendors.md', () => {
  const rows = table();

  it.each(NAS_VENDORS)('documents what is sent for vendor: %s', (vendor) => {
    const row = rows.get(vendor);
    expect(row, `no row for \`${vendor}\``).toBeDefined();
    const attr = VENDOR_ROLE_ATTRIBUTE[vendor];
    if (attr === null) {
      expect(row!.attribute).toMatch(/none/);
    } else {
      expect(row!.attribute).toBe(attr.name);
      expect(row!.ids).toBe(`${attr.vendorId} / ${attr.type}`);
    }
  });

  it('warns about the single-hyphen MAC form while Lanyard does not read it', () => {
    if (parseMac('aabbcc-ddeeff') < 0) expect(text).toContain('aabbcc-ddeeff');
  });
});
