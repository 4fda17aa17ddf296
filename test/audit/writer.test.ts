/** BatchWriter: batches by size and by interval, reports failures to waiters, bounded retry queue. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchWriter, type BatchWriterOptions } from '../../src/audit/writer.js';

interface Harness {
  writer: BatchWriter<number>;
  batches: number[][];
  errors: [unknown, number][];
  fail: { on: boolean };
}

function harness(opts: Partial<BatchWriterOptions<number>> = {}): Harness {
  const batches: number[][] = [];
  const errors: [unknown, number][] = [];
  const fail = { on: false };
  const writer = new BatchWriter<number>({
    flushIntervalMs: 50,
    batchSize: 10,
    maxQueued: 100,
    write: (batch) => {
      if (fail.on) throw new Error('disk I/O error');
      batches.push([...batch]);
    },
    onError: (e, n) => errors.push([e, n]),
    ...opts,
  });
  return { writer, batches, errors, fail };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BatchWriter', () => {
  it('commits after flushIntervalMs when fewer than batchSize records wait', () => {
    const { writer, batches } = harness();
    writer.push(1);
    writer.push(2);
    vi.advanceTimersByTime(49);
    expect(batches).toEqual([]);
    expect(writer.pending).toBe(2);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[1, 2]]);
    expect(writer.pending).toBe(0);
    expect(writer.written).toBe(2);
  });

  it('does not push the deadline back as records keep arriving', () => {
    const { writer, batches } = harness();
    writer.push(1);
    vi.advanceTimersByTime(30);
    writer.push(2);
    vi.advanceTimersByTime(20);
    expect(batches).toEqual([[1, 2]]);
  });

  it('commits on the next turn of the event loop once batchSize records wait', () => {
    const { writer, batches } = harness();
    for (let i = 0; i < 10; i++) writer.push(i);
    expect(batches).toEqual([]); // never inside push(): the hot path does not wait
    vi.advanceTimersToNextTimer(); // the setImmediate
    expect(batches).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('reports the write lag of the oldest record of the last batch', () => {
    const { writer } = harness();
    writer.push(1);
    vi.advanceTimersByTime(50);
    expect(writer.lastLagMs).toBe(50);
  });

  it('calls each waiter after its batch commits, with null', () => {
    const { writer, batches } = harness();
    const done = vi.fn((e: unknown) => {
      expect(batches).toHaveLength(1); // already committed when called
      return e;
    });
    writer.push(1, done);
    writer.push(2, done);
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(50);
    expect(done.mock.calls).toEqual([[null], [null]]);
  });

  it('gives waiters the error when the commit fails, and does not requeue their records', () => {
    const { writer, errors, fail } = harness();
    fail.on = true;
    const done = vi.fn();
    writer.push(1, done);
    writer.push(2, done);
    vi.advanceTimersByTime(50);
    expect(done).toHaveBeenCalledTimes(2);
    expect((done.mock.calls[0]![0] as Error).message).toBe('disk I/O error');
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toBe(2);
    expect(writer.failedBatches).toBe(1);
    expect(writer.pending).toBe(0); // the caller (accounting) lets the NAS retransmit
  });

  it('requeues records without waiters and retries them on the next interval', () => {
    const { writer, batches, errors, fail } = harness();
    fail.on = true;
    writer.push(1);
    writer.push(2);
    vi.advanceTimersByTime(50);
    expect(errors).toHaveLength(1);
    expect(writer.pending).toBe(2);
    writer.push(3);
    vi.advanceTimersByTime(50);
    expect(errors).toHaveLength(2);
    expect(writer.pending).toBe(3);
    fail.on = false;
    vi.advanceTimersByTime(50);
    expect(batches).toEqual([[1, 2, 3]]); // order kept
    expect(writer.pending).toBe(0);
  });

  it('a failed batch mixing records with and without waiters tells each waiter once and keeps only the others', () => {
    const { writer, batches, fail } = harness({ batchSize: 100 });
    fail.on = true;
    const heard: [number, boolean][] = [];
    const waiter = (n: number) => (err: unknown) => heard.push([n, err !== null]);
    writer.push(1);
    writer.push(2);
    writer.push(3, waiter(3)); // the first waiter arrives behind records without one
    writer.push(4);
    writer.push(5, waiter(5));
    vi.advanceTimersByTime(50);
    expect(heard).toEqual([
      [3, true],
      [5, true],
    ]);
    expect(writer.pending).toBe(3); // 1, 2, 4 requeued
    writer.push(6, waiter(6));
    writer.push(7);
    fail.on = false;
    vi.advanceTimersByTime(50);
    expect(batches).toEqual([[1, 2, 4, 6, 7]]);
    expect(heard).toEqual([
      [3, true],
      [5, true],
      [6, false],
    ]);
    writer.close();
  });

  it('bounds the queue while the store fails: beyond maxQueued records are refused and counted', () => {
    const { writer, fail } = harness({ maxQueued: 20, batchSize: 1000 });
    fail.on = true;
    for (let i = 0; i < 20; i++) expect(writer.push(i)).toBe(true);
    const done = vi.fn();
    expect(writer.push(20, done)).toBe(false);
    expect(done).toHaveBeenCalledTimes(1);
    expect(done.mock.calls[0]![0]).toBeInstanceOf(Error);
    expect(writer.dropped).toBe(1);
    vi.advanceTimersByTime(50); // fails, requeued
    expect(writer.pending).toBe(20);
    for (let i = 0; i < 5; i++) writer.push(100 + i);
    expect(writer.pending).toBe(20);
    expect(writer.dropped).toBe(6);
  });

  it('flush() commits at once; flushing nothing writes nothing', () => {
    const { writer, batches } = harness();
    writer.flush();
    expect(batches).toEqual([]);
    writer.push(1);
    writer.flush();
    expect(batches).toEqual([[1]]);
    vi.advanceTimersByTime(1000);
    expect(batches).toEqual([[1]]); // the pending timer was cancelled
  });

  it('close() flushes what waits and refuses anything further', () => {
    const { writer, batches } = harness();
    const done = vi.fn();
    writer.push(1, done);
    for (let i = 2; i <= 10; i++) writer.push(i); // also schedules the size-triggered flush
    writer.close();
    expect(batches).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    expect(done).toHaveBeenCalledWith(null);
    const late = vi.fn();
    expect(writer.push(11, late)).toBe(false);
    expect(late.mock.calls[0]![0]).toBeInstanceOf(Error);
    vi.runAllTimers();
    expect(batches).toHaveLength(1);
  });

  it('close() with a failing store reports the error to waiters and leaves no timer behind', () => {
    const { writer, fail } = harness();
    fail.on = true;
    const done = vi.fn();
    writer.push(1, done);
    writer.push(2);
    writer.close();
    expect(done.mock.calls[0]![0]).toBeInstanceOf(Error);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('background flushes in slices', () => {
  it('writes at most sliceSize records per transaction, letting the event loop turn between slices', () => {
    const batches: number[][] = [];
    const writer = new BatchWriter<number>({ flushIntervalMs: 10_000, batchSize: 10, sliceSize: 4, maxQueued: 1000, write: (b) => void batches.push([...b]), onError: () => {} });
    for (let i = 0; i < 10; i++) writer.push(i); // reaching batchSize schedules a background flush
    // Each slice is one turn of the event loop (setImmediate, faked here): one slice per step.
    vi.advanceTimersToNextTimer();
    expect(batches).toEqual([[0, 1, 2, 3]]);
    vi.advanceTimersToNextTimer();
    vi.advanceTimersToNextTimer();
    expect(batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    writer.close();
  });

  it('an explicit flush still writes everything in one transaction', () => {
    const batches: number[][] = [];
    const writer = new BatchWriter<number>({ flushIntervalMs: 10_000, batchSize: 100, sliceSize: 4, maxQueued: 1000, write: (b) => void batches.push([...b]), onError: () => {} });
    for (let i = 0; i < 9; i++) writer.push(i);
    writer.flush();
    expect(batches).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8]]);
    writer.close();
  });

  it('a waiter behind records without one hears about its own slice only', () => {
    const heard: number[] = [];
    const writer = new BatchWriter<number>({ flushIntervalMs: 10_000, batchSize: 6, sliceSize: 2, maxQueued: 100, write: () => {}, onError: () => {} });
    for (let i = 0; i < 6; i++) writer.push(i, i === 3 || i === 5 ? (err) => err === null && heard.push(i) : undefined);
    vi.advanceTimersToNextTimer();
    expect(heard).toEqual([]);
    vi.advanceTimersToNextTimer();
    expect(heard).toEqual([3]);
    vi.advanceTimersToNextTimer();
    expect(heard).toEqual([3, 5]);
    writer.close();
  });

  it('a waiter hears about its own slice only', () => {
    const heard: number[] = [];
    const writer = new BatchWriter<number>({ flushIntervalMs: 10_000, batchSize: 4, sliceSize: 2, maxQueued: 100, write: () => {}, onError: () => {} });
    for (let i = 0; i < 4; i++) writer.push(i, (err) => err === null && heard.push(i));
    vi.advanceTimersToNextTimer();
    expect(heard).toEqual([0, 1]);
    vi.advanceTimersToNextTimer();
    expect(heard).toEqual([0, 1, 2, 3]);
    writer.close();
  });
});
