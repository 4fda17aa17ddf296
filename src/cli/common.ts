/**
 * What every CLI verb shares: finding the config and the store the daemon uses.
 * Verbs print results on stdout and diagnostics on stderr; errors exit non-zero with their code.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import type { LanyardConfig } from '../config/types.js';
import { isLanyardError } from '../errors.js';
import { InvalidArgumentError, type Command } from 'commander';

/** The package root (two levels above dist/src/cli or src/cli). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));

export const DEFAULT_CONFIG = path.join(PACKAGE_ROOT, 'config', 'lanyard.yaml');

export interface StoreOptions {
  readonly config?: string;
  readonly db?: string;
}

/** Loads the config named by --config (or the default), applying --db. Secrets are never generated here. */
export function configFor(opts: StoreOptions, generateSecrets = false): LanyardConfig {
  return loadConfig(opts.config ?? DEFAULT_CONFIG, {
    overrides: opts.db === undefined ? {} : { database: path.resolve(opts.db) },
    generateSecrets,
  });
}

/** Runs a CLI action, turning LanyardErrors into one clear stderr line and exit code 2. */
export function runAction<A extends unknown[]>(fn: (...args: A) => void | Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (isLanyardError(e)) {
        process.stderr.write(`${e.code}: ${e.message}${e.where ? ` (${e.where})` : ''}\n`);
        process.exitCode = 2;
        return;
      }
      throw e;
    }
  };
}

/** commander argument parser for port numbers (0 = pick a free one). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`'${value}' is not a port number (0-65535)`);
  }
  return n;
}

/** A result line on stdout (results only: scripts read it). */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A diagnostic line on stderr. */
export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Epoch ms as ISO 8601 UTC, without milliseconds unless they matter; '-' for none. */
export function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Printable on one line of a table: control characters become spaces, empty becomes '-'. */
export function cell(text: string | number | null | undefined): string {
  return text === null || text === undefined || text === '' ? '-' : String(text).replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** An aligned plain-text table (two spaces between columns), ending with a newline. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** --config / --db, as every store verb takes them (docs/cli.md "Which database"). */
export function withStoreOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'configuration file (default: the package config/lanyard.yaml)')
    .option('--db <path>', 'SQLite database (default: store.database from the configuration)');
}
