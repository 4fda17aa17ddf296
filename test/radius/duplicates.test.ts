/** DuplicateCache (RFC 5080 §2.2.2): keys, window, in-progress, forget, the memory bound. */
import { describe, expect, it } from 'vitest';
import { DUP_ANSWERED, DUP_IN_PROGRESS, DuplicateCache, SLOT_REPLY_BYTES } from '../../src/radius/duplicates.js';

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
const verdict = (h: number): Verdict => (h === DUP_IN_PROGRESS ? 'in-progress' : h === DUP_ANSWERED ? 'resend' : 'new');

/** The handle a new request recorded (fails the test on any other verdict). */
function recorded(h: number): number {
  expect(verdict(h)).toBe('new');
  return h;
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
    expect(verdict(c.check(k, A, 4999))).toBe('resend');
    expect(c.resend).toEqual(REPLY);
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

  it('keeps a reply longer than a slot (an EAP Access-Challenge) whole', () => {
    const c = new DuplicateCache(5000);
    const long = Buffer.alloc(SLOT_REPLY_BYTES * 7 + 3, 0x5a);
    const short = Buffer.alloc(SLOT_REPLY_BYTES, 0x33);
    c.complete(recorded(c.check(1, A, 0)), long);
    c.complete(recorded(c.check(2, A, 0)), short);
    expect(verdict(c.check(1, A, 1))).toBe('resend');
    expect(c.resend).toEqual(long);
    expect(verdict(c.check(2, A, 1))).toBe('resend');
    expect(c.resend).toEqual(short);
  });

  it('resends a copy: the reply it stored is not changed by later requests in the same slot', () => {
    const c = new DuplicateCache(10, 4);
    c.complete(recorded(c.check(1, A, 0)), Buffer.from('first'));
    expect(verdict(c.check(1, A, 1))).toBe('resend');
    const kept = c.resend!;
    for (let i = 2; i < 40; i++) c.complete(recorded(c.check(i, A, 100 + i)), Buffer.from(`reply ${i}`));
    expect(kept.toString()).toBe('first');
  });

  it('grows past its first size while entries are inside the window, keeping every one', () => {
    const c = new DuplicateCache(60_000);
    const n = 5000; // more than the initial ring
    const keyOf = (i: number): number => c.key('auth', `10.0.${i >> 8}.${i & 255}`, 1812 + (i % 7), i & 255);
    for (let i = 0; i < n; i++) {
      const h = recorded(c.check(keyOf(i), A, i));
      if (i % 3 !== 0) c.complete(h, Buffer.from(`reply ${i}`));
      else if (i % 2 === 0) c.forget(h);
    }
    for (let i = 0; i < n; i++) {
      const v = verdict(c.check(keyOf(i), A, n));
      if (i % 3 !== 0) {
        expect(v).toBe('resend');
        expect(c.resend!.toString()).toBe(`reply ${i}`);
      } else if (i % 2 === 0) expect(v).toBe('new');
      else expect(v).toBe('in-progress');
    }
  });

  it('finds every held key after many inserts, replacements and deletions (index consistency)', () => {
    // A model check: a Map says what the cache must answer; keys collide in the index on purpose
    // (few distinct keys, many authenticators), so probing runs and backward shifts are exercised.
    const c = new DuplicateCache(1000, 512);
    const model = new Map<number, { fill: number; at: number; reply: string | null }>();
    let seed = 12345;
    const rand = (m: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % m;
    };
    const handles = new Map<number, number>();
    for (let t = 0; t < 20_000; t++) {
      const now = Math.floor(t / 4);
      for (const [k, e] of model) if (now - e.at >= 1000) model.delete(k);
      const key = rand(300) * 2 ** 25 + rand(3);
      const fill = 1 + rand(3);
      const h = c.check(key, packet(fill), now);
      const m = model.get(key);
      if (m !== undefined && m.fill === fill) {
        expect(verdict(h)).toBe(m.reply === null ? 'in-progress' : 'resend');
        if (m.reply !== null) expect(c.resend!.toString()).toBe(m.reply);
        continue;
      }
      expect(verdict(h)).toBe('new');
      model.set(key, { fill, at: now, reply: null });
      handles.set(key, h);
      const action = rand(4);
      if (action < 2) {
        const reply = `r${t}`;
        c.complete(h, Buffer.from(reply));
        model.get(key)!.reply = reply;
      } else if (action === 2) {
        c.forget(h);
        model.delete(key);
      }
    }
    expect(c.size).toBe(model.size);
  });

  it('clear() empties it', () => {
    const c = new DuplicateCache(5000);
    c.check(1, A, 0);
    c.check(2, A, 0);
    c.clear();
    expect(c.size).toBe(0);
  });
});
