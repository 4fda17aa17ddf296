/**
 * `lanyard sessions list`: accounting sessions (RFC 2866), live and past, newest first.
 * Results go to stdout, diagnostics to stderr; LanyardErrors exit 2 through runAction.
 */
import type { Command } from 'commander';
import { LanyardError } from '../errors.js';
import { requireIp, terminateCauseText } from '../audit/query.js';
import { SqliteSessionRepository, type SessionRecord } from '../store/sessions.js';
import { cell, err, iso, out, runAction, table, withStoreOptions, type StoreOptions } from './common.js';
import { bytes, withDatabase } from './audit.js';

function ended(s: SessionRecord): string {
  if (s.stoppedAt === null) return 'open';
  if (s.stopReason === 'stop') return cell(terminateCauseText(s.terminateCause) ?? 'stop');
  return s.stopReason ?? '-';
}

export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description('accounting sessions reported by the access points (live and past)');

  withStoreOptions(
    sessions
      .command('list')
      .description('list sessions, newest first')
      .option('--open', 'only sessions still open')
      .option('--mac <mac>', 'only this device')
      .option('--ip <address>', 'only sessions that held this address')
      .option('--limit <n>', 'at most this many (default 100, up to 10000)')
      .option('--json', 'one JSON object per line (times as epoch milliseconds)'),
  )
    .addHelpText('after', '\nExamples:\n  lanyard sessions list --open\n  lanyard sessions list --mac aa:bb:cc:dd:ee:07 --json')
    .action(
      runAction(async (opts: StoreOptions & { open?: boolean; mac?: string; ip?: string; limit?: string; json?: boolean }) => {
        const limit = opts.limit === undefined ? 100 : Number(opts.limit);
        if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
          throw new LanyardError('LANYARD_ERR_FIELD_INVALID', '--limit must be a whole number from 1 to 10000', { where: '--limit' });
        }
        await withDatabase(opts, (db) => {
          const list = new SqliteSessionRepository(db).list({
            limit,
            ...(opts.open ? { open: true } : {}),
            ...(opts.mac === undefined ? {} : { mac: opts.mac }),
            ...(opts.ip === undefined ? {} : { ip: requireIp(opts.ip, '--ip') }),
          });
          if (opts.json) {
            if (list.length > 0) out(list.map((s) => JSON.stringify(s)).join('\n'));
            return;
          }
          if (list.length === 0) {
            err('no sessions match');
            return;
          }
          process.stdout.write(
            table(
              ['STARTED (UTC)', 'STOPPED', 'MAC', 'IP', 'ACCESS POINT', 'SSID', 'VLAN', 'IN', 'OUT', 'NAS', 'SESSION', 'END'],
              list.map((s) => [
                iso(s.startedAt),
                s.stoppedAt === null ? '-' : iso(s.stoppedAt),
                cell(s.mac),
                cell(s.framedIp),
                cell(s.apMac),
                cell(s.ssid),
                cell(s.vlan),
                bytes(s.inputOctets),
                bytes(s.outputOctets),
                s.nas,
                s.sessionId,
                ended(s),
              ]),
            ),
          );
        });
      }),
    );
}
