/**
 * The send queue with a fake clock (plain numbers): retransmission with exponential backoff
 * (RFC 5080 §2.2.1), giving up after `retries`, the in-flight window and its Identifiers, the
 * queue limit dropping the oldest, and answers matched by Identifier and verified.
 */
import { describe, expect, it } from 'vitest';
import { backoffMs, FeedQueue, MAX_BACKOFF_MS } from '../../src/feed/queue.js';

/** Stands in for the encoder: one distinct datagram per (item, Identifier). */
const encode = (item: string, identifier: number): Buffer => Buffer.from(`${identifier}:${item}`);

/** Runs due() at `now`; returns the items retransmitted and failed. */
function tick(q: FeedQueue<string>, now: number): { resent: string[]; failed: string[] } {
  const { resend, failed } = q.due(now);
  return { resent: resend.map((t) => t.item), failed };
}

describe('backoffMs', () => {
  it('doubles from the timeout and stops doubling at the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(2000, n))).toEqual([2000, 4000, 8000, 16000]);
    expect(backoffMs(2000, 10)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(90_000, 3)).toBe(90_000); // never below the timeout itself
  });
});

describe('FeedQueue retries with a fake clock', () => {
  it('retransmits the same bytes after 2, 4, 8 s, then gives up after the third retry', () => {
    const q = new FeedQueue<string>({ queueLimit: 10, timeoutMs: 2000, retries: 3, expectResponse: true });
    q.push('start-a');
    const first = q.take(0, encode);
    expect(first.map((t) => [t.item, t.retry])).toEqual([['start-a', 0]]);
    expect(q.nextDeadline()).toBe(2000);
    expect(tick(q, 1999)).toEqual({ resent: [], failed: [] });
    const r1 = q.due(2000);
    expect(r1.resend.map((t) => t.retry)).toEqual([1]);
    expect(r1.resend[0]!.packet).toBe(first[0]!.packet); // RFC 5080 §2.2.1: identical retransmission
    expect(q.nextDeadline()).toBe(6000);
    expect(tick(q, 6000).resent).toEqual(['start-a']);
    expect(q.nextDeadline()).toBe(14000);
    expect(tick(q, 14000).resent).toEqual(['start-a']);
    expect(q.nextDeadline()).toBe(30000);
    expect(tick(q, 29999)).toEqual({ resent: [], failed: [] });
    expect(tick(q, 30000)).toEqual({ resent: [], failed: ['start-a'] });
    expect(q.counters).toMatchObject({ sent: 1, retried: 3, failed: 1, answered: 0 });
    expect(q.inFlight).toBe(0);
    expect(q.nextDeadline()).toBeNull();
  });

  it('an answer settles the request: no more retransmissions', () => {
    const q = new FeedQueue<string>({ queueLimit: 10, timeoutMs: 1000, retries: 2, expectResponse: true });
    q.push('a');
    q.push('b');
    const sent = q.take(0, encode);
    const idOf = (item: string): number => Number(sent.find((t) => t.item === item)!.packet.toString().split(':')[0]);
    expect(idOf('a')).not.toBe(idOf('b'));
    expect(q.answer(idOf('a'), (request) => request.toString() === `${idOf('a')}:a`)).toBe('a');
    expect(tick(q, 1000).resent).toEqual(['b']);
    expect(q.counters).toMatchObject({ sent: 2, answered: 1, retried: 1 });
  });

  it('answers that match no request, or fail verification, are counted and change nothing', () => {
    const q = new FeedQueue<string>({ queueLimit: 10, timeoutMs: 1000, retries: 0, expectResponse: true });
    q.push('a');
    const [t] = q.take(0, encode);
    const id = Number(t!.packet.toString().split(':')[0]);
    expect(q.answer((id + 1) & 0xff, () => true)).toBeNull();
    expect(q.answer(id, () => false)).toBeNull(); // e.g. a wrong secret
    expect(q.counters.badResponses).toBe(2);
    expect(q.inFlight).toBe(1);
    expect(tick(q, 1000).failed).toEqual(['a']); // retries: 0 — one transmission only
    expect(q.answer(id, () => true)).toBeNull(); // too late: already given up
    expect(q.counters).toMatchObject({ failed: 1, answered: 0, badResponses: 3 });
  });

  it('keeps at most `window` requests in flight, each with its own Identifier', () => {
    const q = new FeedQueue<string>({ queueLimit: 1000, timeoutMs: 1000, retries: 1, expectResponse: true, window: 300 });
    for (let i = 0; i < 400; i++) q.push(`e${i}`);
    const sent = q.take(0, encode);
    expect(sent).toHaveLength(256); // RFC 2865 §3: the Identifier is one octet
    expect(new Set(sent.map((t) => t.packet.toString().split(':')[0])).size).toBe(256);
    expect(q.waiting).toBe(144);
    expect(q.take(1, encode)).toEqual([]);
    const id = Number(sent[10]!.packet.toString().split(':')[0]);
    expect(q.answer(id, () => true)).toBe('e10');
    const next = q.take(2, encode);
    expect(next.map((t) => [t.item, t.packet.toString().split(':')[0]])).toEqual([['e256', String(id)]]);
  });

  it('a receiver that never answers: each request is sent once and done', () => {
    const q = new FeedQueue<string>({ queueLimit: 10, timeoutMs: 1000, retries: 3, expectResponse: false });
    q.push('a');
    q.push('b');
    expect(q.take(0, encode)).toHaveLength(2);
    expect(q.inFlight).toBe(0);
    expect(q.nextDeadline()).toBeNull();
    expect(tick(q, 60_000)).toEqual({ resent: [], failed: [] });
    expect(q.counters).toMatchObject({ sent: 2, retried: 0, failed: 0 });
  });
});

describe('FeedQueue limit', () => {
  it('drops the oldest waiting request beyond queueLimit and counts it', () => {
    const q = new FeedQueue<string>({ queueLimit: 3, timeoutMs: 1000, retries: 0, expectResponse: true, window: 1 });
    expect(['a', 'b', 'c'].map((x) => q.push(x))).toEqual([null, null, null]);
    expect(q.push('d')).toBe('a');
    expect(q.push('e')).toBe('b');
    expect(q.counters.droppedQueueFull).toBe(2);
    expect(q.waiting).toBe(3);
    expect(q.take(0, encode).map((t) => t.item)).toEqual(['c']); // window 1
    expect(q.push('f')).toBeNull(); // in flight does not count against the limit
    expect(q.waiting).toBe(3);
    expect(tick(q, 1000).failed).toEqual(['c']);
    expect(q.take(1000, encode).map((t) => t.item)).toEqual(['d']);
    expect(q.clear()).toBe(3);
  });

  it('stays bounded under a long outage (many more pushes than the limit)', () => {
    const q = new FeedQueue<number>({ queueLimit: 100, timeoutMs: 1000, retries: 0, expectResponse: true, window: 1 });
    for (let i = 0; i < 50_000; i++) q.push(i);
    expect(q.waiting).toBe(100);
    expect(q.counters.droppedQueueFull).toBe(49_900);
    expect(q.take(0, (i, id) => Buffer.from([id, i & 0xff])).map((t) => t.item)).toEqual([49_900]);
  });
});

describe('FeedQueue memory', () => {
  it('frees what it has sent even when the backlog never empties and never reaches the limit', () => {
    const q = new FeedQueue<string>({ queueLimit: 10_000, timeoutMs: 2000, retries: 3, expectResponse: true, window: 1 });
    q.push('e-0');
    for (let i = 1; i <= 5000; i++) {
      q.push(`e-${i}`); // one more arrives before each answer: one always waits
      const [t] = q.take(i, encode);
      const identifier = Number(t!.packet.toString().split(':')[0]); // the stand-in encoder's "id:item"
      expect(q.answer(identifier, () => true)).toBe(t!.item);
    }
    expect(q.waiting).toBe(1);
    expect(q.slots).toBeLessThan(2100);
  });
});

describe('FeedQueue order per session (orderKey)', () => {
  /** Items are "<session>:<event>"; the session is the order key. */
  const ordered = (): FeedQueue<string> =>
    new FeedQueue<string>({ queueLimit: 100, timeoutMs: 1000, retries: 1, expectResponse: true, orderKey: (item) => item.split(':')[0]! });
  const idOf = (t: { packet: Buffer }): number => Number(t.packet.toString().split(':')[0]);

  it("sends a session's Stop only after its Start was answered, holding what queued behind it", () => {
    const q = ordered();
    q.push('s1:start');
    q.push('s1:stop');
    q.push('s2:start');
    const first = q.take(0, encode);
    expect(first.map((t) => t.item)).toEqual(['s1:start']); // s1:stop waits, and s2 behind it
    expect(q.take(10, encode)).toEqual([]);
    expect(q.answer(idOf(first[0]!), () => true)).toBe('s1:start');
    expect(q.take(20, encode).map((t) => t.item)).toEqual(['s1:stop', 's2:start']);
  });

  it('a Start that fails after its retries releases the Stop behind it', () => {
    const q = ordered();
    q.push('s1:start');
    q.push('s1:stop');
    expect(q.take(0, encode).map((t) => t.item)).toEqual(['s1:start']);
    expect(tick(q, 1000).resent).toEqual(['s1:start']); // the retransmission still holds the Stop
    expect(q.take(1000, encode)).toEqual([]);
    expect(tick(q, 3000).failed).toEqual(['s1:start']);
    expect(q.take(3000, encode).map((t) => t.item)).toEqual(['s1:stop']);
  });

  it('different sessions are in flight together', () => {
    const q = ordered();
    for (const s of ['a', 'b', 'c']) q.push(`${s}:start`);
    expect(q.take(0, encode).map((t) => t.item)).toEqual(['a:start', 'b:start', 'c:start']);
    expect(q.inFlight).toBe(3);
  });

  it('without orderKey the window alone limits what is in flight (as before)', () => {
    const q = new FeedQueue<string>({ queueLimit: 100, timeoutMs: 1000, retries: 1, expectResponse: true });
    q.push('s1:start');
    q.push('s1:stop');
    expect(q.take(0, encode).map((t) => t.item)).toEqual(['s1:start', 's1:stop']);
  });
});
