/**
 * Finds the NAS (access point, controller, switch) a datagram came from, by source address.
 * RFC 2865 §3: a server MUST silently discard requests from clients it has no secret for,
 * so an unknown source gets no answer at all.
 */
import ipaddr from 'ipaddr.js';
import type { NasClientConfig } from '../config/types.js';

export interface NasEntry {
  readonly config: NasClientConfig;
  /** Index in the config list: a small integer the hot path can use as a table key. */
  readonly index: number;
}

interface CidrEntry {
  readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  readonly entry: NasEntry;
}

const MEMO_LIMIT = 4096;

/** IPv4-mapped IPv6 ("::ffff:10.0.0.1", as a dual-stack socket reports it) → plain IPv4 text. */
function unmap(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class NasRegistry {
  private readonly exact = new Map<string, NasEntry>();
  private readonly ranges: CidrEntry[] = [];
  /** Results of CIDR look-ups (including misses), bounded so a scan of sources cannot grow it. */
  private readonly memo = new Map<string, NasEntry | null>();

  constructor(clients: readonly NasClientConfig[]) {
    clients.forEach((config, index) => {
      const entry: NasEntry = { config, index };
      if (config.address.includes('/')) {
        const range = ipaddr.parseCIDR(config.address);
        this.ranges.push({ range, entry });
      } else {
        this.exact.set(ipaddr.process(config.address).toString(), entry);
      }
    });
    // Most specific CIDR first, so a /32 inside a /24 wins.
    this.ranges.sort((a, b) => b.range[1] - a.range[1]);
  }

  get size(): number {
    return this.exact.size + this.ranges.length;
  }

  lookup(address: string): NasEntry | null {
    const hit = this.exact.get(address);
    if (hit !== undefined) return hit;
    const memo = this.memo.get(address);
    if (memo !== undefined) return memo;
    const found = this.slowLookup(address);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(address, found);
    return found;
  }

  private slowLookup(address: string): NasEntry | null {
    const plain = unmap(address);
    const direct = this.exact.get(plain);
    if (direct !== undefined) return direct;
    if (!ipaddr.isValid(plain)) return null;
    const ip = ipaddr.process(plain);
    for (const { range, entry } of this.ranges) {
      if (ip.kind() === range[0].kind() && ip.match(range)) return entry;
    }
    return null;
  }
}
