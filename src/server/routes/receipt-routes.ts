/**
 * Batch receipts over HTTP (issue 21): `GET /api/v1/transparency/receipt-key` publishes the key
 * that signs receipts — the transparency log's ECDSA P-256 key — as PEM (what `signet receipt
 * verify --service` fetches), and
 * `GET /api/v1/me/receipts?hash=BASE64` answers the caller's own receipts for a DTBS/R hash —
 * the CSC-level download for any client that signed through signHash (the hash is what it sent).
 * Another user's receipt is answered exactly like a missing one (404).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type {} from '@fastify/swagger';
import { findBatchReceiptsByHash } from '../../store/index.js';
import { RECEIPT_FIELDS, transparencyPublicKeyFromSpki, type LogSigner } from '../../transparency/index.js';
import type { Services } from '../services.js';
import { replyStoreUnavailable } from '../store-unavailable.js';
import { userApiAuthentication } from './user-audit-routes.js';

/** Options of the receipt routes. */
export interface ReceiptRoutesOptions {
  readonly services: Pick<Services, 'store' | 'clock' | 'audit' | 'webSessions'> & {
    readonly transparency: { readonly signer: () => Promise<LogSigner> };
  };
}

const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

const receiptSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...RECEIPT_FIELDS],
  properties: {
    type: { type: 'string', enum: ['signet-batch-receipt-v1'] },
    hash: { type: 'string', description: 'base64 DTBS/R hash that was signed' },
    hashAlgorithmOID: { type: 'string' },
    leafIndex: { type: 'integer', minimum: 0 },
    batchSize: { type: 'integer', minimum: 1 },
    batchRoot: {
      type: 'string',
      description: 'base64 RFC 9162 §2.1.1 root of the approved, ordered batch',
    },
    proof: {
      type: 'array',
      items: { type: 'string' },
      description: 'RFC 9162 §2.1.3.1 audit path, base64, leaf upwards',
    },
    sadId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    credentialID: { type: 'string' },
    signedAt: { type: 'string', format: 'date-time' },
    keyId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    signature: {
      type: 'string',
      description:
        "base64 DER ECDSA P-256 signature (the log key's) over SHA-256 of the other fields as sorted-key JSON",
    },
  },
} as const;

/** The receipt routes; register with `{ prefix: '/api/v1' }`. */
export const receiptRoutes: FastifyPluginAsync<ReceiptRoutesOptions> = async (
  app,
  { services },
) => {
  // The user API's one authentication (user-audit-routes.ts): the web session cookie, else a
  // bearer access token of an active user (RFC 6750 §2.1); a refusal is 401 and audited.
  const requireUser = userApiAuthentication(services);

  app.setErrorHandler((err, request, reply: FastifyReply) => {
    const unavailable = replyStoreUnavailable(err, request, reply, 'temporarily_unavailable');
    if (unavailable !== undefined) return unavailable;
    const e = err as { validation?: unknown; statusCode?: number; message?: string };
    if (
      e.validation !== undefined ||
      (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    ) {
      return reply
        .code(e.statusCode ?? 400)
        .send({ error: 'invalid_request', error_description: e.message ?? 'invalid request' });
    }
    request.log.error({ err }, 'receipt request failed');
    return reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
  });

  app.get(
    '/transparency/receipt-key',
    {
      schema: {
        summary:
          "The key that signs batch receipts (the transparency log's ECDSA P-256 key), as SubjectPublicKeyInfo PEM",
        tags: ['transparency'],
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['keyId', 'algorithm', 'pem'],
            properties: {
              keyId: {
                type: 'string',
                pattern: '^[0-9a-f]{64}$',
                description: 'hex SHA-256 of the SubjectPublicKeyInfo DER',
              },
              algorithm: { type: 'string', enum: ['ecdsa-p256-sha256'] },
              pem: { type: 'string' },
            },
          },
        },
      },
    },
    async () => {
      const key = transparencyPublicKeyFromSpki((await services.transparency.signer()).publicKey);
      return { keyId: key.keyId, algorithm: key.algorithm, pem: key.publicKeyPem };
    },
  );

  app.get<{ Querystring: { hash: string } }>(
    '/me/receipts',
    {
      preHandler: requireUser,
      schema: {
        summary:
          "The caller's receipts for one signed DTBS/R hash (issue 21, docs/transparency.md)",
        tags: ['user'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['hash'],
          properties: {
            hash: {
              type: 'string',
              pattern: '^[A-Za-z0-9+/]{43}=$|^[A-Za-z0-9+/]{64}$|^[A-Za-z0-9+/]{86}==$',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['receipts'],
            properties: { receipts: { type: 'array', items: receiptSchema } },
          },
          400: errorSchema,
          401: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const rows = await findBatchReceiptsByHash(
        services.store.db,
        request.apiUserId as string,
        new Uint8Array(Buffer.from(request.query.hash, 'base64')),
      );
      if (rows.length === 0)
        return reply
          .code(404)
          .send({ error: 'not_found', error_description: 'no receipt for this hash' });
      return { receipts: rows.map((r) => JSON.parse(r.receipt) as unknown) };
    },
  );
};
