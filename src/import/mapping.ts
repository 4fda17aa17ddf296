/**
 * Device imports from the files ICT teams already have: besides Lanyard's own CSV
 * (`mac,class,owner,label,expires`, parsed by csv.ts), the device exports of Microsoft Intune
 * and Jamf Pro, and a plain asset register. docs/api.md "Import column mapping" documents
 * the table below; keep the two in step.
 *
 * Headers are matched EXACTLY, ignoring case and runs of spaces; nothing is guessed from a
 * header that is merely similar. Every header the mapping does not use is reported in
 * `unknownColumns`, and each used one in `mapping`, so the operator sees what was read.
 * These exports have no device class: it comes from the caller (`?class=` / `--class`) and
 * applies to every row.
 *
 * Where the header names come from (checked 2025; see docs/api.md):
 *  - Intune (Devices > All devices > Export): "Device name", "Serial number", "Wi-Fi MAC",
 *    "Primary user UPN", "Primary user email address", "Primary user display name" — as
 *    reproduced by public scripts that rebuild that export from Graph; not from a Microsoft page.
 *  - Jamf Pro (advanced search export): "Computer Name" (computers), "Display Name" (mobile
 *    devices), "Serial Number", "Wi-Fi MAC Address" (mobile devices), "MAC Address" (computers:
 *    the primary interface — on a desktop Mac that may be Ethernet, a GUESS at intent),
 *    "Username", "Full Name", "Email Address", "Asset Tag" — Jamf inventory field names.
 *  - Asset register: "MAC Address", "Asset Tag", "Assigned To", "Description", "Serial Number"
 *    — no standard exists; these are our choice (GUESS at common practice).
 */
import { parse } from 'csv-parse/sync';
import { normaliseMac } from '../policy/mac.js';
import { parseDeviceCsv, readRecords, startLine, type CsvDeviceRow, type CsvError, type CsvParseOptions, type CsvParseResult } from './csv.js';

export const IMPORT_FORMATS = ['auto', 'lanyard', 'intune', 'jamf', 'asset-register'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ConcreteFormat = Exclude<ImportFormat, 'auto'>;

/** What a column feeds. `label` columns are joined; `owner` columns are tried in order per row. */
export type ImportField = 'mac' | 'class' | 'owner' | 'label' | 'expires';

export interface ImportOptions extends CsvParseOptions {
  /** Default 'auto': recognised from the header line. */
  readonly format?: ImportFormat;
  /** Class for every row of an export without a class column (required for those). */
  readonly className?: string;
}

export interface MappedColumn {
  /** The header as written in the file. */
  readonly header: string;
  readonly field: ImportField;
}

export interface ImportResult extends CsvParseResult {
  /** The format used (detected or given; Lanyard's own when nothing was recognised). */
  readonly format: ConcreteFormat;
  /** Columns that were read, and into what. */
  readonly mapping: MappedColumn[];
  /** False when the header (or the class given) leaves no row importable at all. */
  readonly headerOk: boolean;
}

/** One export format: the headers (lower case) each field may come from, in priority order. */
interface FormatSpec {
  readonly name: ConcreteFormat;
  readonly title: string;
  /** The first of these present is the MAC column; the others are not read. */
  readonly mac: readonly string[];
  /** Every present one is tried in this order for each row; the first non-empty value is the owner. */
  readonly owner: readonly string[];
  /** Present ones are joined with " · " into the label (serial numbers as "SN …"). */
  readonly label: readonly string[];
  readonly serial: readonly string[];
}

export const FORMAT_SPECS: Readonly<Record<Exclude<ConcreteFormat, 'lanyard'>, FormatSpec>> = {
  intune: {
    name: 'intune',
    title: 'Microsoft Intune device export',
    mac: ['wi-fi mac'],
    owner: ['primary user upn', 'primary user email address', 'primary user display name'],
    label: ['device name'],
    serial: ['serial number'],
  },
  jamf: {
    name: 'jamf',
    title: 'Jamf Pro computer or mobile device export',
    mac: ['wi-fi mac address', 'mac address'],
    owner: ['email address', 'username', 'full name'],
    label: ['asset tag', 'computer name', 'display name'],
    serial: ['serial number'],
  },
  'asset-register': {
    name: 'asset-register',
    title: 'asset register',
    mac: ['mac address'],
    owner: ['assigned to'],
    label: ['asset tag', 'description'],
    serial: ['serial number'],
  },
};

/** Case-insensitive, spaces collapsed: "Wi-Fi  MAC " → "wi-fi mac". */
export function normaliseHeader(header: string): string {
  return header.replace(/^\uFEFF/, '').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * Recognises the format from the header names, or returns null. Order matters: Jamf exports
 * may carry "Asset Tag" too, so Jamf is tried before the asset register.
 */
export function detectFormat(headers: readonly string[]): ConcreteFormat | null {
  const h = new Set(headers.map(normaliseHeader));
  if (h.has('mac')) return 'lanyard';
  if (h.has('wi-fi mac')) return 'intune';
  if (h.has('wi-fi mac address')) return 'jamf';
  if (h.has('mac address') && ['computer name', 'display name', 'username', 'full name'].some((c) => h.has(c))) return 'jamf';
  if (h.has('mac address') && ['asset tag', 'assigned to', 'description'].some((c) => h.has(c))) return 'asset-register';
  return null;
}

function sortErrors(errors: CsvError[]): CsvError[] {
  return errors.sort((a, b) => a.line - b.line);
}

/** The header line alone (for detection), or null when the text has none. */
function readHeader(input: string): string[] | null {
  try {
    const recs = parse(input, { to_line: 50, skip_empty_lines: true, relax_column_count: true, relax_quotes: true }) as string[][];
    return recs[0] ?? null;
  } catch {
    return null;
  }
}

const EXPECTED =
  '"Wi-Fi MAC" (Intune), "Wi-Fi MAC Address" or "MAC Address" with "Computer Name"/"Display Name"/"Username"/"Full Name" (Jamf Pro), or "MAC Address" with "Asset Tag"/"Assigned To"/"Description" (asset register); or give the format';

/**
 * Parses an import in any supported format. Lanyard's own format goes to parseDeviceCsv
 * unchanged; the exports are mapped here with the same line-numbered report.
 */
export function parseDeviceImport(text: string, opts: ImportOptions): ImportResult {
  const input = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const requested = opts.format ?? 'auto';
  const header = readHeader(input);
  const detected = requested === 'auto' ? (header === null ? null : detectFormat(header)) : requested;
  // Nothing recognised: read it as Lanyard's own format, whose errors name the missing columns,
  // and say which exports were tried.
  const format = detected ?? 'lanyard';
  const hint: CsvError[] =
    detected === null && header !== null
      ? [{ line: 1, message: `the header is not that of an export Lanyard knows either: expected ${EXPECTED}` }]
      : [];

  if (format === 'lanyard') {
    const result = parseDeviceCsv(text, opts);
    const errors = [...result.errors, ...hint];
    if (opts.className !== undefined) {
      errors.unshift({
        line: 1,
        column: 'class',
        message: 'a class was given, but this file is in Lanyard\'s own format, which has a class column: give the class per row instead',
      });
    }
    const mapped = new Set<string>(['mac', 'class', 'owner', 'label', 'expires']);
    const cols = result.columns;
    return {
      ...result,
      headerOk: opts.className === undefined && cols.includes('mac') && cols.includes('class') && new Set(cols).size === cols.length,
      rows: opts.className !== undefined ? [] : result.rows,
      errors: sortErrors(errors),
      format,
      mapping: result.columns.filter((c) => mapped.has(c)).map((c) => ({ header: c, field: c as ImportField })),
    };
  }
  return parseExport(input, FORMAT_SPECS[format], opts);
}

function parseExport(input: string, spec: FormatSpec, opts: ImportOptions): ImportResult {
  const errors: CsvError[] = [];
  const rows: CsvDeviceRow[] = [];
  const records = readRecords(input, errors);
  if (records === null) return { format: spec.name, headerOk: false, mapping: [], rows, errors: sortErrors(errors), columns: [], unknownColumns: [] };
  const headerRec = records[0];
  if (headerRec === undefined) {
    errors.push({ line: 1, message: `the file is empty; expected a ${spec.title} with a header line` });
    return { format: spec.name, headerOk: false, mapping: [], rows, errors: sortErrors(errors), columns: [], unknownColumns: [] };
  }
  const headerLine = startLine(headerRec);
  const columns = headerRec.record.map((c) => c.trim());
  const norm = columns.map(normaliseHeader);
  const index = new Map<string, number>();
  norm.forEach((c, i) => {
    if (index.has(c)) {
      errors.push({ line: headerLine, column: columns[i]!, message: `column "${columns[i]}" appears more than once in the header` });
    } else {
      index.set(c, i);
    }
  });

  const present = (names: readonly string[]): number[] => names.filter((n) => index.has(n)).map((n) => index.get(n)!);
  const macIndex = present(spec.mac)[0];
  const ownerIdx = present(spec.owner);
  const labelIdx = present(spec.label);
  const serialIdx = present(spec.serial);
  const used = new Map<number, ImportField>();
  if (macIndex !== undefined) used.set(macIndex, 'mac');
  for (const i of ownerIdx) used.set(i, 'owner');
  for (const i of [...labelIdx, ...serialIdx]) used.set(i, 'label');
  const mapping: MappedColumn[] = [...used.entries()].sort((a, b) => a[0] - b[0]).map(([i, field]) => ({ header: columns[i]!, field }));
  const unknownColumns = columns.filter((_, i) => !used.has(i));

  if (macIndex === undefined) {
    errors.push({
      line: headerLine,
      column: 'mac',
      message: `a ${spec.title} needs a MAC column: ${spec.mac.map((m) => `"${m}"`).join(' or ')} (any case); found ${columns.map((c) => `"${c}"`).join(', ')}`,
    });
  }
  const className = opts.className?.trim() ?? '';
  if (className === '') {
    errors.push({
      line: headerLine,
      column: 'class',
      message: `a ${spec.title} has no device class: give one for all its rows (API ?class=, CLI --class)`,
    });
  } else if (!opts.classes.has(className)) {
    const list = [...opts.classes].sort().join(', ');
    errors.push({ line: headerLine, column: 'class', message: `unknown class "${className}" (classes: ${list || 'none defined'})` });
  }
  if (errors.length > 0) return { format: spec.name, headerOk: false, mapping, rows, errors: sortErrors(errors), columns, unknownColumns };

  const macHeader = columns[macIndex!]!;
  const firstSeen = new Map<string, number>();
  const source = opts.source ?? 'import';
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    const fields = rec.record;
    if (fields.every((f) => f.trim() === '')) continue;
    const line = startLine(rec);
    const before = errors.length;
    const bad = (column: string | undefined, message: string): void => {
      errors.push(column === undefined ? { line, message } : { line, column, message });
    };
    if (fields.length > columns.length) bad(undefined, `too many fields: ${fields.length}, the header has ${columns.length}`);
    else if (fields.length < columns.length) bad(undefined, `too few fields: ${fields.length}, the header has ${columns.length}`);

    const value = (i: number): string => (fields[i] ?? '').trim();
    const macText = value(macIndex!);
    let mac: string | null = null;
    if (macText === '') {
      bad(macHeader, 'no MAC address in this row');
    } else {
      mac = normaliseMac(macText);
      if (mac === null) {
        bad(macHeader, `"${macText}" is not a MAC address`);
      } else {
        const first = firstSeen.get(mac);
        if (first !== undefined) {
          bad(macHeader, `duplicate: ${mac} is already on line ${first}`);
        } else {
          firstSeen.set(mac, line);
          const known = opts.existing?.(mac);
          if (known !== undefined) bad(macHeader, `${mac} is already registered${known.status === 'active' ? '' : ` (${known.status})`}`);
        }
      }
    }
    if (errors.length === before && mac !== null) {
      const owner = ownerIdx.map(value).find((v) => v !== '') ?? null;
      const parts = [...labelIdx.map(value), ...serialIdx.map((i) => (value(i) === '' ? '' : `SN ${value(i)}`))].filter((v) => v !== '');
      rows.push({
        line,
        mac,
        className,
        owner,
        label: parts.length === 0 ? null : parts.join(' · '),
        expiresAt: null,
        source,
      });
    }
  }
  return { format: spec.name, headerOk: true, mapping, rows, errors: sortErrors(errors), columns, unknownColumns };
}
