/**
 * `lanyard audit verify` and `lanyard audit purge`: the audit log's integrity and retention
 * (docs/audit-log.md). Registered on the `audit` command group that src/cli/audit.ts creates
 * with the SLT queries (registerAudit calls registerAuditIntegrity).
 *
 * verify exits 0 when every hash chain is intact, 1 naming the first bad row otherwise, and 2
 * (runAction) when the store cannot be opened.
 */
import type { Command } from 'commander';
import { verifyChain, type VerifyResult } from '../audit/chain.js';
import { importLegacyDecisions } from '../audit/log.js';
import { purgeExpired, type PurgeReport } from '../audit/retention.js';
import { openDatabase } from '../store/db.js';
import { configFor, iso, out, runAction, withStoreOptions, type StoreOptions } from './common.js';
import { cliActor } from './devices.js';

/** The `audit` group: the one already registered on `program`, or a new one. */
export function auditGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'audit') ??
    program.command('audit').description('the connection audit log: safeguarding queries, exports, integrity, retention')
  );
}

/** One line per result, for people; --json gives the object. */
export function describeVerify(r: VerifyResult): string {
  if (r.ok) {
    const range = r.firstId === null ? 'empty' : `rows ${r.firstId}..${r.lastId}`;
    const head = r.head === null ? '' : `\nhead: row ${r.head.id} sha256 ${r.head.hash}`;
    return `audit log intact: ${r.rows} rows checked (${range}; ${r.purged} removed by retention purges)${head}`;
  }
  const when = r.at === null ? 'row missing' : iso(r.at);
  return `audit log NOT intact: first bad row ${r.id} (${r.kind ?? 'unknown kind'}, ${when}): ${r.problem}\n  ${r.detail}\n  (${r.rows} rows checked before it)`;
}

export function describePurge(r: PurgeReport): string {
  const rows = Object.entries(r.kinds).map(([kind, k]) => {
    const held = k.heldBackBy === undefined ? '' : `  (held back by row ${k.heldBackBy.id}, dated ${iso(k.heldBackBy.at)} in the future)`;
    return [kind, String(k.retentionDays), iso(k.cutoff), String(k.rows) + held];
  });
  const headers = ['KIND', 'KEEP DAYS', 'REMOVE BEFORE', r.dryRun ? 'WOULD REMOVE' : 'REMOVED'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const summary = r.dryRun
    ? `dry run: ${r.total} rows would be removed; nothing changed`
    : `removed ${r.total} rows; recorded as audit row ${r.purgeRowId}${r.walTruncated ? '' : ' (the WAL could not be truncated now: readers were busy)'}`;
  const o = r.operational;
  const operational =
    `connection records before ${iso(o.cutoff)} (session retention): ${o.sessions} ended sessions, ` +
    `${o.ipBindings} address bindings, ${o.accountingRecords} accounting records ${r.dryRun ? 'would be removed' : 'removed'}`;
  return [line(headers), ...rows.map(line), summary, operational].join('\n');
}

/** Adds `verify` and `purge` to the `audit` group (registerAudit calls this; see auditGroup). */
export function registerAuditIntegrity(audit: Command): void {

  withStoreOptions(
    audit
      .command('verify')
      .description('check every hash chain of the audit log; exit 0 if intact, 1 naming the first bad row')
      .option('--json', 'the result as one JSON object'),
  )
    .addHelpText(
      'after',
      '\nFinds any row edited, inserted or deleted since it was written (purges are recorded and allowed).\n' +
        'Keep the printed head hash somewhere else (a ticket, an email) to detect a rewrite of the whole tail.\n' +
        'Example:\n  lanyard audit verify --config /etc/lanyard/lanyard.yaml',
    )
    .action(
      runAction((opts: StoreOptions & { json?: boolean }) => {
        const config = configFor(opts);
        const db = openDatabase(config.store.database);
        try {
          importLegacyDecisions(db);
          const progress = process.stderr.isTTY ? (n: number) => process.stderr.write(`\r${n} rows checked`) : undefined;
          const result = verifyChain(db, progress === undefined ? {} : { onProgress: progress });
          if (progress !== undefined) process.stderr.write('\r\x1b[K');
          out(opts.json ? JSON.stringify(result) : describeVerify(result));
          if (!result.ok) process.exitCode = 1;
        } finally {
          db.close();
        }
      }),
    );

  withStoreOptions(
    audit
      .command('purge')
      .description('remove audit rows older than their retention (audit.retentionDays) now, and record it')
      .option('--dry-run', 'count what would be removed; change nothing')
      .option('--json', 'the report as one JSON object'),
  )
    .addHelpText(
      'after',
      '\nThe daemon runs this every day at audit.purgeAt. Removed rows are overwritten, not just unlinked;\n' +
        'the audit log stays verifiable (a purge row records what was removed).\n' +
        'Example:\n  lanyard audit purge --dry-run',
    )
    .action(
      runAction((opts: StoreOptions & { dryRun?: boolean; json?: boolean }) => {
        const config = configFor(opts);
        const db = openDatabase(config.store.database);
        try {
          importLegacyDecisions(db);
          const report = purgeExpired(db, {
            now: Date.now(),
            retentionDays: config.audit.retentionDays,
            actor: cliActor(),
            source: 'cli',
            dryRun: opts.dryRun === true,
          });
          out(opts.json ? JSON.stringify(report) : describePurge(report));
        } finally {
          db.close();
        }
      }),
    );
}
