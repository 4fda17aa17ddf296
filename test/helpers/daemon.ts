/**
 * Runs the real daemon (compiled CLI) as a child process on free loopback ports with a
 * temporary SQLite file, and the real CLI against the same store. Every process started
 * here is killed in stop().
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

export const CLI = path.resolve('dist/src/main.js');
export const DEFAULT_CONFIG = path.resolve('config/lanyard.yaml');

export interface RunningDaemon {
  readonly authPort: number;
  readonly acctPort: number;
  /** The admin API's port (serve --api-port 0), or null when the API is off. */
  readonly apiPort: number | null;
  readonly db: string;
  readonly dir: string;
  readonly secret: string;
  readonly process: ChildProcess;
  /** stderr so far (JSON logs). */
  logs(): string;
  cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `db`: an existing database file to serve (the caller removes it); by default a new one in the temp dir. */
export async function startDaemon(opts: { config?: string; secret?: string; extraArgs?: string[]; env?: NodeJS.ProcessEnv; db?: string } = {}): Promise<RunningDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-test-'));
  const db = opts.db ?? path.join(dir, 'lanyard.db');
  const secret = opts.secret ?? 'interop-test-secret';
  const env = { ...process.env, LANYARD_LOOPBACK_SECRET: secret, ...opts.env };
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--config', opts.config ?? DEFAULT_CONFIG, '--db', db, '--auth-port', '0', '--acct-port', '0', '--api-port', '0', '--log-level', 'debug', ...(opts.extraArgs ?? [])],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 20_000;
  let match: RegExpMatchArray | null = null;
  while (match === null) {
    match = out.match(/RADIUS auth udp \S+:(\d+), accounting udp \S+:(\d+)/);
    if (match !== null) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon did not start (exit ${child.exitCode}):\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const authPort = Number(match[1]);
  const acctPort = Number(match[2]);
  const apiMatch = /admin API http:\/\/\S+:(\d+)/.exec(out);
  const apiPort = apiMatch === null ? null : Number(apiMatch[1]);
  return {
    authPort,
    acctPort,
    apiPort,
    db,
    dir,
    secret,
    process: child,
    logs: () => err,
    cli: (args) => runCli([...args, '--db', db, ...(opts.config ? ['--config', opts.config] : [])], env),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      let code: number | null = child.exitCode;
      if (code === null) {
        const exited = once(child, 'exit');
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        [code] = (await exited) as [number | null];
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
