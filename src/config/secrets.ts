/**
 * RADIUS shared secrets (RFC 2865 §3) from the places a config may name: inline, an
 * environment variable, a file, or an environment variable with a generated fallback file in
 * the data directory. Returns problems instead of throwing so that the loader can report every
 * unavailable secret at once. No message ever contains a secret's value.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RawSecret } from './schema.js';

/** RFC 2865 §3: "the shared secret ... SHOULD be at least 16 octets". */
export const MIN_SECRET_OCTETS = 16;

export interface SecretContext {
  /** NAS name and address, for messages. */
  readonly clientName: string;
  readonly address: string;
  /** Directory relative `file:` paths resolve against (the config file's). */
  readonly configDir: string;
  /** Absolute data directory, where `generate:` files live. */
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly generateSecrets: boolean;
  /** What the secret is shared with, for messages: 'NAS' (the default) or 'feed'. */
  readonly kind?: string;
}

export type SecretResult =
  | {
      readonly ok: true;
      readonly secret: Buffer;
      /** 'inline', 'env:NAME', 'file:PATH', 'generated:PATH', or 'pending:PATH' (not generated yet). */
      readonly source: string;
      readonly notices: readonly string[];
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/** Drops trailing CR/LF bytes (a file written by `echo` or an editor ends with a newline). */
function trimNewlines(buf: Buffer): Buffer {
  let end = buf.length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
  return buf.subarray(0, end);
}

function describeFsError(e: unknown, file: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `file ${file} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return `file ${file} cannot be read (permission denied)`;
  if (code === 'EISDIR') return `${file} is a directory, not a file`;
  return `file ${file} cannot be read (${code ?? String(e)})`;
}

/** Warning when a secret file can be read by anyone but its owner. */
function permissionWarning(ctx: SecretContext, file: string): string[] {
  try {
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      return [`${ctx.kind ?? 'NAS'} '${ctx.clientName}' (${ctx.address}): secret file ${file} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it`];
    }
  } catch {
    // stat failing right after a successful read is not worth a warning
  }
  return [];
}

function shortWarning(ctx: SecretContext, secret: Buffer): string[] {
  return secret.length > 0 && secret.length < MIN_SECRET_OCTETS
    ? [`${ctx.kind ?? 'NAS'} '${ctx.clientName}' (${ctx.address}): shared secret is shorter than ${MIN_SECRET_OCTETS} characters (RFC 2865 §3 recommends at least ${MIN_SECRET_OCTETS})`]
    : [];
}

function readSecretFile(file: string): { ok: true; secret: Buffer } | { ok: false; reason: string } {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    return { ok: false, reason: describeFsError(e, file) };
  }
  const secret = trimNewlines(raw);
  if (secret.length === 0) return { ok: false, reason: `file ${file} is empty` };
  return { ok: true, secret };
}

/** Resolves one validated secret spec (exactly one of value / env / file, generate only with env). */
export function resolveSecret(spec: RawSecret, ctx: SecretContext): SecretResult {
  const who = `${ctx.kind ?? 'NAS'} '${ctx.clientName}' (${ctx.address})`;
  if (spec.value !== undefined) {
    const secret = Buffer.from(spec.value, 'utf8');
    return {
      ok: true,
      secret,
      source: 'inline',
      notices: [],
      warnings: [
        `${who}: shared secret is written inline in the config file; prefer { env: ... } or { file: ... } so the file can be shared without it`,
        ...shortWarning(ctx, secret),
      ],
    };
  }
  if (spec.file !== undefined) {
    const file = path.resolve(ctx.configDir, spec.file);
    const read = readSecretFile(file);
    if (!read.ok) return read;
    return {
      ok: true,
      secret: read.secret,
      source: `file:${file}`,
      notices: [],
      warnings: [...permissionWarning(ctx, file), ...shortWarning(ctx, read.secret)],
    };
  }
  const envName = spec.env ?? '';
  const envValue = ctx.env[envName];
  if (spec.generate === undefined) {
    if (envValue === undefined) return { ok: false, reason: `environment variable ${envName} is not set` };
    if (envValue.length === 0) return { ok: false, reason: `environment variable ${envName} is set but empty` };
    const secret = Buffer.from(envValue, 'utf8');
    return { ok: true, secret, source: `env:${envName}`, notices: [], warnings: shortWarning(ctx, secret) };
  }

  // { env, generate }: the variable when set, else the generated file, else generate it.
  if (envValue !== undefined && envValue.length > 0) {
    const secret = Buffer.from(envValue, 'utf8');
    return { ok: true, secret, source: `env:${envName}`, notices: [], warnings: shortWarning(ctx, secret) };
  }
  const file = path.join(ctx.dataDir, spec.generate);
  if (fs.existsSync(file)) {
    const read = readSecretFile(file);
    if (!read.ok) return read;
    return { ok: true, secret: read.secret, source: `generated:${file}`, notices: [], warnings: permissionWarning(ctx, file) };
  }
  if (!ctx.generateSecrets) {
    return {
      ok: true,
      secret: Buffer.alloc(0),
      source: `pending:${file}`,
      notices: [
        `no shared secret yet for ${ctx.kind ?? 'NAS'} '${ctx.clientName}': one will be generated in ${file} when Lanyard first starts; set ${envName} to choose your own`,
      ],
      warnings: [],
    };
  }
  const hex = randomBytes(32).toString('hex');
  try {
    fs.mkdirSync(ctx.dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${hex}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      // Another process generated it between our check and our write: use theirs.
      const read = readSecretFile(file);
      if (!read.ok) return read;
      return { ok: true, secret: read.secret, source: `generated:${file}`, notices: [], warnings: [] };
    }
    return { ok: false, reason: `cannot write a generated secret to ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  return {
    ok: true,
    secret: Buffer.from(hex, 'utf8'),
    source: `generated:${file}`,
    notices: [`generated a random shared secret for ${ctx.kind ?? 'NAS'} '${ctx.clientName}' in ${file}; set ${envName} to choose your own`],
    warnings: [],
  };
}
