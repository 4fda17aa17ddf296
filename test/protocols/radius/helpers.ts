import { Buffer } from 'node:buffer';

/** Parse an RFC-style hex dump ("01 00 00 38 0f 40 ...", any whitespace) into bytes. */
export function hex(dump: string): Buffer {
  const clean = dump.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${dump}`);
  return Buffer.from(clean, 'hex');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
