/**
 * Lanyard's RADIUS codec: pure functions over bytes (RFC 2865, 2866, 2868, 2869, 3579,
 * 5176, 5997, 5080, 8044). No sockets, clock, randomness, logging or configuration: callers
 * supply random authenticators and salts. Imports only node:crypto and node:buffer.
 */
export * from './constants.js';
export * from './failures.js';
export * from './errors.js';
export * from './dictionary.js';
export { check, packetLength } from './check.js';
export * from './decode.js';
export * from './encode.js';
export * from './authenticator.js';
export * from './vendors/index.js';
