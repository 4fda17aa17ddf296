/**
 * dgram's `lookup` hook for sockets that only ever send to IP literals (the address a request
 * came from, a relay's giaddr): it answers at once with the socket's own family, instead of
 * dns.lookup, which defers every send by a tick even for a literal. A udp4 socket can only
 * send to IPv4 and a udp6 socket to IPv6, so the family needs no per-send test.
 */
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
export type LiteralLookup = (address: string, family: unknown, callback: LookupCallback) => void;

const BY_FAMILY: Readonly<Record<4 | 6, LiteralLookup>> = {
  4: (address, _family, callback) => callback(null, address, 4),
  6: (address, _family, callback) => callback(null, address, 6),
};

export function literalLookup(family: 4 | 6): LiteralLookup {
  return BY_FAMILY[family];
}
