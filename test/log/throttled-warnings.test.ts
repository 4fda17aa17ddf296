/** ThrottledWarnings (src/log.ts): warn once per key per window, debug in between, bounded memo. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, ThrottledWarnings } from '../../src/log.js';

function capture(): { lines: { level: number; msg: string; key?: string }[]; stream: Writable } {
  const lines: { level: number; msg: string; key?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  return { lines, stream };
}

const WARN = 40;
const DEBUG = 20;

describe('ThrottledWarnings', () => {
  it('warns the first of a key, logs repeats at debug for the window, then warns again', () => {
    const { lines, stream } = capture();
    let now = 0;
    const w = new ThrottledWarnings(createLogger('debug', stream), 60_000, 100, () => now);
    w.warn('a', { key: 'a' }, 'first', 'again');
    now = 59_000;
    w.warn('a', { key: 'a' }, 'first', 'again');
    w.warn('b', { key: 'b' }, 'other key');
    now = 60_001;
    w.warn('a', { key: 'a' }, 'first', 'again');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [WARN, 'first'],
      [DEBUG, 'again'],
      [WARN, 'other key'],
      [WARN, 'first'],
    ]);
  });

  it('keeps at most memoLimit keys: past it, the memo starts afresh', () => {
    const { lines, stream } = capture();
    const w = new ThrottledWarnings(createLogger('debug', stream), 60_000, 2, () => 0);
    for (const k of ['a', 'b', 'c', 'a']) w.warn(k, {}, k);
    // a, b remembered; c clears the memo (then remembers c); a is new again.
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [WARN, 'a'],
      [WARN, 'b'],
      [WARN, 'c'],
      [WARN, 'a'],
    ]);
  });
});
