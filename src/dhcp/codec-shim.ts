/**
 * TEMPORARY stand-in for the codec's accessors and option builders (branch dhcp-codec), so the
 * engine and its tests run before the codec lands. Replaced by imports from
 * ../protocols/dhcp/index.js at merge; nothing else may import this file.
 */
import type { DhcpMessageType, DhcpPacket, OutOption } from '../protocols/dhcp/types.js';

export function optionData(p: DhcpPacket, code: number): Buffer | null {
  const parts = p.options.filter((o) => o.code === code).map((o) => o.data);
  return parts.length === 0 ? null : Buffer.concat(parts);
}
function ipOf(d: Buffer | null): number | null {
  return d === null || d.length !== 4 ? null : d.readUInt32BE(0);
}
export const messageType = (p: DhcpPacket): DhcpMessageType | null => {
  const d = optionData(p, 53);
  return d === null || d.length !== 1 || d[0]! < 1 || d[0]! > 8 ? null : (d[0] as DhcpMessageType);
};
export const requestedIp = (p: DhcpPacket): number | null => ipOf(optionData(p, 50));
export const serverId = (p: DhcpPacket): number | null => ipOf(optionData(p, 54));
export const clientId = (p: DhcpPacket): Buffer | null => optionData(p, 61);
export const hostname = (p: DhcpPacket): string | null => optionData(p, 12)?.toString('latin1') ?? null;
export const parameterList = (p: DhcpPacket): number[] | null => {
  const d = optionData(p, 55);
  return d === null ? null : [...d];
};
export const relayAgentInfo = (p: DhcpPacket): Buffer | null => optionData(p, 82);
export const ipOption = (code: number, ip: number): OutOption => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(ip >>> 0);
  return { code, data: b };
};
export const ipListOption = (code: number, ips: readonly number[]): OutOption => {
  const b = Buffer.alloc(4 * ips.length);
  ips.forEach((ip, i) => b.writeUInt32BE(ip >>> 0, 4 * i));
  return { code, data: b };
};
export const u32Option = (code: number, n: number): OutOption => ipOption(code, n);
export const u8Option = (code: number, n: number): OutOption => ({ code, data: Uint8Array.of(n) });
export const textOption = (code: number, s: string): OutOption => ({ code, data: Buffer.from(s, 'latin1') });
