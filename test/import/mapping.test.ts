/**
 * Import column mapping (src/import/mapping.ts, docs/api.md "Import column mapping"): Intune,
 * Jamf Pro (computers and mobile devices) and asset-register exports; formats recognised from
 * the header; unrecognised columns reported, never guessed.
 */
import { describe, expect, it } from 'vitest';
import { detectFormat, normaliseHeader, parseDeviceImport, type ImportOptions } from '../../src/import/mapping.js';

const NOW = Date.UTC(2025, 2, 1);
const classes = new Set(['school-staff-laptop', 'school-tablet', 'visitor']);
const opts = (extra: Partial<ImportOptions> = {}): ImportOptions => ({ classes, now: NOW, ...extra });

describe('detectFormat', () => {
  it.each([
    [['mac', 'class'], 'lanyard'],
    [['MAC', 'Class', 'Owner'], 'lanyard'],
    [['Device name', 'Serial number', 'Wi-Fi MAC', 'Primary user UPN'], 'intune'],
    [['Display Name', 'Serial Number', 'Wi-Fi MAC Address', 'Username'], 'jamf'],
    [['Computer Name', 'Serial Number', 'MAC Address', 'Full Name'], 'jamf'],
    [['Asset Tag', 'Computer Name', 'MAC Address'], 'jamf'],
    [['MAC Address', 'Asset Tag', 'Assigned To', 'Description'], 'asset-register'],
    [['mac address', 'description'], 'asset-register'],
    [['Hostname', 'IP'], null],
    [['MAC Address'], null],
    [['WiFi MAC'], null], // similar is not the same: no guessing
  ])('%j → %s', (headers, format) => {
    expect(detectFormat(headers)).toBe(format);
  });

  it('normalises case and spaces only', () => {
    expect(normaliseHeader('  Wi-Fi   MAC ')).toBe('wi-fi mac');
    expect(normaliseHeader('\uFEFFPrimary user UPN')).toBe('primary user upn');
  });
});

describe('Intune export', () => {
  const text = [
    'Device name,Managed by,Primary user UPN,Primary user email address,Primary user display name,Serial number,Wi-Fi MAC,OS',
    'LT-01,Intune,a.b@school.example,a.b@school.example,A B,SN1,AABBCCDDEE01,Windows',
    'LT-02,Intune,,,C D,SN2,aa:bb:cc:dd:ee:02,Windows',
    'LT-03,Intune,,,,,,Windows',
    'LT-04,Intune,,,,SN4,AABBCCDDEE01,Windows',
    'LT-05,Intune,,,,SN5,zz,Windows',
  ].join('\r\n');

  it('maps MAC, owner (UPN, then email, then display name), label (name · SN) and reports the rest', () => {
    const r = parseDeviceImport(text, opts({ className: 'school-staff-laptop' }));
    expect(r.format).toBe('intune');
    expect(r.headerOk).toBe(true);
    expect(r.mapping).toEqual([
      { header: 'Device name', field: 'label' },
      { header: 'Primary user UPN', field: 'owner' },
      { header: 'Primary user email address', field: 'owner' },
      { header: 'Primary user display name', field: 'owner' },
      { header: 'Serial number', field: 'label' },
      { header: 'Wi-Fi MAC', field: 'mac' },
    ]);
    expect(r.unknownColumns).toEqual(['Managed by', 'OS']);
    expect(r.rows.map((x) => [x.line, x.mac, x.className, x.owner, x.label, x.source])).toEqual([
      [2, 'AA-BB-CC-DD-EE-01', 'school-staff-laptop', 'a.b@school.example', 'LT-01 · SN SN1', 'import'],
      [3, 'AA-BB-CC-DD-EE-02', 'school-staff-laptop', 'C D', 'LT-02 · SN SN2', 'import'],
    ]);
    expect(r.errors.map((e) => [e.line, e.column])).toEqual([
      [4, 'Wi-Fi MAC'],
      [5, 'Wi-Fi MAC'],
      [6, 'Wi-Fi MAC'],
    ]);
    expect(r.errors[1]!.message).toMatch(/duplicate: AA-BB-CC-DD-EE-01 is already on line 2/);
  });

  it('needs a class, and a known one', () => {
    expect(parseDeviceImport(text, opts()).errors).toEqual([
      { line: 1, column: 'class', message: expect.stringMatching(/no device class: give one/) },
    ]);
    const bad = parseDeviceImport(text, opts({ className: 'teacher-phone' }));
    expect(bad.headerOk).toBe(false);
    expect(bad.rows).toEqual([]);
    expect(bad.errors[0]!.message).toMatch(/unknown class "teacher-phone"/);
  });

  it('reports devices already registered', () => {
    const r = parseDeviceImport(text, opts({ className: 'visitor', existing: (m) => (m === 'AA-BB-CC-DD-EE-02' ? { status: 'retired' } : undefined) }));
    expect(r.errors.find((e) => e.line === 3)!.message).toMatch(/already registered \(retired\)/);
  });
});

describe('Jamf Pro export', () => {
  it('mobile devices: Wi-Fi MAC Address, Email/Username/Full Name, Asset Tag + Display Name', () => {
    const text = [
      'Display Name,Serial Number,Wi-Fi MAC Address,Bluetooth MAC Address,Username,Full Name,Email Address,Asset Tag',
      'iPad 7,DMPX1,70:A2:B3:BD:C3:43,70:A2:B3:BD:C3:44,dnikles,Dustin N,,A-100',
      'iPad 8,DMPX2,70:A2:B3:BD:C3:45,,,,,',
    ].join('\n');
    const r = parseDeviceImport(text, opts({ className: 'school-tablet' }));
    expect(r.format).toBe('jamf');
    expect(r.unknownColumns).toEqual(['Bluetooth MAC Address']);
    expect(r.rows.map((x) => [x.mac, x.owner, x.label])).toEqual([
      ['70-A2-B3-BD-C3-43', 'dnikles', 'A-100 · iPad 7 · SN DMPX1'],
      ['70-A2-B3-BD-C3-45', null, 'iPad 8 · SN DMPX2'],
    ]);
  });

  it('computers: MAC Address when there is no Wi-Fi column; Wi-Fi wins when both are there', () => {
    const computers = 'Computer Name,Serial Number,MAC Address,Full Name\nMBP-1,C02X,a4:83:e7:00:00:01,Ann Teacher\n';
    expect(parseDeviceImport(computers, opts({ className: 'school-staff-laptop' })).rows[0]).toMatchObject({
      mac: 'A4-83-E7-00-00-01',
      owner: 'Ann Teacher',
      label: 'MBP-1 · SN C02X',
    });
    const both = 'Computer Name,MAC Address,Wi-Fi MAC Address\nMBP-2,a4:83:e7:00:00:02,a4:83:e7:00:00:03\n';
    const r = parseDeviceImport(both, opts({ className: 'school-staff-laptop' }));
    expect(r.rows[0]!.mac).toBe('A4-83-E7-00-00-03');
    expect(r.unknownColumns).toEqual(['MAC Address']);
  });
});

describe('asset register', () => {
  it('MAC Address, Assigned To, Asset Tag + Description', () => {
    const text = '"MAC Address","Asset Tag","Assigned To","Description","Room"\n"00-11-22-33-44-55","PR-7","Reception","Printer, colour","G01"\n';
    const r = parseDeviceImport(text, opts({ className: 'visitor', format: 'asset-register' }));
    expect(r.format).toBe('asset-register');
    expect(r.rows).toEqual([
      expect.objectContaining({ line: 2, mac: '00-11-22-33-44-55', owner: 'Reception', label: 'PR-7 · Printer, colour', expiresAt: null }),
    ]);
    expect(r.unknownColumns).toEqual(['Room']);
  });

  it('a forced format without its MAC column says which header it wanted', () => {
    const r = parseDeviceImport('Asset Tag,Description\nA1,x\n', opts({ className: 'visitor', format: 'asset-register' }));
    expect(r.errors[0]).toMatchObject({ line: 1, column: 'mac', message: expect.stringMatching(/"mac address"/) });
  });
});

describe("Lanyard's own format", () => {
  it('is parsed by csv.ts unchanged; a class parameter is refused for it', () => {
    const text = 'mac,class,owner\n02:00:00:00:00:01,visitor,x\n';
    const r = parseDeviceImport(text, opts());
    expect(r.format).toBe('lanyard');
    expect(r.headerOk).toBe(true);
    expect(r.rows).toHaveLength(1);
    const withClass = parseDeviceImport(text, opts({ className: 'visitor' }));
    expect(withClass.rows).toEqual([]);
    expect(withClass.headerOk).toBe(false);
    expect(withClass.errors[0]!.message).toMatch(/own format, which has a class column/);
  });

  it('an unrecognised header is read as Lanyard\'s format: its missing columns, and the exports tried', () => {
    expect(parseDeviceImport('', opts()).errors).toEqual([{ line: 1, message: expect.stringMatching(/the file is empty/) }]);
    const r = parseDeviceImport('Hostname,IP\npc1,10.0.0.1\n', opts());
    expect(r.format).toBe('lanyard');
    expect(r.headerOk).toBe(false);
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/the header has no "mac" column/),
      expect.stringMatching(/the header has no "class" column/),
      expect.stringMatching(/not that of an export Lanyard knows either: expected "Wi-Fi MAC" \(Intune\)/),
    ]);
  });
});
