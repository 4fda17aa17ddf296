/**
 * Device CSV import: pure over the file's text and the configured class names.
 *
 * Format: a header line naming the columns, case-insensitive and in any order:
 *   mac      required  any format parseMac accepts (aa:bb:.., AA-BB-.., aabb.ccdd.eeff, aabbccddeeff)
 *   class    required  a class defined in the configuration
 *   owner    optional  free text (the person the device belongs to)
 *   label    optional  free text (asset tag, model, room ...)
 *   expires  optional  ISO 8601 date (YYYY-MM-DD: access ends at the END of that day, UTC) or
 *                      date-time (YYYY-MM-DDTHH:MM[:SS[.sss]][Z|±HH:MM]; no offset means UTC);
 *                      must be in the future
 * Other columns are reported in `unknownColumns` and ignored. Empty lines are skipped.
 * Every problem is reported with the file line on which its row starts (quoted fields may span
 * lines), so an operator can fix the whole file in one pass.
 */
import { parse } from 'csv-parse/sync';
import { normaliseMac } from '../policy/mac.js';
import type { NewDevice } from '../store/types.js';

export const CSV_COLUMNS = ['mac', 'class', 'owner', 'label', 'expires'] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
const REQUIRED: readonly CsvColumn[] = ['mac', 'class'];

/** A valid row, ready for DeviceRepository.addMany, with the file line it starts on. */
export interface CsvDeviceRow extends NewDevice {
  readonly line: number;
}

export interface CsvError {
  /** 1-based line of the file on which the row (or the header) starts. */
  readonly line: number;
  /** The column the problem is in, when it is in one. */
  readonly column?: string;
  readonly message: string;
}

export interface CsvParseOptions {
  /** Class names defined in the configuration. */
  readonly classes: ReadonlySet<string>;
  /** Now, epoch ms: expiry dates must be after it. */
  readonly now: number;
  /** Looks a normalised MAC up in the registry; rows whose MAC is registered are errors. */
  readonly existing?: (mac: string) => { readonly status: string } | undefined;
  /** Source recorded on the imported devices (default 'import'). */
  readonly source?: string;
}

export interface CsvParseResult {
  /** Rows with no problem, in file order. */
  readonly rows: CsvDeviceRow[];
  /** Every problem found, in file order. A row with any error is not in `rows`. */
  readonly errors: CsvError[];
  /** Header names as found (lower-cased, trimmed), in file order. */
  readonly columns: string[];
  /** Header names that are not import columns (ignored). */
  readonly unknownColumns: string[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses an ISO 8601 date or date-time to epoch ms, or returns null.
 * A date alone means the end of that day in UTC: the instant returned is 00:00 UTC of the next
 * day, so the device has access for the whole of the named day. A date-time without an offset is
 * read as UTC (never as the server's local zone, so the result does not depend on the host).
 */
export function parseExpiry(text: string): number | null {
  const t = text.trim();
  const d = DATE.exec(t);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    if (!validDate(y, m, day)) return null;
    return Date.UTC(y, m - 1, day + 1);
  }
  const dt = DATE_TIME.exec(t);
  if (!dt) return null;
  const [y, mo, day, h, mi] = [Number(dt[1]), Number(dt[2]), Number(dt[3]), Number(dt[4]), Number(dt[5])];
  const s = dt[6] === undefined ? 0 : Number(dt[6]);
  const ms = dt[7] === undefined ? 0 : Number(dt[7].padEnd(3, '0'));
  if (!validDate(y, mo, day) || h > 23 || mi > 59 || s > 59) return null;
  let offsetMin = 0;
  const zone = dt[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(y, mo - 1, day, h, mi, s, ms) - offsetMin * 60_000;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** A csv-parse record with `info` and `raw` on. */
export interface ParsedRecord {
  record: string[];
  info: { lines: number };
  raw: string;
}

/** The 1-based line a record starts on, from the line it ends on and its raw text. */
export function startLine(rec: ParsedRecord): number {
  // raw holds any skipped empty lines before the record and its own line break after it.
  const body = rec.raw.replace(/^\n+/, '').replace(/\n$/, '');
  let breaks = 0;
  for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) breaks++;
  return rec.info.lines - breaks;
}

export function parseDeviceCsv(text: string, opts: CsvParseOptions): CsvParseResult {
  const errors: CsvError[] = [];
  const rows: CsvDeviceRow[] = [];
  // One line-break form, so that line counting is exact (csv-parse counts CRLF inside quotes twice).
  const input = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const records = readRecords(input, errors);
  if (records === null) return { rows, errors: sortErrors(errors), columns: [], unknownColumns: [] };

  const headerRec = records[0];
  if (headerRec === undefined) {
    errors.push({ line: 1, message: `the file is empty; the first line must name the columns (${CSV_COLUMNS.join(',')})` });
    return { rows, errors: sortErrors(errors), columns: [], unknownColumns: [] };
  }
  const headerLine = startLine(headerRec);
  const columns = headerRec.record.map((c) => c.trim().toLowerCase());
  const unknownColumns = columns.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  const index = new Map<string, number>();
  let headerOk = true;
  columns.forEach((c, i) => {
    if (index.has(c)) {
      errors.push({ line: headerLine, column: c, message: `column "${c}" appears more than once in the header` });
      headerOk = false;
    } else {
      index.set(c, i);
    }
  });
  for (const c of REQUIRED) {
    if (!index.has(c)) {
      errors.push({
        line: headerLine,
        column: c,
        message: `the header has no "${c}" column (found: ${columns.join(',') || 'nothing'}; expected ${CSV_COLUMNS.join(',')})`,
      });
      headerOk = false;
    }
  }
  if (!headerOk) return { rows, errors: sortErrors(errors), columns, unknownColumns };

  const classList = [...opts.classes].sort().join(', ');
  const firstSeen = new Map<string, number>();
  const source = opts.source ?? 'import';
  const field = (rec: string[], c: CsvColumn): string => {
    const i = index.get(c);
    return i === undefined ? '' : (rec[i] ?? '').trim();
  };

  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    const line = startLine(rec);
    const fields = rec.record;
    // A line of nothing but separators/whitespace is treated as empty.
    if (fields.every((f) => f.trim() === '')) continue;
    const before = errors.length;
    const bad = (column: string | undefined, message: string): void => {
      errors.push(column === undefined ? { line, message } : { line, column, message });
    };

    if (fields.length > columns.length) {
      bad(undefined, `too many fields: ${fields.length}, the header has ${columns.length}`);
    } else if (fields.length < columns.length) {
      bad(undefined, `too few fields: ${fields.length}, the header has ${columns.length}`);
    }

    const macText = field(fields, 'mac');
    let mac: string | null = null;
    if (macText === '') {
      bad('mac', 'required field is empty');
    } else {
      mac = normaliseMac(macText);
      if (mac === null) {
        bad('mac', `"${macText}" is not a MAC address`);
      } else {
        const first = firstSeen.get(mac);
        if (first !== undefined) {
          bad('mac', `duplicate: ${mac} is already on line ${first}`);
        } else {
          firstSeen.set(mac, line);
          const known = opts.existing?.(mac);
          if (known !== undefined) {
            bad('mac', `${mac} is already registered${known.status === 'active' ? '' : ` (${known.status})`}`);
          }
        }
      }
    }

    const className = field(fields, 'class');
    if (className === '') {
      bad('class', 'required field is empty');
    } else if (!opts.classes.has(className)) {
      bad('class', `unknown class "${className}" (classes: ${classList || 'none defined'})`);
    }

    const expiresText = field(fields, 'expires');
    let expiresAt: number | null = null;
    if (expiresText !== '') {
      expiresAt = parseExpiry(expiresText);
      if (expiresAt === null) {
        bad('expires', `"${expiresText}" is not an ISO 8601 date (YYYY-MM-DD) or date-time`);
      } else if (expiresAt <= opts.now) {
        bad('expires', `${expiresText} is in the past`);
      }
    }

    if (errors.length === before && mac !== null) {
      const owner = field(fields, 'owner');
      const label = field(fields, 'label');
      rows.push({
        line,
        mac,
        className,
        owner: owner === '' ? null : owner,
        label: label === '' ? null : label,
        expiresAt,
        source,
      });
    }
  }
  return { rows, errors: sortErrors(errors), columns, unknownColumns };
}

/** csv-parse messages start with "Invalid ...:"; keep them, minus the trailing option dump. */
/**
 * Parses CSV text (LF line ends) into records with their line info, tolerant as both importers
 * need: uneven rows, stray quotes kept as text. Broken records are skipped and reported in
 * `errors` by the line they start on; null when the text cannot be parsed at all.
 */
export function readRecords(input: string, errors: CsvError[]): ParsedRecord[] | null {
  const skipped = new Set<number>();
  try {
    return parse(input, {
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      // A stray quote inside an unquoted field (15" screen) is kept as text.
      relax_quotes: true,
      on_skip: (err, raw) => {
        if (err === undefined) return undefined;
        const lines = typeof err.lines === 'number' ? err.lines : 1;
        const line = raw === undefined ? lines : startLine({ record: [], info: { lines }, raw });
        // csv-parse may report one broken record more than once: keep the first.
        if (!skipped.has(line)) errors.push({ line, message: csvMessage(err.message) });
        skipped.add(line);
        return undefined;
      },
    }) as unknown as ParsedRecord[];
  } catch (e) {
    const err = e as { lines?: unknown; message: string };
    errors.push({ line: typeof err.lines === 'number' ? err.lines : 1, message: csvMessage(err.message) });
    return null;
  }
}

function csvMessage(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}

function sortErrors(errors: CsvError[]): CsvError[] {
  // Stable: errors of one line keep their column order.
  return errors.sort((a, b) => a.line - b.line);
}
