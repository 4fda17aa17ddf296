/**
 * Interop: FreeRADIUS's radclient sends RFC 2866 accounting (Start, Interim-Update, Stop,
 * Accounting-On) to the real daemon; the real CLI, in another process on the same SQLite file,
 * answers "who had IP X at T" with the device and its owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { radclient } from '../helpers/radclient.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { registerDevices } from '../helpers/devices.js';

const AP = '11-22-33-44-55-66';
const LAPTOP = '02-00-00-00-03-01';
const TABLET = '02-00-00-00-03-02';
const OWNER = 'Jo Smith';

let daemon: RunningDaemon;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function acct(attrs: Record<string, string>): Promise<Awaited<ReturnType<typeof radclient>>> {
  const line = Object.entries({ 'NAS-IP-Address': '127.0.0.1', 'NAS-Port-Type': 'Wireless-802.11', ...attrs })
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  return radclient(daemon.acctPort, daemon.secret, `${line}\n`, { type: 'acct' });
}

async function cliJson(args: string[]): Promise<Record<string, unknown>[]> {
  const r = await daemon.cli(args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  daemon = await startDaemon();
  await registerDevices(
    daemon,
    [
      [LAPTOP, 'school-staff-laptop', OWNER],
      [TABLET, 'school-tablet', 'Class 4'],
    ],
    { mac: LAPTOP, called: `${AP}:DCPS` },
  );
});

afterAll(async () => {
  await daemon?.stop();
});

describe('who had an address, from radclient accounting', () => {
  const session = 'interop-acct-0001';
  const ip = '10.10.7.21';
  let during = 0;
  let after = 0;

  it('acknowledges Start, Interim-Update (with Gigawords) and Stop once committed', async () => {
    const common = {
      'Acct-Session-Id': `"${session}"`,
      'User-Name': '"020000000301"',
      'Calling-Station-Id': `"${LAPTOP}"`,
      'Called-Station-Id': `"${AP}:DCPS"`,
      'Framed-IP-Address': ip,
    };
    expect((await acct({ 'Acct-Status-Type': 'Start', 'Acct-Delay-Time': '0', ...common })).reply).toBe('Accounting-Response');
    await sleep(50);
    during = Date.now();
    await sleep(50);
    const interim = await acct({
      'Acct-Status-Type': 'Interim-Update',
      ...common,
      'Acct-Session-Time': '600',
      'Acct-Input-Octets': '10',
      'Acct-Input-Gigawords': '2',
      'Acct-Output-Octets': '20',
    });
    expect(interim.reply).toBe('Accounting-Response');
    const stop = await acct({ 'Acct-Status-Type': 'Stop', ...common, 'Acct-Session-Time': '601', 'Acct-Terminate-Cause': 'User-Request' });
    expect(stop.reply).toBe('Accounting-Response');
    await sleep(50);
    after = Date.now();

    const [s] = await cliJson(['sessions', 'list', '--mac', LAPTOP, '--json']);
    expect(s).toMatchObject({
      sessionId: session,
      mac: LAPTOP,
      apMac: AP,
      ssid: 'DCPS',
      network: 'DCPS',
      vlan: 10,
      framedIp: ip,
      stopReason: 'stop',
      terminateCause: 1,
      inputOctets: 2 * 2 ** 32 + 10,
      outputOctets: 20,
    });
  });

  it('`lanyard audit who` names the device and its owner for a time inside the session', async () => {
    const [h, ...rest] = await cliJson(['audit', 'who', '--ip', ip, '--at', new Date(during).toISOString(), '--json']);
    expect(rest).toEqual([]);
    expect(h).toMatchObject({ ip, mac: LAPTOP, owner: OWNER, className: 'school-staff-laptop', network: 'DCPS', apMac: AP, ssid: 'DCPS', sessionId: session });

    const human = await daemon.cli(['audit', 'who', '--ip', ip, '--at', new Date(during).toISOString()]);
    expect(human.stdout).toContain(LAPTOP);
    expect(human.stdout).toContain(OWNER);
  });

  it('and nobody after the Stop', async () => {
    expect(await cliJson(['audit', 'who', '--ip', ip, '--at', new Date(after).toISOString(), '--json'])).toEqual([]);
  });

  it('exports the session as CSV an SLT member can open', async () => {
    const day = new Date(during).toISOString().slice(0, 10);
    const r = await daemon.cli(['audit', 'export', '--from', day, '--to', day, '--mac', LAPTOP, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Time (UTC),Device MAC,Owner,Class,IP address,Access point,Network,Event,Reason');
    expect(lines.slice(1).map((l) => l.split(',')[7])).toEqual(['Access granted', 'Connected', 'Disconnected']);
    expect(lines[2]).toContain(OWNER);
  });
});

describe('Accounting-On', () => {
  it('closes the sessions of the access point that restarted', async () => {
    for (const [id, mac, addr] of [
      ['on-1', LAPTOP, '10.10.7.31'],
      ['on-2', TABLET, '10.10.7.32'],
    ] as const) {
      const r = await acct({ 'Acct-Status-Type': 'Start', 'Acct-Session-Id': `"${id}"`, 'Calling-Station-Id': `"${mac}"`, 'Called-Station-Id': `"${AP}:DCPS"`, 'Framed-IP-Address': addr });
      expect(r.reply).toBe('Accounting-Response');
    }
    expect((await cliJson(['sessions', 'list', '--open', '--json'])).map((s) => s['sessionId']).sort()).toEqual(['on-1', 'on-2']);
    await sleep(20);
    const mid = Date.now();
    await sleep(20);

    expect((await acct({ 'Acct-Status-Type': 'Accounting-On', 'Acct-Session-Id': '"boot-1"' })).reply).toBe('Accounting-Response');
    expect(await cliJson(['sessions', 'list', '--open', '--json'])).toEqual([]);
    const closed = await cliJson(['sessions', 'list', '--limit', '2', '--json']);
    expect(closed.map((s) => s['stopReason'])).toEqual(['accounting-on', 'accounting-on']);
    // Before the restart the tablet held its address; after it, nobody does.
    expect((await cliJson(['audit', 'who', '--ip', '10.10.7.32', '--at', new Date(mid).toISOString(), '--json']))[0]).toMatchObject({ mac: TABLET, owner: 'Class 4' });
    expect(await cliJson(['audit', 'who', '--ip', '10.10.7.32', '--at', new Date().toISOString(), '--json'])).toEqual([]);
  });

  it('records a retransmitted Start once', async () => {
    const req = { 'Acct-Status-Type': 'Start', 'Acct-Session-Id': '"dup-1"', 'Calling-Station-Id': `"${LAPTOP}"`, 'Framed-IP-Address': '10.10.7.41' };
    expect((await acct({ ...req, 'Acct-Delay-Time': '0' })).reply).toBe('Accounting-Response');
    // RFC 2866 §5.2: a resend with a new Acct-Delay-Time is a new packet (new Identifier).
    expect((await acct({ ...req, 'Acct-Delay-Time': '1' })).reply).toBe('Accounting-Response');
    expect((await cliJson(['sessions', 'list', '--ip', '10.10.7.41', '--json'])).length).toBe(1);
  });
});
