/**
 * Hand-laid DHCP datagrams for the codec tests, written from the RFC 2131 §2 Table 1 offsets
 * rather than with encodeDhcp(), so a shared mistake cannot pass both sides of a test.
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { hex } from '../radius/helpers.js';

export { hex };

export interface Layout {
  op?: number;
  htype?: number;
  hlen?: number;
  hops?: number;
  xid?: number;
  secs?: number;
  flags?: number;
  ciaddr?: number;
  yiaddr?: number;
  siaddr?: number;
  giaddr?: number;
  chaddr?: string; // hex
  sname?: string; // hex, laid at offset 44
  file?: string; // hex, laid at offset 108
  cookie?: string; // hex, default 63825363
  /** The options field after the cookie, as hex (include ff yourself when you want End). */
  options: string;
  /** Zero octets appended after the options field. */
  trailer?: number;
}

export function layout(l: Layout): Buffer {
  const opts = hex(l.options);
  const b = Buffer.alloc(240 + opts.length + (l.trailer ?? 0));
  b[0] = l.op ?? 1;
  b[1] = l.htype ?? 1;
  b[2] = l.hlen ?? 6;
  b[3] = l.hops ?? 0;
  b.writeUInt32BE(l.xid ?? 0x3903f326, 4);
  b.writeUInt16BE(l.secs ?? 0, 8);
  b.writeUInt16BE(l.flags ?? 0, 10);
  b.writeUInt32BE(l.ciaddr ?? 0, 12);
  b.writeUInt32BE(l.yiaddr ?? 0, 16);
  b.writeUInt32BE(l.siaddr ?? 0, 20);
  b.writeUInt32BE(l.giaddr ?? 0, 24);
  hex(l.chaddr ?? '001122334455').copy(b, 28);
  if (l.sname !== undefined) hex(l.sname).copy(b, 44);
  if (l.file !== undefined) hex(l.file).copy(b, 108);
  hex(l.cookie ?? '63825363').copy(b, 236);
  opts.copy(b, 240);
  return b;
}

/** A fixture captured from a real client (see test/fixtures/dhcp/README.md). */
export function fixture(name: string): Buffer {
  return hex(fs.readFileSync(path.resolve('test/fixtures/dhcp', name), 'utf8'));
}
