/**
 * The daemon's V8 flags (src/cli/node-flags.ts) are passed where the daemon is started: the
 * `lanyard` command's first line (kept by tsc in dist/src/main.js) and `npm start`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVE_NODE_FLAGS } from '../../src/cli/node-flags.js';

describe('the daemon runs with SERVE_NODE_FLAGS', () => {
  it('in the lanyard command\'s first line, source and build', () => {
    for (const file of ['src/main.ts', 'dist/src/main.js']) {
      const first = readFileSync(file, 'utf8').split('\n', 1)[0]!;
      expect(first, file).toBe(`#!/usr/bin/env -S node ${SERVE_NODE_FLAGS.join(' ')}`);
    }
  });

  it('in npm start', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${SERVE_NODE_FLAGS.join(' ')} dist/src/main.js serve`);
  });
});
