import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceCsv, parseExpiry } from '../../src/import/csv.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDeviceRepository } from '../../src/store/devices.js';
import { formatMac } from '../../src/policy/mac.js';
import { tempDir } from '../store/helpers.js';

const NOW = Date.UTC(2025, 5, 1, 12);
const classes = new Set(['staff-laptop', 'class-laptop', 'visitor']);
const opts = { classes, now: NOW };

describe('parseExpiry', () => {
  it.each([
    ['2025-07-18', Date.UTC(2025, 6, 19)], // end of that day, UTC
    ['2024-02-29', Date.UTC(2024, 2, 1)],
    ['2025-12-31', Date.UTC(2026, 0, 1)],
    ['2025-07-18T16:30', Date.UTC(2025, 6, 18, 16, 30)],
    ['2025-07-18T16:30:05Z', Date.UTC(2025, 6, 18, 16, 30, 5)],
    ['2025-07-18 16:30:05.25Z', Date.UTC(2025, 6, 18, 16, 30, 5, 250)],
    ['2025-07-18T16:30:00+01:00', Date.UTC(2025, 6, 18, 15, 30)],
    ['2025-07-18T16:30:00-0230', Date.UTC(2025, 6, 18, 19, 0)],
  ])('%s', (text, expected) => {
    expect(parseExpiry(text)).toBe(expected);
  });
  it.each(['', '2025-02-29', '2025-13-01', '2025-7-18', '18/07/2025', '2025-07-18T24:00', 'tomorrow', '2025-07-18T10:00+25:00'])(
    'rejects %j',
    (text) => {
      expect(parseExpiry(text)).toBeNull();
    },
  );
});

describe('parseDeviceCsv', () => {
  it('parses a valid file with the header in any order and case', () => {
    const text = 'Class,MAC,owner,Label,EXPIRES\r\nstaff-laptop,aa:bb:cc:dd:ee:01,J Smith,LT-1,2025-07-18\r\nvisitor,AABB.CCDD.EE02,,,\r\n';
    const r = parseDeviceCsv(text, opts);
    expect(r.errors).toEqual([]);
    expect(r.columns).toEqual(['class', 'mac', 'owner', 'label', 'expires']);
    expect(r.unknownColumns).toEqual([]);
    expect(r.rows).toEqual([
      { line: 2, mac: 'AA-BB-CC-DD-EE-01', className: 'staff-laptop', owner: 'J Smith', label: 'LT-1', expiresAt: Date.UTC(2025, 6, 19), source: 'import' },
      { line: 3, mac: 'AA-BB-CC-DD-EE-02', className: 'visitor', owner: null, label: null, expiresAt: null, source: 'import' },
    ]);
  });

  it('needs only mac and class; reports unknown columns', () => {
    const r = parseDeviceCsv('\uFEFFmac,class,room\n02:00:00:00:00:01,visitor,B12\n', opts);
    expect(r.errors).toEqual([]);
    expect(r.unknownColumns).toEqual(['room']);
    expect(r.rows).toHaveLength(1);
  });

  it('reports a header without required columns, and an empty file', () => {
    expect(parseDeviceCsv('address,kind\n02:00:00:00:00:01,visitor\n', opts).errors.map((e) => [e.line, e.column])).toEqual([
      [1, 'mac'],
      [1, 'class'],
    ]);
    expect(parseDeviceCsv('', opts).errors).toEqual([{ line: 1, message: expect.stringMatching(/empty/) }]);
    expect(parseDeviceCsv('mac,class,mac\n', opts).errors).toEqual([
      { line: 1, column: 'mac', message: expect.stringMatching(/more than once/) },
    ]);
  });

  it('reports every bad row by its real file line, and accepts only the good ones', () => {
    const lines = [
      /* 1 */ 'mac,class,owner,label,expires',
      /* 2 */ '02:00:00:00:00:01,staff-laptop,Smith,LT-1,',
      /* 3 */ '02:00:00:00:00:02,staff-laptop,Jones,"two-line',
      /* 4 */ 'label",2026-01-01',
      /* 5 */ 'zz:00:00:00:00:03,staff-laptop,,,',
      /* 6 */ '',
      /* 7 */ '02:00:00:00:00:04,teacher-phone,,,',
      /* 8 */ '02:00:00:00:00:05,visitor,,,2025-02-30',
      /* 9 */ '02:00:00:00:00:06,visitor,,,2025-01-01',
      /* 10 */ '020000000001,visitor,,,',
      /* 11 */ ',visitor,,,',
      /* 12 */ '02:00:00:00:00:07,,,,',
      /* 13 */ '02:00:00:00:00:08,visitor,,,,extra',
      /* 14 */ '"02:00:00:00:00:09","class-laptop","a ""quoted"" owner","multi',
      /* 15 */ '',
      /* 16 */ 'line label",',
      /* 17 */ 'bad-mac,bad-class,,,not-a-date',
      /* 18 */ '02:00:00:00:00:0a,visitor',
      /* 19 */ '02:00:00:00:00:0b,visitor,,,2025-06-01T13:00Z',
    ];
    const r = parseDeviceCsv(lines.join('\n'), opts);
    expect(r.errors.map((e) => `${e.line}:${e.column ?? ''}`)).toEqual([
      '5:mac',
      '7:class',
      '8:expires',
      '9:expires',
      '10:mac',
      '11:mac',
      '12:class',
      '13:',
      '17:mac',
      '17:class',
      '17:expires',
      '18:',
    ]);
    const byLine = (n: number) => r.errors.filter((e) => e.line === n).map((e) => e.message).join(' | ');
    expect(byLine(7)).toMatch(/unknown class "teacher-phone" \(classes: class-laptop, staff-laptop, visitor\)/);
    expect(byLine(9)).toMatch(/in the past/);
    expect(byLine(10)).toMatch(/duplicate: 02-00-00-00-00-01 is already on line 2/);
    expect(byLine(11)).toMatch(/required/);
    expect(byLine(13)).toMatch(/too many fields: 6, the header has 5/);
    expect(byLine(18)).toMatch(/too few fields/);
    expect(r.rows.map((row) => [row.line, row.mac])).toEqual([
      [2, '02-00-00-00-00-01'],
      [3, '02-00-00-00-00-02'],
      [14, '02-00-00-00-00-09'],
      [19, '02-00-00-00-00-0B'],
    ]);
    expect(r.rows[1]!.label).toBe('two-line\nlabel');
    expect(r.rows[2]).toMatchObject({ owner: 'a "quoted" owner', label: 'multi\n\nline label', className: 'class-laptop' });
  });

  it('counts lines the same with CRLF line ends, quoted line breaks included', () => {
    const text = ['mac,class,label', '02:00:00:00:00:01,visitor,"a', 'b"', '02:00:00:00:00:02,nope,x'].join('\r\n');
    const r = parseDeviceCsv(text, opts);
    expect(r.rows.map((x) => x.line)).toEqual([2]);
    expect(r.errors.map((e) => e.line)).toEqual([4]);
  });

  it('reports malformed quoting on its line and keeps going', () => {
    const text = [
      /* 1 */ 'mac,class,label',
      /* 2 */ '02:00:00:00:00:01,visitor,MacBook 15" screen',
      /* 3 */ '02:00:00:00:00:02,"visitor"x,',
      /* 4 */ '02:00:00:00:00:03,visitor,,',
      /* 5 */ '02:00:00:00:00:04,visitor,',
      /* 6 */ '"02:00:00:00:00:05,visitor,',
      /* 7 */ '02:00:00:00:00:06,visitor,',
    ].join('\n');
    const r = parseDeviceCsv(text, opts);
    expect(r.rows.map((x) => x.line)).toEqual([2, 5]);
    expect(r.rows[0]!.label).toBe('MacBook 15" screen');
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 6]);
    // relax_quotes keeps text after a closing quote as part of the field: still caught, by value.
    expect(r.errors[0]!.message).toMatch(/unknown class/);
    expect(r.errors[2]!.message).toMatch(/quote not closed/i);
  });

  it('flags MACs already in the registry', () => {
    const r = parseDeviceCsv('mac,class\n02:00:00:00:00:01,visitor\n02:00:00:00:00:02,visitor\n', {
      ...opts,
      existing: (mac) => (mac === '02-00-00-00-00-02' ? { status: 'retired' } : undefined),
    });
    expect(r.rows.map((x) => x.mac)).toEqual(['02-00-00-00-00-01']);
    expect(r.errors).toEqual([{ line: 3, column: 'mac', message: '02-00-00-00-00-02 is already registered (retired)' }]);
  });
});

describe('import into the store', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('imports 50,000 rows in one transaction', () => {
    const t = tempDir('lanyard-import-');
    cleanup = t.cleanup;
    const db = openDatabase(path.join(t.dir, 'big.db'));
    try {
      const repo = new SqliteDeviceRepository(db);
      const n = 50_000;
      const lines = ['mac,class,owner,label,expires'];
      for (let i = 0; i < n; i++) {
        lines.push(`${formatMac(0x020000000000 + i).toLowerCase().replace(/-/g, ':')},${i % 2 ? 'visitor' : 'staff-laptop'},owner ${i},"label, ${i}",2030-01-01`);
      }
      const parsed = parseDeviceCsv(lines.join('\n') + '\n', { ...opts, existing: (mac) => repo.get(mac) });
      expect(parsed.errors).toEqual([]);
      expect(parsed.rows).toHaveLength(n);
      expect(parsed.rows[n - 1]!.line).toBe(n + 1);
      expect(repo.addMany(parsed.rows, 'test', NOW)).toBe(n);
      expect(repo.count()).toBe(n);
      expect(repo.count({ className: 'visitor' })).toBe(n / 2);
      expect(repo.snapshot().seq).toBe(n);
      expect(repo.get('02:00:00:00:c3:4f')).toMatchObject({ owner: 'owner 49999', label: 'label, 49999', source: 'import' });
    } finally {
      db.close();
    }
  });
});
