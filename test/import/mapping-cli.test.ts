/** `lanyard devices import --format ... --class ...` (the compiled CLI) with an Intune export. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/daemon.js';
import { tempDir } from '../store/helpers.js';

const CONFIG = path.resolve('test/fixtures/store/lanyard.yaml');
const { dir, cleanup } = tempDir('lanyard-mapping-cli-');
afterAll(() => cleanup());
const db = path.join(dir, 'lanyard.db');
const file = path.join(dir, 'intune.csv');
fs.writeFileSync(
  file,
  'Device name,Serial number,Wi-Fi MAC,Primary user UPN,OS\r\nLT-01,SN1,AABBCCDDEE01,a@school.example,Windows\r\nLT-02,SN2,,b@school.example,Windows\r\n',
);
const cli = (...args: string[]) => runCli(['devices', ...args, '--config', CONFIG, '--db', db], process.env);

describe('devices import --format', () => {
  it('an export without --class: nothing imported, the header problem on stderr', async () => {
    const r = await cli('import', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 1: class: .*no device class/);
    expect(r.stdout).toMatch(/nothing imported/);
  });

  it('with --class and --valid-only: maps the columns, reports the rest, imports the good row', async () => {
    const classes = fs.readFileSync(CONFIG, 'utf8').match(/^ {2}([a-z][a-z0-9-]*):\s*$/m);
    expect(classes).not.toBeNull();
    const list = await cli('import', file, '--format', 'intune', '--class', 'nonexistent-class', '--dry-run');
    expect(list.stderr).toMatch(/unknown class "nonexistent-class" \(classes: ([a-z0-9-]+(, )?)+\)/);
    const cls = /classes: ([a-z0-9-]+)/.exec(list.stderr)![1]!;
    const r = await cli('import', file, '--format', 'intune', '--class', cls, '--valid-only');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/read as format intune: "Device name" → label, "Serial number" → label, "Wi-Fi MAC" → mac, "Primary user UPN" → owner/);
    expect(r.stderr).toMatch(/ignoring unknown column: OS/);
    expect(r.stderr).toMatch(/line 3: Wi-Fi MAC: no MAC address/);
    expect(r.stdout).toBe('imported 1 device (skipped 1 invalid row)\n');
    const show = await cli('show', 'aa:bb:cc:dd:ee:01', '--json');
    expect(JSON.parse(show.stdout).device).toMatchObject({ owner: 'a@school.example', label: 'LT-01 · SN SN1', source: 'import' });
  });

  it('refuses an unknown --format', async () => {
    const r = await cli('import', file, '--format', 'sims');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LANYARD_ERR_FIELD_INVALID: format "sims" is not one of auto, lanyard, intune, jamf, asset-register/);
  });
});
