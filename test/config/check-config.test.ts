import path from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerCheckConfig } from '../../src/cli/check-config.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'config');

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<number> {
  const program = new Command().exitOverride();
  registerCheckConfig(program);
  process.exitCode = undefined;
  await program.parseAsync(['node', 'lanyard', 'check-config', ...args]);
  return Number(process.exitCode ?? 0);
}

describe('lanyard check-config', () => {
  it('summarises the default configuration and exits 0', async () => {
    expect(await run()).toBe(0);
    expect(out).toContain(`Configuration OK: ${path.join(ROOT, 'config', 'lanyard.yaml')}`);
    expect(out).toContain('DCPS: VLAN 10, SSIDs DCPS; unknown devices rejected');
    expect(out).toContain('BYOD: VLAN 20, SSIDs BYOD; unknown devices admitted as visitor');
    expect(out).toContain('visitor [visitor]: network BYOD, profile visitor (internet), session timeout 8h');
    expect(out).toMatch(/loopback: 127\.0\.0\.1, vendor generic, secret from (env:LANYARD_LOOPBACK_SECRET|pending:|generated:)/);
    expect(err).toBe('');
  });

  it('summarises an example given with --config', async () => {
    expect(await run('--config', path.join(ROOT, 'config', 'examples', 'template-001.yaml'))).toBe(0);
    expect(out).toContain('SCHOOL: VLAN 10, SSIDs SCHOOL; unknown devices rejected');
    expect(out).toContain('Classes (3):');
  });

  it('prints code, where and message to stderr and exits 2 on a bad file', async () => {
    const file = path.join(FIXTURES, 'bad-vlan.yaml');
    expect(await run('--config', file)).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('LANYARD_ERR_CONFIG_INVALID');
    expect(err).toContain(`${file}:networks.GUEST.vlan`);
    expect(err).toContain('must be a whole number from 1 to 4094 (got 5000)');
  });

  it('does not fail when the secret is still to be generated', async () => {
    const saved = process.env.LANYARD_LOOPBACK_SECRET;
    delete process.env.LANYARD_LOOPBACK_SECRET;
    try {
      expect(await run('--config', path.join(ROOT, 'config', 'examples', 'template-001.yaml'))).toBe(0);
      expect(out).toMatch(/secret from (pending|generated):/);
    } finally {
      if (saved !== undefined) process.env.LANYARD_LOOPBACK_SECRET = saved;
    }
  });
});
