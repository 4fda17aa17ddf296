/** DuplicateCache (RFC 5080 §2.2.2): keys, window, in-progress, forget, the memory bound. */
import { describe, expect, it } from 'vitest';
import { DuplicateCache, type DuplicateEntry } from '../../src/radius/duplicates.js';

/** A request whose Request Authenticator (octets 4..19) is sixteen `fill` octets. */
const packet = (fill: number): Buffer => {
  const p = Buffer.alloc(40);
  p.fill(fill, 4, 20);
  return p;
};
const A = packet(0xaa);
const B = packet(0xbb);
const REPLY = Buffer.from('reply-1');

type Verdict = 'new' | 'resend' | 'in-progress';
const verdict = (e: DuplicateEntry | null): Verdict => (e === null ? 'in-progress' : e.reply === null ? 'new' : 'resend');

/** The entry a new request recorded (fails the test on any other verdict). */
function recorded(e: DuplicateEntry | null): DuplicateEntry {
  expect(verdict(e)).toBe('new');
  return e!;
}

describe('DuplicateCache', () => {
  it('keys on service, source address, source port and Identifier', () => {
    const c = new DuplicateCache(5000);
    const k = c.key('auth', '10.0.0.1', 1812, 7);
    expect(c.key('auth', '10.0.0.1', 1812, 7)).toBe(k);
    const others = [
      c.key('auth', '10.0.0.1', 1813, 7),
      c.key('auth', '10.0.0.2', 1812, 7),
      c.key('acct', '10.0.0.1', 1812, 7),
      c.key('auth', '10.0.0.1', 1812, 8),
      c.key('auth', '::1', 1812, 7),
    ];
    expect(new Set([k, ...others]).size).toBe(6);
    // Extremes stay distinct and exact.
    const hi = c.key('acct', '10.0.0.2', 65535, 255);
    expect(Number.isSafeInteger(hi)).toBe(true);
    expect(hi).not.toBe(c.key('auth', '10.0.0.2', 65535, 255));
    expect(c.key('auth', '10.0.0.2', 0, 0)).not.toBe(c.key('acct', '10.0.0.1', 65535, 255));
  });

  it('records a new request as in progress, then resends its reply within the window', () => {
    const c = new DuplicateCache(5000);
    const k = c.key('auth', '10.0.0.1', 40000, 1);
    const entry = recorded(c.check(k, A, 0));
    expect(verdict(c.check(k, A, 10))).toBe('in-progress');
    c.complete(entry, REPLY);
    const again = c.check(k, A, 4999);
    expect(verdict(again)).toBe('resend');
    expect(again!.reply).toBe(REPLY);
  });

  it('forgets entries once the window has passed', () => {
    const c = new DuplicateCache(5000);
    c.complete(recorded(c.check(1, A, 1000)), REPLY);
    expect(verdict(c.check(1, A, 5999))).toBe('resend');
    expect(verdict(c.check(1, A, 6000))).toBe('new');
  });

  it('expires old entries as time moves on, whatever key is asked about', () => {
    const c = new DuplicateCache(100);
    for (let i = 0; i < 10; i++) c.check(i, A, i);
    expect(c.size).toBe(10);
    c.check(99, A, 105); // keys 0..5 are 100+ ms old
    expect(c.size).toBe(5);
  });

  it('treats the same id with a new Request Authenticator as a new request, replacing the old entry', () => {
    const c = new DuplicateCache(5000);
    c.complete(recorded(c.check(1, A, 0)), REPLY);
    recorded(c.check(1, B, 1));
    expect(c.size).toBe(1);
    expect(verdict(c.check(1, B, 2))).toBe('in-progress');
    expect(verdict(c.check(1, A, 3))).toBe('new');
  });

  it('tells authenticators apart in every one of their sixteen octets', () => {
    const c = new DuplicateCache(5000);
    c.complete(recorded(c.check(1, A, 0)), REPLY);
    for (let i = 4; i < 20; i++) {
      const p = Buffer.from(A);
      p[i] = 0x00;
      const e = recorded(c.check(1, p, 1));
      c.complete(e, REPLY);
      c.complete(recorded(c.check(1, A, 1)), REPLY); // back to A
    }
  });

  it('keeps the authenticator it records (the datagram buffer may be reused)', () => {
    const c = new DuplicateCache(5000);
    const p = Buffer.from(A);
    c.check(1, p, 0);
    p.fill(0);
    expect(verdict(c.check(1, A, 1))).toBe('in-progress');
  });

  it('forget() lets a dropped request be handled afresh', () => {
    const c = new DuplicateCache(5000);
    c.forget(recorded(c.check(1, A, 0)));
    expect(verdict(c.check(1, A, 1))).toBe('new');
  });

  it('forget() of a request that a newer one replaced leaves the newer one recorded', () => {
    const c = new DuplicateCache(5000);
    const old = recorded(c.check(1, A, 0));
    recorded(c.check(1, B, 1)); // same key, new authenticator: replaces
    c.forget(old); // the old request's late failure
    expect(verdict(c.check(1, B, 2))).toBe('in-progress');
  });

  it('complete() of a replaced request does not touch the newer one', () => {
    const c = new DuplicateCache(5000);
    const old = recorded(c.check(1, A, 0));
    recorded(c.check(1, B, 1));
    c.complete(old, REPLY);
    expect(verdict(c.check(1, B, 2))).toBe('in-progress');
  });

  it('never holds more than maxEntries, evicting the oldest first', () => {
    const c = new DuplicateCache(60_000, 100);
    for (let i = 0; i < 1000; i++) c.check(i, A, i);
    expect(c.size).toBe(100);
    expect(verdict(c.check(999, A, 1000))).toBe('in-progress'); // newest kept
    expect(verdict(c.check(0, A, 1000))).toBe('new'); // oldest evicted
  });

  it('starts afresh rather than let source numbers grow without bound', () => {
    const c = new DuplicateCache(60_000);
    const first = c.key('auth', '10.0.0.1', 1, 1);
    c.check(first, A, 0);
    // 10.0.0.1 is among these: 65,536 distinct sources in all, the most it numbers.
    for (let i = 0; i < 65_536; i++) c.key('auth', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1, 1);
    expect(c.size).toBe(1);
    c.key('auth', '192.0.2.1', 1, 1); // the 65,537th clears everything and numbering restarts
    expect(c.size).toBe(0);
    expect(c.key('auth', '192.0.2.1', 1, 1)).toBe(1 * 512 + 1);
  });

  it('clear() empties it', () => {
    const c = new DuplicateCache(5000);
    c.check(1, A, 0);
    c.check(2, A, 0);
    c.clear();
    expect(c.size).toBe(0);
  });
});
