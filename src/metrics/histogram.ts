/**
 * A latency histogram cheap enough to stay on in production: one array increment per
 * sample, no allocation. Buckets are log-linear (like HDR histograms): exact below 64 µs,
 * then 32 sub-buckets per power of two, so any value is reported within 1/32 (3.1 %) below it.
 */

const LINEAR = 64; // values 0..63 µs get one bucket each
const SUB_BITS = 5; // 32 sub-buckets per octave above that
const SUB = 1 << SUB_BITS;
const MAX_OCTAVE = 26; // up to ~2^32 µs (over an hour): anything larger is clamped

function bucketOf(us: number): number {
  const v = us < 0 ? 0 : Math.floor(us);
  if (v < LINEAR) return v;
  // octave = floor(log2(v)) - 5 (v ≥ 64 means log2 ≥ 6)
  const log2 = v >= 2 ** 32 ? 32 : 31 - Math.clz32(v); // clz32 sees 32 bits: larger values clamp
  const octave = Math.min(log2 - 5, MAX_OCTAVE);
  const sub = Math.floor(v / 2 ** (log2 - SUB_BITS)) - SUB; // 0..31
  return LINEAR + (octave - 1) * SUB + Math.min(sub, SUB - 1);
}

/** Lower bound (µs) of a bucket, used when reporting percentiles. */
function lowerBoundOf(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const rel = bucket - LINEAR;
  const octave = Math.floor(rel / SUB) + 1;
  const sub = rel % SUB;
  const log2 = octave + 5;
  return (SUB + sub) * 2 ** (log2 - SUB_BITS);
}

const BUCKETS = LINEAR + MAX_OCTAVE * SUB;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private maxSeen = 0;

  record(us: number): void {
    this.counts[bucketOf(us)]! += 1;
    this.total += 1;
    this.sum += us;
    if (us > this.maxSeen) this.maxSeen = us;
  }

  get count(): number {
    return this.total;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  get max(): number {
    return this.maxSeen;
  }

  /** Value (µs) at percentile p in [0, 100]: the lower bound of the bucket holding it. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return lowerBoundOf(b);
    }
    return this.maxSeen;
  }

  /** A copy of the bucket counts, to report an interval later with percentileSince(). */
  snapshot(): Float64Array {
    return Float64Array.from(this.counts);
  }

  /**
   * Value (µs) at percentile p among the samples recorded since `snapshot` was taken, leaving
   * the histogram itself untouched (Prometheus keeps reading the cumulative counts).
   */
  percentileSince(snapshot: Float64Array, p: number): number {
    let total = 0;
    for (let b = 0; b < BUCKETS; b++) total += this.counts[b]! - (snapshot[b] ?? 0);
    if (total <= 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * total));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]! - (snapshot[b] ?? 0);
      if (seen >= rank) return lowerBoundOf(b);
    }
    return this.maxSeen;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.maxSeen = 0;
  }

  /**
   * Cumulative counts of samples ≤ each upper bound (µs), for Prometheus `le` buckets. A bucket
   * counts when its whole range lies at or below the bound (exact for bounds on bucket edges).
   */
  cumulative(boundsUs: readonly number[]): number[] {
    return boundsUs.map((bound) => {
      let n = 0;
      for (let b = 0; b < BUCKETS && lowerBoundOf(b + 1) - 1 <= bound; b++) n += this.counts[b]!;
      return n;
    });
  }
}
