/**
 * How full a UDP socket's kernel receive queue is, and how many datagrams the kernel dropped
 * for it, from Linux's /proc/net/udp and /proc/net/udp6 (one line per socket: the local
 * address as hex ADDR:PORT, `tx_queue:rx_queue` in bytes, ..., and `drops` last). Node's dgram
 * exposes neither, and they are what a storm shows first: datagrams waiting longer than the
 * NAS's timeout, then lost uncounted when the queue is full.
 *
 * The parser is pure (text in, rows out); readUdpQueues does the file reads. Off Linux, or when
 * /proc is not mounted, readUdpQueues returns null and callers carry on without the figures.
 */
import { readFileSync } from 'node:fs';

export interface UdpSocketQueue {
  /** Local port. */
  readonly port: number;
  /** Bytes waiting in the receive queue (the kernel's accounting: datagrams plus overhead). */
  readonly rxBytes: number;
  /** Datagrams the kernel dropped for this socket since it was opened (receive buffer full). */
  readonly drops: number;
}

/** Rows of /proc/net/udp or /proc/net/udp6 text; lines that do not parse are skipped. */
export function parseProcNetUdp(text: string): UdpSocketQueue[] {
  const rows: UdpSocketQueue[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (f.length < 13 || !f[0]!.endsWith(':')) continue;
    const local = f[1]!;
    const queues = f[4]!.split(':');
    const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    const rxBytes = Number.parseInt(queues[1] ?? '', 16);
    const drops = Number(f[12]);
    if (!Number.isInteger(port) || !Number.isInteger(rxBytes) || !Number.isInteger(drops)) continue;
    rows.push({ port, rxBytes, drops });
  }
  return rows;
}

/**
 * The sockets bound to `ports` (IPv4 or IPv6), by port; a port with no socket is absent. One
 * read of each file, whatever the number of ports. Null when /proc cannot be read (not Linux).
 */
export function readUdpQueues(
  ports: readonly number[],
  files: readonly string[] = ['/proc/net/udp', '/proc/net/udp6'],
): Map<number, UdpSocketQueue> | null {
  const found = new Map<number, UdpSocketQueue>();
  let readable = false;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    readable = true;
    for (const row of parseProcNetUdp(text)) if (ports.includes(row.port) && !found.has(row.port)) found.set(row.port, row);
  }
  return readable ? found : null;
}
