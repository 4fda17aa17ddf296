import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerDevices } from '../../src/cli/devices.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { tempDir } from '../store/helpers.js';

const CONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/store/lanyard.yaml');

let dir: string;
let cleanup: () => void;
let db: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('lanyard-cli-'));
  db = path.join(dir, 'data', 'lanyard.db');
});
afterEach(() => cleanup());

interface Result {
  stdout: string;
  stderr: string;
  /** process.exitCode after the verb (0 when unset), or commander's exit code. */
  code: number;
}

/** Runs `lanyard devices <args> --config <fixture> --db <temp db>` in-process. */
async function run(...args: string[]): Promise<Result> {
  const program = new Command('lanyard').exitOverride();
  let stdout = '';
  let stderr = '';
  program.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  registerDevices(program);
  for (const c of program.commands) {
    c.exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
    for (const v of c.commands) v.exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  }
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const saved = process.exitCode;
  process.exitCode = undefined;
  let code = 0;
  try {
    const store = args.includes('--help') ? [] : ['--config', CONFIG, '--db', db];
    await program.parseAsync(['devices', ...args, ...store], { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = saved;
  }
  return { stdout, stderr, code };
}

function repoDo<T>(fn: (repo: SqliteDeviceRepository) => T): T {
  const handle = openDatabase(db);
  try {
    return fn(new SqliteDeviceRepository(handle));
  } finally {
    handle.close();
  }
}

function csv(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('lanyard devices', () => {
  it('has --help on every verb', async () => {
    for (const verb of ['add', 'list', 'show', 'block', 'lost', 'retire', 'unblock', 'import']) {
      const r = await run(verb, '--help');
      expect(r.code, verb).toBe(0);
      expect(r.stdout, verb).toMatch(new RegExp(`Usage: lanyard devices ${verb}`));
      expect(r.stdout, verb).toMatch(/--db <path>/);
    }
  });

  it('adds, lists and shows a device', async () => {
    const add = await run('add', 'aa:bb:cc:dd:ee:01', '--class', 'staff-laptop', '--owner', 'J Smith', '--label', 'LT-042', '--expires', '2099-07-18');
    expect(add).toMatchObject({ code: 0, stderr: '' });
    expect(add.stdout).toBe('AA-BB-CC-DD-EE-01 added (class staff-laptop, expires 2099-07-18)\n');
    expect((await run('add', '02:00:00:00:00:02', '--class', 'visitor')).code).toBe(0);

    const list = await run('list');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')).toEqual([
      'MAC                CLASS         OWNER    LABEL   STATUS  EXPIRES',
      '02-00-00-00-00-02  visitor       -        -       active  -',
      'AA-BB-CC-DD-EE-01  staff-laptop  J Smith  LT-042  active  2099-07-18',
      '',
    ]);
    const json = (await run('list', '--json', '--search', 'smith')).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ mac: 'AA-BB-CC-DD-EE-01', className: 'staff-laptop', owner: 'J Smith', expiresAt: Date.UTC(2099, 6, 19) });
    expect((await run('list', '--class', 'visitor', '--json')).stdout).toMatch(/02-00-00-00-00-02/);
    const none = await run('list', '--status', 'lost');
    expect(none).toMatchObject({ code: 0, stdout: '' });

    const show = await run('show', 'aabb.ccdd.ee01');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^mac {7}AA-BB-CC-DD-EE-01$/m);
    expect(show.stdout).toMatch(/^owner {5}J Smith$/m);
    expect(show.stdout).toMatch(/cli:\S+ +create +class=staff-laptop owner=J Smith label=LT-042 expires=2099-07-18 status=active source=manual/);
    const showJson = JSON.parse((await run('show', 'AA-BB-CC-DD-EE-01', '--json')).stdout) as { device: { mac: string }; history: unknown[] };
    expect(showJson.device.mac).toBe('AA-BB-CC-DD-EE-01');
    expect(showJson.history).toHaveLength(1);
  });

  it('refuses bad input with a code and exit 2', async () => {
    const unknown = await run('add', '02:00:00:00:00:01', '--class', 'teacher-phone');
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^LANYARD_ERR_CLASS_UNKNOWN: .*teacher-phone.*classes: class-laptop, staff-laptop, visitor/);

    expect((await run('add', 'nope', '--class', 'visitor')).stderr).toMatch(/^LANYARD_ERR_MAC_INVALID/);
    expect((await run('add', '02:00:00:00:00:01', '--class', 'visitor', '--expires', '2001-01-01')).stderr).toMatch(
      /^LANYARD_ERR_DATE_INVALID: 2001-01-01 is in the past/,
    );
    expect((await run('add', '02:00:00:00:00:01', '--class', 'visitor', '--expires', '31/12/2099')).stderr).toMatch(/^LANYARD_ERR_DATE_INVALID/);
    expect((await run('add', '02:00:00:00:00:01', '--class', 'visitor')).code).toBe(0);
    const dup = await run('add', '020000000001', '--class', 'visitor');
    expect(dup).toMatchObject({ code: 2, stdout: '' });
    expect(dup.stderr).toMatch(/^LANYARD_ERR_DEVICE_EXISTS: 02-00-00-00-00-01 is already registered/);
    expect((await run('show', '02:00:00:00:00:09')).stderr).toMatch(/^LANYARD_ERR_DEVICE_NOT_FOUND/);
    expect((await run('list', '--status', 'gone')).stderr).toMatch(/^LANYARD_ERR_FIELD_INVALID/);
    // commander's own check: --class is required.
    const missing = await run('add', '02:00:00:00:00:03');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--class/);
  });

  it('blocks, reports lost, unblocks and retires, with history', async () => {
    const mac = '02:00:00:00:00:01';
    await run('add', mac, '--class', 'class-laptop');
    expect(await run('block', mac, '--reason', 'misuse')).toMatchObject({ code: 0, stdout: '02-00-00-00-00-01 blocked (misuse)\n' });
    expect((await run('block', mac, '--reason', 'misuse')).stdout).toBe('02-00-00-00-00-01 is already blocked (misuse)\n');
    expect((await run('block', mac)).code).not.toBe(0); // --reason is required
    expect((await run('unblock', mac)).stdout).toBe('02-00-00-00-00-01 active\n');
    expect((await run('unblock', mac)).stderr).toMatch(/^LANYARD_ERR_DEVICE_STATE: .*is active; unblock applies only to a device that is blocked or lost/);
    expect((await run('lost', mac, '--reason', 'stolen from car')).stdout).toBe('02-00-00-00-00-01 lost (stolen from car)\n');
    expect((await run('list', '--status', 'lost', '--json')).stdout).toMatch(/stolen from car/);
    expect((await run('unblock', mac)).code).toBe(0);
    expect((await run('retire', mac, '--reason', 'owner left')).stdout).toBe('02-00-00-00-00-01 retired (owner left)\n');
    const again = await run('unblock', mac);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^LANYARD_ERR_DEVICE_STATE: .*retired/);
    expect((await run('block', mac, '--reason', 'x')).stderr).toMatch(/^LANYARD_ERR_DEVICE_STATE/);
    const readd = await run('add', mac, '--class', 'class-laptop');
    expect(readd.stderr).toMatch(/^LANYARD_ERR_DEVICE_EXISTS: .*retired/);

    const show = (await run('show', mac)).stdout;
    expect(show).toMatch(/^status {4}retired \(owner left\)$/m);
    expect(show).toMatch(/status +status: active → blocked; reason: - → misuse/);
    expect(show).toMatch(/status +status: lost → active; reason: stolen from car → -/);
    expect(repoDo((r) => r.history(mac).map((h) => h.op))).toEqual(['create', 'status', 'status', 'status', 'status', 'status']);
    expect(repoDo((r) => r.history(mac)[1]!.actor)).toMatch(/^cli:/);
  });

  describe('import', () => {
    const halfValid = [
      /* 1 */ 'MAC,Class,Owner,Label,Expires,Room',
      /* 2 */ '02:00:00:00:00:01,staff-laptop,Smith,"LT-1',
      /* 3 */ 'second line",2099-01-01,B1',
      /* 4 */ '02:00:00:00:00:02,nope,Jones,,,B2',
      /* 5 */ '02:00:00:00:00:03,visitor,,,,',
      /* 6 */ 'xx:00:00:00:00:04,visitor,,,,',
      /* 7 */ '020000000001,visitor,,,,',
    ];

    it('--dry-run reports every bad row and changes nothing', async () => {
      const file = csv('half.csv', halfValid);
      const r = await run('import', file, '--dry-run');
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('dry run: 2 valid rows, 3 invalid rows; nothing changed\n');
      expect(r.stderr.split('\n')).toEqual([
        'ignoring unknown column: room',
        'line 4: class: unknown class "nope" (classes: class-laptop, staff-laptop, visitor)',
        'line 6: mac: "xx:00:00:00:00:04" is not a MAC address',
        'line 7: mac: duplicate: 02-00-00-00-00-01 is already on line 2',
        '',
      ]);
      expect(repoDo((repo) => repo.count())).toBe(0);
    });

    it('imports nothing when a row is bad, unless --valid-only', async () => {
      const file = csv('half.csv', halfValid);
      const r = await run('import', file);
      expect(r).toMatchObject({ code: 1, stdout: 'nothing imported: 2 valid rows, 3 invalid rows\n' });
      expect(r.stderr).toMatch(/^line 4: class:/m);
      expect(repoDo((repo) => repo.count())).toBe(0);

      const v = await run('import', file, '--valid-only');
      expect(v).toMatchObject({ code: 0, stdout: 'imported 2 devices (skipped 3 invalid rows)\n' });
      const devices = repoDo((repo) => repo.list());
      expect(devices.map((d) => [d.mac, d.className, d.label, d.source])).toEqual([
        ['02-00-00-00-00-01', 'staff-laptop', 'LT-1\nsecond line', 'import'],
        ['02-00-00-00-00-03', 'visitor', null, 'import'],
      ]);

      // The same file again: every MAC is now registered.
      const again = await run('import', file, '--dry-run');
      expect(again.stderr).toMatch(/^line 2: mac: 02-00-00-00-00-01 is already registered$/m);
      expect(again.stderr).toMatch(/^line 5: mac: 02-00-00-00-00-03 is already registered$/m);
    });

    it('imports a valid file and a dry run of it exits 0', async () => {
      const file = csv('ok.csv', ['mac,class,owner', '02:00:00:00:00:01,visitor,A', '02:00:00:00:00:02,class-laptop,B']);
      expect(await run('import', file, '--dry-run')).toMatchObject({ code: 0, stderr: '', stdout: 'dry run: 2 valid rows, 0 invalid rows; nothing changed\n' });
      expect(repoDo((repo) => repo.count())).toBe(0);
      expect(await run('import', file)).toMatchObject({ code: 0, stderr: '', stdout: 'imported 2 devices\n' });
      expect(repoDo((repo) => repo.count())).toBe(2);
    });

    it('shows its progress on stderr for a large file', async () => {
      const rows = Array.from({ length: 12_000 }, (_, i) => `02:11:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')},visitor,owner ${i},a label long enough to make the file large`);
      const file = csv('big.csv', ['mac,class,owner,label', ...rows]);
      const r = await run('import', file);
      expect(r).toMatchObject({ code: 0, stdout: 'imported 12000 devices\n' });
      expect(r.stderr).toMatch(/^checking .*big\.csv \(\d+ KiB\) \.\.\.$/m);
      expect(r.stderr).toContain('importing: 5,000 of 12,000 rows');
      expect(r.stderr).toContain('importing: 10,000 of 12,000 rows');
      expect(r.stderr).toContain('importing: all 12,000 rows written');
      expect(repoDo((repo) => repo.count())).toBe(12_000);
    });

    it('a file without the required columns imports nothing even with --valid-only', async () => {
      const file = csv('bad.csv', ['address,kind', '02:00:00:00:00:01,visitor']);
      const r = await run('import', file, '--valid-only');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^line 1: mac: the header has no "mac" column/m);
      expect(repoDo((repo) => repo.count())).toBe(0);
    });

    it('reports a missing file', async () => {
      const r = await run('import', path.join(dir, 'missing.csv'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^LANYARD_ERR_CSV_INVALID: cannot read/);
    });
  });
});
