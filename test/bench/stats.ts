/** Small statistics for benchmark reports: median and spread over rounds. */
import { readFileSync } from 'node:fs';

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

/**
 * CPU time (user + system, all threads, including threads that have exited) a process has
 * used, in µs, from /proc/<pid>/stat fields 14 and 15. Resolution is one clock tick (10 ms
 * at the usual USER_HZ = 100), so measure rounds of a second or more.
 */
export function procCpuUs(pid: number): number {
  return statCpuUs(`/proc/${pid}/stat`);
}

/**
 * CPU time (user + system) one thread of a process has used, in µs: /proc/<pid>/task/<tid>/stat,
 * same fields and resolution as procCpuUs. A process's main thread has tid = pid.
 */
export function threadCpuUs(pid: number, tid: number): number {
  return statCpuUs(`/proc/${pid}/task/${tid}/stat`);
}

function statCpuUs(file: string): number {
  const stat = readFileSync(file, 'utf8');
  // Field 2 (comm) is in parentheses and may contain spaces: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  return ((utime + stime) * 1e6) / CLOCK_TICKS;
}

/** USER_HZ; 100 on every Linux build that matters (getconf CLK_TCK). */
export const CLOCK_TICKS = 100;

/** Percentiles (µs) of a latency sample: p50, p99, p99.9. */
export interface LatencyPercentiles {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

/** a / b of the medians, formatted "x.xx×"; "n/a" when either is missing. */
export function ratioOfMedians(a: readonly number[], b: readonly number[], digits = 2): string {
  const r = median(a) / median(b);
  return Number.isFinite(r) ? `${fmt(r, digits)}×` : 'n/a';
}

/** Kernel UDP counters of this network namespace (/proc/net/snmp), for spotting drops and retransmits. */
export function udpCounters(): { inDatagrams: number; rcvbufErrors: number; inErrors: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const get = (n: string): number => Number(values[names.indexOf(n)] ?? NaN);
  return { inDatagrams: get('InDatagrams'), rcvbufErrors: get('RcvbufErrors'), inErrors: get('InErrors') };
}

/** Whole-machine CPU time from /proc/stat, in µs: busy (user+nice+system+irq+softirq), steal (taken by the hypervisor). */
export function machineCpuUs(): { busy: number; steal: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return { busy: ((user + nice + system + irq + softirq) * 1e6) / CLOCK_TICKS, steal: (steal * 1e6) / CLOCK_TICKS };
}

/**
 * A non-negative number from the environment (BENCH_* options), or `dflt` when unset or empty;
 * anything else stops the benchmark with the variable's name. `integer`: whole numbers only.
 */
/** A comma-separated list of non-negative numbers from the environment ("80,50,25"), or `dflt`. */
export function envList(name: string, dflt: readonly number[]): number[] {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return [...dflt];
  return v.split(',').map((part) => {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${name} must be non-negative numbers separated by commas, got "${v}"`);
    return n;
  });
}

export function envNumber(name: string, dflt: number, integer = false): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!(integer ? Number.isInteger(n) : Number.isFinite(n)) || n < 0) {
    throw new Error(`${name} must be a non-negative ${integer ? 'integer' : 'number'}, got "${v}"`);
  }
  return n;
}
