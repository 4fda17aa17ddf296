/** DuplicateCache (RFC 5080 §2.2.2): window, in-progress, forget, the memory bound. */
import { describe, expect, it } from 'vitest';
import { DuplicateCache, type DuplicateEntry, type DuplicateVerdict } from '../../src/radius/duplicates.js';

const A = Buffer.alloc(16, 0xaa);
const B = Buffer.alloc(16, 0xbb);
const REPLY = Buffer.from('reply-1');

/** The entry a 'new' verdict recorded (fails the test on any other verdict). */
function recorded(v: DuplicateVerdict): DuplicateEntry {
  expect(v.kind).toBe('new');
  if (v.kind !== 'new') throw new Error('not new');
  return v.entry;
}

describe('DuplicateCache', () => {
  it('keys on service, source address, source port and Identifier', () => {
    expect(DuplicateCache.key('auth', '10.0.0.1', 1812, 7)).toBe('auth|10.0.0.1|1812|7');
    expect(DuplicateCache.key('auth', '10.0.0.1', 1812, 7)).not.toBe(DuplicateCache.key('auth', '10.0.0.1', 1813, 7));
    expect(DuplicateCache.key('auth', '10.0.0.1', 1812, 7)).not.toBe(DuplicateCache.key('auth', '10.0.0.2', 1812, 7));
    expect(DuplicateCache.key('auth', '10.0.0.1', 1812, 7)).not.toBe(DuplicateCache.key('acct', '10.0.0.1', 1812, 7));
  });

  it('records a new request as in progress, then resends its reply within the window', () => {
    const c = new DuplicateCache(5000);
    const k = DuplicateCache.key('auth', '10.0.0.1', 40000, 1);
    const entry = recorded(c.check(k, A, 0));
    expect(c.check(k, A, 10)).toEqual({ kind: 'in-progress' });
    c.complete(entry, REPLY);
    expect(c.check(k, A, 4999)).toEqual({ kind: 'resend', reply: REPLY });
  });

  it('forgets entries once the window has passed', () => {
    const c = new DuplicateCache(5000);
    c.complete(recorded(c.check('k', A, 1000)), REPLY);
    expect(c.check('k', A, 5999).kind).toBe('resend');
    expect(c.check('k', A, 6000).kind).toBe('new');
  });

  it('expires old entries as time moves on, whatever key is asked about', () => {
    const c = new DuplicateCache(100);
    for (let i = 0; i < 10; i++) c.check(`k${i}`, A, i);
    expect(c.size).toBe(10);
    c.check('other', A, 105); // k0..k5 are 100+ ms old
    expect(c.size).toBe(5);
  });

  it('treats the same id with a new Request Authenticator as a new request, replacing the old entry', () => {
    const c = new DuplicateCache(5000);
    c.complete(recorded(c.check('k', A, 0)), REPLY);
    recorded(c.check('k', B, 1));
    expect(c.size).toBe(1);
    expect(c.check('k', B, 2)).toEqual({ kind: 'in-progress' });
    expect(c.check('k', A, 3).kind).toBe('new');
  });

  it('copies the authenticator it records (the datagram buffer may be reused)', () => {
    const c = new DuplicateCache(5000);
    const auth = Buffer.from(A);
    c.check('k', auth, 0);
    auth.fill(0);
    expect(c.check('k', A, 1)).toEqual({ kind: 'in-progress' });
  });

  it('forget() lets a dropped request be handled afresh', () => {
    const c = new DuplicateCache(5000);
    const entry = recorded(c.check('k', A, 0));
    c.forget('k', entry);
    expect(c.check('k', A, 1).kind).toBe('new');
  });

  it('forget() of a request that a newer one replaced leaves the newer one recorded', () => {
    const c = new DuplicateCache(5000);
    const old = recorded(c.check('k', A, 0));
    recorded(c.check('k', B, 1)); // same key, new authenticator: replaces
    c.forget('k', old); // the old request's late failure
    expect(c.check('k', B, 2)).toEqual({ kind: 'in-progress' });
  });

  it('complete() of a replaced request does not touch the newer one', () => {
    const c = new DuplicateCache(5000);
    const old = recorded(c.check('k', A, 0));
    recorded(c.check('k', B, 1));
    c.complete(old, REPLY);
    expect(c.check('k', B, 2)).toEqual({ kind: 'in-progress' });
  });

  it('never holds more than maxEntries, evicting the oldest first', () => {
    const c = new DuplicateCache(60_000, 100);
    for (let i = 0; i < 1000; i++) c.check(`k${i}`, A, i);
    expect(c.size).toBe(100);
    expect(c.check('k999', A, 1000)).toEqual({ kind: 'in-progress' }); // newest kept
    expect(c.check('k0', A, 1000).kind).toBe('new'); // oldest evicted
  });

  it('clear() empties it', () => {
    const c = new DuplicateCache(5000);
    c.check('a', A, 0);
    c.check('b', A, 0);
    c.clear();
    expect(c.size).toBe(0);
  });
});
