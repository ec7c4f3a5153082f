/**
 * The OpenAPI description of `signatures/signHash` (CSC API v2 §11.10) with Signet's extension
 * parameters and answers: `signet_key` (issue 16: which of the credential's keys signs),
 * `signet_batchProofs` (issue 21: each hash's RFC 9162 §2.1.3.1 inclusion proof in the approved
 * batch, docs/transparency.md) and `signet_receipts`. Documentation only: the CSC service checks
 * the body itself and refuses it with the CSC error of §10 (csc/request-params.ts), so the route
 * gives fastify a validator that accepts everything instead of a second, differently worded check,
 * and a plain JSON serializer instead of one that would drop what the schema does not list.
 */
import { RECEIPT_FIELDS } from '../../transparency/index.js';

const base64 = { type: 'string', description: 'base64' } as const;

/** The request body (every parameter optional here: the CSC service says which are missing). */
export const signHashBodySchema = {
  type: 'object',
  description:
    'CSC API v2 §11.10 signatures/signHash; the CSC service checks every parameter (CSC errors, §10)',
  properties: {
    credentialID: { type: 'string' },
    SAD: { type: 'string' },
    hashes: { type: 'array', items: base64 },
    hashAlgorithmOID: { type: 'string' },
    signAlgo: { type: 'string' },
    signAlgoParams: { type: 'string' },
    operationMode: { type: 'string', enum: ['S'] },
    clientData: { type: 'string' },
    signet_key: {
      type: 'string',
      description:
        'Signet extension (issue 16): the hex serial of the certificate whose key signs, or "any"',
    },
    signet_batchProofs: {
      type: 'array',
      description:
        'Signet extension (issue 21, docs/transparency.md): for each entry of hashes, its place in the approved batch and its ' +
        'RFC 9162 §2.1.3.1 audit path (leaf upwards); each must lead to the batch root the SAD binds. Required past ' +
        'SIGNET_BATCH_EXACT_LIST_MAX approved hashes.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['leafIndex', 'proof'],
        properties: {
          leafIndex: { type: 'integer', minimum: 0 },
          proof: {
            type: 'array',
            maxItems: 32,
            items: { type: 'string', description: 'base64 SHA-256' },
          },
        },
      },
    },
  },
} as const;

/** The 200 answer. */
export const signHashResponseSchema = {
  type: 'object',
  required: ['signatures'],
  properties: {
    signatures: { type: 'array', items: base64 },
    signet_key: {
      type: 'object',
      description:
        'Signet extension (issue 16): the certificate whose key signed (serial, chain leaf first)',
      properties: {
        serialNumber: { type: 'string' },
        certificates: { type: 'array', items: base64 },
      },
    },
    signet_receipts: {
      type: 'array',
      description:
        "Signet extension (issue 21): each signed hash's batch receipt, in the order of hashes, when the SAD binds a batch " +
        'root; a replay under the same Idempotency-Key answers the same receipts',
      items: { type: 'object', required: [...RECEIPT_FIELDS] },
    },
  },
} as const;
