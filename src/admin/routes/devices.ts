/**
 * /api/v1/devices: the device registry (docs/api.md "Devices"). Reads for every role that
 * may see the registry; writes for ict-admin. Every write goes through the device repository
 * (history + audit, actor `api:<token name>`), then into the RADIUS cache at once.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { LanyardError } from '../../errors.js';
import { runImport } from '../../import/worker.js';
import type { DeviceStatus } from '../../policy/model.js';
import { requireMac } from '../../store/devices.js';
import type { DeviceRecord } from '../../store/types.js';
import { ACCESS, principalOf } from '../auth.js';
import {
  COMMON_ERRORS,
  DeviceList,
  DeviceListQuery,
  DevicePatchBody,
  DeviceSchema,
  ErrorSchema,
  HistorySchema,
  ImportQuery,
  ImportReportSchema,
  MacParams,
  NewDeviceBody,
  OptionalReasonBody,
  ReasonBody,
  RetireQuery,
} from '../schemas.js';
import type { RouteContext } from '../server.js';
import { deviceDto, expiryInput, historyDto, requireClass } from './common.js';

const tags = ['devices'];
const Device = Type.Ref(DeviceSchema);
const Err = Type.Ref(ErrorSchema);

export function deviceRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  const { devices } = ctx;

  const load = (macText: string): DeviceRecord => {
    const mac = requireMac(macText, 'mac');
    const d = devices.get(mac);
    if (d === undefined) throw new LanyardError('LANYARD_ERR_DEVICE_NOT_FOUND', `${mac} is not registered`, { where: 'mac' });
    return d;
  };

  return async (app) => {
    app.get(
      '/devices',
      {
        config: { roles: ACCESS.registryRead },
        schema: {
          tags,
          summary: 'List devices (search, filters, paging)',
          querystring: DeviceListQuery,
          response: { 200: DeviceList, ...COMMON_ERRORS },
        },
      },
      async (request) => {
        const q = request.query;
        const filter = {
          ...(q.search === undefined ? {} : { search: q.search }),
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.class === undefined ? {} : { className: q.class }),
          ...(q.owner === undefined ? {} : { owner: q.owner }),
        };
        const items = devices.list({ ...filter, limit: q.limit ?? 100, offset: q.offset ?? 0 }).map(deviceDto);
        return { items, total: devices.count(filter) };
      },
    );

    app.post(
      '/devices',
      {
        config: { roles: ACCESS.registryWrite },
        schema: {
          tags,
          summary: 'Register a device',
          body: NewDeviceBody,
          response: { 201: Device, ...COMMON_ERRORS, 409: Err },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const who = principalOf(request);
        const at = ctx.now();
        const mac = requireMac(b.mac, 'mac');
        const d = devices.add(
          {
            mac,
            className: requireClass(b.class, ctx.classes()),
            owner: b.owner ?? null,
            label: b.label ?? null,
            expiresAt: expiryInput(b.expires, at) ?? null,
            source: 'api',
          },
          who.actor,
          at,
          request.ip,
        );
        ctx.afterDeviceWrite();
        void reply.code(201).header('location', `${request.url.replace(/\/$/, '')}/${d.mac}`);
        return deviceDto(d);
      },
    );

    app.get(
      '/devices/:mac',
      {
        config: { roles: ACCESS.registryRead },
        schema: { tags, summary: 'One device', params: MacParams, response: { 200: Device, ...COMMON_ERRORS, 404: Err } },
      },
      async (request) => deviceDto(load(request.params.mac)),
    );

    app.patch(
      '/devices/:mac',
      {
        config: { roles: ACCESS.registryWrite },
        schema: {
          tags,
          summary: 'Change class, owner, label or expiry (status changes have their own routes)',
          params: MacParams,
          body: DevicePatchBody,
          response: { 200: Device, ...COMMON_ERRORS, 404: Err },
        },
      },
      async (request) => {
        const current = load(request.params.mac);
        const b = request.body;
        const at = ctx.now();
        const expiresAt = expiryInput(b.expires, at);
        const d = devices.update(
          current.mac,
          {
            ...(b.class === undefined ? {} : { className: requireClass(b.class, ctx.classes()) }),
            ...(b.owner === undefined ? {} : { owner: b.owner }),
            ...(b.label === undefined ? {} : { label: b.label }),
            ...(expiresAt === undefined ? {} : { expiresAt }),
          },
          principalOf(request).actor,
          at,
          request.ip,
        );
        ctx.afterDeviceWrite();
        return deviceDto(d);
      },
    );

    app.delete(
      '/devices/:mac',
      {
        config: { roles: ACCESS.registryWrite },
        schema: {
          tags,
          summary: 'Retire a device (kept for the record; cannot be undone or re-added)',
          description:
            'A device is never erased: the record and its history stay, so that SLT can still say whose device held ' +
            'an address in the past (R-10). Retiring ends its access at once and for good (R-11).',
          params: MacParams,
          querystring: RetireQuery,
          response: { 200: Device, ...COMMON_ERRORS, 404: Err },
        },
      },
      async (request) => {
        const current = load(request.params.mac);
        if (current.status === 'retired') return deviceDto(current);
        const d = devices.setStatus(current.mac, 'retired', request.query.reason ?? null, principalOf(request).actor, ctx.now(), request.ip);
        ctx.afterDeviceWrite();
        return deviceDto(d);
      },
    );

    const statusRoute = (verb: string, to: DeviceStatus, summary: string, reasonRequired: boolean, from?: readonly DeviceStatus[]): void => {
      app.post(
        `/devices/:mac/${verb}`,
        {
          config: { roles: ACCESS.registryWrite },
          schema: {
            tags,
            summary,
            params: MacParams,
            body: reasonRequired ? ReasonBody : OptionalReasonBody,
            response: { 200: Device, ...COMMON_ERRORS, 404: Err, 409: Err },
          },
        },
        async (request) => {
          const current = load(request.params.mac);
          if (from !== undefined && !from.includes(current.status)) {
            throw new LanyardError(
              'LANYARD_ERR_DEVICE_STATE',
              `${current.mac} is ${current.status}; ${verb} applies only to a device that is ${from.join(' or ')}`,
              { where: 'status' },
            );
          }
          const reason = (request.body as { reason?: string } | undefined)?.reason ?? null;
          const d = devices.setStatus(current.mac, to, reason, principalOf(request).actor, ctx.now(), request.ip);
          ctx.afterDeviceWrite();
          return deviceDto(d);
        },
      );
    };
    statusRoute('block', 'blocked', 'Block a device at once (R-5)', true);
    statusRoute('lost', 'lost', 'Report a device lost or stolen (R-4): refused at once, attempts alert', true);
    statusRoute('unblock', 'active', 'Return a blocked or lost device to active', false, ['blocked', 'lost']);

    app.get(
      '/devices/:mac/history',
      {
        config: { roles: ACCESS.registryRead },
        schema: {
          tags,
          summary: "A device's full change history (who, when, the record after each change)",
          params: MacParams,
          response: { 200: HistorySchema, ...COMMON_ERRORS, 404: Err },
        },
      },
      async (request) => {
        const mac = requireMac(request.params.mac, 'mac');
        const items = devices.history(mac);
        if (items.length === 0 && devices.get(mac) === undefined) {
          throw new LanyardError('LANYARD_ERR_DEVICE_NOT_FOUND', `${mac} is not registered`, { where: 'mac' });
        }
        return { items: items.map(historyDto) };
      },
    );

    app.post(
      '/devices/import',
      {
        config: { roles: ACCESS.registryWrite },
        bodyLimit: ctx.api.importBodyLimit,
        schema: {
          tags,
          summary: 'Import devices from CSV (Lanyard columns, Intune, Jamf Pro or an asset register)',
          description:
            'Body: the CSV file as text/csv. `dryRun=true` checks and reports without changing anything. ' +
            'Otherwise any invalid row means nothing is imported (400 with the report) unless `validOnly=true`. ' +
            'Exports without a class column (intune, jamf, asset-register) need `class`. See docs/api.md "Import column mapping".',
          consumes: ['text/csv'],
          querystring: ImportQuery,
          body: Type.String({ description: 'the CSV file' }),
          response: { 200: Type.Ref(ImportReportSchema), ...COMMON_ERRORS, 409: Err, 413: Err, 415: Err },
        },
      },
      async (request) => {
        const q = request.query;
        const at = ctx.now();
        // Parsing and the all-or-nothing transaction run in a worker thread with its own
        // connection: a 50,000-row file takes seconds and must not stall RADIUS meanwhile.
        const outcome = await runImport({
          database: ctx.db.name,
          text: request.body,
          classes: [...ctx.classes()],
          now: at,
          format: q.format ?? 'auto',
          ...(q.class === undefined ? {} : { className: q.class }),
          mode: q.dryRun === true ? 'dry-run' : q.validOnly === true ? 'valid-only' : 'all-or-nothing',
          actor: principalOf(request).actor,
          source: request.ip,
        });
        const report = {
          dryRun: q.dryRun === true,
          format: outcome.format,
          mapping: outcome.mapping.map((m) => ({ header: m.header, field: m.field })),
          unknownColumns: [...outcome.unknownColumns],
          valid: outcome.validRows,
          invalid: new Set(outcome.errors.map((e) => e.line)).size,
          imported: outcome.imported,
          errors: outcome.errors.map((e) => (e.column === undefined ? { line: e.line, message: e.message } : { line: e.line, column: e.column, message: e.message })),
        };
        if (report.dryRun) return report;
        if (outcome.errors.length > 0 && (q.validOnly !== true || !outcome.headerOk)) {
          const first = outcome.errors[0]!;
          const err = new LanyardError(
            'LANYARD_ERR_CSV_INVALID',
            `${report.invalid} invalid row${report.invalid === 1 ? '' : 's'} (first: line ${first.line}${first.column === undefined ? '' : `, ${first.column}`}: ${first.message}); nothing imported` +
              (outcome.validRows > 0 ? ' — fix them, or add validOnly=true to import the valid rows' : ''),
            { where: `line ${first.line}` },
          );
          throw Object.assign(err, { report });
        }
        if (report.imported > 0) await ctx.afterBulkDeviceWrite();
        return report;
      },
    );
  };
}
