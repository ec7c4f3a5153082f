/** GET /healthz: the database answers and every key backend reports healthy (503 otherwise). */
import type { FastifyPluginAsync } from 'fastify';
import type {} from '@fastify/swagger';
import { readAuditHead } from '../../store/index.js';
import type { Services } from '../services.js';

/** Options of the health plugin. */
export interface HealthRoutesOptions {
  readonly services: Pick<Services, 'store' | 'backends'>;
}

/** The health endpoint (no secrets, no details beyond ok/not ok per dependency). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = (app, { services }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness and readiness: database and key backends',
        tags: ['operations'],
        response: {
          200: { $ref: 'Health#' },
          503: { $ref: 'Health#' },
        },
      },
    },
    async (_request, reply) => {
      let database = true;
      try {
        await readAuditHead(services.store.db);
      } catch {
        database = false;
      }
      const keys: Record<string, boolean> = {};
      for (const [kind, backend] of services.backends) {
        try {
          keys[kind] = (await backend.health()).ok;
        } catch {
          keys[kind] = false;
        }
      }
      const ok = database && Object.values(keys).every(Boolean);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', database, keys });
    },
  );
  return Promise.resolve();
};

/** The JSON schema of the health answer (registered once with app.addSchema). */
export const healthSchema = {
  $id: 'Health',
  type: 'object',
  required: ['status', 'database', 'keys'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    database: { type: 'boolean' },
    keys: { type: 'object', additionalProperties: { type: 'boolean' } },
  },
} as const;
