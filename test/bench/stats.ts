/** Small statistics for benchmark reports: median and spread over rounds. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function spread(values: readonly number[]): { min: number; max: number; relPct: number } {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const m = median(values);
  return { min, max, relPct: m === 0 ? 0 : ((max - min) / m) * 100 };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** "median (min–max, ±x %)" */
export function summary(values: readonly number[], digits = 0): string {
  const s = spread(values);
  return `${fmt(median(values), digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)}, spread ${fmt(s.relPct, 1)} %)`;
}
