/**
 * The admin API through real HTTP against the real daemon: validation (400 naming the field),
 * 404/409, never a 500 for anything a client sends, CSV imports with bad rows, people,
 * the audit trail of writes, the RADIUS cache seeing API writes at once, and /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/admin/metrics.js';
import { Code, mab, startApi, type ApiHarness } from './helpers.js';

let h: ApiHarness;
let seq = 0x1000;
const mac = (sep = ':'): string =>
  (0x020000000000 + seq++)
    .toString(16)
    .padStart(12, '0')
    .match(/../g)!
    .join(sep);

beforeAll(async () => {
  h = await startApi({ bodyLimit: 64 * 1024, importBodyLimit: 512 * 1024 });
});
afterAll(async () => {
  await h?.close();
});

const devicesCount = (): number => (h.daemon.db.prepare('SELECT count(*) AS n FROM devices').get() as { n: number }).n;

describe('validation: 400 naming the field', () => {
  it.each([
    ['missing field', { mac: '02:00:00:00:10:00' }, 'class', /required/],
    ['wrong type', { mac: '02:00:00:00:10:00', class: 5 }, 'class', /string/],
    ['wrong type (number for string)', { mac: 12, class: 'visitor' }, 'mac', /string/],
    ['unknown field', { mac: '02:00:00:00:10:00', class: 'visitor', colour: 'red' }, 'colour', /not a known field/],
    ['not a MAC', { mac: 'not-a-mac', class: 'visitor' }, 'mac', /not a MAC/],
    ['unknown class', { mac: '02:00:00:00:10:00', class: 'teacher-phone' }, 'class', /not defined/],
    ['bad date', { mac: '02:00:00:00:10:00', class: 'visitor', expires: '18/07/2030' }, 'expires', /ISO 8601/],
    ['past date', { mac: '02:00:00:00:10:00', class: 'visitor', expires: '2001-01-01' }, 'expires', /past/],
    ['null where text needed', { mac: null, class: 'visitor' }, 'mac', /string/],
    ['too long', { mac: '02:00:00:00:10:00', class: 'visitor', owner: 'x'.repeat(201) }, 'owner', /200/],
  ])('POST /devices, %s', async (_name, body, field, message) => {
    const res = await h.call('POST', '/api/v1/devices', { body });
    expect(res.status, res.text).toBe(400);
    expect(res.json.field).toBe(field);
    expect(res.json.message).toMatch(message);
    expect(res.json.error).toMatch(/^LANYARD_ERR_/);
  });

  it.each([
    ['/api/v1/devices?limit=0', 'limit'],
    ['/api/v1/devices?limit=abc', 'limit'],
    ['/api/v1/devices?limit=5000', 'limit'],
    ['/api/v1/devices?status=gone', 'status'],
    ['/api/v1/devices?colour=red', 'colour'],
    ['/api/v1/people?kind=alien', 'kind'],
    ['/api/v1/devices/zz:zz', 'mac'],
    ['/api/v1/people/abc', 'id'],
    ['/api/v1/people/0', 'id'],
  ])('GET %s → 400 on %s', async (url, field) => {
    const res = await h.call('GET', url, { as: 'read-only' });
    expect(res.status, res.text).toBe(400);
    expect(res.json.field).toBe(field);
  });

  it('lists the values allowed for an enumeration', async () => {
    const res = await h.call('GET', '/api/v1/devices?status=gone', { as: 'read-only' });
    expect(res.json.message).toMatch(/active, blocked, lost, retired/);
  });

  it('an empty PATCH is refused; status is not a PATCH field', async () => {
    const m = mac();
    expect((await h.call('POST', '/api/v1/devices', { body: { mac: m, class: 'visitor' } })).status).toBe(201);
    expect((await h.call('PATCH', `/api/v1/devices/${m}`, { body: {} })).status).toBe(400);
    const res = await h.call('PATCH', `/api/v1/devices/${m}`, { body: { status: 'active' } });
    expect(res.status).toBe(400);
    expect(res.json.field).toBe('status');
  });

  it('block needs a reason', async () => {
    const m = mac();
    await h.call('POST', '/api/v1/devices', { body: { mac: m, class: 'visitor' } });
    const res = await h.call('POST', `/api/v1/devices/${m}/block`, { body: {} });
    expect(res.status).toBe(400);
    expect(res.json.field).toBe('reason');
  });
});

describe('never a 500 for what a client sends', () => {
  const ROUTES: [string, string][] = [
    ['POST', '/api/v1/devices'],
    ['PATCH', '/api/v1/devices/02:00:00:00:00:99'],
    ['POST', '/api/v1/devices/02:00:00:00:00:99/block'],
    ['POST', '/api/v1/devices/02:00:00:00:00:99/unblock'],
    ['POST', '/api/v1/devices/import'],
    ['POST', '/api/v1/people'],
    ['PATCH', '/api/v1/people/1'],
  ];
  const BODIES: [string, string, string][] = [
    ['malformed JSON', '{"mac": ', 'application/json'],
    ['a JSON array', '[1,2,3]', 'application/json'],
    ['a JSON string', '"hello"', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['empty body', '', 'application/json'],
    ['prototype poisoning', '{"__proto__": {"admin": true}, "mac": "02:00:00:00:00:98", "class": "visitor"}', 'application/json'],
    ['constructor poisoning', '{"constructor": {"prototype": {"x": 1}}}', 'application/json'],
    ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'application/json'],
    ['binary', '\u0000\u0001\u0002\uFFFF', 'application/octet-stream'],
    ['form data', 'mac=1&class=2', 'application/x-www-form-urlencoded'],
    ['CSV to a JSON route', 'mac,class\n', 'text/csv'],
    ['unicode', '{"mac": "０２:００:００:００:００:９８", "class": "visitor", "owner": "\u202e\ud83d\ude00"}', 'application/json'],
  ];
  for (const [method, url] of ROUTES) {
    it.each(BODIES.filter(([, , type]) => !(url.endsWith('/import') && type === 'text/csv')))(`${method} ${url}: %s`, async (_name, body, contentType) => {
      const res = await h.call(method, url, { body, contentType });
      expect(res.status, res.text).toBeGreaterThanOrEqual(400);
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.json.error).toMatch(/^LANYARD_ERR_/);
    });
  }

  it('413 for a body over api.bodyLimit, before parsing it', async () => {
    const res = await h.call('POST', '/api/v1/devices', { body: { mac: '02:00:00:00:00:97', class: 'visitor', label: 'x'.repeat(100_000) } });
    expect(res.status).toBe(413);
    expect(res.json.error).toBe('LANYARD_ERR_REQUEST_TOO_LARGE');
  });

  it('413 for an import over api.importBodyLimit', async () => {
    const res = await h.call('POST', '/api/v1/devices/import?dryRun=true', { body: `mac,class\n${'02:00:00:00:00:01,visitor\n'.repeat(30_000)}` });
    expect(res.status).toBe(413);
  });

  it('415 for a content type no route reads', async () => {
    const res = await h.call('POST', '/api/v1/devices', { body: '<device/>', contentType: 'application/xml' });
    expect(res.status).toBe(415);
    expect(res.json.error).toBe('LANYARD_ERR_MEDIA_TYPE');
  });

  it('odd paths and parameters', async () => {
    for (const url of [
      '/api/v1/devices/' + 'a'.repeat(500),
      '/api/v1/devices/%00',
      '/api/v1/devices/%zz',
      '/api/v1/devices/..%2F..%2Fetc%2Fpasswd',
      '/api/v1/devices?limit=1&limit=2',
      '/api/v1/people/99999999999999999999',
      '/api/v1/audit/who?ip=010.0.0.1&at=2025-01-01T00:00:00Z',
      '/api/v1/audit/who?ip=10.0.0.1&at=yesterday',
      '/api/v1/audit/events?from=2025-02-01&to=2025-01-01',
      '/api/v1/audit/events?from=2025-01-01&to=2025-02-01&after=nonsense',
      '/api/v1/audit/export?from=2025-01-01&to=2025-02-01&format=xml',
      '/api/v1/audit/network?from=2025-01-01&to=2025-02-01',
      '/api/v1/sessions/0',
      '/api/v1/sessions/12345',
    ]) {
      const res = await h.call('GET', url, { as: 'slt' });
      expect(res.status, `${url}: ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${url}: ${res.text}`).toBeLessThan(500);
    }
    const sql = await h.call('GET', '/api/v1/devices?search=%27%3B%20DROP%20TABLE%20devices%3B--', { as: 'slt' });
    expect(sql.json).toEqual({ items: [], total: 0 });
    expect(devicesCount()).toBeGreaterThan(0); // the "DROP TABLE" search was only a search
  });
});

describe('404 and 409', () => {
  it('unknown routes are 404 in the error format', async () => {
    const res = await h.call('GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.json.error).toBe('LANYARD_ERR_ROUTE_NOT_FOUND');
    expect((await h.call('PUT', '/api/v1/devices')).status).toBe(404);
  });

  it('an unregistered device or person is 404', async () => {
    expect((await h.call('GET', '/api/v1/devices/02:00:00:00:ff:ff')).json.error).toBe('LANYARD_ERR_DEVICE_NOT_FOUND');
    expect((await h.call('GET', '/api/v1/devices/02:00:00:00:ff:ff/history')).status).toBe(404);
    expect((await h.call('GET', '/api/v1/people/424242')).json.error).toBe('LANYARD_ERR_PERSON_NOT_FOUND');
  });

  it('the same MAC in another format is a 409', async () => {
    const m = mac('');
    const first = await h.call('POST', '/api/v1/devices', { body: { mac: m, class: 'visitor' } });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/api/v1/devices/${first.json.mac}`);
    const again = await h.call('POST', '/api/v1/devices', { body: { mac: first.json.mac.replace(/-/g, ':').toLowerCase(), class: 'visitor' } });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: 'LANYARD_ERR_DEVICE_EXISTS', field: 'mac' });
  });

  it('unblocking an active device or changing a retired one is a 409', async () => {
    const m = mac();
    await h.call('POST', '/api/v1/devices', { body: { mac: m, class: 'visitor' } });
    expect((await h.call('POST', `/api/v1/devices/${m}/unblock`, { body: {} })).status).toBe(409);
    const retired = await h.call('DELETE', `/api/v1/devices/${m}?reason=sold`);
    expect(retired.json).toMatchObject({ status: 'retired', statusReason: 'sold' });
    expect((await h.call('POST', `/api/v1/devices/${m}/block`, { body: { reason: 'x' } })).json.error).toBe('LANYARD_ERR_DEVICE_STATE');
    expect((await h.call('POST', '/api/v1/devices', { body: { mac: m, class: 'visitor' } })).status).toBe(409);
  });
});

describe('devices', () => {
  it('any MAC format in the path; list with search, filters and paging', async () => {
    const macs = [mac(), mac(), mac()];
    for (const [i, m] of macs.entries()) {
      const r = await h.call('POST', '/api/v1/devices', { body: { mac: m, class: 'school-tablet', owner: 'pager@school.example', label: `PAGE-${i}`, expires: '2099-07-18' } });
      expect(r.status, r.text).toBe(201);
      expect(r.json.expires).toBe('2099-07-19T00:00:00.000Z');
    }
    const cisco = macs[0]!.replace(/:/g, '').replace(/(....)(....)(....)/, '$1.$2.$3');
    expect((await h.call('GET', `/api/v1/devices/${cisco}`, { as: 'read-only' })).json.label).toBe('PAGE-0');
    const page = await h.call('GET', '/api/v1/devices?owner=pager@school.example&class=school-tablet&limit=2&offset=1', { as: 'read-only' });
    expect(page.json.total).toBe(3);
    expect(page.json.items.map((d: { label: string }) => d.label)).toEqual(['PAGE-1', 'PAGE-2']);
    expect((await h.call('GET', '/api/v1/devices?search=page-', { as: 'read-only' })).json.total).toBe(3); // any case
    expect((await h.call('GET', '/api/v1/devices?search=PAGE-&status=active', { as: 'read-only' })).json.total).toBe(3);
  });

  it('PATCH changes fields; history shows who did what, with the API actor', async () => {
    const m = mac();
    await h.call('POST', '/api/v1/devices', { body: { mac: m, class: 'visitor', owner: 'a@school.example' } });
    const p = await h.call('PATCH', `/api/v1/devices/${m}`, { body: { owner: null, label: 'LT-1', expires: '2099-01-01T12:00:00Z' } });
    expect(p.json).toMatchObject({ owner: null, label: 'LT-1', expires: '2099-01-01T12:00:00.000Z', updatedBy: 'api:test-ict-admin' });
    await h.call('POST', `/api/v1/devices/${m}/lost`, { body: { reason: 'left on the bus' } });
    await h.call('POST', `/api/v1/devices/${m}/unblock`, { body: { reason: 'found' } });
    const hist = await h.call('GET', `/api/v1/devices/${m}/history`, { as: 'slt' });
    expect(hist.json.items.map((i: { op: string }) => i.op)).toEqual(['create', 'update', 'status', 'status']);
    expect(hist.json.items.every((i: { actor: string }) => i.actor === 'api:test-ict-admin')).toBe(true);
    expect(hist.json.items[2].device.statusReason).toBe('left on the bus');
  });

  it('every write is in the audit log with the token name as actor and the client address as source', async () => {
    const m = mac();
    await h.call('POST', '/api/v1/devices', { body: { mac: m, class: 'visitor' } });
    await h.call('POST', `/api/v1/devices/${m}/block`, { body: { reason: 'misuse' } });
    const rows = h.daemon.db
      .prepare(`SELECT actor, source, action, subject, reason FROM audit_log WHERE kind = 'admin' AND mac = ? ORDER BY id`)
      .all(m.replace(/:/g, '-').toUpperCase());
    expect(rows).toEqual([
      { actor: 'api:test-ict-admin', source: '127.0.0.1', action: 'device.create', subject: m.replace(/:/g, '-').toUpperCase(), reason: null },
      { actor: 'api:test-ict-admin', source: '127.0.0.1', action: 'device.block', subject: m.replace(/:/g, '-').toUpperCase(), reason: 'misuse' },
    ]);
  });
});

describe('the RADIUS server sees API writes at once', () => {
  it('a device created through the API is accepted by the very next Access-Request, and refused once blocked', async () => {
    const m = mac('-').toUpperCase();
    expect(await mab(h.daemon.authPort, m, 'DCPS')).toBe(Code.AccessReject);
    expect((await h.call('POST', '/api/v1/devices', { body: { mac: m.toLowerCase(), class: 'school-staff-laptop' } })).status).toBe(201);
    expect(await mab(h.daemon.authPort, m, 'DCPS')).toBe(Code.AccessAccept);
    expect((await h.call('POST', `/api/v1/devices/${m}/block`, { body: { reason: 'misuse' } })).status).toBe(200);
    expect(await mab(h.daemon.authPort, m, 'DCPS')).toBe(Code.AccessReject);
    expect((await h.call('POST', `/api/v1/devices/${m}/unblock`, { body: {} })).status).toBe(200);
    expect(await mab(h.daemon.authPort, m, 'DCPS')).toBe(Code.AccessAccept);
  });

  it('an imported device is accepted at once', async () => {
    const m = mac('-').toUpperCase();
    const res = await h.call('POST', '/api/v1/devices/import', { body: `mac,class\n${m},school-staff-laptop\n` });
    expect(res.json.imported).toBe(1);
    expect(await mab(h.daemon.authPort, m, 'DCPS')).toBe(Code.AccessAccept);
  });
});

describe('CSV import', () => {
  const good1 = '02:00:00:00:20:01';
  const good2 = '02:00:00:00:20:02';
  const csv = [
    'mac,class,owner,label,expires',
    `${good1},school-tablet,Room 4,IPAD-1,`,
    'not-a-mac,school-tablet,,,',
    `${good2},school-tablet,Room 5,IPAD-2,2099-01-01`,
    `02:00:00:00:20:03,teacher-phone,,,`,
    `${good1},school-tablet,dup,,`,
    `02:00:00:00:20:04,school-tablet,,,2001-01-01`,
    '',
  ].join('\n');

  it('dry run: a report by line, nothing changed', async () => {
    const before = devicesCount();
    const res = await h.call('POST', '/api/v1/devices/import?dryRun=true', { body: csv });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ dryRun: true, format: 'lanyard', valid: 2, invalid: 4, imported: 0 });
    expect(res.json.errors.map((e: { line: number; column?: string }) => [e.line, e.column])).toEqual([
      [3, 'mac'],
      [5, 'class'],
      [6, 'mac'],
      [7, 'expires'],
    ]);
    expect(res.json.errors[2].message).toMatch(/duplicate.*line 2/);
    expect(devicesCount()).toBe(before);
  });

  it('without validOnly, one bad row → 400 with the report, nothing changed', async () => {
    const before = devicesCount();
    const res = await h.call('POST', '/api/v1/devices/import', { body: csv });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('LANYARD_ERR_CSV_INVALID');
    expect(res.json.field).toBe('line 3');
    expect(res.json.message).toMatch(/4 invalid rows.*validOnly=true/);
    expect(res.json.report.errors).toHaveLength(4);
    expect(devicesCount()).toBe(before);
  });

  it('validOnly imports the good rows and reports the others', async () => {
    const res = await h.call('POST', '/api/v1/devices/import?validOnly=true', { body: csv });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ imported: 2, valid: 2, invalid: 4 });
    const d = await h.call('GET', `/api/v1/devices/${good2}`);
    expect(d.json).toMatchObject({ label: 'IPAD-2', source: 'import', createdBy: 'api:test-ict-admin' });
  });

  it('a bad header is a 400 even with validOnly', async () => {
    const res = await h.call('POST', '/api/v1/devices/import?validOnly=true', { body: 'mac,owner\n02:00:00:00:20:09,x\n' });
    expect(res.status).toBe(400);
    expect(res.json.report.errors[0]).toMatchObject({ line: 1, column: 'class' });
  });

  it('an Intune export with ?class=: mapped, unrecognised columns reported', async () => {
    const intune = [
      'Device name,Managed by,Ownership,Compliance,OS,OS version,Last check-in,Primary user UPN,Serial number,Wi-Fi MAC,Primary user display name',
      'LT-0042,Intune,Corporate,Compliant,Windows,10.0.22631,2025-03-01 10:00,j.smith@school.example,PF3ABC12,020000003001,J Smith',
      'LT-0043,Intune,Corporate,Compliant,Windows,10.0.22631,2025-03-01 10:00,,PF3ABC13,,',
    ].join('\r\n');
    const noClass = await h.call('POST', '/api/v1/devices/import?dryRun=true', { body: intune });
    expect(noClass.json.errors[0]).toMatchObject({ line: 1, column: 'class' });
    const res = await h.call('POST', '/api/v1/devices/import?validOnly=true&class=school-staff-laptop', { body: intune });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ format: 'intune', imported: 1, invalid: 1 });
    expect(res.json.unknownColumns).toEqual(['Managed by', 'Ownership', 'Compliance', 'OS', 'OS version', 'Last check-in']);
    expect(res.json.errors[0]).toMatchObject({ line: 3, column: 'Wi-Fi MAC' });
    const d = await h.call('GET', '/api/v1/devices/02-00-00-00-30-01');
    expect(d.json).toMatchObject({ owner: 'j.smith@school.example', label: 'LT-0043'.replace('3', '2') + ' · SN PF3ABC12', class: 'school-staff-laptop' });
  });

  it('an unknown file shape names what was expected', async () => {
    const res = await h.call('POST', '/api/v1/devices/import?dryRun=true', { body: 'Hostname,IP\npc1,10.0.0.1\n' });
    expect(res.json.format).toBe('lanyard');
    expect(res.json.errors.map((e: { message: string }) => e.message).join('\n')).toMatch(/no "mac" column[^]*export Lanyard knows/);
  });

  it('50,000 rows in seconds', async () => {
    const big = await startApi({ importBodyLimit: 8 * 1024 * 1024 });
    try {
      const lines = ['mac,class,owner'];
      for (let i = 0; i < 50_000; i++) lines.push(`${(0x0a0000000000 + i).toString(16).padStart(12, '0')},school-tablet,Pupil ${i}`);
      const t0 = Date.now();
      const res = await big.call('POST', '/api/v1/devices/import', { body: lines.join('\n') });
      const ms = Date.now() - t0;
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(res.json.imported).toBe(50_000);
      expect(ms).toBeLessThan(20_000);
      expect(await mab(big.daemon.authPort, '0A-00-00-00-C3-4F', 'DCPS')).toBe(Code.AccessAccept);
    } finally {
      await big.close();
    }
  }, 60_000);
});

describe('people', () => {
  it('create, read, change; marking someone left retires their devices (R-11) and RADIUS refuses them', async () => {
    const p = await h.call('POST', '/api/v1/people', { body: { kind: 'staff', name: 'Ann Leaver', email: 'ann@school.example', aupReturnedAt: '2024-09-02' } });
    expect(p.status, p.text).toBe(201);
    expect(p.json).toMatchObject({ kind: 'staff', status: 'active', aupReturnedAt: '2024-09-02T00:00:00.000Z', createdBy: 'api:test-ict-admin' });
    const id = p.json.id as number;
    const laptop = mac('-').toUpperCase();
    const phone = mac('-').toUpperCase();
    const other = mac('-').toUpperCase();
    await h.call('POST', '/api/v1/devices', { body: { mac: laptop, class: 'school-staff-laptop', owner: 'ANN@school.example' } });
    await h.call('POST', '/api/v1/devices', { body: { mac: phone, class: 'staff-personal-phone', owner: 'Ann Leaver' } });
    await h.call('POST', '/api/v1/devices', { body: { mac: other, class: 'school-staff-laptop', owner: 'bob@school.example' } });
    expect((await h.call('GET', `/api/v1/people/${id}`, { as: 'read-only' })).json.devices).toEqual([laptop, phone].sort());
    expect(await mab(h.daemon.authPort, laptop, 'DCPS')).toBe(Code.AccessAccept);

    const left = await h.call('PATCH', `/api/v1/people/${id}`, { body: { status: 'left' } });
    expect(left.status, left.text).toBe(200);
    expect(left.json.person).toMatchObject({ status: 'left' });
    expect(left.json.retiredDevices).toEqual([laptop, phone].sort());
    expect(left.json.devices).toEqual([]);
    expect((await h.call('GET', `/api/v1/devices/${laptop}`)).json).toMatchObject({ status: 'retired', statusReason: `owner left: person ${id} (Ann Leaver)` });
    expect((await h.call('GET', `/api/v1/devices/${other}`)).json.status).toBe('active');
    expect(await mab(h.daemon.authPort, laptop, 'DCPS')).toBe(Code.AccessReject);

    const audit = h.daemon.db
      .prepare(`SELECT actor, source, action, subject FROM audit_log WHERE kind = 'admin' AND action LIKE 'person.%' AND subject = ? ORDER BY id`)
      .all(String(id));
    expect(audit).toEqual([
      { actor: 'api:test-ict-admin', source: '127.0.0.1', action: 'person.create', subject: String(id) },
      { actor: 'api:test-ict-admin', source: '127.0.0.1', action: 'person.left', subject: String(id) },
    ]);
  });

  it('two people with one name: only the email matches', async () => {
    const a = (await h.call('POST', '/api/v1/people', { body: { kind: 'staff', name: 'J Smith', email: 'j.smith1@school.example' } })).json;
    await h.call('POST', '/api/v1/people', { body: { kind: 'pupil', name: 'J Smith' } });
    const byName = mac();
    const byEmail = mac('-').toUpperCase();
    await h.call('POST', '/api/v1/devices', { body: { mac: byName, class: 'visitor', owner: 'J Smith' } });
    await h.call('POST', '/api/v1/devices', { body: { mac: byEmail, class: 'visitor', owner: 'j.smith1@school.example' } });
    const left = await h.call('PATCH', `/api/v1/people/${a.id}`, { body: { status: 'left' } });
    expect(left.json.retiredDevices).toEqual([byEmail]);
  });

  it('email is unique (409), list and search work', async () => {
    await h.call('POST', '/api/v1/people', { body: { kind: 'contractor', name: 'Cat Contractor', email: 'cat@contractor.example' } });
    const dup = await h.call('POST', '/api/v1/people', { body: { kind: 'visitor', name: 'Other', email: 'CAT@contractor.example' } });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ error: 'LANYARD_ERR_PERSON_EXISTS', field: 'email' });
    const list = await h.call('GET', '/api/v1/people?search=contractor&kind=contractor', { as: 'slt' });
    expect(list.json.total).toBe(1);
    expect(list.json.items[0].name).toBe('Cat Contractor');
  });
});

describe('/health and /metrics', () => {
  it('/health needs no token', async () => {
    const res = await h.call('GET', '/health', { as: null });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', radius: { authPort: h.daemon.authPort, acctPort: h.daemon.acctPort }, db: { ok: true } });
    expect(res.json.devices).toBe(h.daemon.runtime.cache.size);
  });

  it('/metrics exposes the RADIUS, cache, queue and API metrics in Prometheus text', async () => {
    await mab(h.daemon.authPort, '02-00-00-0F-FF-FF', 'DCPS');
    const res = await h.call('GET', '/metrics', { as: 'read-only' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of Object.values(METRIC_NAMES)) expect(res.text).toContain(`# TYPE ${name} `);
    expect(res.text).toMatch(/lanyard_radius_requests_total\{code="access-request",result="reject"\} [1-9]/);
    expect(res.text).toMatch(/lanyard_radius_rejects_total\{reason="unknown-device"\} [1-9]/);
    expect(res.text).toMatch(/lanyard_radius_dropped_total\{cause="unknown-nas"\} \d/);
    expect(res.text).toMatch(/lanyard_radius_decision_latency_seconds_bucket\{le="0\.001"\} \d/);
    expect(res.text).toMatch(/lanyard_radius_decision_latency_seconds_bucket\{le="\+Inf"\} [1-9]/);
    expect(res.text).toMatch(/lanyard_radius_decision_latency_seconds_count [1-9]/);
    expect(res.text).toMatch(/lanyard_cache_devices \d+/);
    expect(res.text).toMatch(/lanyard_accounting_write_lag_seconds \d/);
    expect(res.text).toMatch(/lanyard_event_queue_depth\{queue="decisions"\} \d/);
    expect(res.text).toMatch(/lanyard_api_requests_total\{method="POST",route="\/api\/v1\/devices",status="201"\} [1-9]/);
  });

  it('OpenAPI at /docs/json and Swagger UI at /docs', async () => {
    const doc = await h.call('GET', '/docs/json', { as: null });
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.0.3');
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(['/api/v1/devices', '/api/v1/devices/{mac}', '/api/v1/devices/import', '/api/v1/audit/who']));
    expect(doc.json.paths['/health'].get.security).toEqual([]);
    const ui = await h.call('GET', '/docs/', { as: null });
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
  });
});
