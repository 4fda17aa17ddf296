/**
 * `lanyard devices ...`: the device registry from the command line (docs/cli.md).
 * Results go to stdout, diagnostics to stderr; LanyardErrors exit 2 through runAction,
 * an import or dry run with invalid rows exits 1.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import { LanyardError } from '../errors.js';
import { DEVICE_STATUSES, type DeviceStatus } from '../policy/model.js';
import { openDatabase } from '../store/db.js';
import { SqliteDeviceRepository, requireMac } from '../store/devices.js';
import type { DeviceHistoryRow, DeviceRecord, ListFilter } from '../store/types.js';
import { parseExpiry, type CsvError } from '../import/csv.js';
import { IMPORT_FORMATS, parseDeviceImport, type ImportFormat } from '../import/mapping.js';
import type { LanyardConfig } from '../config/types.js';
import { cell, configFor, err, iso, out, runAction, table, withStoreOptions, type StoreOptions } from './common.js';

/** Above this size an import reports its progress on stderr. */
const LARGE_IMPORT_BYTES = 256 * 1024;

/** Who a CLI change is recorded as: `cli:<login name>`. */
export function cliActor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    // No passwd entry (some containers): fall back to the uid.
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/** The configured class names. */
export function classNames(config: LanyardConfig): ReadonlySet<string> {
  return new Set(config.policy.classes.keys());
}

/** Throws LANYARD_ERR_CLASS_UNKNOWN, listing the valid classes, when `name` is not configured. */
export function requireClass(name: string, classes: ReadonlySet<string>, where = '--class'): string {
  if (!classes.has(name)) {
    const valid = [...classes].sort().join(', ');
    throw new LanyardError(
      'LANYARD_ERR_CLASS_UNKNOWN',
      `class "${name}" is not defined in the configuration (classes: ${valid || 'none defined'})`,
      { where },
    );
  }
  return name;
}

/** Parses --expires: an ISO 8601 date (end of that day, UTC) or date-time, in the future. */
export function requireExpiry(text: string, now: number, where = '--expires'): number {
  const at = parseExpiry(text);
  if (at === null) {
    throw new LanyardError(
      'LANYARD_ERR_DATE_INVALID',
      `"${text}" is not an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])`,
      { where },
    );
  }
  if (at <= now) throw new LanyardError('LANYARD_ERR_DATE_INVALID', `${text} is in the past`, { where });
  return at;
}

function requireStatusOption(text: string): DeviceStatus {
  if (!(DEVICE_STATUSES as readonly string[]).includes(text)) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `status "${text}" is not one of ${DEVICE_STATUSES.join(', ')}`, {
      where: '--status',
    });
  }
  return text as DeviceStatus;
}

/** Opens the configured store, runs `fn`, closes it. */
function withStore<T>(opts: StoreOptions, fn: (repo: SqliteDeviceRepository, config: LanyardConfig) => T): T {
  const config = configFor(opts);
  const db = openDatabase(config.store.database);
  try {
    return fn(new SqliteDeviceRepository(db), config);
  } finally {
    db.close();
  }
}

/**
 * An expiry as the operator wrote it: an instant at exactly 00:00 UTC is the end of the previous
 * day (what `--expires YYYY-MM-DD` stores), shown as that date.
 */
export function formatExpiry(ms: number | null): string {
  if (ms === null) return '-';
  if (ms % 86_400_000 === 0) return iso(ms - 86_400_000).slice(0, 10);
  return iso(ms);
}

function statusText(d: DeviceRecord): string {
  return d.statusReason === null ? d.status : `${d.status} (${d.statusReason})`;
}

const HISTORY_FIELDS: readonly [keyof DeviceRecord, string][] = [
  ['className', 'class'],
  ['owner', 'owner'],
  ['label', 'label'],
  ['status', 'status'],
  ['statusReason', 'reason'],
  ['expiresAt', 'expires'],
];

function fieldText(key: keyof DeviceRecord, value: unknown): string {
  if (key === 'expiresAt') return formatExpiry(value as number | null);
  return value === null || value === undefined ? '-' : String(value);
}

/** What a history row changed, relative to the row before it. */
function describeChange(row: DeviceHistoryRow, prev: DeviceRecord | undefined): string {
  const r = row.record;
  if (row.op === 'create' || prev === undefined) {
    return HISTORY_FIELDS.filter(([k]) => k !== 'status' && k !== 'statusReason' && r[k] !== null)
      .map(([k, name]) => `${name}=${fieldText(k, r[k])}`)
      .concat(`status=${r.status}`, `source=${r.source}`)
      .join(' ');
  }
  const changes = HISTORY_FIELDS.filter(([k]) => prev[k] !== r[k]).map(
    ([k, name]) => `${name}: ${fieldText(k, prev[k])} → ${fieldText(k, r[k])}`,
  );
  return changes.length === 0 ? '(no change)' : changes.join('; ');
}

function printErrors(errors: readonly CsvError[]): void {
  if (errors.length === 0) return;
  err(errors.map((e) => `line ${e.line}: ${e.column === undefined ? '' : `${e.column}: `}${e.message}`).join('\n'));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

type CommonOpts = StoreOptions;

export function registerDevices(program: Command): void {
  const devices = program
    .command('devices')
    .description('register, list, block and import devices (MAC addresses)')
    .addHelpText(
      'after',
      '\nMACs are accepted as aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff.\nSee docs/cli.md.',
    );

  withStoreOptions(
    devices
      .command('add <mac>')
      .description('register a device')
      .requiredOption('--class <class>', 'device class (as defined in the configuration)')
      .option('--owner <name>', 'the person the device belongs to')
      .option('--label <text>', 'asset tag, model, room ...')
      .option('--expires <iso-date>', 'access ends: YYYY-MM-DD (end of that day, UTC) or an ISO 8601 date-time'),
  )
    .addHelpText('after', '\nExample:\n  lanyard devices add aa:bb:cc:dd:ee:ff --class staff-laptop --owner "J Smith" --label LT-042')
    .action(
      runAction((macText: string, opts: CommonOpts & { class: string; owner?: string; label?: string; expires?: string }) => {
        const mac = requireMac(macText, '<mac>');
        const now = Date.now();
        withStore(opts, (repo, config) => {
          const className = requireClass(opts.class, classNames(config));
          const expiresAt = opts.expires === undefined ? null : requireExpiry(opts.expires, now);
          const d = repo.add(
            { mac, className, owner: opts.owner ?? null, label: opts.label ?? null, expiresAt, source: 'manual' },
            cliActor(),
            now,
          );
          out(`${d.mac} added (class ${d.className}${d.expiresAt === null ? '' : `, expires ${formatExpiry(d.expiresAt)}`})`);
        });
      }),
    );

  withStoreOptions(
    devices
      .command('list')
      .description('list devices as a table (or JSON lines)')
      .option('--status <status>', `only this status (${DEVICE_STATUSES.join(', ')})`)
      .option('--class <class>', 'only this class')
      .option('--owner <name>', 'only this owner (exact)')
      .option('--search <text>', 'substring of MAC, owner or label')
      .option('--json', 'one JSON object per line'),
  )
    .addHelpText('after', '\nExamples:\n  lanyard devices list --status lost\n  lanyard devices list --search smith --json')
    .action(
      runAction((opts: CommonOpts & { status?: string; class?: string; owner?: string; search?: string; json?: boolean }) => {
        const filter: ListFilter = {
          ...(opts.status === undefined ? {} : { status: requireStatusOption(opts.status) }),
          ...(opts.class === undefined ? {} : { className: opts.class }),
          ...(opts.owner === undefined ? {} : { owner: opts.owner }),
          ...(opts.search === undefined ? {} : { search: opts.search }),
        };
        withStore(opts, (repo) => {
          const list = repo.list(filter);
          if (opts.json) {
            if (list.length > 0) out(list.map((d) => JSON.stringify(d)).join('\n'));
            return;
          }
          if (list.length === 0) {
            err('no devices match');
            return;
          }
          process.stdout.write(
            table(
              ['MAC', 'CLASS', 'OWNER', 'LABEL', 'STATUS', 'EXPIRES'],
              list.map((d) => [d.mac, d.className, cell(d.owner), cell(d.label), d.status, formatExpiry(d.expiresAt)]),
            ),
          );
        });
      }),
    );

  withStoreOptions(
    devices
      .command('show <mac>')
      .description('show one device and its full change history (who, when, what)')
      .option('--json', 'the record and history as one JSON object'),
  ).action(
    runAction((macText: string, opts: CommonOpts & { json?: boolean }) => {
      const mac = requireMac(macText, '<mac>');
      withStore(opts, (repo) => {
        const d = repo.get(mac);
        if (d === undefined) {
          throw new LanyardError('LANYARD_ERR_DEVICE_NOT_FOUND', `${mac} is not registered`, { where: '<mac>' });
        }
        const history = repo.history(mac);
        if (opts.json) {
          out(JSON.stringify({ device: d, history }));
          return;
        }
        const fields: [string, string][] = [
          ['mac', d.mac],
          ['class', d.className],
          ['owner', cell(d.owner)],
          ['label', cell(d.label)],
          ['status', statusText(d)],
          ['expires', formatExpiry(d.expiresAt)],
          ['source', d.source],
          ['created', `${iso(d.createdAt)} by ${d.createdBy}`],
          ['updated', `${iso(d.updatedAt)} by ${d.updatedBy}`],
        ];
        let text = fields.map(([k, v]) => `${k.padEnd(8)}  ${v}`).join('\n') + '\n\nhistory\n';
        text += table(
          ['SEQ', 'AT', 'ACTOR', 'OP', 'CHANGE'],
          history.map((h, i) => [String(h.seq), iso(h.at), h.actor, h.op, cell(describeChange(h, history[i - 1]?.record))]),
        );
        process.stdout.write(text);
      });
    }),
  );

  const statusVerb = (
    name: string,
    to: DeviceStatus,
    description: string,
    reasonRequired: boolean,
    from?: readonly DeviceStatus[],
  ): void => {
    const cmd = devices.command(`${name} <mac>`).description(description);
    if (reasonRequired) cmd.requiredOption('--reason <text>', 'why (recorded in the history)');
    else if (to !== 'active') cmd.option('--reason <text>', 'why (recorded in the history)');
    withStoreOptions(cmd).action(
      runAction((macText: string, opts: CommonOpts & { reason?: string }) => {
        const mac = requireMac(macText, '<mac>');
        const reason = opts.reason ?? null;
        if (reasonRequired && (reason === null || reason.trim() === '')) {
          throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `${name} needs a --reason`, { where: '--reason' });
        }
        withStore(opts, (repo) => {
          const before = repo.get(mac);
          if (before === undefined) {
            throw new LanyardError('LANYARD_ERR_DEVICE_NOT_FOUND', `${mac} is not registered`, { where: '<mac>' });
          }
          if (from !== undefined && !from.includes(before.status)) {
            throw new LanyardError(
              'LANYARD_ERR_DEVICE_STATE',
              `${mac} is ${before.status}; ${name} applies only to a device that is ${from.join(' or ')}`,
              { where: 'status' },
            );
          }
          const unchanged = before.status === to && before.statusReason === (reason?.trim() || null);
          const after = repo.setStatus(mac, to, reason, cliActor(), Date.now());
          out(unchanged ? `${mac} is already ${statusText(after)}` : `${mac} ${statusText(after)}`);
        });
      }),
    );
  };
  statusVerb('block', 'blocked', 'block a device at once (R-5); the reason is recorded', true);
  statusVerb('lost', 'lost', 'report a device lost or stolen (R-4); it loses access at once', true);
  statusVerb('retire', 'retired', 'retire a device for good (no longer used, owner left); cannot be undone', false);
  statusVerb('unblock', 'active', 'return a blocked or lost device to active', false, ['blocked', 'lost']);

  withStoreOptions(
    devices
      .command('import <file>')
      .description('register devices from a CSV file (columns mac,class,owner,label,expires); all or nothing')
      .option('--dry-run', 'check the file and report; change nothing (exit 1 if any row is invalid)')
      .option('--valid-only', 'import the valid rows even if others are invalid')
      .option('--format <format>', `${IMPORT_FORMATS.join('|')}: Lanyard columns, or an Intune / Jamf Pro / asset-register export`, 'auto')
      .option('--class <class>', 'the class of every device in an Intune, Jamf Pro or asset-register export (they have no class column)'),
  )
    .addHelpText(
      'after',
      '\nEvery invalid row is reported on stderr as "line N: column: message".\n' +
        'Without --valid-only, one invalid row means nothing is imported (exit 1).\n' +
        'Example:\n  lanyard devices import staff-laptops.csv --dry-run',
    )
    .action(
      runAction((file: string, opts: CommonOpts & { dryRun?: boolean; validOnly?: boolean; format?: string; class?: string }) => {
        const format = opts.format ?? 'auto';
        if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
          throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `format "${format}" is not one of ${IMPORT_FORMATS.join(', ')}`, { where: '--format' });
        }
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (e) {
          throw new LanyardError('LANYARD_ERR_CSV_INVALID', `cannot read ${file}: ${(e as Error).message}`, {
            where: file,
            cause: e,
          });
        }
        const now = Date.now();
        withStore(opts, (repo, config) => {
          // Progress goes to stderr for large files only (small ones finish before anyone looks).
          if (text.length > LARGE_IMPORT_BYTES) err(`checking ${file} (${(text.length / 1024).toFixed(0)} KiB) ...`);
          const parsed = parseDeviceImport(text, {
            classes: classNames(config),
            now,
            existing: (mac) => repo.get(mac),
            format: format as ImportFormat,
            ...(opts.class === undefined ? {} : { className: opts.class }),
          });
          if (parsed.format !== null && parsed.format !== 'lanyard') {
            err(`read as format ${parsed.format}: ${parsed.mapping.map((m) => `"${m.header}" → ${m.field}`).join(', ')}`);
          }
          if (parsed.unknownColumns.length > 0) {
            err(`ignoring unknown column${parsed.unknownColumns.length === 1 ? '' : 's'}: ${parsed.unknownColumns.join(', ')}`);
          }
          printErrors(parsed.errors);
          const badRows = new Set(parsed.errors.map((e) => e.line)).size;
          // A header without mac/class, or with a column twice, leaves no row to import at all.
          const headerUsable = parsed.headerOk;
          const counts = `${plural(parsed.rows.length, 'valid row')}, ${plural(badRows, 'invalid row')}`;
          if (opts.dryRun) {
            out(`dry run: ${counts}; nothing changed`);
            if (parsed.errors.length > 0) process.exitCode = 1;
            return;
          }
          if (parsed.errors.length > 0 && (!opts.validOnly || !headerUsable)) {
            out(`nothing imported: ${counts}`);
            process.exitCode = 1;
            return;
          }
          const progress =
            text.length > LARGE_IMPORT_BYTES
              ? (done: number, total: number): void =>
                  err(
                    done < total
                      ? `importing: ${done.toLocaleString('en-GB')} of ${total.toLocaleString('en-GB')} rows`
                      : `importing: all ${total.toLocaleString('en-GB')} rows written; recording them in the audit log and committing`,
                  )
              : undefined;
          const n = repo.addMany(parsed.rows, cliActor(), now, null, progress);
          out(`imported ${plural(n, 'device')}${badRows > 0 ? ` (skipped ${plural(badRows, 'invalid row')})` : ''}`);
        });
      }),
    );
}
