/**
 * The real daemon in this process (real SQLite file, real UDP RADIUS sockets, the admin API
 * listening on 127.0.0.1 port 0) and a fetch-based client: API tests go through real HTTP.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type Daemon } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { ApiConfig, LanyardConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/log.js';
import { Attr, Code, encodeOctets, encodeRequest, encodeString, hidePassword } from '../../src/protocols/radius/index.js';
import { ROLES, SqliteTokenRepository, type Role } from '../../src/store/tokens.js';

export const SECRET = 'api-test-shared-secret';
export const CONFIG = path.resolve('config/lanyard.yaml');

export interface ApiHarness {
  readonly daemon: Daemon;
  readonly config: LanyardConfig;
  readonly base: string;
  readonly dir: string;
  /** One token per role. */
  readonly tokens: Readonly<Record<Role, string>>;
  call(method: string, url: string, opts?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface CallOptions {
  /** Role whose token to send, a raw token string, or null for none. Default: ict-admin. */
  readonly as?: Role | null | { raw: string };
  /** JSON body (serialised), or a string sent as is. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  readonly json: any;
}

export async function startApi(api: Partial<ApiConfig> = {}): Promise<ApiHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-api-'));
  const loaded = loadConfig(CONFIG, {
    overrides: { database: path.join(dir, 'lanyard.db'), authPort: 0, acctPort: 0, apiPort: 0 },
    env: { LANYARD_LOOPBACK_SECRET: SECRET },
  });
  const config: LanyardConfig = { ...loaded, api: { ...loaded.api, failedLogins: { max: 10_000, windowMs: 60_000 }, ...api } };
  const daemon = await startDaemon(config, createLogger('silent'));
  const repo = new SqliteTokenRepository(daemon.db);
  const tokens = Object.fromEntries(ROLES.map((r) => [r, repo.create(`test-${r}`, r, 'test', Date.now()).token])) as Record<Role, string>;
  const base = `http://127.0.0.1:${daemon.apiPort}`;
  return {
    daemon,
    config,
    base,
    dir,
    tokens,
    async call(method, url, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const as = opts.as === undefined ? 'ict-admin' : opts.as;
      if (as !== null) headers.authorization = `Bearer ${typeof as === 'string' ? tokens[as] : as.raw}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] = opts.contentType ?? (typeof opts.body === 'string' ? 'text/csv' : 'application/json');
      } else if (opts.contentType !== undefined) {
        headers['content-type'] = opts.contentType;
      }
      const res = await fetch(`${base}${url}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    async close() {
      await daemon.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sends one MAB Access-Request (as an access point does: User-Name = User-Password = the MAC,
 * Calling-Station-Id, Called-Station-Id "AP-MAC:SSID", Message-Authenticator) over UDP and
 * returns the reply code, or null on timeout.
 */
export async function mab(port: number, mac: string, ssid: string, timeoutMs = 2000): Promise<number | null> {
  const user = mac.replace(/[^0-9a-f]/gi, '').toLowerCase();
  const authenticator = randomBytes(16);
  const secret = Buffer.from(SECRET);
  const attributes = Buffer.concat([
    encodeString(Attr.UserName, user),
    encodeOctets(Attr.UserPassword, hidePassword(user, secret, authenticator)),
    encodeString(Attr.CallingStationId, mac),
    encodeString(Attr.CalledStationId, `11-22-33-44-55-66:${ssid}`),
  ]);
  const packet = encodeRequest({ code: Code.AccessRequest, identifier: randomBytes(1)[0]!, authenticator, attributes, secret, messageAuthenticator: true });
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      socket.on('message', (msg) => {
        clearTimeout(timer);
        resolve(msg[0] ?? null);
      });
      socket.on('error', reject);
      socket.send(packet, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

export { Code };
