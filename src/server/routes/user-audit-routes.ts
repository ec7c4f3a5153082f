/**
 * The user API under /api/v1: a user reads their own audit trail (docs/security.md AUD-10, AC-03) with
 * the bearer access token CSC auth/login or the OAuth2 token endpoint issued (RFC 6750 §2.1,
 * header only). Only entries whose actor is the token's user are ever read; another user's entry
 * is answered exactly like a missing one (404). The web app's session cookie is accepted too (reads only). Each entry comes with its hash and previous hash
 * (a verifiable extract: src/audit/audit-extract.ts); the MAC key never leaves the server.
 */
import { presentedThumbprint } from '../client-certificate.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import {
  appendFailureAudit,
  findUserAuditEntry,
  listUserAuditExtract,
  maxAuditExtractPage,
  type AuditExtractEntry,
} from '../../audit/index.js';
import { verifyAccessToken } from '../../auth/index.js';
import type { Services } from '../services.js';
import { replyStoreUnavailable } from '../store-unavailable.js';
import { readSessionCookie } from './web-session-auth.js';

/** Options of the user API plugin. */
export interface UserAuditRoutesOptions {
  readonly services: Pick<Services, 'store' | 'clock' | 'audit' | 'webSessions'>;
}

/** The prefix the plugin is registered under. */
export const userApiPrefix = '/api/v1';

/** The hash recipe named in every answer, so a holder knows how to recompute the entry hashes. */
const extractFormat = {
  entryHash: 'signet-audit-entry-v1',
  description:
    'hash = SHA-256(UTF-8(JSON.stringify(["signet-audit-entry-v1", seq, nodeId, occurredAt, type, outcome, actorUserId, actorClientId, subject, sourceAddress, traceId, details, prevHash]))); an entry links to the one before it when its prevHash equals that entry\'s hash',
} as const;

const nullableString = { type: 'string', nullable: true } as const;

const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['seq', 'nodeId', 'occurredAt', 'type', 'outcome', 'actorUserId', 'actorClientId', 'subject', 'sourceAddress', 'traceId', 'details', 'prevHash', 'hash'],
  properties: {
    seq: { type: 'integer' },
    nodeId: { type: 'string' },
    occurredAt: { type: 'integer', description: 'epoch milliseconds' },
    type: { type: 'string' },
    outcome: { type: 'string', enum: ['success', 'failure'] },
    actorUserId: nullableString,
    actorClientId: nullableString,
    subject: nullableString,
    sourceAddress: nullableString,
    traceId: nullableString,
    details: { type: 'string', description: 'canonical JSON text, as hashed' },
    prevHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
} as const;

const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

const formatSchema = {
  type: 'object',
  required: ['entryHash', 'description'],
  properties: { entryHash: { type: 'string' }, description: { type: 'string' } },
} as const;

const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

declare module 'fastify' {
  interface FastifyRequest {
    /** The user of an authenticated user-API request. */
    apiUserId?: string;
  }
}

/**
 * The user API's authentication as a preHandler: the web session cookie, else a bearer access
 * token of an active user; sets `request.apiUserId`. RFC 6750 §3.1: a missing or bad token is 401
 * invalid_token with a Bearer challenge, audited (aggregated, DOS-20).
 */
export function userApiAuthentication(services: UserAuditRoutesOptions['services']): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    // docs/decisions/0001 Contract 1: the web app reads the same trail with its session cookie.
    if (header === undefined && readSessionCookie(request) !== undefined) {
      const session = await services.webSessions.resolve(readSessionCookie(request));
      if (session !== undefined) {
        request.apiUserId = session.userId;
        return;
      }
    }
    const token = typeof header === 'string' ? bearerPattern.exec(header.trim())?.[1] : undefined;
    const info = token === undefined ? undefined : await verifyAccessToken(services.store.db, token, services.clock.now().getTime(), presentedThumbprint(request));
    if (info?.userId != null && info.userActive) {
      request.apiUserId = info.userId;
      return;
    }
    await appendFailureAudit(
      services.store,
      {
        type: 'api.auth',
        outcome: 'failure',
        ...(info !== undefined ? { actorClientId: info.clientId } : {}),
        sourceAddress: request.ip,
        traceId: request.id,
        details: { reason: token === undefined ? 'missing' : info === undefined ? 'invalid' : 'no-active-user', path: request.routeOptions.url ?? '' },
      },
      services.audit,
    );
    await reply
      .code(401)
      .header('www-authenticate', `Bearer realm="signet"${token === undefined ? '' : ', error="invalid_token"'}`)
      .send({ error: 'invalid_token', error_description: 'a valid user access token is required' });
  };
}

/** The user API; register with `{ prefix: userApiPrefix }`. */
export const userAuditRoutes: FastifyPluginAsync<UserAuditRoutesOptions> = async (app, { services }) => {
  const requireUser = userApiAuthentication(services);

  app.setErrorHandler((err, request, reply) => {
    const unavailable = replyStoreUnavailable(err, request, reply, 'temporarily_unavailable');
    if (unavailable !== undefined) return unavailable;
    const e = err as { validation?: unknown; statusCode?: number; message?: string };
    if (e.validation !== undefined || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
      return reply.code(e.statusCode ?? 400).send({ error: 'invalid_request', error_description: e.message ?? 'invalid request' });
    }
    request.log.error({ err }, 'user API request failed');
    return reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
  });

  app.get<{ Querystring: { afterSeq?: number; limit?: number; beforeSeq?: number } }>(
    '/me/audit',
    {
      preHandler: requireUser,
      schema: {
        summary: "The caller's own audit entries, oldest first (with beforeSeq: newest first, before it), with their hashes (a verifiable extract)",
        tags: ['user'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            afterSeq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: maxAuditExtractPage, default: 100 },
            beforeSeq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'newest first, strictly before this sequence number (the first page: the largest safe integer)' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['entries', 'nextAfterSeq', 'format'],
            properties: {
              entries: { type: 'array', items: entrySchema },
              nextAfterSeq: { type: 'integer', nullable: true, description: 'afterSeq of the next page; null on the last page (and with beforeSeq)' },
              nextBeforeSeq: { type: 'integer', nullable: true, description: 'with beforeSeq: beforeSeq of the next (older) page; null on the last page' },
              format: formatSchema,
            },
          },
          400: errorSchema,
          401: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (request) => {
      const userId = request.apiUserId as string;
      const limit = request.query.limit ?? 100;
      const beforeSeq = request.query.beforeSeq;
      const entries: readonly AuditExtractEntry[] = await listUserAuditExtract(services.store.db, userId, {
        afterSeq: request.query.afterSeq ?? 0,
        limit,
        ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      });
      const last = entries[entries.length - 1];
      const more = entries.length === limit && last !== undefined ? last.seq : null;
      if (beforeSeq !== undefined) return { entries, nextAfterSeq: null, nextBeforeSeq: more, format: extractFormat };
      return { entries, nextAfterSeq: more, format: extractFormat };
    },
  );

  app.get<{ Params: { seq: number } }>(
    '/me/audit/:seq',
    {
      preHandler: requireUser,
      schema: {
        summary: "One of the caller's own audit entries (404 for a missing or another user's entry)",
        tags: ['user'],
        security: [{ bearer: [] }],
        params: {
          type: 'object',
          required: ['seq'],
          properties: { seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
        },
        response: {
          200: {
            type: 'object',
            required: ['entry', 'format'],
            properties: { entry: entrySchema, format: formatSchema },
          },
          400: errorSchema,
          401: errorSchema,
          404: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const entry = await findUserAuditEntry(services.store.db, request.apiUserId as string, request.params.seq);
      // docs/security.md AC-03: another user's entry is indistinguishable from a missing one.
      if (entry === undefined) return reply.code(404).send({ error: 'not_found', error_description: 'no such audit entry' });
      return { entry, format: extractFormat };
    },
  );
  await Promise.resolve();
};
