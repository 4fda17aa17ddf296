/**
 * `lanyard tokens ...`: admin API tokens (docs/cli.md, docs/api.md "Authentication").
 * `create` prints the new token ALONE on stdout (so `TOKEN=$(lanyard tokens create ...)`
 * works); everything else it says goes to stderr. The token is shown once: only its
 * SHA-256 is stored.
 */
import type { Command } from 'commander';
import { recordAdminAction } from '../audit/log.js';
import { openDatabase } from '../store/db.js';
import { ROLES, SqliteTokenRepository, requireRole, requireTokenName, type TokenRecord } from '../store/tokens.js';
import { cliActor } from './devices.js';
import { configFor, iso, runAction, withStoreOptions, type StoreOptions } from './common.js';

function withTokens<T>(opts: StoreOptions, fn: (repo: SqliteTokenRepository) => T): T {
  const config = configFor(opts);
  const db = openDatabase(config.store.database);
  try {
    return fn(new SqliteTokenRepository(db, { audit: (a) => void recordAdminAction(db, a) }));
  } finally {
    db.close();
  }
}

export function registerTokens(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('create, list and revoke admin API tokens')
    .addHelpText(
      'after',
      `\nRoles: ${ROLES.join(', ')} (docs/api.md "Roles").\nTokens look like lny_ followed by 43 characters; only a hash is stored.`,
    );

  withStoreOptions(
    tokens
      .command('create')
      .description('create a token and print it (alone, on stdout); it cannot be shown again')
      .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
      .requiredOption('--name <name>', 'who or what uses it (unique among active tokens), e.g. ict-jo or prometheus'),
  )
    .addHelpText('after', '\nExample:\n  TOKEN=$(lanyard tokens create --role read-only --name prometheus)')
    .action(
      runAction((opts: StoreOptions & { role: string; name: string }) => {
        const role = requireRole(opts.role, '--role');
        const name = requireTokenName(opts.name, '--name');
        withTokens(opts, (repo) => {
          const { token, record } = repo.create(name, role, cliActor(), Date.now(), 'cli');
          process.stdout.write(`${token}\n`);
          process.stderr.write(
            `token "${record.name}" created with role ${record.role}; it is shown only this once — store it now (e.g. in a password manager)\n`,
          );
        });
      }),
    );

  withStoreOptions(
    tokens
      .command('list')
      .description('list tokens: name, role, created, last used (never the token itself)')
      .option('--all', 'include revoked tokens')
      .option('--json', 'one JSON object per line'),
  ).action(
    runAction((opts: StoreOptions & { all?: boolean; json?: boolean }) => {
      withTokens(opts, (repo) => {
        const list = repo.list(opts.all === true);
        if (opts.json) {
          if (list.length > 0) process.stdout.write(list.map((t) => JSON.stringify(t)).join('\n') + '\n');
          return;
        }
        if (list.length === 0) {
          process.stderr.write('no tokens\n');
          return;
        }
        const rows = list.map((t: TokenRecord) => [
          t.name,
          t.role,
          t.hint + '…',
          `${iso(t.createdAt)} by ${t.createdBy}`,
          t.lastUsedAt === null ? 'never' : `${iso(t.lastUsedAt)} from ${t.lastUsedFrom ?? '?'}`,
          ...(opts.all ? [t.revokedAt === null ? '-' : `${iso(t.revokedAt)} by ${t.revokedBy ?? '?'}`] : []),
        ]);
        const headers = ['NAME', 'ROLE', 'STARTS', 'CREATED', 'LAST USED', ...(opts.all ? ['REVOKED'] : [])];
        const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
        const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
        process.stdout.write([line(headers), ...rows.map(line)].join('\n') + '\n');
      });
    }),
  );

  withStoreOptions(tokens.command('revoke <name>').description('revoke a token at once (its next request gets 401)')).action(
    runAction((name: string, opts: StoreOptions) => {
      withTokens(opts, (repo) => {
        const t = repo.revoke(name, cliActor(), Date.now(), 'cli');
        process.stdout.write(`token "${t.name}" (${t.role}) revoked\n`);
      });
    }),
  );
}
