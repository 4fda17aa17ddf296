/**
 * config/lanyard.yaml → LanyardConfig: read, parse YAML, validate against the TypeBox schema
 * (ajv, every error at once), check cross-references, resolve secrets, apply defaults and
 * command-line overrides, deep-freeze. The only module that reads process.env.
 *
 * Every problem becomes one line naming the file, the key path (dotted, `[i]` for list
 * items, e.g. `radius.clients.loopback.secret`), the YAML line, and the reason in plain words;
 * all of them are reported in a single LanyardError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isAlias, isMap, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { LanyardError, type ErrorCode } from '../errors.js';
import { checkPolicy, compilePolicy, deepFreeze, NAME_HINT, NAME_PATTERN, parseAddressOrCidr, type PolicyProblem } from '../policy/compile.js';
import { ConfigSchema, type RawConfig, type RawFeed, type RawNasClient, type RawSecret } from './schema.js';
import { checkDhcp, compileDhcp } from '../dhcp/config.js';
import { resolveSecret } from './secrets.js';
import type { ConfigOverrides, FeedConfig, LanyardConfig, LogConfig, NasClientConfig } from './types.js';

export interface LoadOptions {
  readonly overrides?: ConfigOverrides;
  /** Create missing `generate:` secret files (serve does; check-config and the CLI verbs do not). */
  readonly generateSecrets?: boolean;
  /** Environment to read secrets from; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The defaults documented in docs/configuration.md. */
export const DEFAULTS = Object.freeze({
  dataDir: '../data',
  database: 'lanyard.db',
  bind: '127.0.0.1',
  authPort: 1812,
  acctPort: 1813,
  duplicateWindowMs: 5000,
  pollIntervalMs: 250,
  flushIntervalMs: 50,
  batchSize: 1000,
  decisionWriter: 'auto' as const,
  logLevel: 'info' as LogConfig['level'],
  vendor: 'generic' as const,
  requireMessageAuthenticator: true,
  coaPort: 3799,
  apiEnabled: true,
  apiBind: '127.0.0.1',
  apiPort: 8080,
  apiBodyLimit: 1024 * 1024,
  apiImportBodyLimit: 32 * 1024 * 1024,
  apiRateLimit: { max: 600, windowMs: 60_000 },
  apiFailedLogins: { max: 10, windowMs: 15 * 60_000 },
  auditRetentionDays: { decision: 365, session: 365, admin: 730, alert: 365, purge: 3650 },
  auditPurgeAt: '03:00',
  feed: {
    port: 1813,
    group: 'filterId' as const,
    groupAttribute: 'Filter-Id' as const,
    userName: 'owner' as const,
    timeoutMs: 2000,
    retries: 3,
    queueLimit: 10_000,
    holdMs: 15 * 60_000,
    expectResponse: true,
    nasIdentifier: 'lanyard',
  },
});

type KeyPath = readonly (string | number)[];

interface Problem {
  readonly path: KeyPath;
  readonly message: string;
  line?: number;
}

// ---------------------------------------------------------------------------------------------
// Key paths and line numbers

/** ['radius', 'clients', 'ap-1', 'secret'] → "radius.clients.ap-1.secret"; list items as [i]. */
export function formatKeyPath(segments: KeyPath): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** The 1-based line of the deepest YAML node along `segments` (the key itself when it exists). */
function lineOf(doc: Document, counter: LineCounter, segments: KeyPath): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as YamlNode | null)?.range?.[0];
  for (const seg of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = p.key as { value?: unknown } | null;
        return k !== null && typeof k === 'object' && String(k.value) === String(seg);
      });
      if (pair === undefined) break;
      offset = (pair.key as YamlNode | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as YamlNode | undefined;
      if (item === undefined) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

// ---------------------------------------------------------------------------------------------
// Schema errors in plain words

// Compiled at every start of every command, and run once: so no check of the schema itself
// against JSON Schema's meta-schema (the schema is code; test/config/load.test.ts checks it
// once) and no optimising pass over the generated code. Each took about a quarter of the
// compile's CPU (test/bench/scale.ts; docs/benchmarks.md).
export const CONFIG_AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictTypes: false, strictTuples: false, validateSchema: false, code: { optimize: false } } as const;
const ajv = new Ajv(CONFIG_AJV_OPTIONS);
ajv.addVocabulary(['x-hint']);
const validateShape = ajv.compile<RawConfig>(ConfigSchema);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping of keys to values',
  array: 'a list',
  null: 'null',
};

/** Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** JSON pointer → key path, using the data to tell list indexes from mapping keys. */
function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(seg));
      node = node[Number(seg)];
    } else {
      out.push(seg);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function hintOf(schema: unknown): string | undefined {
  const h = (schema as Record<string, unknown> | undefined)?.['x-hint'];
  return typeof h === 'string' ? h : undefined;
}

const MISSING = 'is required but missing';

function translate(e: ErrorObject, root: unknown, fallbackHint?: string): Problem {
  const where = pointerToPath(e.instancePath, root);
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  const params = e.params as Record<string, unknown>;
  // Never echo a value under a secret: it may be the secret itself.
  const got = where.includes('secret') ? '' : ` (got ${describe(e.data)})`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((parent?.properties as object | undefined) ?? {});
      const guess = closest(key, allowed);
      const tail = guess !== undefined ? ` — did you mean '${guess}'?` : allowed.length > 0 ? ` (allowed here: ${allowed.join(', ')})` : '';
      return { path: [...where, key], message: `unknown key '${key}'${tail}` };
    }
    case 'required':
      return { path: [...where, String(params.missingProperty)], message: MISSING };
    case 'type': {
      const types = Array.isArray(e.schema) ? (e.schema as string[]) : [String(e.schema)];
      return { path: where, message: `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}${got}` };
    }
    case 'minimum':
    case 'maximum': {
      const min = parent?.minimum;
      const max = parent?.maximum;
      const what = parent?.type === 'integer' ? 'a whole number' : 'a number';
      if (typeof min === 'number' && typeof max === 'number') return { path: where, message: `must be ${what} from ${min} to ${max}${got}` };
      return { path: where, message: `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(e.schema)}${got}` };
    }
    case 'minLength':
      return { path: where, message: e.schema === 1 ? 'must not be empty' : `must be at least ${String(e.schema)} characters long` };
    case 'maxLength':
      return { path: where, message: `must be at most ${String(e.schema)} characters long` };
    case 'minItems':
      return { path: where, message: `must list at least ${String(e.schema)} item${e.schema === 1 ? '' : 's'}` };
    case 'minProperties':
      return { path: where, message: 'must define at least one entry' };
    case 'uniqueItems': {
      const list = Array.isArray(e.data) ? e.data : [];
      const i = Number(params.i);
      return { path: [...where, i], message: `${describe(list[i])} is listed more than once` };
    }
    case 'pattern':
      return { path: where, message: `must be ${hintOf(parent) ?? fallbackHint ?? `text matching ${String(e.schema)}`}${got}` };
    default: {
      const hint = hintOf(parent) ?? fallbackHint;
      return { path: where, message: hint !== undefined ? `must be ${hint}${got}` : `${e.message ?? 'is not valid'}${got}` };
    }
  }
}

/** ajv errors → problems, collapsing the branches of each `anyOf` into the one that fits. */
function schemaProblems(errors: readonly ErrorObject[], root: unknown): Problem[] {
  const consumed = new Set<ErrorObject>();
  const out: Problem[] = [];
  for (const a of errors) {
    if (a.keyword !== 'anyOf' || consumed.has(a)) continue;
    const prefix = `${a.schemaPath}/`;
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      // The same schema applies at many places (every network...): match the instance too.
      if (e === a || !e.schemaPath.startsWith(prefix)) continue;
      if (e.instancePath !== a.instancePath && !e.instancePath.startsWith(`${a.instancePath}/`)) continue;
      consumed.add(e);
      const branch = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    const hint = hintOf(a.parentSchema);
    // A branch whose type or literal value does not match at the union's own level is not
    // what the author meant; if exactly one branch is left, its errors are the useful ones.
    const fitting = [...byBranch.values()].filter(
      (errs) => !errs.some((e) => e.instancePath === a.instancePath && ['type', 'const', 'enum'].includes(e.keyword)),
    );
    if (fitting.length === 1) {
      for (const e of fitting[0]!) if (e.keyword !== 'anyOf') out.push(translate(e, root, hint));
      continue;
    }
    const where = pointerToPath(a.instancePath, root);
    const got = where.includes('secret') ? '' : ` (got ${describe(a.data)})`;
    const literals = ((a.schema as unknown[] | undefined) ?? [])
      .map((s) => (s as { const?: unknown }).const)
      .filter((c): c is string => typeof c === 'string');
    const guess = typeof a.data === 'string' && literals.length > 0 ? closest(a.data, literals) : undefined;
    out.push({
      path: where,
      message: `must be ${hint ?? 'one of the allowed forms'}${got}${guess !== undefined ? ` — did you mean '${guess}'?` : ''}`,
    });
  }
  for (const e of errors) if (!consumed.has(e) && e.keyword !== 'anyOf') out.push(translate(e, root));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checks the schema cannot express: NAS clients and feed receivers

/** Exactly one of value, env or file; `generate` only with env, and only where `generateOk`. */
function checkSecretShape(s: RawSecret, at: KeyPath, generateOk: boolean, problems: Problem[]): void {
  const kinds = (['value', 'env', 'file'] as const).filter((k) => s[k] !== undefined);
  if (kinds.length !== 1) {
    problems.push({
      path: [...at, 'secret'],
      message:
        kinds.length === 0
          ? 'must give exactly one of value, env or file (for example { env: LANYARD_AP_SECRET })'
          : `gives ${kinds.join(' and ')}: use exactly one of value, env or file`,
    });
  } else if (s.generate !== undefined && !generateOk) {
    problems.push({ path: [...at, 'secret', 'generate'], message: 'cannot be used here: the secret must be the one the receiver is configured with' });
  } else if (s.generate !== undefined && kinds[0] !== 'env') {
    problems.push({ path: [...at, 'secret', 'generate'], message: 'can only be used together with env (the variable overrides the generated file)' });
  }
}

/** A single address (no CIDR), as parseAddressOrCidr reads it; null when it is one. */
function singleAddressProblem(text: string, ipv4Only: boolean): string | null {
  const parsed = parseAddressOrCidr(text);
  if (!parsed.ok) return parsed.reason;
  if (text.includes('/')) return `'${text}' is a network; give the single address of the receiver`;
  if (ipv4Only && parsed.kind !== 'ipv4') return `'${text}' is not an IPv4 address (NAS-IP-Address carries IPv4 only, RFC 2865 §5.4)`;
  return null;
}

function checkFeeds(raw: RawConfig, problems: Problem[]): void {
  for (const [name, f] of Object.entries(raw.feeds ?? {})) {
    const at = ['feeds', name];
    const address = singleAddressProblem(f.address, false);
    if (address !== null) problems.push({ path: [...at, 'address'], message: address });
    if (f.nasIpAddress !== undefined) {
      const nasIp = singleAddressProblem(f.nasIpAddress, true);
      if (nasIp !== null) problems.push({ path: [...at, 'nasIpAddress'], message: nasIp });
    }
    checkSecretShape(f.secret, at, false, problems);
  }
}

function checkRadius(raw: RawConfig, networksOk: boolean, problems: Problem[]): void {
  const radius = raw.radius ?? {};
  if (radius.bind !== undefined) {
    const bind = parseAddressOrCidr(radius.bind);
    if (!bind.ok || radius.bind.includes('/')) {
      problems.push({ path: ['radius', 'bind'], message: `'${radius.bind}' is not an IP address to listen on (such as 127.0.0.1, 0.0.0.0 or ::)` });
    }
  }
  const auth = radius.authPort ?? DEFAULTS.authPort;
  const acct = radius.acctPort ?? DEFAULTS.acctPort;
  if (auth !== 0 && auth === acct) {
    problems.push({ path: ['radius', 'acctPort'], message: `must differ from authPort (both are ${auth})` });
  }
  const seen = new Map<string, string>();
  for (const [name, c] of Object.entries(radius.clients ?? {})) {
    const at = ['radius', 'clients', name];
    const addr = parseAddressOrCidr(c.address);
    if (!addr.ok) {
      problems.push({ path: [...at, 'address'], message: addr.reason });
    } else {
      const other = seen.get(addr.cidr);
      if (other !== undefined) {
        problems.push({
          path: [...at, 'address'],
          message: `'${c.address}' is the same address as NAS '${other}': a request from it could not be told apart`,
        });
      } else {
        seen.set(addr.cidr, name);
      }
    }
    checkSecretShape(c.secret, at, true, problems);
    if (networksOk && typeof c.defaultNetwork === 'string' && !Object.hasOwn(raw.networks, c.defaultNetwork)) {
      problems.push({ path: [...at, 'defaultNetwork'], message: `network '${c.defaultNetwork}' is not defined under networks` });
    }
  }
}

/** The feeds with their secrets read and defaults applied; unreadable secrets become problems. */
function resolveFeeds(
  raw: RawConfig,
  where: { configDir: string; dataDir: string; env: Readonly<Record<string, string | undefined>> },
  notices: string[],
  warnings: string[],
  problems: Problem[],
): FeedConfig[] {
  const feeds: FeedConfig[] = [];
  const d = DEFAULTS.feed;
  for (const [name, f] of Object.entries(raw.feeds ?? {}) as [string, RawFeed][]) {
    const kind = f.secret.value !== undefined ? 'value' : f.secret.file !== undefined ? 'file' : 'env';
    const result = resolveSecret(f.secret, { ...where, clientName: name, address: f.address, generateSecrets: false, kind: 'feed' });
    if (!result.ok) {
      problems.push({ path: ['feeds', name, 'secret', kind], message: result.reason });
      continue;
    }
    notices.push(...result.notices);
    warnings.push(...result.warnings);
    feeds.push({
      name,
      address: f.address,
      port: f.port ?? d.port,
      secret: result.secret,
      secretSource: result.source,
      group: f.group ?? d.group,
      groupAttribute: f.groupAttribute ?? d.groupAttribute,
      userName: f.userName ?? d.userName,
      timeoutMs: f.timeoutMs ?? d.timeoutMs,
      retries: f.retries ?? d.retries,
      queueLimit: f.queueLimit ?? d.queueLimit,
      holdMs: f.holdMs ?? d.holdMs,
      expectResponse: f.expectResponse ?? d.expectResponse,
      nasIdentifier: f.nasIdentifier ?? d.nasIdentifier,
      nasIpAddress: f.nasIpAddress ?? null,
    });
  }
  return feeds;
}

// ---------------------------------------------------------------------------------------------
// Errors

function fail(code: ErrorCode, file: string, problems: readonly Problem[]): never {
  // File order; on one line, a missing key after the others (it is often a typo'd key's echo).
  const missing = (p: Problem) => (p.message === MISSING ? 1 : 0);
  const sorted = [...problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || missing(a) - missing(b));
  const lineOfProblem = (p: Problem) => `${formatKeyPath(p.path)}${p.line !== undefined ? ` (line ${p.line})` : ''}: ${p.message}`;
  const first = sorted[0]!;
  const message =
    sorted.length === 1
      ? `${file}: ${lineOfProblem(first)}`
      : `${file}: ${sorted.length} problems:\n${sorted.map((p) => `  ${lineOfProblem(p)}`).join('\n')}`;
  throw new LanyardError(code, message, { where: `${file}:${formatKeyPath(first.path)}` });
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Reads, validates and compiles a configuration file. Throws LanyardError on any problem. */
export function loadConfig(file: string, opts: LoadOptions = {}): LanyardConfig {
  const source = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(source, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : String(code ?? e);
    throw new LanyardError('LANYARD_ERR_CONFIG_READ', `${source}: cannot read the configuration file: ${why}`, { where: source, cause: e });
  }
  return loadConfigText(text, source, opts);
}

/**
 * Same as loadConfig for text already in memory. `file` names it in messages, and relative
 * paths (dataDir, secret files) resolve against its directory.
 */
export function loadConfigText(text: string, file: string, opts: LoadOptions = {}): LanyardConfig {
  const source = path.resolve(file);
  const configDir = path.dirname(source);
  const env = opts.env ?? process.env;

  // 1. YAML
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, merge: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0]);
      return { pos, text: `line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}` };
    });
    const first = lines[0]!;
    throw new LanyardError(
      'LANYARD_ERR_CONFIG_PARSE',
      `${source}: not valid YAML:\n${lines.map((l) => `  ${l.text}`).join('\n')}`,
      { where: `${source}:${first.pos.line}:${first.pos.col}` },
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new LanyardError('LANYARD_ERR_CONFIG_PARSE', `${source}: not valid YAML: ${(e as Error).message}`, { where: source, cause: e });
  }
  if (data === null || data === undefined) {
    fail('LANYARD_ERR_CONFIG_INVALID', source, [{ path: [], message: 'the file is empty; it must define at least profiles, networks and classes' }]);
  }

  // 2. Shape
  const problems: Problem[] = [];
  if (!validateShape(data)) problems.push(...schemaProblems(validateShape.errors ?? [], data));
  const badSections = new Set(problems.map((p) => p.path[0]));

  // 3. Cross-references, for the sections whose shape is right
  const raw = data as RawConfig;
  const policySections = ['destinations', 'profiles', 'networks', 'classes'];
  const policyOk = policySections.every((s) => !badSections.has(s)) && !badSections.has(undefined);
  if (policyOk) problems.push(...(checkPolicy(raw) as PolicyProblem[]));
  if (!badSections.has('radius') && !badSections.has(undefined)) checkRadius(raw, !badSections.has('networks'), problems);
  if (!badSections.has('feeds') && !badSections.has(undefined)) checkFeeds(raw, problems);
  if (!badSections.has('api') && !badSections.has(undefined) && raw.api?.bind !== undefined) {
    const bind = parseAddressOrCidr(raw.api.bind);
    if (!bind.ok || raw.api.bind.includes('/')) {
      problems.push({ path: ['api', 'bind'], message: `'${raw.api.bind}' is not an IP address to listen on (such as 127.0.0.1, 0.0.0.0 or ::)` });
    }
  }

  if (policyOk && !badSections.has('dhcp')) problems.push(...checkDhcp(raw));

  // Names are checked even where a section has other problems (checkPolicy repeats them: dedupe).
  for (const at of [['radius', 'clients'], ['destinations'], ['profiles'], ['networks'], ['classes'], ['feeds']] as const) {
    const section = at.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), data);
    if (section === null || typeof section !== 'object' || Array.isArray(section)) continue;
    for (const name of Object.keys(section)) {
      if (!NAME_PATTERN.test(name)) problems.push({ path: [...at, name], message: `the name '${name}' must be ${NAME_HINT}` });
    }
  }

  if (problems.length > 0) {
    const seen = new Set<string>();
    const unique = problems.filter((p) => {
      const key = `${formatKeyPath(p.path)}\0${p.message}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    for (const p of unique) p.line = lineOf(doc, counter, p.path);
    fail('LANYARD_ERR_CONFIG_INVALID', source, unique);
  }

  // 4. Paths
  const dataDir = path.resolve(configDir, raw.dataDir ?? DEFAULTS.dataDir);
  const database =
    opts.overrides?.database !== undefined
      ? path.resolve(opts.overrides.database)
      : path.resolve(dataDir, raw.store?.database ?? DEFAULTS.database);

  // 5. NAS clients and their secrets
  const notices: string[] = [];
  const warnings: string[] = [];
  const secretProblems: Problem[] = [];
  const clients: NasClientConfig[] = [];
  const rawClients = Object.entries(raw.radius?.clients ?? {});
  if (rawClients.length === 0) warnings.push('no NAS clients are configured (radius.clients): every RADIUS request will be dropped');
  for (const [name, c] of rawClients as [string, RawNasClient][]) {
    const address = c.address;
    const kind = c.secret.value !== undefined ? 'value' : c.secret.file !== undefined ? 'file' : 'env';
    const result = resolveSecret(c.secret, {
      clientName: name,
      address,
      configDir,
      dataDir,
      env,
      generateSecrets: opts.generateSecrets ?? false,
    });
    if (!result.ok) {
      secretProblems.push({ path: ['radius', 'clients', name, 'secret', kind], message: result.reason });
      continue;
    }
    notices.push(...result.notices);
    warnings.push(...result.warnings);
    const requireMessageAuthenticator = c.requireMessageAuthenticator ?? DEFAULTS.requireMessageAuthenticator;
    if (!requireMessageAuthenticator) {
      warnings.push(`NAS '${name}' (${address}): Message-Authenticator not required — exposed to BlastRADIUS (CVE-2024-3596)`);
    }
    clients.push({
      name,
      address,
      secret: result.secret,
      secretSource: result.source,
      vendor: c.vendor ?? DEFAULTS.vendor,
      requireMessageAuthenticator,
      defaultNetwork: c.defaultNetwork ?? null,
      coaPort: c.coaPort ?? DEFAULTS.coaPort,
    });
  }
  const feeds = resolveFeeds(raw, { configDir, dataDir, env }, notices, warnings, secretProblems);
  if (secretProblems.length > 0) {
    for (const p of secretProblems) p.line = lineOf(doc, counter, p.path);
    fail('LANYARD_ERR_SECRET_UNAVAILABLE', source, secretProblems);
  }

  // 6. Overrides (from the command line, after validation)
  const overrideProblems: Problem[] = [];
  const port = (key: 'authPort' | 'acctPort' | 'apiPort' | 'dhcpPort', fallback: number): number => {
    const v = opts.overrides?.[key];
    if (v === undefined) return fallback;
    const at = key === 'apiPort' ? ['api', 'port'] : key === 'dhcpPort' ? ['dhcp', 'port'] : ['radius', key];
    if (!Number.isInteger(v) || v < 0 || v > 65535) overrideProblems.push({ path: at, message: `the override ${v} is not a port number from 0 to 65535` });
    return v;
  };
  const authPort = port('authPort', raw.radius?.authPort ?? DEFAULTS.authPort);
  const acctPort = port('acctPort', raw.radius?.acctPort ?? DEFAULTS.acctPort);
  const apiPort = port('apiPort', raw.api?.port ?? DEFAULTS.apiPort);
  const dhcpPort = opts.overrides?.dhcpPort === undefined ? undefined : port('dhcpPort', opts.overrides.dhcpPort);
  if (overrideProblems.length === 0 && authPort !== 0 && authPort === acctPort) {
    overrideProblems.push({ path: ['radius', 'acctPort'], message: `must differ from authPort (both are ${authPort} after overrides)` });
  }
  if (overrideProblems.length > 0) fail('LANYARD_ERR_CONFIG_INVALID', source, overrideProblems);

  // 7. Compile and freeze
  const dhcp = compileDhcp(raw, dhcpPort);
  if (dhcp.mode !== 'off' && dhcp.directNetwork !== null && dhcp.bind !== '0.0.0.0') {
    warnings.push(`dhcp.bind is ${dhcp.bind}: clients on the direct network '${dhcp.directNetwork}' broadcast to 255.255.255.255, which only a socket bound to 0.0.0.0 receives`);
  }
  const config: LanyardConfig = {
    source,
    dataDir,
    radius: {
      bind: raw.radius?.bind ?? DEFAULTS.bind,
      authPort,
      acctPort,
      duplicateWindowMs: raw.radius?.duplicateWindowMs ?? DEFAULTS.duplicateWindowMs,
      clients,
    },
    store: { database, pollIntervalMs: raw.store?.pollIntervalMs ?? DEFAULTS.pollIntervalMs },
    events: {
      flushIntervalMs: raw.events?.flushIntervalMs ?? DEFAULTS.flushIntervalMs,
      batchSize: raw.events?.batchSize ?? DEFAULTS.batchSize,
      decisionWriter: raw.events?.decisionWriter ?? DEFAULTS.decisionWriter,
    },
    log: { level: raw.log?.level ?? DEFAULTS.logLevel },
    api: {
      enabled: raw.api?.enabled ?? DEFAULTS.apiEnabled,
      bind: raw.api?.bind ?? DEFAULTS.apiBind,
      port: apiPort,
      bodyLimit: raw.api?.bodyLimit ?? DEFAULTS.apiBodyLimit,
      importBodyLimit: raw.api?.importBodyLimit ?? DEFAULTS.apiImportBodyLimit,
      rateLimit: {
        max: raw.api?.rateLimit?.max ?? DEFAULTS.apiRateLimit.max,
        windowMs: raw.api?.rateLimit?.windowMs ?? DEFAULTS.apiRateLimit.windowMs,
      },
      failedLogins: {
        max: raw.api?.failedLogins?.max ?? DEFAULTS.apiFailedLogins.max,
        windowMs: raw.api?.failedLogins?.windowMs ?? DEFAULTS.apiFailedLogins.windowMs,
      },
    },
    audit: {
      retentionDays: {
        decision: raw.audit?.retentionDays?.decision ?? DEFAULTS.auditRetentionDays.decision,
        session: raw.audit?.retentionDays?.session ?? DEFAULTS.auditRetentionDays.session,
        admin: raw.audit?.retentionDays?.admin ?? DEFAULTS.auditRetentionDays.admin,
        alert: raw.audit?.retentionDays?.alert ?? DEFAULTS.auditRetentionDays.alert,
        purge: raw.audit?.retentionDays?.purge ?? DEFAULTS.auditRetentionDays.purge,
      },
      purgeAt: raw.audit?.purgeAt ?? DEFAULTS.auditPurgeAt,
    },
    dhcp,
    policy: compilePolicy(raw),
    feeds,
    notices,
    warnings,
  };
  return deepFreeze(config);
}
