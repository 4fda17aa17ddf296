/**
 * docs/errors.md must explain every error code, reject reason and drop cause Lanyard can
 * produce, each under its own "### name" heading in the right section, quoting the message
 * Lanyard shows for it — and nothing that no longer exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { REJECT_MESSAGES, REJECT_REASONS } from '../../src/policy/model.js';
import { DROP_CAUSES, DROP_MESSAGES } from '../../src/radius/drops.js';

const text = fs.readFileSync(path.resolve('docs/errors.md'), 'utf8');

/** "## Title" sections → "### name" entries → body text. Headings of more than one word are prose. */
function sections(md: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | null = null;
  let entry: string | null = null;
  for (const line of md.split('\n')) {
    const h2 = /^## (.+?)\s*$/.exec(line);
    const h3 = /^### (\S+)\s*$/.exec(line);
    if (h2 !== null) {
      section = new Map();
      out.set(h2[1]!, section);
      entry = null;
    } else if (line.startsWith('### ')) {
      entry = h3 === null ? null : h3[1]!;
      if (entry !== null && section !== null) {
        if (section.has(entry)) throw new Error(`docs/errors.md: "${entry}" is described twice`);
        section.set(entry, '');
      }
    } else if (section !== null && entry !== null) {
      section.set(entry, `${section.get(entry)!}${line}\n`);
    }
  }
  return out;
}

const doc = sections(text);

function section(title: string): Map<string, string> {
  const s = doc.get(title);
  if (s === undefined) throw new Error(`docs/errors.md has no "## ${title}" section`);
  return s;
}

/** Collapses whitespace so that a message may be wrapped across lines in the Markdown. */
const flat = (s: string): string => s.replace(/\s+/g, ' ');

const TABLES = [
  { title: 'Error codes', messages: Object.fromEntries(Object.entries(ERROR_CODES).map(([code, v]) => [code, v.summary])) as Record<string, string> },
  { title: 'Reject reasons', messages: Object.fromEntries(REJECT_REASONS.map((r) => [r, REJECT_MESSAGES[r]])) as Record<string, string> },
  { title: 'Drop causes', messages: Object.fromEntries(DROP_CAUSES.map((c) => [c, DROP_MESSAGES[c]])) as Record<string, string> },
];

describe('docs/errors.md', () => {
  for (const { title, messages } of TABLES) {
    describe(title, () => {
      it.each(Object.keys(messages))('explains %s, quoting its message, with advice', (name) => {
        const body = section(title).get(name);
        expect(body, `docs/errors.md: "### ${name}" missing under "## ${title}"`).toBeDefined();
        expect(flat(body!)).toContain(`"${flat(messages[name]!)}"`);
        // More than the quoted message: when it happens / what to check.
        expect(flat(body!).replace(`"${flat(messages[name]!)}"`, '').trim().length).toBeGreaterThan(60);
      });

      it('describes nothing that Lanyard no longer produces', () => {
        expect([...section(title).keys()].filter((k) => !(k in messages))).toEqual([]);
      });
    });
  }

  it('covers every list in full (the lists themselves are not empty)', () => {
    expect(Object.keys(ERROR_CODES).length).toBeGreaterThan(10);
    expect(REJECT_REASONS.length).toBeGreaterThan(5);
    expect(DROP_CAUSES.length).toBeGreaterThan(5);
  });
});
