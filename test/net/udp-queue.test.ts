/**
 * The kernel's receive-queue figures for a socket (src/net/udp-queue.ts): the parser on the
 * /proc/net/udp layout, and readUdpQueues against a real socket on loopback whose owner (a
 * python3 process) never reads, so its queue fills and the kernel drops the overflow, and the
 * /metrics counter built on it.
 */
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createAdminMetrics } from '../../src/admin/metrics.js';
import { parseProcNetUdp, readUdpQueues } from '../../src/net/udp-queue.js';

const SAMPLE = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  282: 0100007F:0714 00000000:0000 07 00000000:00000A40 00:00000000 00000000     0        0 41235 2 0000000000000000 17
  999: 00000000:0043 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41236 2 0000000000000000 0
  garbage line
`;

describe('parseProcNetUdp', () => {
  it('reads the local port, the receive queue and the drops of each socket', () => {
    expect(parseProcNetUdp(SAMPLE)).toEqual([
      { port: 1812, rxBytes: 0xa40, drops: 17 },
      { port: 67, rxBytes: 0, drops: 0 },
    ]);
  });

  it('gives nothing for text that is not the table', () => {
    expect(parseProcNetUdp('')).toEqual([]);
    expect(parseProcNetUdp('hello world\n1: 2 3')).toEqual([]);
  });

  it('returns null when no file can be read', () => {
    expect(readUdpQueues([1812], ['/nonexistent/udp'])).toBeNull();
  });
});

describe('readUdpQueues on a real socket', () => {
  it('sees the queue of a socket nobody reads fill up, then the kernel drop the overflow', async () => {
    // A receiver with a small buffer that never reads; it prints its port and waits (bounded).
    const py = spawn('python3', [
      '-c',
      'import socket,sys,time\n' +
        's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n' +
        's.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,4096)\n' +
        "s.bind(('127.0.0.1',0))\n" +
        'print(s.getsockname()[1],flush=True)\n' +
        'time.sleep(20)\n',
    ]);
    try {
      const [line] = (await once(py.stdout, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      expect(port).toBeGreaterThan(0);
      expect(readUdpQueues([port])?.get(port)).toEqual({ port, rxBytes: 0, drops: 0 });

      const sender = dgram.createSocket('udp4');
      const payload = Buffer.alloc(512, 1);
      for (let i = 0; i < 200; i++) sender.send(payload, port, '127.0.0.1');
      await new Promise<void>((resolve) => sender.send(payload, port, '127.0.0.1', () => resolve()));
      sender.close();

      const q = readUdpQueues([port])?.get(port);
      expect(q?.rxBytes).toBeGreaterThan(0);
      expect(q?.drops).toBeGreaterThan(0);
      // /metrics reports them for the RADIUS ports (here the auth port is the python socket's).
      const text = await createAdminMetrics(() => null, { radiusPorts: () => ({ authPort: port, acctPort: 1 }) }).registry.metrics();
      expect(text).toContain(`lanyard_radius_kernel_drops_total{service="auth"} ${q?.drops}`);
      expect(text).toContain('lanyard_radius_kernel_drops_total{service="acct"} 0');
    } finally {
      py.kill();
    }
  });
});
