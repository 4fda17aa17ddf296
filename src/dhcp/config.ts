/**
 * The DHCP part of the configuration: cross-checks the schema cannot express (pools inside
 * their subnet, no overlap, reservations unique ...) and the compiled, frozen DhcpConfig.
 * Pure: called by config/load.ts with the raw, shape-checked file; returns problems with key
 * paths so the loader reports them with the file name and line like every other mistake.
 */
import { parseAddressOrCidr, parseDuration } from '../policy/compile.js';
import { broadcastOf, inSubnet, parseIp, prefixMask } from '../protocols/dhcp/index.js';
import { parseMac } from '../policy/mac.js';
import type { RawConfig, RawNetworkDhcp } from '../config/schema.js';
import type { DhcpConfig, DhcpRange, DhcpReservation, DhcpScope } from '../config/types.js';

export const DHCP_DEFAULTS = Object.freeze({
  mode: 'off' as const,
  bind: '0.0.0.0',
  port: 67, // RFC 2131 §4.1: servers listen on UDP 67
  offerHoldSeconds: 60,
  declineHoldSeconds: 3600,
  checkDevices: true,
  leaseTime: 8 * 3600,
});

/** RFC 2132 §9.2: the lease time is a 32-bit count of seconds; 0xffffffff means infinite, which we never hand out. */
const MAX_LEASE_SECONDS = 0xfffffffe;

export interface DhcpProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Strict dotted-decimal IPv4 text → unsigned 32-bit number, or null (the codec's parseIp). */
function ipv4Number(text: string): number | null {
  return parseIp(text) ?? null;
}

interface ParsedScope {
  readonly scope: DhcpScope;
  /** Pools as written, for overlap messages. */
  readonly poolText: readonly string[];
}

/** Checks one network's dhcp section; returns the scope when it is usable. */
function checkScope(name: string, vlan: number, d: RawNetworkDhcp, problems: DhcpProblem[]): ParsedScope | null {
  const at = ['networks', name, 'dhcp'];
  const before = problems.length;
  const subnet = parseAddressOrCidr(d.subnet, false);
  if (!subnet.ok || subnet.kind !== 'ipv4') {
    problems.push({ path: [...at, 'subnet'], message: subnet.ok ? `'${d.subnet}' is not an IPv4 subnet (DHCPv4 serves IPv4 only)` : subnet.reason });
    return null;
  }
  if (subnet.prefix > 30) {
    problems.push({ path: [...at, 'subnet'], message: `'${d.subnet}' leaves no room for hosts: use a prefix of /30 or shorter` });
    return null;
  }
  const prefix = subnet.prefix;
  const mask = prefixMask(prefix);
  const network = ipv4Number(subnet.cidr.slice(0, subnet.cidr.indexOf('/')))!;
  const broadcast = broadcastOf(network, prefix);
  const host = (ip: number): boolean => inSubnet(ip, network, prefix) && ip !== network && ip !== broadcast;

  const pools: DhcpRange[] = [];
  (d.pools ?? []).forEach((text, i) => {
    const [a, b] = text.split('-');
    const start = ipv4Number(a ?? '');
    const end = ipv4Number(b ?? '');
    if (start === null || end === null) {
      problems.push({ path: [...at, 'pools', i], message: `'${text}' is not a range of two IPv4 addresses such as 10.20.10.100-10.20.10.199` });
      return;
    }
    if (end < start) {
      problems.push({ path: [...at, 'pools', i], message: `'${text}' runs backwards: write the lower address first` });
      return;
    }
    if (!host(start) || !host(end)) {
      problems.push({
        path: [...at, 'pools', i],
        message: `'${text}' is not inside the subnet ${d.subnet} (excluding its network and broadcast addresses)`,
      });
      return;
    }
    const clash = pools.findIndex((p) => start <= p.end && p.start <= end);
    if (clash >= 0) {
      problems.push({ path: [...at, 'pools', i], message: `'${text}' overlaps pools[${clash}]` });
      return;
    }
    pools.push({ start, end });
  });

  let router: number | null = null;
  if (d.router !== undefined) {
    router = ipv4Number(d.router);
    if (router === null) problems.push({ path: [...at, 'router'], message: `'${d.router}' is not an IPv4 address` });
    else if (!host(router)) problems.push({ path: [...at, 'router'], message: `'${d.router}' is not a host address inside the subnet ${d.subnet}` });
    else if (pools.some((p) => router! >= p.start && router! <= p.end)) {
      problems.push({ path: [...at, 'router'], message: `'${d.router}' is inside a pool: the router's address would be leased to a client` });
    }
  }
  const dns: number[] = [];
  (d.dns ?? []).forEach((text, i) => {
    const ip = ipv4Number(text);
    if (ip === null) problems.push({ path: [...at, 'dns', i], message: `'${text}' is not an IPv4 address` });
    else dns.push(ip);
  });

  let leaseTime: number = DHCP_DEFAULTS.leaseTime;
  if (d.leaseTime !== undefined) {
    const seconds = parseDuration(d.leaseTime);
    if (seconds === null || seconds < 60 || seconds > MAX_LEASE_SECONDS) {
      problems.push({ path: [...at, 'leaseTime'], message: `must be from 60 seconds to ${MAX_LEASE_SECONDS} seconds (RFC 2132 §9.2), such as 8h` });
    } else {
      leaseTime = seconds;
    }
  }

  const reservations: DhcpReservation[] = [];
  const byMac = new Map<number, string>();
  const byIp = new Map<number, string>();
  for (const [rname, r] of Object.entries(d.reservations ?? {})) {
    const rat = [...at, 'reservations', rname];
    const mac = parseMac(r.mac.trim());
    const ip = ipv4Number(r.ip);
    if (mac < 0) problems.push({ path: [...rat, 'mac'], message: `'${r.mac}' is not a MAC address (such as AA-BB-CC-00-00-01 or aa:bb:cc:00:00:01)` });
    if (ip === null) problems.push({ path: [...rat, 'ip'], message: `'${r.ip}' is not an IPv4 address` });
    else if (!host(ip)) problems.push({ path: [...rat, 'ip'], message: `'${r.ip}' is not a host address inside the subnet ${d.subnet}` });
    else if (ip === router) problems.push({ path: [...rat, 'ip'], message: `'${r.ip}' is the router's address` });
    if (mac >= 0 && byMac.has(mac)) {
      problems.push({ path: [...rat, 'mac'], message: `'${r.mac}' is already reserved by '${byMac.get(mac)!}' (one reservation per MAC)` });
    }
    if (ip !== null && byIp.has(ip)) {
      problems.push({ path: [...rat, 'ip'], message: `'${r.ip}' is already reserved by '${byIp.get(ip)!}'` });
    }
    if (mac >= 0) byMac.set(mac, rname);
    if (ip !== null) byIp.set(ip, rname);
    if (mac >= 0 && ip !== null) reservations.push({ name: rname, mac, ip });
  }
  if (problems.length > before) return null;
  return {
    scope: {
      network: name,
      vlan,
      subnet: network,
      prefix,
      mask,
      broadcast,
      pools,
      router,
      dns,
      domain: d.domain ?? null,
      leaseTime,
      reservations,
    },
    poolText: d.pools ?? [],
  };
}

/** Every problem with the dhcp section and the networks' dhcp scopes. */
export function checkDhcp(raw: RawConfig): DhcpProblem[] {
  const problems: DhcpProblem[] = [];
  compile(raw, problems);
  return problems;
}

/** The compiled DhcpConfig; call checkDhcp() first (this throws on a problem). */
export function compileDhcp(raw: RawConfig, overridePort?: number): DhcpConfig {
  const problems: DhcpProblem[] = [];
  const config = compile(raw, problems, overridePort);
  if (problems.length > 0) throw new TypeError(`dhcp has ${problems.length} problem(s): ${problems.map((p) => p.message).join('; ')}`);
  return config;
}

function compile(raw: RawConfig, problems: DhcpProblem[], overridePort?: number): DhcpConfig {
  const d = raw.dhcp ?? {};
  const mode = d.mode ?? DHCP_DEFAULTS.mode;
  const parsed: ParsedScope[] = [];
  for (const [name, n] of Object.entries(raw.networks)) {
    if (n.dhcp === undefined) continue;
    const p = checkScope(name, n.vlan, n.dhcp, problems);
    if (p !== null) parsed.push(p);
  }
  // Pools of different networks must not overlap: an address would belong to two scopes.
  for (let i = 0; i < parsed.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = parsed[i]!;
      const b = parsed[j]!;
      a.scope.pools.forEach((pa, ia) => {
        const jb = b.scope.pools.findIndex((pb) => pa.start <= pb.end && pb.start <= pa.end);
        if (jb >= 0) {
          problems.push({
            path: ['networks', a.scope.network, 'dhcp', 'pools', ia],
            message: `'${a.poolText[ia] ?? ''}' overlaps network '${b.scope.network}' pool '${b.poolText[jb] ?? ''}'`,
          });
        }
      });
    }
  }

  if (d.bind !== undefined && ipv4Number(d.bind) === null) {
    problems.push({ path: ['dhcp', 'bind'], message: `'${d.bind}' is not an IPv4 address to listen on (such as 0.0.0.0)` });
  }
  let serverId: number | null = null;
  if (typeof d.serverId === 'string') {
    serverId = ipv4Number(d.serverId);
    if (serverId === null || serverId === 0) problems.push({ path: ['dhcp', 'serverId'], message: `'${d.serverId}' is not an IPv4 address of this server` });
  }
  if (mode === 'serve' && (d.serverId === undefined || d.serverId === null)) {
    problems.push({
      path: ['dhcp', 'serverId'],
      message: 'is required in serve mode: the address clients send renewals to (option 54, RFC 2131 §4.3.1)',
    });
  }
  const directNetwork = d.directNetwork ?? null;
  if (directNetwork !== null) {
    const net = Object.hasOwn(raw.networks, directNetwork) ? raw.networks[directNetwork] : undefined;
    if (net === undefined) problems.push({ path: ['dhcp', 'directNetwork'], message: `network '${directNetwork}' is not defined under networks` });
    else if (net.dhcp === undefined) problems.push({ path: ['dhcp', 'directNetwork'], message: `network '${directNetwork}' has no dhcp section` });
  }
  if (mode === 'serve' && parsed.length === 0 && !problems.some((p) => p.path[0] === 'networks')) {
    problems.push({ path: ['dhcp', 'mode'], message: 'is serve, but no network has a dhcp section (subnet and pools) to serve' });
  }
  return {
    mode,
    bind: d.bind ?? DHCP_DEFAULTS.bind,
    port: overridePort ?? d.port ?? DHCP_DEFAULTS.port,
    serverId,
    directNetwork,
    offerHoldSeconds: d.offerHoldSeconds ?? DHCP_DEFAULTS.offerHoldSeconds,
    declineHoldSeconds: d.declineHoldSeconds ?? DHCP_DEFAULTS.declineHoldSeconds,
    checkDevices: d.checkDevices ?? DHCP_DEFAULTS.checkDevices,
    scopes: parsed.map((p) => p.scope),
  };
}
