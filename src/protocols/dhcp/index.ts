/**
 * Lanyard's DHCPv4 codec: pure functions over bytes (RFC 2131, 2132, 3046, 3396, 4361) and the
 * DHCP fingerprint reader. No sockets, clock, randomness, logging or configuration.
 */
export * from './types.js';
export * from './ip.js';
export * from './decode.js';
export * from './encode.js';
export * from './options.js';
export * from './fingerprint.js';
