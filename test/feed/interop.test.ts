/**
 * Interop: the real daemon forwards accounting to a REAL receiver — FreeRADIUS 3.2 from a
 * private config tree on loopback, whose `detail` module writes every Accounting-Request it
 * accepted to a file in a temp dir. radclient plays the access point. Two feeds point at the
 * same FreeRADIUS (Smoothwall-style: person in User-Name, group in Filter-Id; FortiGate
 * RSSO-style: group in Class) and a third at a closed port (retried, then counted as failed,
 * while the daemon's own Accounting-Responses go on).
 *
 * FreeRADIUS only writes a record after checking our Request Authenticator (RFC 2866 §3)
 * and Message-Authenticator, and answers with an Accounting-Response that we verify.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFreeradiusTree,
  checkFreeradiusConfig,
  ensureFreeradius,
  freeUdpPorts,
  startServer,
  waitUntilAnswering,
  type FreeradiusTools,
  type Server,
} from '../bench/freeradius.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { registerDevices } from '../helpers/devices.js';
import { mabRequest, radclient } from '../helpers/radclient.js';

const FEED_SECRET = 'feed-interop-secret-0123';
const AP = '11-22-33-44-55-66';
const LAPTOP = '02-00-00-00-05-01';
const TABLET = '02-00-00-00-05-02';
const OWNER = 'Jo Smith';

let dir: string;
let tools: FreeradiusTools;
let freeradius: Server;
let daemon: RunningDaemon;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every record FreeRADIUS's detail module wrote: attribute name → value (quotes removed). */
function detailRecords(): Record<string, string>[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.startsWith('detail')) files.push(p);
    }
  };
  walk(path.join(dir, 'freeradius', 'log'));
  const records: Record<string, string>[] = [];
  for (const file of files) {
    for (const block of readFileSync(file, 'utf8').split(/\n\s*\n/)) {
      const rec: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const m = /^\s+([A-Za-z0-9-]+)\s*=\s*(.*)$/.exec(line);
        if (m) rec[m[1]!] = m[2]!.replace(/^"|"$/g, '');
      }
      if (Object.keys(rec).length > 0) records.push(rec);
    }
  }
  return records;
}

/** Waits (at most 100 × 100 ms) for detail records matching `pick`. */
async function waitForRecords(pick: (r: Record<string, string>) => boolean, n: number): Promise<Record<string, string>[]> {
  let found: Record<string, string>[] = [];
  for (let i = 0; i < 100; i++) {
    found = detailRecords().filter(pick);
    if (found.length >= n) break;
    await sleep(100);
  }
  return found;
}

/** The feeds' counters from the daemon's SIGUSR2 stats line, by feed name. */
async function feedStats(): Promise<Record<string, Record<string, number>>> {
  const before = daemon.logs().length;
  daemon.process.kill('SIGUSR2');
  for (let i = 0; i < 50; i++) {
    const line = daemon
      .logs()
      .slice(before)
      .split('\n')
      .find((l) => l.includes('"msg":"stats"'));
    if (line !== undefined) {
      const feeds = (JSON.parse(line) as { feeds?: ({ feed: string } & Record<string, number>)[] }).feeds ?? [];
      return Object.fromEntries(feeds.map((f) => [f.feed, f]));
    }
    await sleep(50);
  }
  throw new Error('no stats line after SIGUSR2');
}

function acct(attrs: Record<string, string>): ReturnType<typeof radclient> {
  const line = Object.entries({ 'NAS-IP-Address': '127.0.0.1', 'NAS-Port-Type': 'Wireless-802.11', 'Called-Station-Id': `"${AP}:DCPS"`, ...attrs })
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  return radclient(daemon.acctPort, daemon.secret, `${line}\n`, { type: 'acct' });
}

beforeAll(async () => {
  tools = ensureFreeradius();
  dir = mkdtempSync(path.join(os.tmpdir(), 'lanyard-feed-'));
  const [authPort, acctPort, closedPort] = await freeUdpPorts(3);
  const tree = buildFreeradiusTree({
    dir: path.join(dir, 'freeradius'),
    authPort: authPort!,
    acctPort: acctPort!,
    secret: FEED_SECRET,
    requireMessageAuthenticator: true,
    users: [],
  });
  checkFreeradiusConfig(tools, tree);
  freeradius = startServer('freeradius', tools.freeradius, ['-f', '-l', 'stdout', '-d', tree.raddb]);
  await waitUntilAnswering(tools.radclient, freeradius, authPort!, FEED_SECRET, mabRequest('02-00-00-00-00-00'));

  const base = readFileSync(path.resolve('config/lanyard.yaml'), 'utf8').replace(/^dataDir: .*$/m, 'dataDir: ./data');
  const feed = (name: string, port: number, extra: string[]): string[] => [
    `  ${name}:`,
    '    address: 127.0.0.1',
    `    port: ${port}`,
    '    secret: { env: LANYARD_FEED_SECRET }',
    ...extra.map((l) => `    ${l}`),
  ];
  const config = path.join(dir, 'lanyard.yaml');
  writeFileSync(
    config,
    [
      base,
      'feeds:',
      ...feed('smoothwall', acctPort!, ['group: filterId', 'groupAttribute: Filter-Id', 'userName: owner', 'nasIdentifier: lanyard-smoothwall']),
      ...feed('fortigate', acctPort!, ['group: className', 'groupAttribute: Class', 'userName: owner', 'nasIdentifier: lanyard-rsso']),
      ...feed('down', closedPort!, ['timeoutMs: 200', 'retries: 2']),
      '',
    ].join('\n'),
  );
  daemon = await startDaemon({ config, env: { LANYARD_FEED_SECRET: FEED_SECRET } });
  await registerDevices(
    daemon,
    [
      [LAPTOP, 'school-staff-laptop', OWNER],
      [TABLET, 'school-tablet', 'Class 4'],
    ],
    { mac: LAPTOP, called: `${AP}:DCPS` },
  );
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  await freeradius?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('web-filter feed to FreeRADIUS (detail module)', () => {
  const session = 'feed-interop-0001';
  const ip = '10.10.7.51';
  const fromSmoothwall = (r: Record<string, string>): boolean => r['NAS-Identifier'] === 'lanyard-smoothwall';
  const fromFortigate = (r: Record<string, string>): boolean => r['NAS-Identifier'] === 'lanyard-rsso';

  it('forwards Start and Stop with the person, the group and the address', async () => {
    const common = { 'Acct-Session-Id': `"${session}"`, 'User-Name': '"020000000501"', 'Calling-Station-Id': `"${LAPTOP}"`, 'Framed-IP-Address': ip };
    expect((await acct({ 'Acct-Status-Type': 'Start', ...common })).reply).toBe('Accounting-Response');
    expect((await acct({ 'Acct-Status-Type': 'Stop', 'Acct-Session-Time': '120', 'Acct-Input-Octets': '5000', ...common })).reply).toBe('Accounting-Response');

    const smoothwall = await waitForRecords((r) => fromSmoothwall(r) && r['Acct-Session-Id']!.endsWith(`:${session}`), 2);
    expect(smoothwall.map((r) => r['Acct-Status-Type'])).toEqual(['Start', 'Stop']);
    for (const r of smoothwall) {
      expect(r).toMatchObject({ 'User-Name': OWNER, 'Filter-Id': 'school-staff', 'Framed-IP-Address': ip, 'Calling-Station-Id': LAPTOP });
      expect(r['Class']).toBeUndefined();
    }
    expect(smoothwall[1]).toMatchObject({ 'Acct-Session-Time': '120', 'Acct-Input-Octets': '5000' });

    const fortigate = await waitForRecords((r) => fromFortigate(r) && r['Acct-Session-Id']!.endsWith(`:${session}`), 2);
    expect(fortigate.map((r) => r['Acct-Status-Type'])).toEqual(['Start', 'Stop']);
    for (const r of fortigate) {
      // Class is an octet string (RFC 2865 §5.25): the detail file shows it in hex.
      expect(r).toMatchObject({ 'User-Name': OWNER, Class: `0x${Buffer.from('school-staff-laptop').toString('hex')}`, 'Framed-IP-Address': ip });
      expect(r['Filter-Id']).toBeUndefined();
    }
  });

  it('holds a Start without Framed-IP-Address until an Interim-Update brings it', async () => {
    const held = 'feed-interop-0002';
    const common = { 'Acct-Session-Id': `"${held}"`, 'User-Name': '"020000000502"', 'Calling-Station-Id': `"${TABLET}"` };
    expect((await acct({ 'Acct-Status-Type': 'Start', ...common })).reply).toBe('Accounting-Response');
    await sleep(300);
    expect(detailRecords().filter((r) => r['Acct-Session-Id']?.endsWith(`:${held}`))).toEqual([]);
    expect((await feedStats()).smoothwall).toMatchObject({ held: 1 });
    const interim = { 'Acct-Status-Type': 'Interim-Update', 'Acct-Session-Time': '60', 'Framed-IP-Address': '10.10.7.52', ...common };
    expect((await acct(interim)).reply).toBe('Accounting-Response');
    const [start] = await waitForRecords((r) => fromSmoothwall(r) && r['Acct-Session-Id']!.endsWith(`:${held}`), 1);
    expect(start).toMatchObject({ 'Acct-Status-Type': 'Start', 'User-Name': 'Class 4', 'Filter-Id': 'school-internet', 'Framed-IP-Address': '10.10.7.52' });
    expect((await feedStats()).smoothwall).toMatchObject({ held: 0 });
  });

  it('a receiver that is down: retried, then counted as failed; the daemon answers its APs throughout', async () => {
    let stats: Record<string, Record<string, number>> = {};
    for (let i = 0; i < 60; i++) {
      stats = await feedStats();
      if ((stats.down?.failed ?? 0) >= 3) break;
      await sleep(200);
    }
    // Three Starts/Stops went to every feed: the closed port never answered any of them.
    expect(stats.down).toMatchObject({ sent: 3, retried: 6, failed: 3, answered: 0, inFlight: 0 });
    expect(stats.smoothwall).toMatchObject({ sent: 3, answered: 3, failed: 0 });
    expect(stats.fortigate).toMatchObject({ sent: 3, answered: 3, failed: 0 });
    expect(daemon.logs()).toMatch(/"code":"LANYARD_ERR_FEED_UNANSWERED".*"feed":"down"|"feed":"down".*"code":"LANYARD_ERR_FEED_UNANSWERED"/);
    expect(daemon.logs()).not.toContain(FEED_SECRET);
    // The daemon's own accounting is unaffected.
    const r = await acct({ 'Acct-Status-Type': 'Interim-Update', 'Acct-Session-Id': '"feed-interop-0003"', 'Calling-Station-Id': `"${LAPTOP}"` });
    expect(r.reply).toBe('Accounting-Response');
  });

  it('/metrics carries the feed counters', async () => {
    const token = await daemon.cli(['tokens', 'create', '--role', 'read-only', '--name', 'prometheus']);
    expect(token.code, token.stderr).toBe(0);
    const res = await fetch(`http://127.0.0.1:${daemon.apiPort}/metrics`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('lanyard_feed_requests_total{feed="down",result="failed"} 3');
    expect(text).toContain('lanyard_feed_requests_total{feed="smoothwall",result="answered"} 3');
    expect(text).toMatch(/lanyard_feed_queue_depth\{feed="fortigate",state="queued"\} 0/);
    // The session the last test started with an Interim-Update and no address waits for one.
    expect(text).toMatch(/lanyard_feed_held_sessions 1/);
  });
});
