/**
 * The external two-phase signing API (issue 16 §3; src/csc/external-signing.ts): for credentials
 * enrolled from a CSR, whose key the owner holds. `POST /api/v1/external-signatures/prepare` answers
 * the DTBS to sign, `POST /api/v1/external-signatures/complete` takes the signature value and
 * answers the signed PDF. CSC bearer tokens (auth/login or OAuth, RFC 6750 §2.1) and CSC error
 * bodies, as on /csc/v2.
 */
import { presentedThumbprint } from '../client-certificate.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  completeExternalSignature,
  prepareExternalSignature,
  toCscError,
  type CscRequestContext,
  type ExternalSigningDeps,
} from '../../csc/index.js';

/** Options of the plugin. */
export interface ExternalSigningRoutesOptions {
  readonly deps: ExternalSigningDeps;
  /** Largest request body (the PDF travels as Base64 in JSON); default 96 MiB. */
  readonly bodyLimit?: number;
}

function context(request: FastifyRequest): CscRequestContext {
  return {
    authorization: request.headers.authorization,
    sourceAddress: request.ip,
    traceId: request.id,
    clientCertificateThumbprint: presentedThumbprint(request),
  };
}

const body = (required: readonly string[]) =>
  ({
    type: 'object',
    required,
    properties: {
      credentialID: { type: 'string', maxLength: 255 },
      document: { type: 'string', description: 'the PDF, Base64' },
      reason: { type: 'string', maxLength: 256 },
      location: { type: 'string', maxLength: 256 },
      state: { type: 'string', description: 'the state phase one answered' },
      signature: {
        type: 'string',
        maxLength: 4096,
        description: 'the raw signature value over the DTBS, Base64',
      },
    },
  }) as const;

/** Registers the two routes; mount with `{ prefix: '/api/v1' }`. */
export const externalSigningRoutes: FastifyPluginAsync<ExternalSigningRoutesOptions> = async (
  app,
  options,
) => {
  const { deps } = options;
  const bodyLimit = options.bodyLimit ?? 96 * 1024 * 1024;
  app.setErrorHandler(async (err, request, reply) => {
    const error = toCscError(err, 'v2');
    if (error.status >= 500) request.log.error({ err }, 'external signature failed');
    return reply.code(error.status).send(error.toBody());
  });
  app.post(
    '/external-signatures/prepare',
    {
      bodyLimit,
      schema: {
        summary: 'Prepare a PDF for a key held by its owner: answers the DTBS to sign',
        tags: ['external-signing'],
        security: [{ bearer: [] }],
        body: body(['credentialID', 'document']),
      },
    },
    async (request) => prepareExternalSignature(deps, request.body, context(request), {}),
  );
  app.post(
    '/external-signatures/complete',
    {
      bodyLimit,
      schema: {
        summary: "Embed the key holder's signature value (checked against the certificate first)",
        tags: ['external-signing'],
        security: [{ bearer: [] }],
        body: body(['credentialID', 'document', 'state', 'signature']),
      },
    },
    async (request) => completeExternalSignature(deps, request.body, context(request), {}),
  );
  await Promise.resolve();
};
