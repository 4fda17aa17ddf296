/** LatencyHistogram: exact below 64 µs, log-linear (32 sub-buckets per octave) above. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/histogram.js';

/** Worst relative error of a reported value above 64 µs: one sub-bucket of 32 per octave. */
const MAX_REL_ERROR = 1 / 32;

function single(us: number): number {
  const h = new LatencyHistogram();
  h.record(us);
  return h.percentile(50);
}

describe('LatencyHistogram', () => {
  it('reports 0 for every figure when empty', () => {
    const h = new LatencyHistogram();
    expect([h.count, h.mean, h.max, h.percentile(50), h.percentile(99)]).toEqual([0, 0, 0, 0, 0]);
  });

  it('is exact for whole microseconds below 64', () => {
    for (let us = 0; us < 64; us++) expect(single(us)).toBe(us);
  });

  it('truncates fractions below 64 µs to the whole microsecond', () => {
    expect(single(12.9)).toBe(12);
    expect(single(0.4)).toBe(0);
  });

  it('counts negative samples (clock steps) in the zero bucket', () => {
    expect(single(-5)).toBe(0);
  });

  it('places every whole value above 64 µs in the bucket whose lower bound is within 1/32 below it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 2 ** 31 - 1 }), (us) => {
        const got = single(us);
        expect(got).toBeLessThanOrEqual(us);
        expect((us - got) / us).toBeLessThan(MAX_REL_ERROR);
      }),
      { numRuns: 5000, seed: 64 },
    );
  });

  it('keeps bucket boundaries exact at powers of two', () => {
    for (let p = 6; p < 31; p++) expect(single(2 ** p)).toBe(2 ** p);
    expect(single(65)).toBe(64); // 2 µs wide buckets in the first octave
    expect(single(66)).toBe(66);
    expect(single(127)).toBe(126);
    expect(single(128)).toBe(128);
    expect(single(131)).toBe(128); // 4 µs wide in the next
    expect(single(132)).toBe(132);
  });

  it('clamps very large values into the last bucket instead of overflowing', () => {
    const h = new LatencyHistogram();
    h.record(1e12);
    expect(h.count).toBe(1);
    expect(h.percentile(100)).toBeGreaterThan(2 ** 30);
    expect(h.max).toBe(1e12);
  });

  it('computes percentiles by rank over the recorded samples', () => {
    const h = new LatencyHistogram();
    for (let us = 1; us <= 50; us++) h.record(us); // exact range
    expect(h.percentile(0)).toBe(1);
    expect(h.percentile(50)).toBe(25);
    expect(h.percentile(90)).toBe(45);
    expect(h.percentile(99)).toBe(50);
    expect(h.percentile(100)).toBe(50);
    expect(h.count).toBe(50);
    expect(h.mean).toBeCloseTo(25.5, 10);
    expect(h.max).toBe(50);
  });

  it('reports a tail percentile within 1/32 on a spread of latencies', () => {
    const h = new LatencyHistogram();
    const samples: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const us = 50 + ((i * 7919) % 20_000);
      samples.push(us);
      h.record(us);
    }
    samples.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = samples[Math.ceil((p / 100) * samples.length) - 1]!;
      const got = h.percentile(p);
      expect(got).toBeLessThanOrEqual(exact);
      expect((exact - got) / exact).toBeLessThan(MAX_REL_ERROR);
    }
  });

  it('reset() forgets everything', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 100; i++) h.record(i * 100);
    h.reset();
    expect([h.count, h.mean, h.max, h.percentile(99)]).toEqual([0, 0, 0, 0]);
    h.record(7);
    expect(h.percentile(50)).toBe(7);
  });

  it('gives cumulative counts of samples below each bound (Prometheus-style buckets)', () => {
    const h = new LatencyHistogram();
    for (const us of [5, 10, 50, 100, 250, 1000, 5000, 20_000]) h.record(us);
    expect(h.cumulative([1, 6, 11, 64, 101, 256, 1024, 8192, 1e9])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // Non-decreasing whatever the bounds.
    const c = h.cumulative([10, 100, 1000, 10_000, 100_000]);
    for (let i = 1; i < c.length; i++) expect(c[i]!).toBeGreaterThanOrEqual(c[i - 1]!);
    expect(h.cumulative([])).toEqual([]);
  });
});
