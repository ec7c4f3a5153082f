/**
 * The signature transparency log's HTTP surface (issue 21; docs/transparency.md): its latest
 * signed tree head, its public key, RFC 9162 §2.1 inclusion and consistency proofs (public, under
 * the /api limits), and `GET /api/v1/me/signatures`, the signed-in person's own signatures with
 * their leaf and an inclusion proof against the latest head.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type {} from '@fastify/swagger';
import { findSignedDocumentsByHash, listBatchReceiptHashes, listUserLogLeaves, type Db, type LogLeafRow } from '../../store/index.js';
import {
  latestTreeHead,
  logEntryFormat,
  proveConsistency,
  proveInclusion,
  proveInclusions,
  treeHeadToJson,
  TransparencyError,
  type LogEntry,
  type LogSigner,
} from '../../transparency/index.js';
import type { Services } from '../services.js';
import { replyStoreUnavailable } from '../store-unavailable.js';
import { userApiAuthentication } from './user-audit-routes.js';

/** Options of the plugin. */
export interface TransparencyRoutesOptions {
  readonly services: Pick<Services, 'store' | 'clock' | 'audit' | 'webSessions'> & {
    readonly transparency: { readonly signer: () => Promise<LogSigner> };
  };
}

/** Largest page of GET /me/signatures. */
export const maxSignaturesPage = 100;

const tags = ['transparency'];
const base64 = { type: 'string', description: 'base64' } as const;
const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;
const treeHeadSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['treeSize', 'timestamp', 'rootHash', 'signature', 'keyId'],
  description: 'RFC 9162 §4.10 TreeHeadDataV2 (TLS-encoded, no extensions) signed with the log key (ECDSA P-256, SHA-256, DER signature)',
  properties: {
    treeSize: { type: 'integer', minimum: 0 },
    timestamp: { type: 'integer', description: 'epoch milliseconds' },
    rootHash: base64,
    signature: base64,
    keyId: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 of the log key SubjectPublicKeyInfo' },
  },
} as const;
const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['credentialId', 'certificateSerial', 'hashAlgorithmOid', 'dtbsHash', 'signedAt', 'clientId', 'sadId', 'traceId'],
  properties: {
    credentialId: { type: 'string' },
    certificateSerial: { type: 'string' },
    hashAlgorithmOid: { type: 'string' },
    dtbsHash: base64,
    signedAt: { type: 'integer', description: 'epoch milliseconds' },
    clientId: { type: 'string' },
    sadId: { type: 'string', description: 'hex SHA-256 of the SAD' },
    traceId: { type: 'string', nullable: true },
  },
} as const;
const documentSchema = {
  type: 'object',
  nullable: true,
  additionalProperties: false,
  required: ['jobId', 'documentId', 'name', 'hasReceipt'],
  description: "the web app's signed document this signature belongs to (null: signed through the CSC API, or the job is gone)",
  properties: {
    jobId: { type: 'string' },
    documentId: { type: 'string' },
    name: { type: 'string' },
    hasReceipt: { type: 'boolean', description: 'GET /api/v1/jobs/{jobId}/documents/{documentId}/receipt answers its batch receipt' },
  },
} as const;
const nonNegative = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

function entryOf(row: LogLeafRow): LogEntry {
  return {
    credentialId: row.credential_id,
    certificateSerial: row.certificate_serial,
    hashAlgorithmOid: row.hash_algorithm_oid,
    dtbsHash: row.dtbs_hash,
    signedAt: row.signed_at,
    clientId: row.client_id,
    sadId: row.sad_id,
    traceId: row.trace_id,
  };
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A signed job document, as `document` of a listed signature. */
interface DocumentOfSignature {
  readonly jobId: string;
  readonly documentId: string;
  readonly name: string;
  readonly hasReceipt: boolean;
}

/**
 * The web app's documents signed by these leaves, by DTBS/R hash, with whether each has a batch
 * receipt (as job-service's documentReceipt finds it: a job signed through this Signet, a receipt
 * for that hash under the job's credential).
 */
async function documentsOf(db: Db, userId: string, rows: readonly LogLeafRow[]): Promise<Map<string, DocumentOfSignature>> {
  const hashes = [...new Set(rows.map((r) => r.dtbs_hash))];
  const docs = await findSignedDocumentsByHash(db, userId, hashes);
  const receipts = await listBatchReceiptHashes(db, userId, [...new Set(docs.map((d) => d.dtbs_hash))].map((h) => new Uint8Array(Buffer.from(h, 'base64'))));
  const held = new Set(receipts.map((r) => `${b64(r.hash)} ${r.credential_id}`));
  const out = new Map<string, DocumentOfSignature>();
  for (const d of docs) {
    const hasReceipt = d.provider_credential === null && held.has(`${d.dtbs_hash} ${d.credential_id}`);
    const key = `${d.dtbs_hash} ${d.credential_id}`;
    const seen = out.get(key);
    // A hash signed twice under one credential (rare): keep the document with a receipt.
    if (seen === undefined || (!seen.hasReceipt && hasReceipt)) out.set(key, { jobId: d.job_id, documentId: d.id, name: d.name, hasReceipt });
  }
  return out;
}

function replyTransparencyError(err: TransparencyError, reply: FastifyReply): FastifyReply {
  if (err.code === 'ERR_TRANSPARENCY_NO_TREE_HEAD') return reply.code(404).send({ error: 'not_found', error_description: err.message });
  if (err.code === 'ERR_TRANSPARENCY_RANGE') return reply.code(400).send({ error: 'invalid_request', error_description: err.message });
  // The log's own tables failing (ERR_TRANSPARENCY_LOG_INCOMPLETE) or a code of another part.
  return reply.code(500).send({ error: 'server_error', error_description: err.message });
}

/** The plugin; register with `{ prefix: '/api/v1' }`. */
export const transparencyRoutes: FastifyPluginAsync<TransparencyRoutesOptions> = async (app, { services }) => {
  const db = services.store.db;
  app.setErrorHandler((err, request, reply) => {
    const unavailable = replyStoreUnavailable(err, request, reply, 'temporarily_unavailable');
    if (unavailable !== undefined) return unavailable;
    if (err instanceof TransparencyError) {
      if (err.code === 'ERR_TRANSPARENCY_LOG_INCOMPLETE') request.log.error({ code: err.code, detail: err.detail }, err.message);
      return replyTransparencyError(err, reply);
    }
    const e = err as { validation?: unknown; statusCode?: number; message?: string };
    if (e.validation !== undefined || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
      return reply.code(e.statusCode ?? 400).send({ error: 'invalid_request', error_description: e.message ?? 'invalid request' });
    }
    request.log.error({ err }, 'transparency request failed');
    return reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
  });

  app.get(
    '/transparency/sth',
    { schema: { summary: 'The latest signed tree head of the signature transparency log', tags, response: { 200: treeHeadSchema, 404: errorSchema, 429: errorSchema } } },
    async () => treeHeadToJson(await latestTreeHead(db)),
  );

  app.get(
    '/transparency/key',
    {
      schema: {
        summary: "The log key that signs the tree heads (SubjectPublicKeyInfo)",
        tags,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['keyId', 'algorithm', 'publicKey', 'pem'],
            properties: {
              keyId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
              algorithm: { type: 'string', enum: ['ecdsa-p256-sha256'] },
              publicKey: { type: 'string', description: 'base64 DER SubjectPublicKeyInfo' },
              pem: { type: 'string' },
            },
          },
          429: errorSchema,
        },
      },
    },
    async () => {
      const signer = await services.transparency.signer();
      const der = b64(signer.publicKey);
      const pem = `-----BEGIN PUBLIC KEY-----\n${der.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PUBLIC KEY-----\n`;
      return { keyId: signer.keyId, algorithm: 'ecdsa-p256-sha256', publicKey: der, pem };
    },
  );

  app.get<{ Querystring: { leafIndex: number; treeSize: number } }>(
    '/transparency/proof/inclusion',
    {
      schema: {
        summary: 'RFC 9162 §2.1.3.1 inclusion proof of a leaf in the tree of treeSize leaves (at most the latest head\'s size)',
        tags,
        querystring: { type: 'object', additionalProperties: false, required: ['leafIndex', 'treeSize'], properties: { leafIndex: nonNegative, treeSize: nonNegative } },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['leafIndex', 'treeSize', 'auditPath'],
            properties: { leafIndex: { type: 'integer' }, treeSize: { type: 'integer' }, auditPath: { type: 'array', items: base64 } },
          },
          400: errorSchema,
          404: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (request) => {
      const { leafIndex, treeSize } = request.query;
      return { leafIndex, treeSize, auditPath: (await proveInclusion(db, leafIndex, treeSize)).map(b64) };
    },
  );

  app.get<{ Querystring: { first: number; second: number } }>(
    '/transparency/proof/consistency',
    {
      schema: {
        summary: 'RFC 9162 §2.1.4.1 consistency proof between the trees of first and second leaves',
        tags,
        querystring: { type: 'object', additionalProperties: false, required: ['first', 'second'], properties: { first: nonNegative, second: nonNegative } },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['first', 'second', 'consistency'],
            properties: { first: { type: 'integer' }, second: { type: 'integer' }, consistency: { type: 'array', items: base64 } },
          },
          400: errorSchema,
          404: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (request) => {
      const { first, second } = request.query;
      return { first, second, consistency: (await proveConsistency(db, first, second)).map(b64) };
    },
  );

  app.get<{ Querystring: { before?: number; limit?: number } }>(
    '/me/signatures',
    {
      preHandler: userApiAuthentication(services),
      schema: {
        summary: "The caller's own signatures in the transparency log, newest first, each with its inclusion proof against the latest tree head",
        tags: ['user', ...tags],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            before: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'the nextBefore of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: maxSignaturesPage, default: 50 },
          },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['treeHead', 'signatures', 'nextBefore', 'format'],
            properties: {
              treeHead: { ...treeHeadSchema, nullable: true },
              signatures: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['leafIndex', 'leafHash', 'entry', 'auditPath', 'document'],
                  properties: {
                    document: documentSchema,
                    leafIndex: { type: 'integer', nullable: true, description: 'null until the next tree head sequences the leaf' },
                    leafHash: base64,
                    entry: entrySchema,
                    auditPath: { type: 'array', nullable: true, items: base64, description: 'inclusion proof against treeHead; null while pending' },
                  },
                },
              },
              nextBefore: { type: 'integer', nullable: true },
              format: { type: 'string', description: 'the leaf encoding (docs/transparency.md)' },
            },
          },
          400: errorSchema,
          401: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await listUserLogLeaves(db, request.apiUserId as string, {
        limit,
        ...(request.query.before !== undefined ? { beforeId: request.query.before } : {}),
      });
      const head = await latestTreeHead(db).catch((err: unknown) => {
        if (err instanceof TransparencyError && err.code === 'ERR_TRANSPARENCY_NO_TREE_HEAD') return undefined;
        throw err;
      });
      const included = head === undefined ? [] : rows.filter((r) => r.leaf_index !== null && r.leaf_index < head.treeSize);
      const paths = head === undefined ? [] : await proveInclusions(db, included.map((r) => r.leaf_index as number), head.treeSize);
      const pathOf = new Map(included.map((r, i) => [r.id, paths[i] ?? []]));
      const documents = await documentsOf(db, request.apiUserId as string, rows);
      const last = rows[rows.length - 1];
      return {
        treeHead: head === undefined ? null : treeHeadToJson(head),
        signatures: rows.map((r) => {
          const path = pathOf.get(r.id);
          return {
            leafIndex: path === undefined ? null : r.leaf_index,
            leafHash: b64(r.leaf_hash),
            entry: entryOf(r),
            auditPath: path === undefined ? null : path.map(b64),
            document: documents.get(`${r.dtbs_hash} ${r.credential_id}`) ?? null,
          };
        }),
        nextBefore: rows.length === limit && last !== undefined ? last.id : null,
        format: logEntryFormat,
      };
    },
  );
  await Promise.resolve();
};
