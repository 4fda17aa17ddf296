/**
 * Interop: FreeRADIUS's radclient (a real third-party client) against the real daemon
 * (compiled CLI, real UDP on loopback, real SQLite file), with devices registered through
 * the real CLI in another process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mabRequest, radclient } from '../helpers/radclient.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';

const AP = '11-22-33-44-55-66';

const CLASSES = [
  { cls: 'school-staff-laptop', mac: '02-00-00-00-01-01', ssid: 'DCPS', vlan: '10' },
  { cls: 'school-shared-laptop', mac: '02-00-00-00-01-02', ssid: 'DCPS', vlan: '10' },
  { cls: 'school-tablet', mac: '02-00-00-00-01-03', ssid: 'DCPS', vlan: '10' },
  { cls: 'staff-personal-laptop', mac: '02-00-00-00-01-04', ssid: 'BYOD', vlan: '20' },
  { cls: 'staff-personal-phone', mac: '02-00-00-00-01-05', ssid: 'BYOD', vlan: '20' },
  { cls: 'visitor', mac: '02-00-00-00-01-06', ssid: 'BYOD', vlan: '20' },
] as const;

let daemon: RunningDaemon;

async function add(mac: string, cls: string, extra: string[] = []): Promise<void> {
  const r = await daemon.cli(['devices', 'add', mac, '--class', cls, ...extra]);
  expect(r.code, r.stderr).toBe(0);
}

/** Polls (bounded) until the daemon gives the expected reply: CLI writes land within a second. */
async function expectReplyWithin(ms: number, request: string, reply: string): Promise<number> {
  const start = Date.now();
  for (let i = 0; i < 50; i++) {
    const r = await radclient(daemon.authPort, daemon.secret, request);
    if (r.reply === reply) return Date.now() - start;
    if (Date.now() - start > ms) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no ${reply} within ${ms} ms`);
}

beforeAll(async () => {
  daemon = await startDaemon();
  for (const c of CLASSES) await add(c.mac, c.cls, ['--owner', `owner of ${c.cls}`]);
  await add('02-00-00-00-02-01', 'school-staff-laptop');
  await add('02-00-00-00-02-02', 'school-staff-laptop');
  await add('02-00-00-00-02-03', 'school-staff-laptop');
  expect((await daemon.cli(['devices', 'block', '02-00-00-00-02-01', '--reason', 'misuse'])).code).toBe(0);
  expect((await daemon.cli(['devices', 'lost', '02-00-00-00-02-02', '--reason', 'reported stolen'])).code).toBe(0);
  expect((await daemon.cli(['devices', 'retire', '02-00-00-00-02-03'])).code).toBe(0);
  // Wait until the daemon has seen the last change (bounded).
  await expectReplyWithin(3000, mabRequest('020000000203', { called: `${AP}:DCPS` }), 'Access-Reject');
});

afterAll(async () => {
  await daemon?.stop();
});

describe('MAB with radclient', () => {
  it.each(CLASSES)('accepts a $cls on $ssid with VLAN $vlan and its filter', async ({ mac, ssid, vlan }) => {
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest(mac.replace(/-/g, '').toLowerCase(), { calling: mac, called: `${AP}:${ssid}` }));
    expect(r.reply, r.stdout + r.stderr).toBe('Access-Accept');
    expect(r.attributes['Tunnel-Type']).toBe('VLAN');
    expect(r.attributes['Tunnel-Medium-Type']).toBe('IEEE-802');
    expect(r.attributes['Tunnel-Private-Group-Id']).toBe(vlan);
    expect(r.attributes['Filter-Id']).toBeTruthy();
    expect(r.attributes['Message-Authenticator']).toBeDefined();
  });

  it('puts Message-Authenticator first in the reply', async () => {
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest('020000000101', { called: `${AP}:DCPS` }));
    const lines = r.stdout.slice(r.stdout.indexOf('Received')).split('\n').slice(1).filter((l) => /^\s+\S+.*=/.test(l));
    expect(lines[0]).toMatch(/Message-Authenticator/);
  });

  it.each([
    ['unknown device on DCPS', '02-00-00-00-09-99', 'DCPS'],
    ['blocked device', '02-00-00-00-02-01', 'DCPS'],
    ['lost device', '02-00-00-00-02-02', 'DCPS'],
    ['retired device', '02-00-00-00-02-03', 'DCPS'],
    ['school laptop on BYOD', '02-00-00-00-01-01', 'BYOD'],
    ['personal phone on DCPS', '02-00-00-00-01-05', 'DCPS'],
  ])('rejects %s', async (_name, mac, ssid) => {
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest(mac, { called: `${AP}:${ssid}` }));
    expect(r.reply, r.stdout + r.stderr).toBe('Access-Reject');
  });

  it('raises an alert naming the access point when a lost device tries to connect (R-4)', async () => {
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest('02-00-00-00-02-02', { called: 'AA-BB-CC-00-00-07:DCPS' }));
    expect(r.reply).toBe('Access-Reject');
    const deadline = Date.now() + 2000;
    while (!daemon.logs().includes('AA-BB-CC-00-00-07') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    const alert = daemon.logs().split('\n').find((l) => l.includes('"alert":"lost-device"') && l.includes('AA-BB-CC-00-00-07'));
    expect(alert).toBeDefined();
    expect(alert).toContain('02-00-00-00-02-02');
  });

  it('admits an unknown device on BYOD as a visitor (the seed school hands visitors the password)', async () => {
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest('02-00-00-00-09-98', { called: `${AP}:BYOD` }));
    expect(r.reply).toBe('Access-Accept');
    expect(r.attributes['Tunnel-Private-Group-Id']).toBe('20');
  });

  it.each(['aabbccddee01', 'AA-BB-CC-DD-EE-01', 'aa:bb:cc:dd:ee:01', 'aabb.ccdd.ee01', 'AA:BB:CC:DD:EE:01'])(
    'reads the MAC in the form %s',
    async (form) => {
      if (form === 'aabbccddee01') await add('aa-bb-cc-dd-ee-01', 'school-tablet');
      await expectReplyWithin(2000, mabRequest(form, { called: `${AP}:DCPS` }), 'Access-Accept');
    },
  );

  it('reads the MAC from Calling-Station-Id when there is no User-Name', async () => {
    const req = 'Calling-Station-Id = "02-00-00-00-01-03", Called-Station-Id = "' + AP + ':DCPS", Service-Type = Call-Check, Message-Authenticator = 0x00\n';
    const r = await radclient(daemon.authPort, daemon.secret, req);
    expect(r.reply).toBe('Access-Accept');
  });

  it('rejects a PAP password that is not the MAC', async () => {
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest('020000000101', { called: `${AP}:DCPS`, password: 'guess' }));
    expect(r.reply).toBe('Access-Reject');
  });

  it('accepts CHAP with the MAC as password', async () => {
    const req = `User-Name = "020000000101", CHAP-Password = "020000000101", Called-Station-Id = "${AP}:DCPS", Message-Authenticator = 0x00\n`;
    const r = await radclient(daemon.authPort, daemon.secret, req);
    expect(r.reply, r.stdout).toBe('Access-Accept');
  });
});

describe('security', () => {
  it('sends no reply without Message-Authenticator (required by default)', async () => {
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest('020000000101', { called: `${AP}:DCPS`, messageAuthenticator: false }), { retries: 1 });
    expect(r.reply).toBeNull();
  });

  it('sends no reply to a wrong shared secret', async () => {
    const r = await radclient(daemon.authPort, 'not-the-secret', mabRequest('020000000101', { called: `${AP}:DCPS` }), { retries: 1 });
    expect(r.reply).toBeNull();
  });

  it('never writes the shared secret to its logs', () => {
    expect(daemon.logs()).not.toContain(daemon.secret);
  });
});

describe('live changes', () => {
  it('sees a device added by the CLI in another process within 1 s', async () => {
    const request = mabRequest('02-00-00-00-07-01', { called: `${AP}:DCPS` });
    expect((await radclient(daemon.authPort, daemon.secret, request)).reply).toBe('Access-Reject');
    await add('02-00-00-00-07-01', 'school-staff-laptop');
    const took = await expectReplyWithin(1000, request, 'Access-Accept');
    expect(took).toBeLessThanOrEqual(1000);
  });

  it('sees a device blocked by the CLI within 1 s', async () => {
    const request = mabRequest('02-00-00-00-07-01', { called: `${AP}:DCPS` });
    expect((await daemon.cli(['devices', 'block', '02-00-00-00-07-01', '--reason', 'test'])).code).toBe(0);
    const took = await expectReplyWithin(1000, request, 'Access-Reject');
    expect(took).toBeLessThanOrEqual(1000);
  });
});

describe('expiry', () => {
  it('stops accepting a device at its expiry time, with no restart', async () => {
    const expires = new Date(Date.now() + 2500);
    await add('02-00-00-00-02-04', 'visitor', ['--expires', expires.toISOString()]);
    const request = mabRequest('02-00-00-00-02-04', { called: `${AP}:BYOD` });
    // Until the daemon sees the registration, the unknown MAC is admitted as a visitor for 8 h;
    // once it does, Session-Timeout is capped by the expiry (access ends by itself, R-6).
    let timeout = Infinity;
    for (let i = 0; i < 20 && timeout > 3; i++) {
      const r = await radclient(daemon.authPort, daemon.secret, request);
      expect(r.reply).toBe('Access-Accept');
      timeout = Number(r.attributes['Session-Timeout']);
      if (timeout > 3) await new Promise((res) => setTimeout(res, 100));
    }
    expect(timeout).toBeGreaterThanOrEqual(1);
    expect(timeout).toBeLessThanOrEqual(3);
    await new Promise((res) => setTimeout(res, Math.max(0, expires.getTime() - Date.now() + 50)));
    expect((await radclient(daemon.authPort, daemon.secret, request)).reply).toBe('Access-Reject');
  });
});

describe('Status-Server (RFC 5997)', () => {
  it('answers on the auth port with Access-Accept', async () => {
    const r = await radclient(daemon.authPort, daemon.secret, 'Message-Authenticator = 0x00\n', { type: 'status' });
    expect(r.reply).toBe('Access-Accept');
  });
  it('answers on the accounting port with Accounting-Response', async () => {
    const r = await radclient(daemon.acctPort, daemon.secret, 'Message-Authenticator = 0x00\n', { type: 'status' });
    expect(r.reply).toBe('Accounting-Response');
  });
});

describe('accounting', () => {
  it('acknowledges an Accounting-Request once stored', async () => {
    const req = 'Acct-Status-Type = Start, Acct-Session-Id = "s-1", User-Name = "020000000101", Calling-Station-Id = "02-00-00-00-01-01", Framed-IP-Address = 10.10.1.5, NAS-IP-Address = 127.0.0.1\n';
    const r = await radclient(daemon.acctPort, daemon.secret, req, { type: 'acct' });
    expect(r.reply).toBe('Accounting-Response');
  });
});

describe('shutdown', () => {
  it('exits 0 on SIGTERM after flushing', async () => {
    // Runs last in this file: the daemon is stopped here, afterAll's stop is then a no-op.
    expect(await daemon.stop('SIGTERM')).toBe(0);
  });
});
