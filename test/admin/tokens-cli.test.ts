/**
 * `lanyard tokens ...` as a real process (the compiled CLI) against the database of a running
 * API: `create` prints the token ALONE on stdout, the token works at once, `list` never shows
 * it, `revoke` makes the next request a 401; create and revoke are in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { runCli } from '../helpers/daemon.js';
import { CONFIG, SECRET, startApi, type ApiHarness } from './helpers.js';

let h: ApiHarness;
let db: string;
const env = { ...process.env, LANYARD_LOOPBACK_SECRET: SECRET };
const cli = (...args: string[]) => runCli(['tokens', ...args, '--config', CONFIG, '--db', db], env);

beforeAll(async () => {
  h = await startApi();
  db = path.join(h.dir, 'lanyard.db');
});
afterAll(async () => {
  await h?.close();
});

describe('lanyard tokens', () => {
  let token = '';

  it('create prints only the token on stdout, the rest on stderr', async () => {
    const r = await cli('create', '--role', 'ict-admin', '--name', 'ict-jo');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^lny_[A-Za-z0-9_-]{43}\n$/);
    expect(r.stderr).toMatch(/"ict-jo" created with role ict-admin; it is shown only this once/);
    token = r.stdout.trim();
    const stored = h.daemon.db.prepare(`SELECT hash, hint FROM api_tokens WHERE name = 'ict-jo'`).get() as { hash: string; hint: string };
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.hash).not.toContain(token);
    expect(token.startsWith(stored.hint)).toBe(true);
  });

  it('the token works at once, and its name is the actor of what it does', async () => {
    const res = await h.call('POST', '/api/v1/devices', { as: { raw: token }, body: { mac: '02:00:00:00:40:01', class: 'visitor' } });
    expect(res.status, res.text).toBe(201);
    expect(res.json.createdBy).toBe('api:ict-jo');
  });

  it('list shows name, role, created and last use, never the token', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+ROLE\s+STARTS\s+CREATED\s+LAST USED/);
    expect(r.stdout).toMatch(/ict-jo\s+ict-admin\s+lny_\S{4}…\s+\S+ by cli:\S+\s+\S+ from 127\.0\.0\.1/);
    expect(r.stdout).not.toContain(token);
    const json = await cli('list', '--json');
    const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.find((t) => t.name === 'ict-jo')).toMatchObject({ role: 'ict-admin', revokedAt: null });
    expect(json.stdout).not.toContain(token);
  });

  it('refuses a second token with the same name, a bad role, a bad name (exit 2, nothing on stdout)', async () => {
    for (const args of [
      ['--role', 'slt', '--name', 'ict-jo'],
      ['--role', 'superuser', '--name', 'x'],
      ['--role', 'slt', '--name', 'has space'],
    ]) {
      const r = await cli('create', ...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^LANYARD_ERR_(TOKEN_EXISTS|FIELD_INVALID)/);
    }
  });

  it('revoke: the next request is a 401; the name can be reused; both are audited', async () => {
    const r = await cli('revoke', 'ict-jo');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('token "ict-jo" (ict-admin) revoked\n');
    expect((await h.call('GET', '/api/v1/devices', { as: { raw: token } })).status).toBe(401);
    expect((await cli('revoke', 'ict-jo')).code).toBe(2);
    expect((await cli('list')).stdout).not.toMatch(/ict-jo/);
    expect((await cli('list', '--all')).stdout).toMatch(/ict-jo.*by cli:/);
    const again = await cli('create', '--role', 'read-only', '--name', 'ict-jo');
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).not.toBe(token);
    const audit = h.daemon.db
      .prepare(`SELECT action, source, detail FROM audit_log WHERE kind = 'admin' AND subject = 'ict-jo' ORDER BY id`)
      .all() as { action: string; source: string; detail: string }[];
    expect(audit.map((a) => [a.action, a.source])).toEqual([
      ['token.create', 'cli'],
      ['token.revoke', 'cli'],
      ['token.create', 'cli'],
    ]);
    for (const a of audit) expect(a.detail).not.toMatch(/lny_[A-Za-z0-9_-]{20,}/);
  });
});
