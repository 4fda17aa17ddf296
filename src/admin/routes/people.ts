/**
 * /api/v1/people (docs/api.md "People"): staff, pupils, visitors, contractors; the date the
 * acceptable-use statement came back; marking someone left retires their devices.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { PersonPatch } from '../../store/people.js';
import { ACCESS, principalOf } from '../auth.js';
import {
  COMMON_ERRORS,
  ErrorSchema,
  NewPersonBody,
  PersonDetail,
  PersonIdParams,
  PersonList,
  PersonListQuery,
  PersonPatchBody,
  PersonSchema,
} from '../schemas.js';
import type { RouteContext } from '../server.js';
import { pastDateInput, personDto } from './common.js';

const tags = ['people'];
const Err = Type.Ref(ErrorSchema);

export function peopleRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  const { people } = ctx;
  return async (app) => {
    app.get(
      '/people',
      {
        config: { roles: ACCESS.registryRead },
        schema: { tags, summary: 'List people (search, filters, paging)', querystring: PersonListQuery, response: { 200: PersonList, ...COMMON_ERRORS } },
      },
      async (request) => {
        const q = request.query;
        const filter = {
          ...(q.search === undefined ? {} : { search: q.search }),
          ...(q.kind === undefined ? {} : { kind: q.kind }),
          ...(q.status === undefined ? {} : { status: q.status }),
        };
        return { items: people.list({ ...filter, limit: q.limit ?? 100, offset: q.offset ?? 0 }).map(personDto), total: people.count(filter) };
      },
    );

    app.post(
      '/people',
      {
        config: { roles: ACCESS.registryWrite },
        schema: { tags, summary: 'Add a person', body: NewPersonBody, response: { 201: Type.Ref(PersonSchema), ...COMMON_ERRORS, 409: Err } },
      },
      async (request, reply) => {
        const b = request.body;
        const who = principalOf(request);
        const at = ctx.now();
        const p = people.add(
          { kind: b.kind, name: b.name, email: b.email ?? null, aupReturnedAt: pastDateInput(b.aupReturnedAt, 'aupReturnedAt') ?? null },
          who.actor,
          at,
          request.ip,
        );
        void reply.code(201).header('location', `${request.url.replace(/\/$/, '')}/${p.id}`);
        return personDto(p);
      },
    );

    app.get(
      '/people/:id',
      {
        config: { roles: ACCESS.registryRead },
        schema: { tags, summary: 'One person and the devices they own', params: PersonIdParams, response: { 200: PersonDetail, ...COMMON_ERRORS, 404: Err } },
      },
      async (request) => {
        const p = people.require(request.params.id);
        return { person: personDto(p), devices: people.ownedDevices(p) };
      },
    );

    app.patch(
      '/people/:id',
      {
        config: { roles: ACCESS.registryWrite },
        schema: {
          tags,
          summary: 'Change a person; status "left" retires all their devices (R-11)',
          params: PersonIdParams,
          body: PersonPatchBody,
          response: { 200: PersonDetail, ...COMMON_ERRORS, 404: Err, 409: Err },
        },
      },
      async (request) => {
        const b = request.body;
        const who = principalOf(request);
        const at = ctx.now();
        const before = people.require(request.params.id);
        const aup = pastDateInput(b.aupReturnedAt, 'aupReturnedAt');
        const patch: PersonPatch = {
          ...(b.kind === undefined ? {} : { kind: b.kind }),
          ...(b.name === undefined ? {} : { name: b.name }),
          ...(b.email === undefined ? {} : { email: b.email }),
          ...(aup === undefined ? {} : { aupReturnedAt: aup }),
          ...(b.status === undefined ? {} : { status: b.status }),
        };
        const { person, retired } = people.update(before.id, patch, who.actor, at, request.ip);
        if (retired.length > 0) ctx.afterDeviceWrite();
        return { person: personDto(person), devices: people.ownedDevices(person), retiredDevices: retired };
      },
    );
  };
}
