/**
 * The edge: UDP sockets in, pipeline, UDP out. This is the one place on the RADIUS path that
 * logs, and it logs drops at debug, except the first of each cause per source per minute at
 * warn, so an ICT manager sees "unknown NAS 10.1.2.3" without a flood.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { ThrottledWarnings, type Logger } from '../log.js';
import { DROP_MESSAGES, type DropCause } from './drops.js';
import type { Exchange, RadiusRuntime, Service } from './exchange.js';
import { runPipeline } from './pipeline.js';
import { LanyardError } from '../errors.js';
import { literalLookup } from '../net/lookup.js';

/** Large receive buffers absorb bursts (an AP storm after a power cut) instead of dropping. */
const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

export class RadiusListener {
  private socket: dgram.Socket | null = null;
  private readonly warnings: ThrottledWarnings;
  sendErrors = 0;

  constructor(
    readonly service: Service,
    private readonly runtime: () => RadiusRuntime,
    private readonly log: Logger,
  ) {
    this.warnings = new ThrottledWarnings(log);
  }

  /** Binds and resolves with the port actually bound (0 picks a free one). */
  bind(address: string, port: number): Promise<number> {
    const v6 = net.isIPv6(address);
    // Replies go to the literal address the request came from (src/net/lookup.ts).
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: false, lookup: literalLookup(v6 ? 6 : 4) });
    this.socket = socket;
    socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo.address, rinfo.port));
    return new Promise((resolve, reject) => {
      socket.once('error', (error) => {
        reject(new LanyardError('LANYARD_ERR_LISTEN', `cannot bind RADIUS ${this.service} on ${address}:${port}: ${error.message}`, { cause: error }));
      });
      socket.bind({ address, port, exclusive: true }, () => {
        socket.removeAllListeners('error');
        socket.on('error', (error) => {
          this.sendErrors++;
          this.log.error({ err: error, service: this.service }, 'RADIUS socket error');
        });
        try {
          socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
          socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
        } catch {
          // The kernel caps these (net.core.rmem_max); the default still works.
        }
        resolve(socket.address().port);
      });
    });
  }

  /** Entry point for a datagram; public so tests can drive it without sockets. */
  onMessage(buf: Buffer, address: string, port: number): void {
    const ex: Exchange = {
      buf,
      address,
      port,
      service: this.service,
      receivedAt: performance.now(),
      nas: null,
      nasIndex: -1,
      dupEntry: null,
    };
    const result = runPipeline(ex, this.runtime());
    if (typeof result === 'string') this.dropped(ex, result);
    else if (result instanceof Promise) {
      result.then(
        (r) => (typeof r === 'string' ? this.dropped(ex, r) : this.send(r, address, port)),
        (error: unknown) => this.log.error({ err: error }, 'unexpected error settling a request'),
      );
    } else this.send(result, address, port);
  }

  private send(reply: Buffer, address: string, port: number): void {
    // No per-send callback: with one, Node completes each send through the event loop.
    // Send failures surface as the socket's 'error' event (counted there).
    this.socket?.send(reply, port, address);
  }

  private dropped(ex: Exchange, cause: DropCause): void {
    const fields = { service: this.service, cause, source: ex.address, nas: ex.nas?.name, code: ex.buf[0], id: ex.buf[1] };
    this.warnings.warn(
      `${cause}|${ex.address}`,
      fields,
      `dropped: ${DROP_MESSAGES[cause]} (further drops for this cause and source are logged at debug for a minute)`,
      'dropped',
    );
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
