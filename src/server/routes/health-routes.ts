/**
 * Health endpoints: GET /healthz (database and key backends, 503 otherwise; kept for existing
 * probes), GET /health/live (liveness: the process answers) and GET /health/ready (readiness: not
 * draining, database and key backends answer within the probe timeout; 503 otherwise).
 */
import type { FastifyPluginAsync } from 'fastify';
import type {} from '@fastify/swagger';
import { readAuditHead } from '../../store/index.js';
import type { Readiness } from '../readiness.js';
import type { Services } from '../services.js';

/** Options of the health plugin. */
export interface HealthRoutesOptions {
  readonly services: Pick<Services, 'store' | 'backends'>;
  readonly readiness: Readiness;
}

/** The health endpoint (no secrets, no details beyond ok/not ok per dependency). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = (app, { services, readiness }) => {
  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process answers HTTP (no dependency is probed)',
        tags: ['operations'],
        response: { 200: { $ref: 'Liveness#' } },
      },
    },
    () => ({ status: 'ok' }),
  );
  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: not draining, database and key backends answer (503 otherwise)',
        tags: ['operations'],
        response: { 200: { $ref: 'Readiness#' }, 503: { $ref: 'Readiness#' } },
      },
    },
    async (_request, reply) => {
      const report = await readiness.check();
      return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ok' : 'unavailable', ...report });
    },
  );
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

/** The JSON schema of the liveness answer. */
export const livenessSchema = {
  $id: 'Liveness',
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok'] } },
} as const;

/** The JSON schema of the readiness answer. */
export const readinessSchema = {
  $id: 'Readiness',
  type: 'object',
  required: ['status', 'ready', 'draining', 'database', 'audit', 'keys'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    ready: { type: 'boolean' },
    starting: { type: 'boolean' },
    draining: { type: 'boolean' },
    database: { type: 'boolean' },
    audit: { type: 'boolean' },
    keys: { type: 'object', additionalProperties: { type: 'boolean' } },
  },
} as const;
