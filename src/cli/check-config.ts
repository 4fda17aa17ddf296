/**
 * `lanyard check-config [--config FILE]`: load and validate a configuration without starting
 * anything, and print what it says. Exit 0 when it loads; 2 (with code, where and message on
 * stderr) when it does not. Secrets are never generated here and never printed — only where
 * each one comes from.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { DhcpConfig, FeedConfig, LanyardConfig } from '../config/types.js';
import { ipToString } from '../protocols/dhcp/index.js';
import { DEFAULT_CONFIG, runAction } from './common.js';

function formatTimeout(seconds: number): string {
  if (seconds === 0) return 'none';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', s > 0 ? `${s}s` : ''].join('');
}

/** One feed in words, for check-config and serve's start-up lines (never the secret itself). */
export function describeFeed(f: FeedConfig): string {
  const answers = f.expectResponse ? `${f.retries} retries from ${f.timeoutMs} ms` : 'no answers expected';
  return `${f.name}: ${f.address}:${f.port}, ${f.groupAttribute} = ${f.group}, User-Name = ${f.userName}, ${answers}, secret from ${f.secretSource}`;
}

/** The DHCP service and each network's scope in words (docs/dhcp.md). */
function describeDhcp(dhcp: DhcpConfig): string[] {
  if (dhcp.mode === 'off') return ['DHCP:             off'];
  const check = dhcp.checkDevices ? 'network check on' : 'network check OFF';
  const direct = dhcp.directNetwork === null ? 'relayed networks only' : `direct network ${dhcp.directNetwork}`;
  const id = dhcp.serverId === null ? '' : `, server id ${ipToString(dhcp.serverId)}`;
  const out = [`DHCP:             ${dhcp.mode} on ${dhcp.bind}:${dhcp.port}${id}, ${direct}, ${check}`];
  for (const s of dhcp.scopes) {
    const size = s.pools.reduce((n, r) => n + (r.end - r.start + 1), 0);
    const pools = s.pools.length === 0 ? 'no pool' : `pools ${s.pools.map((r) => `${ipToString(r.start)}-${ipToString(r.end)}`).join(', ')} (${size} addresses)`;
    const router = s.router === null ? 'no router' : `router ${ipToString(s.router)}`;
    const dns = s.dns.length === 0 ? 'no DNS' : `DNS ${s.dns.map(ipToString).join(', ')}`;
    const reserved = s.reservations.length === 1 ? '1 reservation' : `${s.reservations.length} reservations`;
    out.push(`  ${s.network}: ${ipToString(s.subnet)}/${s.prefix}, ${pools}, ${router}, ${dns}, lease ${formatTimeout(s.leaseTime)}, ${reserved}`);
  }
  return out;
}

/** The human summary printed by check-config (exported for tests). */
export function summariseConfig(config: LanyardConfig): string {
  const { policy, radius } = config;
  const out: string[] = [];
  out.push(`Configuration OK: ${config.source}`);
  out.push(`Data directory:   ${config.dataDir}`);
  out.push(`Database:         ${config.store.database}`);
  out.push(`RADIUS:           auth ${radius.bind}:${radius.authPort}, accounting ${radius.bind}:${radius.acctPort}`);
  out.push(...describeDhcp(config.dhcp));
  out.push('');
  out.push(`Networks (${policy.networks.size}):`);
  for (const n of policy.networks.values()) {
    const unknown = n.unknownDevices.action === 'reject' ? 'unknown devices rejected' : `unknown devices admitted as ${n.unknownDevices.asClass}`;
    const ssids = n.ssids.length > 0 ? n.ssids.join(', ') : '(none: wired / NAS default only)';
    out.push(`  ${n.name}: VLAN ${n.vlan}, SSIDs ${ssids}; ${unknown}`);
  }
  out.push(`Classes (${policy.classes.size}):`);
  for (const c of policy.classes.values()) {
    const profile = policy.profiles.get(c.profile);
    const allow = profile && profile.allow.length > 0 ? profile.allow.join(', ') : 'nothing beyond the AP';
    out.push(`  ${c.name} [${c.ownership}]: network ${c.network}, profile ${c.profile} (${allow}), session timeout ${formatTimeout(c.sessionTimeout)}`);
  }
  out.push(`NAS clients (${radius.clients.length}):`);
  for (const nas of radius.clients) {
    const ma = nas.requireMessageAuthenticator ? 'Message-Authenticator required' : 'Message-Authenticator NOT required';
    const def = nas.defaultNetwork === null ? '' : `, default network ${nas.defaultNetwork}`;
    out.push(`  ${nas.name}: ${nas.address}, vendor ${nas.vendor}, secret from ${nas.secretSource}, ${ma}${def}`);
  }
  if (config.feeds.length > 0) {
    out.push(`Web-filter feeds (${config.feeds.length}):`);
    for (const f of config.feeds) out.push(`  ${describeFeed(f)}`);
  }
  if (config.warnings.length > 0) {
    out.push(`Warnings (${config.warnings.length}):`);
    for (const w of config.warnings) out.push(`  ${w}`);
  }
  if (config.notices.length > 0) {
    out.push(`Notices (${config.notices.length}):`);
    for (const n of config.notices) out.push(`  ${n}`);
  }
  return `${out.join('\n')}\n`;
}

export function registerCheckConfig(program: Command): void {
  program
    .command('check-config')
    .description('Validate a configuration file and print a summary of its networks, classes, NAS clients, DHCP scopes and feeds')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .action(
      runAction((opts: { config: string }) => {
        const config = loadConfig(opts.config, { generateSecrets: false });
        process.stdout.write(summariseConfig(config));
      }),
    );
}
