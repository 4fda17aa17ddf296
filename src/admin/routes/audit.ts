/**
 * /api/v1/audit/* and /api/v1/sessions: the questions SLT asks (docs/api.md "Audit", the
 * SLT guide). Thin over src/audit/query.ts and the session repository; SLT only (R-14: these
 * answers are personal data). Times in and out are ISO 8601, UTC.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { deviceActivity, exportActivity, onNetwork, rejections, whoHad, MAX_PAGE, type ActivityQuery } from '../../audit/query.js';
import { LanyardError } from '../../errors.js';
import { parseExpiry } from '../../import/csv.js';
import { requireMac } from '../../store/devices.js';
import { MAX_SESSION_LIMIT, type SessionRecord } from '../../store/sessions.js';
import { ACCESS } from '../auth.js';
import { COMMON_ERRORS, ErrorSchema } from '../schemas.js';
import type { RouteContext } from '../server.js';

const tags = ['audit'];
const Err = Type.Ref(ErrorSchema);
const closed = { additionalProperties: false } as const;

const TimeInput = Type.String({
  minLength: 1,
  maxLength: 40,
  description: 'ISO 8601 date-time (no offset = UTC), or YYYY-MM-DD',
  examples: ['2025-03-04T09:15:00Z'],
});
const Period = {
  from: { ...TimeInput, description: 'start (inclusive); a date alone = the start of that day, UTC' },
  to: { ...TimeInput, description: 'end (exclusive); a date alone = the END of that day, UTC (to=2025-03-04 includes the 4th)' },
};
const MacQ = Type.String({ minLength: 1, maxLength: 64, description: 'a MAC in any format' });
const Person = Type.String({ minLength: 1, maxLength: 320, description: "the owner as recorded on the devices (name or email), any case" });
const Kind = Type.Union([Type.Literal('decision'), Type.Literal('session')], { description: 'only access decisions, or only sessions' });
const Limit = Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100 });
const After = Type.String({ minLength: 1, maxLength: 64, description: '`next` from the previous page' });

/** A documented, open object: its fields are listed for OpenAPI, any value passes through. */
function record(title: string, fields: Record<string, string>): TSchema {
  return Type.Object(
    Object.fromEntries(Object.entries(fields).map(([k, d]) => [k, Type.Unknown({ description: d })])),
    { title, additionalProperties: true },
  );
}

const Holder = record('IpHolder', {
  ip: 'the address asked about',
  at: 'the time asked about',
  mac: 'the device',
  owner: 'its owner at that time',
  className: 'its class at that time',
  label: 'its label at that time',
  registered: 'false: not in the registry then',
  network: 'network name',
  vlan: 'VLAN',
  apMac: 'access point MAC',
  ssid: 'SSID',
  sessionId: 'Acct-Session-Id',
  sessionRow: 'id for GET /api/v1/sessions/{id}',
  startedAt: 'session start',
  stoppedAt: 'session stop (null: still open)',
  heldFrom: 'address held from',
  heldUntil: 'address held until (null: still held)',
  source: 'accounting or dhcp',
});
const Activity = record('ActivityEvent', {
  at: 'time',
  kind: 'decision, session-start or session-stop',
  event: 'what happened, in words',
  reason: 'machine reason',
  reasonText: 'the reason in words',
  mac: 'device',
  owner: 'owner then',
  className: 'class then',
  ip: 'address (sessions)',
  apMac: 'access point',
  ssid: 'SSID',
  network: 'network',
  cursor: 'position (for paging)',
});
const Presence = record('NetworkPresence', {
  mac: 'device',
  owner: 'owner when first seen',
  className: 'class when first seen',
  firstSeen: 'first moment on it in the period',
  lastSeen: 'last moment on it in the period',
  connectedAtEnd: 'still connected at the end',
  sessions: 'number of sessions',
  ips: 'addresses it had',
  apMacs: 'access points',
});
const RejectionItem = record('Rejection', {
  at: 'time',
  mac: 'device',
  owner: 'owner then',
  reason: 'reject reason (docs/errors.md)',
  reasonText: 'the reason in words',
  apMac: 'access point',
  ssid: 'SSID',
  cursor: 'position (for paging)',
});
const Session = record('Session', {
  id: 'row id',
  nas: 'NAS name',
  sessionId: 'Acct-Session-Id',
  mac: 'device',
  userName: 'User-Name',
  apMac: 'access point',
  ssid: 'SSID',
  network: 'network',
  framedIp: 'latest Framed-IP-Address',
  startedAt: 'start',
  updatedAt: 'latest accounting record',
  stoppedAt: 'stop (null: open)',
  inputOctets: 'octets from the device',
  outputOctets: 'octets to the device',
  stopReason: 'stop, accounting-on, accounting-off or stale',
});

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** ISO text → epoch ms. A date alone is the start of the day, or (endOfDay) the end of it. */
export function timeInput(text: string, where: string, endOfDay = false): number {
  const at = parseExpiry(text);
  if (at === null) {
    throw new LanyardError('LANYARD_ERR_DATE_INVALID', `"${text}" is not an ISO 8601 date-time (or YYYY-MM-DD)`, { where });
  }
  return DATE_ONLY.test(text.trim()) && !endOfDay ? at - 86_400_000 : at;
}

function period(q: { from: string; to: string }): { from: number; to: number } {
  const from = timeInput(q.from, 'from');
  const to = timeInput(q.to, 'to', true);
  if (to <= from) throw new LanyardError('LANYARD_ERR_FIELD_INVALID', '"to" must be after "from"', { where: 'to' });
  return { from, to };
}

const TIME_FIELDS = new Set(['at', 'startedAt', 'stoppedAt', 'updatedAt', 'lastUpdateAt', 'heldFrom', 'heldUntil', 'firstSeen', 'lastSeen']);

/** Epoch-ms fields as ISO 8601. */
function withIsoTimes<T extends object>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = TIME_FIELDS.has(k) && typeof v === 'number' ? new Date(v).toISOString() : v;
  return out;
}

export function auditRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const db = ctx.db;

    app.get(
      '/audit/who',
      {
        config: { roles: ACCESS.audit },
        schema: {
          tags,
          summary: 'Who (device, owner, class, network, AP, session) held IP address X at time T?',
          querystring: Type.Object({ ip: Type.String({ minLength: 1, maxLength: 64 }), at: TimeInput }, closed),
          response: { 200: Type.Object({ holders: Type.Array(Holder) }), ...COMMON_ERRORS },
        },
      },
      async (request) => {
        const at = timeInput(request.query.at, 'at');
        return { holders: whoHad(db, request.query.ip, at).map(withIsoTimes) };
      },
    );

    app.get(
      '/audit/events',
      {
        config: { roles: ACCESS.audit },
        schema: {
          tags,
          summary: 'Everything a device or a person (or everyone) did between two times, a page at a time',
          querystring: Type.Object(
            { ...Period, mac: Type.Optional(MacQ), person: Type.Optional(Person), kind: Type.Optional(Kind), limit: Type.Optional(Limit), after: Type.Optional(After) },
            closed,
          ),
          response: { 200: Type.Object({ events: Type.Array(Activity), next: Type.Union([Type.String(), Type.Null()]) }), ...COMMON_ERRORS },
        },
      },
      async (request) => {
        const q = request.query;
        const page = deviceActivity(db, {
          ...period(q),
          ...(q.mac === undefined ? {} : { mac: requireMac(q.mac, 'mac') }),
          ...(q.person === undefined ? {} : { person: q.person }),
          ...(q.kind === undefined ? {} : { kind: q.kind }),
          limit: q.limit ?? 100,
          ...(q.after === undefined ? {} : { after: q.after }),
        });
        return { events: page.events.map(withIsoTimes), next: page.next };
      },
    );

    app.get(
      '/audit/network',
      {
        config: { roles: ACCESS.audit },
        schema: {
          tags,
          summary: 'Which devices were on a network, SSID or access point between two times?',
          querystring: Type.Object(
            {
              ...Period,
              network: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
              ssid: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
              ap: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'access point MAC' })),
            },
            closed,
          ),
          response: { 200: Type.Object({ devices: Type.Array(Presence) }), ...COMMON_ERRORS },
        },
      },
      async (request) => {
        const q = request.query;
        const devices = onNetwork(db, {
          ...period(q),
          ...(q.network === undefined ? {} : { network: q.network }),
          ...(q.ssid === undefined ? {} : { ssid: q.ssid }),
          ...(q.ap === undefined ? {} : { apMac: q.ap }),
        });
        return { devices: devices.map(withIsoTimes) };
      },
    );

    app.get(
      '/audit/rejections',
      {
        config: { roles: ACCESS.audit },
        schema: {
          tags,
          summary: 'Rejected attempts (unknown devices, lost devices ...) in a period',
          querystring: Type.Object(
            {
              ...Period,
              reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'one reason, or several separated by commas' })),
              mac: Type.Optional(MacQ),
              limit: Type.Optional(Limit),
              after: Type.Optional(After),
            },
            closed,
          ),
          response: { 200: Type.Object({ rejections: Type.Array(RejectionItem), next: Type.Union([Type.String(), Type.Null()]) }), ...COMMON_ERRORS },
        },
      },
      async (request) => {
        const q = request.query;
        const page = rejections(db, {
          ...period(q),
          ...(q.reason === undefined ? {} : { reason: q.reason.split(',').map((r) => r.trim()).filter((r) => r !== '') }),
          ...(q.mac === undefined ? {} : { mac: requireMac(q.mac, 'mac') }),
          limit: q.limit ?? 100,
          ...(q.after === undefined ? {} : { after: q.after }),
        });
        return { rejections: page.rejections.map(withIsoTimes), next: page.next };
      },
    );

    app.get(
      '/audit/export',
      {
        config: { roles: ACCESS.audit },
        schema: {
          tags,
          summary: 'Export activity as CSV (readable column headers) or JSON lines, streamed',
          produces: ['text/csv', 'application/x-ndjson'],
          querystring: Type.Object(
            {
              ...Period,
              format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'csv' })),
              mac: Type.Optional(MacQ),
              person: Type.Optional(Person),
              kind: Type.Optional(Kind),
            },
            closed,
          ),
          response: { 200: Type.String(), ...COMMON_ERRORS },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const format = q.format ?? 'csv';
        const query: ActivityQuery = {
          ...period(q),
          ...(q.mac === undefined ? {} : { mac: requireMac(q.mac, 'mac') }),
          ...(q.person === undefined ? {} : { person: q.person }),
          ...(q.kind === undefined ? {} : { kind: q.kind }),
        };
        const chunks = exportActivity(db, query, format);
        // Pull the first chunk now, so that a bad query is a 400 and not a broken stream.
        const first = chunks.next();
        const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 10);
        void reply
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="lanyard-activity-${stamp(query.from)}-${stamp(query.to)}.${format === 'csv' ? 'csv' : 'jsonl'}"`);
        const body = Readable.from(
          (function* () {
            if (first.done !== true) yield first.value;
            yield* chunks;
          })(),
        );
        // A stream is sent as is (the 200 schema only documents the text for OpenAPI).
        return reply.send(body as unknown as string);
      },
    );

    const sessions = ctx.sessions;
    if (sessions === undefined) return;
    const sessionDto = (s: SessionRecord) => withIsoTimes(s);

    app.get(
      '/sessions',
      {
        config: { roles: ACCESS.audit },
        schema: {
          tags,
          summary: 'Sessions, live (open=true) or past, newest first',
          querystring: Type.Object(
            {
              open: Type.Optional(Type.Boolean()),
              mac: Type.Optional(MacQ),
              ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              from: Type.Optional(Period.from),
              to: Type.Optional(Period.to),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SESSION_LIMIT, default: 100 })),
              offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
            },
            closed,
          ),
          response: { 200: Type.Object({ items: Type.Array(Session), open: Type.Integer({ description: 'sessions open now' }) }), ...COMMON_ERRORS },
        },
      },
      async (request) => {
        const q = request.query;
        const items = sessions.list({
          ...(q.open === undefined ? {} : { open: q.open }),
          ...(q.mac === undefined ? {} : { mac: requireMac(q.mac, 'mac') }),
          ...(q.ip === undefined ? {} : { ip: q.ip }),
          ...(q.from === undefined ? {} : { from: timeInput(q.from, 'from') }),
          ...(q.to === undefined ? {} : { to: timeInput(q.to, 'to', true) }),
          limit: q.limit ?? 100,
          offset: q.offset ?? 0,
        });
        return { items: items.map(sessionDto), open: sessions.countOpen() };
      },
    );

    app.get(
      '/sessions/:id',
      {
        config: { roles: ACCESS.audit },
        schema: {
          tags,
          summary: 'One session',
          params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, closed),
          response: { 200: Session, ...COMMON_ERRORS, 404: Err },
        },
      },
      async (request) => {
        const s = sessions.get(request.params.id);
        if (s === undefined) throw new LanyardError('LANYARD_ERR_SESSION_NOT_FOUND', `no session has id ${request.params.id}`, { where: 'id' });
        return sessionDto(s);
      },
    );
  };
}
