/**
 * The lease table: every address Lanyard has offered, leased, seen released or quarantined,
 * and which pool addresses are free. Pure (no socket, clock or store): times are passed in,
 * and every change that must be stored is returned as a LeaseWrite for the caller to persist.
 *
 * Finding a free address never scans the pool: each scope keeps a free set (a JavaScript Set
 * keeps insertion order, so it is also a queue). Addresses never used come first, in pool
 * order; an address that is released or expires goes to the back, so a client that comes back
 * soon usually finds its old address still unused (RFC 2131 §4.3.1 asks the server to prefer
 * the client's previous address). Taking an address is O(1) amortised: a stale entry met at
 * the front is removed for good.
 */
import type { DhcpConfig, DhcpScope } from '../config/types.js';
import { formatMac, parseMac } from '../policy/mac.js';
import type { LeaseRecord, LeaseState, LeaseWrite } from '../store/leases.js';
import { inSubnet, ipToString, parseIp } from '../protocols/dhcp/index.js';

export interface Lease {
  readonly ip: number;
  /** Scope (network) name. */
  network: string;
  /** Option 61 as hex when present (RFC 2131 §4.2: it identifies the client), else the MAC text. */
  clientKey: string;
  /** chaddr as a 48-bit number, and as AA-BB-CC-DD-EE-FF. */
  mac: number;
  macText: string;
  clientId: string | null;
  hostname: string | null;
  state: LeaseState;
  starts: number;
  expires: number;
}

/** Who is asking: the identity fields of a request. */
export interface ClientIdentity {
  readonly key: string;
  readonly mac: number;
  readonly clientId: string | null;
  readonly hostname: string | null;
}

/** RFC 2131 §4.2: the client identifier when given, else chaddr. */
export function clientKeyOf(mac: number, clientIdHex: string | null): string {
  return clientIdHex !== null ? `id:${clientIdHex}` : `hw:${formatMac(mac)}`;
}

class ScopeState {
  readonly free = new Set<number>();
  /** MAC → reserved address, and the reserved addresses (never given to anyone else). */
  readonly reservedFor = new Map<number, number>();
  readonly reservedIps = new Map<number, number>();
  /** Addresses in this scope's pools (both ends included). */
  readonly size: number;

  constructor(readonly scope: DhcpScope) {
    for (const r of scope.reservations) {
      this.reservedFor.set(r.mac, r.ip);
      this.reservedIps.set(r.ip, r.mac);
    }
    let size = 0;
    for (const p of scope.pools) size += p.end - p.start + 1;
    this.size = size;
  }

  inPool(ip: number): boolean {
    for (const p of this.scope.pools) if (ip >= p.start && ip <= p.end) return true;
    return false;
  }

  inSubnet(ip: number): boolean {
    return inSubnet(ip, this.scope.subnet, this.scope.prefix);
  }
}

export type { ScopeState };

/** A lease holds its address while offered, bound or declined and not yet past its end. */
export function isActive(lease: Lease, now: number): boolean {
  return lease.state !== 'released' && lease.state !== 'expired' && lease.expires > now;
}

export class LeaseTable {
  private readonly byIp = new Map<number, Lease>();
  /** The latest address of each client (its key), kept after the lease ends for affinity. */
  private readonly byClient = new Map<string, number>();
  /** The latest address bound to each MAC (accounting sessions without Framed-IP-Address are completed from it). */
  private readonly byMac = new Map<number, number>();
  private scopes: ScopeState[] = [];
  private byName = new Map<string, ScopeState>();

  constructor(config: DhcpConfig, stored: readonly LeaseRecord[], now: number) {
    for (const r of stored) {
      const ip = parseIp(r.ip);
      const mac = parseMac(r.mac);
      if (ip === undefined || mac < 0) continue; // written by us; defensive
      const lease: Lease = {
        ip,
        network: r.network,
        clientKey: clientKeyOf(mac, r.clientId),
        mac,
        macText: r.mac,
        clientId: r.clientId,
        hostname: r.hostname,
        // An offer does not survive a restart: the client will DISCOVER again.
        state: r.state === 'offered' ? 'expired' : r.state,
        starts: r.starts,
        expires: r.expires,
      };
      this.byIp.set(ip, lease);
      if (lease.state === 'bound' && (this.byIp.get(this.byMac.get(mac) ?? -1)?.starts ?? 0) <= lease.starts) this.byMac.set(mac, ip);
      const current = this.byClient.get(lease.clientKey);
      if (current === undefined || (this.byIp.get(current)?.starts ?? 0) <= lease.starts) this.byClient.set(lease.clientKey, ip);
    }
    this.configure(config, now);
  }

  /**
   * (Re)builds the scopes and free sets from a configuration (start, SIGHUP). Leases are kept:
   * one whose address left every pool stays until it ends, but is never renewed.
   */
  configure(config: DhcpConfig, now: number): void {
    this.scopes = config.scopes.map((s) => new ScopeState(s));
    this.byName = new Map(this.scopes.map((s) => [s.scope.network, s]));
    const recent: [number, number][] = [];
    for (const s of this.scopes) {
      for (const p of s.scope.pools) {
        for (let ip = p.start; ip <= p.end; ip++) {
          if (s.reservedIps.has(ip)) continue;
          const lease = this.byIp.get(ip);
          if (lease === undefined) s.free.add(ip);
          else if (!isActive(lease, now)) recent.push([lease.expires, ip]);
        }
      }
    }
    // Used addresses after the never-used ones, least recently used first.
    recent.sort((a, b) => a[0] - b[0]);
    for (const [, ip] of recent) this.scopeOfIp(ip)?.free.add(ip);
  }

  get scopeList(): readonly ScopeState[] {
    return this.scopes;
  }

  scope(name: string): ScopeState | undefined {
    return this.byName.get(name);
  }

  /** The scope whose subnet contains `ip` (a relay's giaddr, a renewing client's ciaddr). */
  scopeContaining(ip: number): ScopeState | undefined {
    for (const s of this.scopes) if (s.inSubnet(ip)) return s;
    return undefined;
  }

  private scopeOfIp(ip: number): ScopeState | undefined {
    for (const s of this.scopes) if (s.inPool(ip)) return s;
    return undefined;
  }

  get(ip: number): Lease | undefined {
    return this.byIp.get(ip);
  }

  /** The client's latest address in this scope, whatever its state. */
  addressOf(scope: ScopeState, key: string): number | undefined {
    const ip = this.byClient.get(key);
    return ip !== undefined && scope.inSubnet(ip) ? ip : undefined;
  }

  /** The address currently offered to this client, if any. */
  offeredTo(key: string): number | undefined {
    const ip = this.byClient.get(key);
    return ip !== undefined && this.byIp.get(ip)?.state === 'offered' ? ip : undefined;
  }

  get size(): number {
    return this.byIp.size;
  }

  /** Free addresses left in a scope (for metrics). */
  freeCount(scope: ScopeState): number {
    return scope.free.size;
  }

  /**
   * May `client` be given `ip` in `scope` now? It must be this scope's pool address or this
   * client's reservation, not reserved for another MAC, and not held by another client.
   */
  usableBy(scope: ScopeState, ip: number, client: ClientIdentity, now: number): boolean {
    const reservedMac = scope.reservedIps.get(ip);
    if (reservedMac !== undefined && reservedMac !== client.mac) return false;
    if (reservedMac === undefined && !scope.inPool(ip)) return false;
    const lease = this.byIp.get(ip);
    if (lease === undefined || !isActive(lease, now)) return true;
    // A quarantined address is nobody's, not even the client that declined it (RFC 2131 §4.3.3).
    return lease.state !== 'declined' && lease.clientKey === client.key;
  }

  /**
   * The address to offer (RFC 2131 §4.3.1): the client's reservation; else its current or
   * previous address; else the address it asked for (option 50) when usable; else the next
   * free one. undefined: the pool is exhausted (or the reservation is held by someone else).
   */
  choose(scope: ScopeState, client: ClientIdentity, requested: number | null, now: number): number | undefined {
    const reserved = scope.reservedFor.get(client.mac);
    if (reserved !== undefined) return this.usableBy(scope, reserved, client, now) ? reserved : undefined;
    const previous = this.addressOf(scope, client.key);
    if (previous !== undefined && this.usableBy(scope, previous, client, now)) return previous;
    if (requested !== null && this.usableBy(scope, requested, client, now)) return requested;
    for (const ip of scope.free) {
      scope.free.delete(ip);
      if (this.usableBy(scope, ip, client, now)) return ip; // stale entries met here are gone for good
    }
    return undefined;
  }

  /** Records an offer: the address is held for `holdMs` (not stored: an offer is only a promise). */
  offer(scope: ScopeState, ip: number, client: ClientIdentity, now: number, holdMs: number): void {
    const lease = this.byIp.get(ip);
    if (lease !== undefined && lease.clientKey === client.key && lease.state === 'bound' && lease.expires > now) return; // keeps its lease
    this.put(scope, ip, client, 'offered', now, now + holdMs);
  }

  /** Binds (or extends) the client's lease; returns the write to store. */
  bind(scope: ScopeState, ip: number, client: ClientIdentity, now: number, leaseMs: number): LeaseWrite {
    this.byMac.set(client.mac, ip);
    return this.writeOf(this.put(scope, ip, client, 'bound', now, now + leaseMs), now);
  }

  /** The address this MAC holds by a bound, unexpired lease, if any. */
  boundAddressOf(mac: number, now: number): number | undefined {
    const ip = this.byMac.get(mac);
    const lease = ip === undefined ? undefined : this.byIp.get(ip);
    return lease !== undefined && lease.mac === mac && lease.state === 'bound' && lease.expires > now ? ip : undefined;
  }

  /** DECLINE (RFC 2131 §4.3.3): the address is in use by someone unknown; keep it out of the pool. */
  decline(ip: number, now: number, holdMs: number): LeaseWrite | null {
    const lease = this.byIp.get(ip);
    if (lease === undefined) return null;
    lease.state = 'declined';
    lease.starts = now;
    lease.expires = now + holdMs;
    this.byClient.delete(lease.clientKey); // it must not be offered to this client again
    this.scopeOfIp(ip)?.free.delete(ip);
    return this.writeOf(lease, now);
  }

  /** RELEASE (RFC 2131 §4.3.4): the address is free again (to the back of the free set). */
  release(ip: number, now: number): LeaseWrite | null {
    const lease = this.byIp.get(ip);
    if (lease === undefined || lease.state !== 'bound') return null;
    lease.state = 'released';
    lease.expires = Math.min(lease.expires, now);
    this.refree(ip);
    return this.writeOf(lease, now);
  }

  /** Forgets an offer the client turned down (it chose another server, RFC 2131 §4.3.2). */
  withdrawOffer(ip: number, key: string): void {
    const lease = this.byIp.get(ip);
    if (lease === undefined || lease.state !== 'offered' || lease.clientKey !== key) return;
    lease.state = 'expired';
    this.refree(ip);
  }

  /**
   * Ends whatever has run out: offers (not stored), leases and quarantines (stored as expired).
   * One pass over the table; the caller runs it on a timer, never per request.
   */
  sweep(now: number): LeaseWrite[] {
    const writes: LeaseWrite[] = [];
    for (const lease of this.byIp.values()) {
      if (lease.state === 'released' || lease.state === 'expired' || lease.expires > now) continue;
      const stored = lease.state !== 'offered';
      lease.state = 'expired';
      this.refree(lease.ip);
      if (stored) writes.push(this.writeOf(lease, lease.expires));
    }
    return writes;
  }

  private refree(ip: number): void {
    const scope = this.scopeOfIp(ip);
    if (scope === undefined || scope.reservedIps.has(ip)) return;
    scope.free.delete(ip);
    scope.free.add(ip);
  }

  private put(scope: ScopeState, ip: number, client: ClientIdentity, state: LeaseState, starts: number, expires: number): Lease {
    let lease = this.byIp.get(ip);
    if (lease === undefined) {
      lease = {
        ip,
        network: scope.scope.network,
        clientKey: client.key,
        mac: client.mac,
        macText: formatMac(client.mac),
        clientId: client.clientId,
        hostname: client.hostname,
        state,
        starts,
        expires,
      };
      this.byIp.set(ip, lease);
    } else {
      if (lease.clientKey !== client.key) {
        if (this.byClient.get(lease.clientKey) === ip) this.byClient.delete(lease.clientKey);
        lease.clientKey = client.key;
      }
      lease.network = scope.scope.network;
      if (lease.mac !== client.mac) {
        lease.mac = client.mac;
        lease.macText = formatMac(client.mac);
      }
      lease.clientId = client.clientId;
      lease.hostname = client.hostname ?? lease.hostname;
      lease.state = state;
      lease.starts = starts;
      lease.expires = expires;
    }
    scope.free.delete(ip);
    // The client's previous address (elsewhere) is no longer its affinity.
    this.byClient.set(client.key, ip);
    return lease;
  }

  private writeOf(lease: Lease, at: number): LeaseWrite {
    return {
      ip: ipToString(lease.ip),
      network: lease.network,
      mac: lease.macText,
      clientId: lease.clientId,
      hostname: lease.hostname,
      state: lease.state,
      starts: lease.starts,
      expires: lease.expires,
      at,
    };
  }
}
