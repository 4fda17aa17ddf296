/**
 * `lanyard audit ...`: the questions the senior leadership team asks (docs/slt-guide.md).
 *
 *   audit who --ip IP --at TIME            whose device held the address then
 *   audit events --from --to [--mac|--person] [--kind]   what a device / person did
 *   audit network --from --to --network|--ssid|--ap       who was on a network / access point
 *   audit rejections --from --to [--reason]              refused attempts
 *   audit export --from --to --format csv|json [--out]   all of it, streamed to a file
 *
 * Each verb is registered by its own function, so further verbs (the audit log's `verify`
 * and `purge`) are one more function and one more line in registerAudit.
 * Results go to stdout, diagnostics to stderr; LanyardErrors exit 2 through runAction.
 */
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import type { Command } from 'commander';
import { LanyardError } from '../errors.js';
import {
  deviceActivity,
  onNetwork,
  rejections,
  whoHad,
  writeExport,
  type ActivityKind,
  type ExportFormat,
  type IpHolder,
} from '../audit/query.js';
import { parseExpiry } from '../import/csv.js';
import { openDatabase } from '../store/db.js';
import { cell, configFor, err, iso, out, runAction, table, withStoreOptions, type StoreOptions } from './common.js';
import { registerAuditIntegrity } from './audit-verify.js';

/** Opens the configured store, runs `fn`, closes it (also after an async fn). */
export async function withDatabase<T>(opts: StoreOptions, fn: (db: Database.Database) => T | Promise<T>): Promise<T> {
  const db = openDatabase(configFor(opts).store.database);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

export function bytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads a time option: an ISO 8601 date-time (no offset = UTC; add +01:00 for British Summer
 * Time), or for `edge` 'start' / 'end' also a date alone — the start of that day, or the end of
 * it (so `--from 2025-03-03 --to 2025-03-07` is the whole school week) — or `now`.
 */
export function parseTime(text: string, where: string, edge: 'start' | 'end' | 'instant', now = Date.now()): number {
  const t = text.trim();
  if (t.toLowerCase() === 'now') return now;
  const endOfDay = parseExpiry(t); // a date alone: 00:00 UTC of the NEXT day; a date-time: itself
  if (endOfDay !== null) {
    if (!DATE_ONLY.test(t)) return endOfDay;
    if (edge === 'end') return endOfDay;
    if (edge === 'start') return endOfDay - 86_400_000;
    throw new LanyardError('LANYARD_ERR_DATE_INVALID', `${where} needs a time of day as well, e.g. ${t}T10:15:00Z (or +01:00 in summer)`, {
      where,
    });
  }
  throw new LanyardError(
    'LANYARD_ERR_DATE_INVALID',
    `"${text}" is not an ISO 8601 ${edge === 'instant' ? 'date-time' : 'date or date-time'} (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])`,
    { where },
  );
}

function period(opts: { from: string; to: string }): { from: number; to: number } {
  const now = Date.now();
  const from = parseTime(opts.from, '--from', 'start', now);
  const to = parseTime(opts.to, '--to', 'end', now);
  if (to <= from) throw new LanyardError('LANYARD_ERR_FIELD_INVALID', '--to must be after --from', { where: '--to' });
  return { from, to };
}

function requireKind(text: string | undefined): ActivityKind | undefined {
  if (text === undefined) return undefined;
  if (text !== 'decision' && text !== 'session') {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `--kind must be decision or session, not "${text}"`, { where: '--kind' });
  }
  return text;
}

function requireLimit(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > 10_000) {
    throw new LanyardError('LANYARD_ERR_FIELD_INVALID', '--limit must be a whole number from 1 to 10000', { where: '--limit' });
  }
  return n;
}

function describeHolder(h: IpHolder): string {
  const device = h.mac === null ? 'unknown (no MAC in the records)' : h.registered ? `${h.mac} (class ${cell(h.className)}${h.label === null ? '' : `, label ${h.label}`})` : `${h.mac} (not registered at that time)`;
  const network = h.network === null ? cell(h.ssid) : `${h.network}${h.vlan === null ? '' : ` (VLAN ${h.vlan})`}${h.ssid === null ? '' : `, SSID ${h.ssid}`}`;
  const ap = h.apMac === null ? cell(h.nas) : `${h.apMac} via ${cell(h.nas)}${h.nasAddress === null ? '' : ` (${h.nasAddress})`}`;
  const session =
    h.sessionId === null
      ? '-'
      : `${h.sessionId}: ${iso(h.startedAt)} → ${h.stoppedAt === null ? `still connected (last heard ${iso(h.lastUpdateAt)})` : iso(h.stoppedAt)}`;
  const fields: [string, string][] = [
    ['device', device],
    ['owner', cell(h.owner)],
    ['status', cell(h.deviceStatus)],
    ['network', network],
    ['access point', ap],
    ['user name', cell(h.userName)],
    ['session', session],
    ['address held', `${iso(h.heldFrom)} → ${h.heldUntil === null ? 'still held' : iso(h.heldUntil)} (from ${h.source === 'accounting' ? 'RADIUS accounting' : h.source})`],
  ];
  return fields.map(([k, v]) => `  ${k.padEnd(13)} ${v}`).join('\n');
}

// ---------------------------------------------------------------------------------------------

function registerWho(audit: Command): void {
  withStoreOptions(
    audit
      .command('who')
      .description('whose device held an IP address at a given time (device, owner, class, network, access point, session)')
      .requiredOption('--ip <address>', 'the IP address (from a web filter or firewall log)')
      .requiredOption('--at <time>', 'ISO 8601 date-time; no offset = UTC (add +01:00 for British Summer Time)')
      .option('--json', 'one JSON object per line (times as epoch milliseconds)'),
  )
    .addHelpText('after', '\nExample:\n  lanyard audit who --ip 10.10.1.5 --at 2025-03-04T10:15:00Z')
    .action(
      runAction(async (opts: StoreOptions & { ip: string; at: string; json?: boolean }) => {
        const at = parseTime(opts.at, '--at', 'instant');
        await withDatabase(opts, (db) => {
          const holders = whoHad(db, opts.ip, at);
          if (opts.json) {
            if (holders.length > 0) out(holders.map((h) => JSON.stringify(h)).join('\n'));
            return;
          }
          if (holders.length === 0) {
            err(`no device is recorded holding ${opts.ip.trim()} at ${iso(at)} (no accounting session or lease covers that time)`);
            return;
          }
          let text = `${holders[0]!.ip} at ${iso(at)} was held by:\n`;
          if (holders.length > 1) {
            text += `(${holders.length} records overlap at that time, most recent first: a Stop was probably lost — the first is the likeliest)\n`;
          }
          text += holders.map(describeHolder).join('\n\n');
          out(text);
        });
      }),
    );
}

function registerEvents(audit: Command): void {
  withStoreOptions(
    audit
      .command('events')
      .description('everything a device, a person (all their devices) or everyone did in a period: access decisions and sessions')
      .requiredOption('--from <time>', 'start: ISO date (start of that day, UTC) or date-time')
      .requiredOption('--to <time>', 'end: ISO date (end of that day, UTC), date-time or "now"')
      .option('--mac <mac>', 'one device')
      .option('--person <owner>', "a person: the devices they owned at the time (the owner as registered, any case)")
      .option('--kind <kind>', 'only "decision" or only "session" events')
      .option('--limit <n>', 'at most this many events (default 1000; use `audit export` for everything)')
      .option('--json', 'one JSON object per line'),
  )
    .addHelpText('after', '\nExamples:\n  lanyard audit events --person "J Smith" --from 2025-03-03 --to 2025-03-07\n  lanyard audit events --mac aa:bb:cc:dd:ee:07 --from 2025-03-04 --to 2025-03-04 --kind session')
    .action(
      runAction(async (opts: StoreOptions & { from: string; to: string; mac?: string; person?: string; kind?: string; limit?: string; json?: boolean }) => {
        const { from, to } = period(opts);
        const kind = requireKind(opts.kind);
        const limit = requireLimit(opts.limit, 1000);
        await withDatabase(opts, (db) => {
          const page = deviceActivity(db, {
            from,
            to,
            limit,
            ...(opts.mac === undefined ? {} : { mac: opts.mac }),
            ...(opts.person === undefined ? {} : { person: opts.person }),
            ...(kind === undefined ? {} : { kind }),
          });
          if (opts.json) {
            if (page.events.length > 0) out(page.events.map((e) => JSON.stringify(e)).join('\n'));
          } else if (page.events.length === 0) {
            err('no events in that period');
          } else {
            process.stdout.write(
              table(
                ['TIME (UTC)', 'EVENT', 'MAC', 'OWNER', 'CLASS', 'IP', 'ACCESS POINT', 'NETWORK', 'REASON'],
                page.events.map((e) => [
                  iso(e.at),
                  e.event,
                  cell(e.mac),
                  cell(e.owner),
                  cell(e.className),
                  cell(e.ip),
                  e.apMac === null ? e.nas : `${e.apMac} (${e.nas})`,
                  cell(e.network ?? e.ssid),
                  cell(e.reasonText ?? (e.result === 'reject' ? e.reason : null)),
                ]),
              ),
            );
          }
          if (page.next !== null) err(`showing the first ${limit} events; raise --limit or use \`lanyard audit export\` for all of them`);
        });
      }),
    );
}

function registerNetwork(audit: Command): void {
  withStoreOptions(
    audit
      .command('network')
      .description('which devices were on a network, SSID or access point between two times')
      .requiredOption('--from <time>', 'start: ISO date or date-time')
      .requiredOption('--to <time>', 'end: ISO date (end of that day), date-time or "now"')
      .option('--network <name>', 'network name as configured (e.g. DCPS)')
      .option('--ssid <ssid>', 'SSID')
      .option('--ap <mac>', 'access point MAC (as in Called-Station-Id)')
      .option('--json', 'one JSON object per line'),
  )
    .addHelpText('after', '\nExample:\n  lanyard audit network --ap 11:22:33:44:55:66 --from 2025-03-04T12:00:00Z --to 2025-03-04T13:00:00Z')
    .action(
      runAction(async (opts: StoreOptions & { from: string; to: string; network?: string; ssid?: string; ap?: string; json?: boolean }) => {
        const { from, to } = period(opts);
        await withDatabase(opts, (db) => {
          const list = onNetwork(db, {
            from,
            to,
            ...(opts.network === undefined ? {} : { network: opts.network }),
            ...(opts.ssid === undefined ? {} : { ssid: opts.ssid }),
            ...(opts.ap === undefined ? {} : { apMac: opts.ap }),
          });
          if (opts.json) {
            if (list.length > 0) out(list.map((p) => JSON.stringify(p)).join('\n'));
            return;
          }
          if (list.length === 0) {
            err('no devices were there in that period');
            return;
          }
          process.stdout.write(
            table(
              ['MAC', 'OWNER', 'CLASS', 'FIRST SEEN', 'LAST SEEN', 'SESSIONS', 'IP', 'ACCESS POINTS', 'SSID'],
              list.map((p) => [
                cell(p.mac),
                cell(p.owner),
                cell(p.className),
                iso(p.firstSeen),
                p.connectedAtEnd ? `${iso(p.lastSeen)} (still on)` : iso(p.lastSeen),
                String(p.sessions),
                cell(p.ips.join(' ')),
                cell(p.apMacs.join(' ')),
                cell(p.ssids.join(' ')),
              ]),
            ),
          );
        });
      }),
    );
}

function registerRejections(audit: Command): void {
  withStoreOptions(
    audit
      .command('rejections')
      .description('refused connection attempts in a period (unknown, lost, blocked devices ...), with where and when')
      .requiredOption('--from <time>', 'start: ISO date or date-time')
      .requiredOption('--to <time>', 'end: ISO date (end of that day), date-time or "now"')
      .option('--reason <reason...>', 'only these reasons (e.g. unknown-device device-lost)')
      .option('--mac <mac>', 'one device')
      .option('--limit <n>', 'at most this many (default 1000)')
      .option('--json', 'one JSON object per line'),
  )
    .addHelpText('after', '\nExample:\n  lanyard audit rejections --from 2025-03-01 --to 2025-03-31 --reason device-lost')
    .action(
      runAction(async (opts: StoreOptions & { from: string; to: string; reason?: string[]; mac?: string; limit?: string; json?: boolean }) => {
        const { from, to } = period(opts);
        const limit = requireLimit(opts.limit, 1000);
        await withDatabase(opts, (db) => {
          const page = rejections(db, {
            from,
            to,
            limit,
            ...(opts.reason === undefined ? {} : { reason: opts.reason }),
            ...(opts.mac === undefined ? {} : { mac: opts.mac }),
          });
          if (opts.json) {
            if (page.rejections.length > 0) out(page.rejections.map((r) => JSON.stringify(r)).join('\n'));
          } else if (page.rejections.length === 0) {
            err('no refused attempts in that period');
          } else {
            process.stdout.write(
              table(
                ['TIME (UTC)', 'MAC', 'OWNER', 'CLASS', 'REASON', 'ACCESS POINT', 'SSID'],
                page.rejections.map((r) => [
                  iso(r.at),
                  cell(r.mac),
                  cell(r.owner),
                  cell(r.className),
                  r.reason,
                  r.apMac === null ? r.nas : `${r.apMac} (${r.nas})`,
                  cell(r.ssid),
                ]),
              ),
            );
          }
          if (page.next !== null) err(`showing the first ${limit}; raise --limit or use --json with a narrower period`);
        });
      }),
    );
}

function registerExport(audit: Command): void {
  withStoreOptions(
    audit
      .command('export')
      .description('export decisions and sessions of a period as CSV (for a spreadsheet) or JSON lines, streamed')
      .requiredOption('--from <time>', 'start: ISO date or date-time')
      .requiredOption('--to <time>', 'end: ISO date (end of that day), date-time or "now"')
      .requiredOption('--format <format>', 'csv or json (one JSON object per line)')
      .option('--out <file>', 'write to this file (default: stdout)')
      .option('--mac <mac>', 'one device')
      .option('--person <owner>', 'the devices a person owned at the time')
      .option('--kind <kind>', 'only "decision" or only "session" events'),
  )
    .addHelpText('after', '\nExample:\n  lanyard audit export --from 2025-03-01 --to 2025-03-31 --person "J Smith" --format csv --out smith-march.csv')
    .action(
      runAction(async (opts: StoreOptions & { from: string; to: string; format: string; out?: string; mac?: string; person?: string; kind?: string }) => {
        const { from, to } = period(opts);
        if (opts.format !== 'csv' && opts.format !== 'json') {
          throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `--format must be csv or json, not "${opts.format}"`, { where: '--format' });
        }
        const format: ExportFormat = opts.format;
        const kind = requireKind(opts.kind);
        const query = {
          from,
          to,
          ...(opts.mac === undefined ? {} : { mac: opts.mac }),
          ...(opts.person === undefined ? {} : { person: opts.person }),
          ...(kind === undefined ? {} : { kind }),
        };
        await withDatabase(opts, async (db) => {
          if (opts.out === undefined) {
            // A reader that stops early (`| head`) closes the pipe: stop quietly, like any filter.
            let closed = false;
            const onError = (e: NodeJS.ErrnoException): void => {
              if (e.code === 'EPIPE') closed = true;
            };
            process.stdout.on('error', onError);
            try {
              await writeExport(db, query, format, process.stdout);
            } catch (e) {
              if (!closed && (e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
            } finally {
              process.stdout.off('error', onError);
            }
            return;
          }
          const file = fs.createWriteStream(opts.out, { flags: 'w' });
          const opened = new Promise<void>((resolve, reject) => {
            file.once('open', () => resolve());
            file.once('error', reject);
          });
          try {
            await opened;
          } catch (e) {
            throw new LanyardError('LANYARD_ERR_FIELD_INVALID', `cannot write ${opts.out}: ${(e as Error).message}`, { where: '--out', cause: e });
          }
          const n = await writeExport(db, query, format, file);
          await closeStream(file);
          err(`wrote ${bytes(n)} to ${opts.out}`);
        });
      }),
    );
}

function closeStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

/** The `audit` command group. Returns it so other modules can add verbs. */
export function registerAudit(program: Command): Command {
  const audit = program
    .command('audit')
    .description('answer safeguarding questions after the fact: who had an address, what a device or person did, who was where')
    .addHelpText('after', '\nTimes are UTC unless they carry an offset. See docs/slt-guide.md.');
  registerWho(audit);
  registerEvents(audit);
  registerNetwork(audit);
  registerRejections(audit);
  registerExport(audit);
  registerAuditIntegrity(audit); // verify, purge (src/cli/audit-verify.ts)
  return audit;
}
