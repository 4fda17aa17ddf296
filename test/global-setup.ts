/**
 * Runs once before the suite: makes sure the real third-party peers the interop tests drive
 * are installed (Debian packages, installed when missing and we are root), and that the
 * compiled CLI exists (npm test builds it first via `pretest`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** `rootOnly`: needed only by tests that skip when not root (network namespaces), so not demanded otherwise. */
const PEERS: ReadonlyArray<{ command: string; pkg: string; rootOnly?: boolean }> = [
  { command: 'radclient', pkg: 'freeradius-utils' },
  // The web-filter feed's receiver in test/feed/interop.test.ts (FreeRADIUS's detail module).
  { command: 'freeradius', pkg: 'freeradius' },
  // DHCP interop (test/interop/dhcp-*.test.ts, in network namespaces; PEERS.md).
  { command: 'dhclient', pkg: 'isc-dhcp-client', rootOnly: true },
  { command: 'udhcpc', pkg: 'udhcpc', rootOnly: true },
  { command: 'dhcpcd', pkg: 'dhcpcd-base', rootOnly: true },
  { command: 'dhcrelay', pkg: 'isc-dhcp-relay', rootOnly: true },
  { command: 'kea-dhcp4', pkg: 'kea-dhcp4-server', rootOnly: true },
  { command: 'perfdhcp', pkg: 'kea-admin', rootOnly: true },
  { command: 'tcpdump', pkg: 'tcpdump', rootOnly: true },
];

function has(command: string): boolean {
  // Servers and the DHCP tools install to /usr/sbin, which a non-root PATH often lacks.
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore', env }).status === 0;
}

export default function setup(): void {
  const root = process.getuid?.() === 0;
  const missing = PEERS.filter((p) => (root || p.rootOnly !== true) && !has(p.command));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))];
    if (!root) {
      throw new Error(`interop tests need ${pkgs.join(', ')} (Debian); run: sudo apt-get install -y ${pkgs.join(' ')}`);
    }
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
    } catch (e) {
      throw new Error(`could not install ${pkgs.join(', ')} with apt-get: ${(e as Error).message}`);
    }
    const still = missing.filter((p) => !has(p.command));
    if (still.length > 0) throw new Error(`installed ${pkgs.join(', ')} but ${still.map((s) => s.command).join(', ')} is still missing`);
  }
  const cli = path.resolve('dist/src/main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run the suite with 'npm test' (it builds first)`);
}
