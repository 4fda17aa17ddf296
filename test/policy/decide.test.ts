/**
 * decide() against the shipped policies, one table row per POLICY.md rule it enforces.
 * The policies are the real config files (config/lanyard.yaml = seed 000,
 * config/examples/template-001.yaml = seed 001), so a change to either that breaks a rule
 * fails here.
 */
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { decide, decideReasonMessage } from '../../src/policy/decide.js';
import {
  DEVICE_STATUSES,
  REJECT_MESSAGES,
  REJECT_REASONS,
  type Decision,
  type DeviceFacts,
  type DeviceStatus,
  type Policy,
  type RejectReason,
} from '../../src/policy/model.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const env = { LANYARD_LOOPBACK_SECRET: 'a-test-secret-of-some-length' };
const dcps = loadConfig(path.join(ROOT, 'config', 'lanyard.yaml'), { env }).policy;
const template = loadConfig(path.join(ROOT, 'config', 'examples', 'template-001.yaml'), { env }).policy;

const NOW = Date.UTC(2025, 8, 1, 9, 0, 0); // 1 Sep 2025 09:00 UTC
const HOUR = 3600_000;
const MAC = 0x00163e123456;

function device(className: string, extra: Partial<DeviceFacts> = {}): DeviceFacts {
  return { mac: MAC, className, owner: 'j.smith', status: 'active', expiresAt: null, ...extra };
}

interface Row {
  /** The rule (POLICY.md) the row demonstrates, then what it checks. */
  readonly name: string;
  readonly policy?: Policy;
  readonly device: DeviceFacts | undefined;
  readonly ssid: string | null;
  readonly nasDefault?: string | null;
  readonly now?: number;
  readonly expect:
    | { readonly accept: { network: string; vlan: number; profile: string; filterId?: string; sessionTimeout?: number; admittedUnknown?: boolean; className?: string } }
    | { readonly reject: RejectReason };
}

const ROWS: readonly Row[] = [
  // R-1 school devices on the school network; personal and visitor on BYOD; unknown never on DCPS.
  { name: 'R-1 unknown device on DCPS is rejected', device: undefined, ssid: 'DCPS', expect: { reject: 'unknown-device' } },
  {
    name: 'R-1/R-6 unknown device on BYOD is admitted as visitor, internet only, 8 h session',
    device: undefined,
    ssid: 'BYOD',
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'visitor', className: 'visitor', admittedUnknown: true, sessionTimeout: 8 * 3600 } },
  },
  {
    name: 'R-1 school-staff-laptop on DCPS: VLAN 10, servers+internet+printers',
    device: device('school-staff-laptop'),
    ssid: 'DCPS',
    expect: { accept: { network: 'DCPS', vlan: 10, profile: 'school-staff', filterId: 'school-staff', sessionTimeout: 0, admittedUnknown: false } },
  },
  {
    name: 'R-1 school-shared-laptop on DCPS: VLAN 10, servers+internet',
    device: device('school-shared-laptop'),
    ssid: 'DCPS',
    expect: { accept: { network: 'DCPS', vlan: 10, profile: 'school-shared' } },
  },
  {
    name: 'R-1 school-tablet on DCPS: VLAN 10, internet only',
    device: device('school-tablet'),
    ssid: 'DCPS',
    expect: { accept: { network: 'DCPS', vlan: 10, profile: 'school-internet' } },
  },
  {
    name: 'R-1 staff-personal-laptop on BYOD: VLAN 20, internet + remote-access gateway',
    device: device('staff-personal-laptop'),
    ssid: 'BYOD',
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'byod-remote-access' } },
  },
  {
    name: 'R-1 staff-personal-phone on BYOD: VLAN 20, internet only',
    device: device('staff-personal-phone'),
    ssid: 'BYOD',
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'byod-internet' } },
  },
  {
    name: 'R-1 registered visitor on BYOD: VLAN 20, internet only, not counted as unknown',
    device: device('visitor'),
    ssid: 'BYOD',
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'visitor', admittedUnknown: false, sessionTimeout: 8 * 3600 } },
  },
  { name: 'R-1 school laptop joining BYOD is refused (wrong-network)', device: device('school-staff-laptop'), ssid: 'BYOD', expect: { reject: 'wrong-network' } },
  { name: 'R-1 school tablet joining BYOD is refused (wrong-network)', device: device('school-tablet'), ssid: 'BYOD', expect: { reject: 'wrong-network' } },
  { name: 'R-1 personal phone joining DCPS is refused (wrong-network)', device: device('staff-personal-phone'), ssid: 'DCPS', expect: { reject: 'wrong-network' } },
  { name: 'R-1 personal laptop joining DCPS is refused (wrong-network)', device: device('staff-personal-laptop'), ssid: 'DCPS', expect: { reject: 'wrong-network' } },
  { name: 'R-1 visitor joining DCPS is refused (wrong-network)', device: device('visitor'), ssid: 'DCPS', expect: { reject: 'wrong-network' } },

  // R-4 lost / stolen: no access, anywhere — reported as lost even on an SSID Lanyard does not know.
  { name: 'R-4 lost school laptop on DCPS', device: device('school-staff-laptop', { status: 'lost' }), ssid: 'DCPS', expect: { reject: 'device-lost' } },
  { name: 'R-4 lost school laptop on BYOD', device: device('school-staff-laptop', { status: 'lost' }), ssid: 'BYOD', expect: { reject: 'device-lost' } },
  { name: 'R-4 lost device on an unknown SSID is still reported as lost', device: device('school-tablet', { status: 'lost' }), ssid: 'Other', expect: { reject: 'device-lost' } },

  // R-5 blocked.
  { name: 'R-5 blocked school laptop', device: device('school-staff-laptop', { status: 'blocked' }), ssid: 'DCPS', expect: { reject: 'device-blocked' } },
  { name: 'R-5 blocked personal phone (not re-admitted as an unknown visitor)', device: device('staff-personal-phone', { status: 'blocked' }), ssid: 'BYOD', expect: { reject: 'device-blocked' } },

  // R-11 exit: retired, and access ending on a date.
  { name: 'R-11 retired device', device: device('school-shared-laptop', { status: 'retired' }), ssid: 'DCPS', expect: { reject: 'device-retired' } },
  { name: 'R-11 expired exactly at the expiry millisecond', device: device('school-staff-laptop', { expiresAt: NOW }), ssid: 'DCPS', expect: { reject: 'device-expired' } },
  { name: 'R-11 expired an hour ago', device: device('staff-personal-phone', { expiresAt: NOW - HOUR }), ssid: 'BYOD', expect: { reject: 'device-expired' } },
  {
    name: 'R-11 one millisecond before expiry: accepted, Session-Timeout 1 s',
    device: device('school-staff-laptop', { expiresAt: NOW + 1 }),
    ssid: 'DCPS',
    expect: { accept: { network: 'DCPS', vlan: 10, profile: 'school-staff', sessionTimeout: 1 } },
  },
  {
    name: 'R-11 class with no timeout, expiry in 30 days: Session-Timeout is the time left',
    device: device('school-staff-laptop', { expiresAt: NOW + 30 * 24 * HOUR }),
    ssid: 'DCPS',
    expect: { accept: { network: 'DCPS', vlan: 10, profile: 'school-staff', sessionTimeout: 30 * 24 * 3600 } },
  },

  // R-6 visitor access is time-limited and ends by itself.
  {
    name: 'R-6 visitor leaving in 90 min: Session-Timeout capped to 5400 s (class says 8 h)',
    device: device('visitor', { expiresAt: NOW + 90 * 60_000 }),
    ssid: 'BYOD',
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'visitor', sessionTimeout: 5400 } },
  },
  {
    name: 'R-6 visitor leaving in 10.0005 s: rounded up to 11 s',
    device: device('visitor', { expiresAt: NOW + 10_000.5 }),
    ssid: 'BYOD',
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'visitor', sessionTimeout: 11 } },
  },
  {
    name: 'R-6 visitor leaving in 2 days: the class 8 h timeout is shorter and stays',
    device: device('visitor', { expiresAt: NOW + 48 * HOUR }),
    ssid: 'BYOD',
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'visitor', sessionTimeout: 8 * 3600 } },
  },

  // Unknown SSID, class removed from config.
  { name: 'unknown SSID, unknown device', device: undefined, ssid: 'Neighbours-WiFi', expect: { reject: 'unknown-ssid' } },
  { name: 'unknown SSID, registered device', device: device('school-staff-laptop'), ssid: 'dcps', expect: { reject: 'unknown-ssid' } },
  { name: 'class no longer in the config', device: device('pupil-medical'), ssid: 'DCPS', expect: { reject: 'class-undefined' } },

  // Wired MAB (no SSID).
  {
    name: 'wired, NAS pinned to DCPS: school laptop accepted on VLAN 10',
    device: device('school-staff-laptop'),
    ssid: null,
    nasDefault: 'DCPS',
    expect: { accept: { network: 'DCPS', vlan: 10, profile: 'school-staff' } },
  },
  { name: 'wired, NAS pinned to DCPS: unknown device rejected (R-1)', device: undefined, ssid: null, nasDefault: 'DCPS', expect: { reject: 'unknown-device' } },
  { name: 'wired, NAS pinned to DCPS: personal phone refused', device: device('staff-personal-phone'), ssid: null, nasDefault: 'DCPS', expect: { reject: 'wrong-network' } },
  {
    name: 'wired, NAS pinned to BYOD: unknown device admitted as visitor',
    device: undefined,
    ssid: null,
    nasDefault: 'BYOD',
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'visitor', admittedUnknown: true } },
  },
  {
    name: 'wired, NAS with no default: a registered device gets its own class VLAN',
    device: device('staff-personal-laptop'),
    ssid: null,
    nasDefault: null,
    expect: { accept: { network: 'BYOD', vlan: 20, profile: 'byod-remote-access' } },
  },
  { name: 'wired, NAS with no default: unknown device cannot be placed', device: undefined, ssid: null, nasDefault: null, expect: { reject: 'no-network' } },
  { name: 'wired, NAS default names a network not in this config', device: device('school-tablet'), ssid: null, nasDefault: 'GONE', expect: { reject: 'no-network' } },
  { name: 'SSID wins over the NAS default', device: device('visitor'), ssid: 'BYOD', nasDefault: 'DCPS', expect: { accept: { network: 'BYOD', vlan: 20, profile: 'visitor' } } },
  { name: 'R-4 blocked status checked before a missing network', device: device('school-tablet', { status: 'blocked' }), ssid: null, nasDefault: null, expect: { reject: 'device-blocked' } },

  // R-12 template 001: staff and visitor devices allowed on site but with NO network access.
  { name: 'R-12 (001) staff-owned phone: no network access', policy: template, device: undefined, ssid: 'SCHOOL', expect: { reject: 'unknown-device' } },
  { name: 'R-12 (001) visitor-owned laptop: no network access', policy: template, device: undefined, ssid: 'SCHOOL', expect: { reject: 'unknown-device' } },
  { name: 'R-12 (001) there is no BYOD SSID to join', policy: template, device: undefined, ssid: 'BYOD', expect: { reject: 'unknown-ssid' } },
  {
    name: 'R-12 (001) a personal device registered under a seed-000 class name is not admitted',
    policy: template,
    device: device('staff-personal-phone'),
    ssid: 'SCHOOL',
    expect: { reject: 'class-undefined' },
  },
  {
    name: 'R-2 (001) school single-user device: shared-folder network access',
    policy: template,
    device: device('school-single-user'),
    ssid: 'SCHOOL',
    expect: { accept: { network: 'SCHOOL', vlan: 10, profile: 'shared-folders' } },
  },
  {
    name: 'R-2 (001) school multi-user device: full network access',
    policy: template,
    device: device('school-multi-user'),
    ssid: 'SCHOOL',
    expect: { accept: { network: 'SCHOOL', vlan: 10, profile: 'shared-folders' } },
  },
  {
    name: 'R-2 (001) authorised device: full network access',
    policy: template,
    device: device('school-authorised'),
    ssid: 'SCHOOL',
    expect: { accept: { network: 'SCHOOL', vlan: 10, profile: 'shared-folders' } },
  },
];

function check(decision: Decision, want: Row['expect']): void {
  if ('reject' in want) {
    expect(decision).toEqual({ kind: 'reject', reason: want.reject });
    return;
  }
  expect(decision.kind).toBe('accept');
  if (decision.kind !== 'accept') return;
  const w = want.accept;
  expect(decision.network.name).toBe(w.network);
  expect(decision.network.vlan).toBe(w.vlan);
  expect(decision.profile.name).toBe(w.profile);
  expect(decision.deviceClass.profile).toBe(w.profile);
  expect(decision.deviceClass.network).toBe(w.network);
  if (w.filterId !== undefined) expect(decision.profile.filterId).toBe(w.filterId);
  if (w.sessionTimeout !== undefined) expect(decision.sessionTimeout).toBe(w.sessionTimeout);
  if (w.admittedUnknown !== undefined) expect(decision.admittedUnknown).toBe(w.admittedUnknown);
  if (w.className !== undefined) expect(decision.deviceClass.name).toBe(w.className);
}

describe('decide', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const decision = decide(row.policy ?? dcps, row.device, { ssid: row.ssid, nasDefaultNetwork: row.nasDefault ?? null, now: row.now ?? NOW });
    check(decision, row.expect);
  });

  it('R-1 the one-line switch: unknownDevices: reject on BYOD refuses unknown devices there', () => {
    const text = `
profiles: { visitor: { allow: [] } }
networks:
  DCPS: { vlan: 10, ssids: [DCPS] }
  BYOD: { vlan: 20, ssids: [BYOD], unknownDevices: reject }
classes:
  visitor: { ownership: visitor, network: BYOD, profile: visitor, sessionTimeout: 8h }
`;
    const policy = compileYamlPolicy(text);
    expect(decide(policy, undefined, { ssid: 'BYOD', nasDefaultNetwork: null, now: NOW })).toEqual({ kind: 'reject', reason: 'unknown-device' });
    expect(decide(policy, device('visitor'), { ssid: 'BYOD', nasDefaultNetwork: null, now: NOW }).kind).toBe('accept');
  });

  it('shares reject objects and unexpired accepts between calls (no allocation per packet)', () => {
    const ctx = { ssid: 'DCPS', nasDefaultNetwork: null, now: NOW };
    expect(decide(dcps, undefined, ctx)).toBe(decide(dcps, undefined, ctx));
    expect(decide(dcps, device('school-tablet'), ctx)).toBe(decide(dcps, device('school-tablet'), ctx));
    expect(Object.isFrozen(decide(dcps, device('school-tablet'), ctx))).toBe(true);
  });

  it('an unknown status fails closed', () => {
    const odd = device('school-tablet', { status: 'quarantined' as DeviceStatus });
    expect(decide(dcps, odd, { ssid: 'DCPS', nasDefaultNetwork: null, now: NOW }).kind).toBe('reject');
  });

  it('decideReasonMessage gives the REJECT_MESSAGES text for every reason', () => {
    for (const r of REJECT_REASONS) expect(decideReasonMessage(r)).toBe(REJECT_MESSAGES[r]);
  });

  it('property: an accept always puts the device on its class network, the one its SSID names; never an unknown device on DCPS', () => {
    const classNames = [...dcps.classes.keys(), 'no-such-class'];
    const arbDevice = fc.option(
      fc.record({
        mac: fc.constant(MAC),
        className: fc.constantFrom(...classNames),
        owner: fc.constant(null),
        status: fc.constantFrom(...DEVICE_STATUSES),
        expiresAt: fc.option(fc.integer({ min: NOW - 10 * HOUR, max: NOW + 100 * HOUR }), { nil: null }),
      }),
      { nil: undefined },
    );
    const arbCtx = fc.record({
      ssid: fc.option(fc.constantFrom('DCPS', 'BYOD', 'Other', ''), { nil: null }),
      nasDefaultNetwork: fc.option(fc.constantFrom('DCPS', 'BYOD'), { nil: null }),
      now: fc.constant(NOW),
    });
    fc.assert(
      fc.property(arbDevice, arbCtx, (dev, ctx) => {
        const d = decide(dcps, dev, ctx);
        if (d.kind === 'reject') return;
        expect(d.deviceClass.network).toBe(d.network.name);
        expect(d.profile.name).toBe(d.deviceClass.profile);
        if (ctx.ssid !== null) expect(dcps.ssidToNetwork.get(ctx.ssid)).toBe(d.network.name);
        else if (ctx.nasDefaultNetwork !== null) expect(d.network.name).toBe(ctx.nasDefaultNetwork);
        if (dev === undefined) expect(d.network.name).not.toBe('DCPS');
        else {
          expect(dev.status).toBe('active');
          if (dev.expiresAt !== null) {
            expect(dev.expiresAt).toBeGreaterThan(NOW);
            expect(d.sessionTimeout).toBeGreaterThan(0);
            expect(NOW + (d.sessionTimeout - 1) * 1000).toBeLessThan(dev.expiresAt);
          }
        }
      }),
    );
  });
});

function compileYamlPolicy(text: string): Policy {
  return compilePolicy(parse(text));
}
