/** /health (no token) and /metrics (any token): for monitoring (docs/api.md "Health and metrics"). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ACCESS } from '../auth.js';
import { COMMON_ERRORS, HealthSchema } from '../schemas.js';
import type { RouteContext } from '../server.js';

const tags = ['system'];

export function systemRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/health',
      {
        config: { roles: ACCESS.public },
        schema: {
          tags,
          summary: 'Liveness and readiness (no token needed)',
          description: '200 when the database answers; 503 ("degraded") when it does not. Says nothing about devices or people.',
          response: { 200: HealthSchema, 503: HealthSchema },
        },
      },
      async (_request, reply) => {
        let db: { ok: boolean; error?: string } = { ok: true };
        try {
          ctx.db.prepare('SELECT 1').get();
        } catch (e) {
          db = { ok: false, error: (e as Error).message };
        }
        const ports = ctx.radiusPorts();
        const status = db.ok ? 'ok' : 'degraded';
        void reply.code(db.ok ? 200 : 503);
        return { status, radius: { authPort: ports.authPort, acctPort: ports.acctPort }, devices: ctx.runtime()?.cache.size ?? 0, db } as const;
      },
    );

    app.get(
      '/metrics',
      {
        config: { roles: ACCESS.metrics },
        schema: {
          tags,
          summary: 'Prometheus metrics (text exposition format 0.0.4)',
          produces: ['text/plain'],
          response: { 200: Type.String(), ...COMMON_ERRORS },
        },
      },
      async (_request, reply) => {
        void reply.type(ctx.metrics.registry.contentType);
        return ctx.metrics.registry.metrics();
      },
    );
  };
}
