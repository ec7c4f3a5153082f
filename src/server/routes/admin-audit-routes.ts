/**
 * `GET /admin/v1/audit/verify`: the `signet audit verify` check over the admin API, for the web
 * app's Administration page (issue 13, journey 5). It recomputes every entry hash, the chain
 * links, the sequence, each entry's HMAC and the HMAC'd head on one consistent snapshot of the
 * live log (docs/security.md AUD-01…05; src/audit/verify-audit-log.ts). The MAC key never leaves the
 * server; the answer holds the verdict, the counts and at most 20 problems. Registered inside the
 * admin plugin's authenticated scope (admin bearer token or an admin's web session).
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { verifyAuditStore } from '../../audit/index.js';
import type { Services } from '../services.js';

const reportSchema = {
  type: 'object',
  required: ['ok', 'entries', 'lastSeq', 'problems', 'checkedAt'],
  properties: {
    ok: { type: 'boolean' },
    entries: { type: 'integer' },
    lastSeq: { type: 'integer' },
    checkedAt: { type: 'integer', description: 'epoch ms' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'seq', 'message'],
        properties: { kind: { type: 'string' }, seq: { type: 'integer' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** Adds the route to the admin plugin's authenticated scope. */
export function registerAdminAuditRoutes(
  scoped: FastifyInstance,
  services: Pick<Services, 'store' | 'auditKey' | 'clock'>,
  security: readonly Record<string, readonly string[]>[],
): void {
  scoped.get(
    '/audit/verify',
    {
      schema: {
        summary: 'Verifies the whole audit log (hashes, chain, sequence, HMACs, head), as `signet audit verify` does',
        tags: ['admin'],
        security: security as Record<string, string[]>[],
        response: { 200: reportSchema },
      },
    },
    async () => {
      const report = await verifyAuditStore(services.store, services.auditKey, { maxProblems: 20 });
      return { ok: report.ok, entries: report.entries, lastSeq: report.lastSeq, problems: report.problems, checkedAt: services.clock.now().getTime() };
    },
  );
}
