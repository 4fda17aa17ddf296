/**
 * Request and response schemas of the admin API (TypeBox = JSON Schema): fastify validates
 * requests and serialises responses with them, and @fastify/swagger turns them into the
 * OpenAPI document at /docs/json. Request objects are closed (additionalProperties: false):
 * an unknown field is a 400 naming it, never silently dropped.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DEVICE_STATUSES } from '../policy/model.js';
import { IMPORT_FORMATS } from '../import/mapping.js';
import { PERSON_KINDS, PERSON_STATUSES } from '../store/people.js';

const closed = { additionalProperties: false } as const;

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const IsoTime = Type.String({ description: 'ISO 8601 date-time, UTC', examples: ['2025-09-01T08:15:00.000Z'] });
/** Input dates: "YYYY-MM-DD" or an ISO 8601 date-time (see docs/cli.md "Dates"). */
const DateInput = Type.String({
  minLength: 1,
  maxLength: 40,
  description: 'YYYY-MM-DD or an ISO 8601 date-time (no offset = UTC)',
  examples: ['2026-07-18'],
});

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'a LANYARD_ERR_* code (docs/errors.md)', examples: ['LANYARD_ERR_FIELD_INVALID'] }),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: 'the field, parameter or header at fault' })),
    report: Type.Optional(Type.Unknown({ description: 'the import report (POST /devices/import only)' })),
  },
  { $id: 'Error', title: 'Error' },
);

/** Error responses every authenticated route may give. */
export const COMMON_ERRORS = {
  400: Type.Ref(ErrorSchema),
  401: Type.Ref(ErrorSchema),
  403: Type.Ref(ErrorSchema),
  429: Type.Ref(ErrorSchema),
} as const;

export const Mac = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'a MAC address in any of: aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff, aabbccddeeff',
  examples: ['aa:bb:cc:dd:ee:01'],
});
export const MacParams = Type.Object({ mac: Mac }, closed);

const Owner = Type.String({ maxLength: 200, description: 'the person the device belongs to (their email address matches people for R-11)' });
const Label = Type.String({ maxLength: 500, description: 'asset tag, model, room ...' });
const ClassName = Type.String({ minLength: 1, maxLength: 100, description: 'a device class from the configuration' });
const Reason = Type.String({ minLength: 1, maxLength: 500 });

export const DeviceSchema = Type.Object(
  {
    mac: Type.String({ examples: ['AA-BB-CC-DD-EE-01'] }),
    class: Type.String(),
    owner: Nullable(Type.String()),
    label: Nullable(Type.String()),
    status: Type.Union(DEVICE_STATUSES.map((s) => Type.Literal(s))),
    statusReason: Nullable(Type.String()),
    expires: Nullable(IsoTime),
    source: Type.String(),
    createdAt: IsoTime,
    createdBy: Type.String(),
    updatedAt: IsoTime,
    updatedBy: Type.String(),
  },
  { $id: 'Device', title: 'Device' },
);
export type DeviceDto = Static<typeof DeviceSchema>;

export const DeviceListQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 200, description: 'substring of MAC, owner or label' })),
    status: Type.Optional(Type.Union(DEVICE_STATUSES.map((s) => Type.Literal(s)))),
    class: Type.Optional(ClassName),
    owner: Type.Optional(Type.String({ maxLength: 200, description: 'exact owner' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
  },
  closed,
);

export const DeviceList = Type.Object({ items: Type.Array(Type.Ref(DeviceSchema)), total: Type.Integer() });

export const NewDeviceBody = Type.Object(
  {
    mac: Mac,
    class: ClassName,
    owner: Type.Optional(Nullable(Owner)),
    label: Type.Optional(Nullable(Label)),
    expires: Type.Optional(Nullable(DateInput)),
  },
  closed,
);

export const DevicePatchBody = Type.Object(
  {
    class: Type.Optional(ClassName),
    owner: Type.Optional(Nullable(Owner)),
    label: Type.Optional(Nullable(Label)),
    expires: Type.Optional(Nullable(DateInput)),
  },
  { ...closed, minProperties: 1 },
);

export const ReasonBody = Type.Object({ reason: Reason }, closed);
export const OptionalReasonBody = Type.Object({ reason: Type.Optional(Reason) }, closed);
export const RetireQuery = Type.Object({ reason: Type.Optional(Reason) }, closed);

export const HistorySchema = Type.Object({
  items: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      op: Type.String({ examples: ['create', 'update', 'status'] }),
      at: IsoTime,
      actor: Type.String({ examples: ['api:ict-jo', 'cli:jo'] }),
      device: Type.Ref(DeviceSchema),
    }),
  ),
});

const Bool = Type.Boolean({ default: false });
export const ImportQuery = Type.Object(
  {
    dryRun: Type.Optional(Bool),
    validOnly: Type.Optional(Bool),
    format: Type.Optional(Type.Union(IMPORT_FORMATS.map((f) => Type.Literal(f)), { default: 'auto' })),
    class: Type.Optional(ClassName),
  },
  closed,
);

export const ImportReportSchema = Type.Object(
  {
    dryRun: Type.Boolean(),
    format: Nullable(Type.String()),
    mapping: Type.Array(Type.Object({ header: Type.String(), field: Type.String() })),
    unknownColumns: Type.Array(Type.String()),
    valid: Type.Integer({ description: 'rows without a problem' }),
    invalid: Type.Integer({ description: 'rows (or the header) with at least one problem' }),
    imported: Type.Integer(),
    errors: Type.Array(
      Type.Object({ line: Type.Integer(), column: Type.Optional(Type.String()), message: Type.String() }),
    ),
  },
  { $id: 'ImportReport', title: 'ImportReport' },
);

export const PersonSchema = Type.Object(
  {
    id: Type.Integer(),
    kind: Type.Union(PERSON_KINDS.map((k) => Type.Literal(k))),
    name: Type.String(),
    email: Nullable(Type.String()),
    aupReturnedAt: Nullable(IsoTime),
    status: Type.Union(PERSON_STATUSES.map((s) => Type.Literal(s))),
    leftAt: Nullable(IsoTime),
    createdAt: IsoTime,
    createdBy: Type.String(),
    updatedAt: IsoTime,
    updatedBy: Type.String(),
  },
  { $id: 'Person', title: 'Person' },
);

export const PersonDetail = Type.Object({
  person: Type.Ref(PersonSchema),
  devices: Type.Array(Type.String(), { description: 'MACs of the devices this person owns (not retired)' }),
  retiredDevices: Type.Optional(Type.Array(Type.String(), { description: 'MACs retired by this change (marking the person left)' })),
});

export const PersonIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, closed);

export const PersonListQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 200, description: 'substring of name or email' })),
    kind: Type.Optional(Type.Union(PERSON_KINDS.map((k) => Type.Literal(k)))),
    status: Type.Optional(Type.Union(PERSON_STATUSES.map((s) => Type.Literal(s)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
  },
  closed,
);

export const PersonList = Type.Object({ items: Type.Array(Type.Ref(PersonSchema)), total: Type.Integer() });

const Email = Type.String({ maxLength: 320 });
export const NewPersonBody = Type.Object(
  {
    kind: Type.Union(PERSON_KINDS.map((k) => Type.Literal(k))),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Nullable(Email)),
    aupReturnedAt: Type.Optional(Nullable(DateInput)),
  },
  closed,
);

export const PersonPatchBody = Type.Object(
  {
    kind: Type.Optional(Type.Union(PERSON_KINDS.map((k) => Type.Literal(k)))),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    email: Type.Optional(Nullable(Email)),
    aupReturnedAt: Type.Optional(Nullable(DateInput)),
    status: Type.Optional(Type.Union(PERSON_STATUSES.map((s) => Type.Literal(s)), { description: 'left: retires all their devices (R-11)' })),
  },
  { ...closed, minProperties: 1 },
);

export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  radius: Type.Object({ authPort: Type.Integer(), acctPort: Type.Integer() }),
  devices: Type.Integer({ description: 'devices in the decision cache' }),
  db: Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) }),
});

/** Shared schemas registered with app.addSchema (referenced by $id). */
export const SHARED_SCHEMAS = [ErrorSchema, DeviceSchema, PersonSchema, ImportReportSchema] as const;
