/**
 * The CSC API over HTTP (CSC API v2 §7.2: every method is a POST with a JSON body): POST
 * /csc/v2/<method> and /csc/v1/<method>. Thin: parse, call the CscService, send its answer. JSON
 * only (415 otherwise), bounded bodies (413), malformed JSON → 400 invalid_request; every such
 * refusal is answered in the CSC error shape and audited, never a 500 with a stack.
 */
import { presentedThumbprint } from '../client-certificate.js';
import { MAX_JSON_DEPTH, jsonTooDeep } from '../../core/json-depth.js';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import { retryAfterSeconds } from '../readiness.js';
import { signHashBodySchema, signHashResponseSchema } from './csc-sign-hash-schema.js';
import {
  CscError,
  cscOperations,
  type CscRequestContext,
  type CscResponse,
  type CscService,
  type CscVersion,
} from '../../csc/index.js';

/** Options of the CSC plugin. */
export interface CscRoutesOptions {
  readonly csc: CscService;
  /** Largest JSON body of every method but signDoc (default 1 MiB: 1000 SHA-512 hashes fit). */
  readonly bodyLimit?: number;
  /** Largest signatures/signDoc body (default 64 MiB: Base64 PDF documents). */
  readonly documentBodyLimit?: number;
  /** Called when the server closes (stops signDoc's preparation workers). */
  readonly onClose?: () => Promise<void>;
}

const versions: readonly CscVersion[] = ['v2', 'v1'];

/** The methods that accept an `Idempotency-Key` (src/csc/idempotent-signing.ts). */
const idempotent = new Set(['signatures/signHash', 'signatures/signDoc']);

/** The header as documented in the OpenAPI document; its value is checked by the CSC service. */
const idempotencyKeyHeader = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      description:
        'draft-ietf-httpapi-idempotency-key-header: a retry with the same key and the same request returns the stored ' +
        'signatures without a new key operation; 1–255 characters of A-Z a-z 0-9 - . _ ~ : + / =, optionally quoted. ' +
        'Another request under the same key: 422; the first still in progress: 409 with Retry-After.',
    },
  },
} as const;

function context(request: FastifyRequest): CscRequestContext {
  const key = request.headers['idempotency-key'];
  return {
    authorization: request.headers.authorization,
    sourceAddress: request.ip,
    traceId: request.id,
    clientCertificateThumbprint: presentedThumbprint(request),
    // draft-ietf-httpapi-idempotency-key-header: repeated fields arrive joined with ", " and are refused.
    idempotencyKey: Array.isArray(key) ? key.join(', ') : key,
  };
}

function send(reply: FastifyReply, answer: CscResponse): FastifyReply {
  if (answer.status === 204 || answer.body === undefined) return reply.code(204).send();
  if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
  // RFC 9110 §15.6.4/§10.2.3: a temporarily unavailable service says when to come back (FLT-06).
  if (answer.status === 503) void reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
}

/** Which operation a route URL serves: `/csc/v2/signatures/signHash` → ['v2', 'signatures/signHash']. */
function routeOperation(url: string | undefined): [CscVersion, string] {
  const match = /^\/csc\/(v1|v2)\/(.+)$/.exec(url ?? '');
  return match === null ? ['v2', 'unknown'] : [match[1] as CscVersion, match[2] as string];
}

/** Framework refusals (before the service runs) in CSC terms. */
function transportError(err: FastifyError): CscError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CscError('ERR_CSC_BODY_TOO_LARGE', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CscError('ERR_CSC_UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json');
    default:
      break;
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new CscError('ERR_CSC_INVALID_REQUEST', 'The request body is malformed');
  }
  return new CscError('ERR_CSC_SERVER', 'Internal error', { cause: err });
}

/** Prototype poisoning (as Fastify's `onProtoPoisoning: 'error'`): such bodies are malformed. */
function refusePoisoning(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value)) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'The JSON body is malformed');
  }
  return value;
}

/**
 * Whether the text can name a poisoning key at all: a reviver makes JSON.parse several times
 * slower, so it runs only when `__proto__` or `constructor` appears literally or a `\u` escape
 * could spell one.
 */
function mayPoison(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
}

/**
 * The Fastify plugin (contract 3): registers every CSC method of both versions.
 *
 * @example
 * ```ts
 * await app.register(cscRoutes, { csc: createCscService(deps) });
 * ```
 */
export const cscRoutes: FastifyPluginAsync<CscRoutesOptions> = async (app, options) => {
  const { csc } = options;
  const onClose = options.onClose;
  if (onClose !== undefined) app.addHook('onClose', async () => onClose());
  // JSON only (CSC v2 §7.2): every other media type is refused with 415 by Fastify itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const body = typeof text === 'string' ? text : text.toString('utf8');
    // An empty body is an absent body (e.g. `info` without `lang`).
    if (body.trim() === '') return done(null, undefined);
    // DOS-15: nesting is bounded before parsing (recursive consumers would overflow the stack).
    if (jsonTooDeep(body)) return done(new CscError('ERR_CSC_INVALID_REQUEST', `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    try {
      done(null, JSON.parse(body, mayPoison(body) ? refusePoisoning : undefined) as unknown);
    } catch {
      done(new CscError('ERR_CSC_INVALID_REQUEST', 'The JSON body is malformed'), undefined);
    }
  });

  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const [version, operation] = routeOperation(request.routeOptions.url);
    const error = err instanceof CscError ? err : transportError(err);
    if (error.status >= 500 && error.status !== 501) request.log.error({ err }, 'CSC request failed');
    return send(reply, await csc.reject(version, operation, error, context(request)));
  });

  for (const version of versions) {
    for (const operation of cscOperations(version)) {
      const url = `/csc/${version}/${operation}`;
      const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
        const answer = await csc.handle(version, operation, request.body, context(request));
        // 501 (a method Signet does not implement) is the caller's choice, not a failure: info, no stack.
        if (answer.status === 501) request.log.info({ operation, code: (answer.error as CscError | undefined)?.code }, 'CSC method not implemented');
        else if (answer.status >= 500) request.log.error({ operation, err: answer.error }, 'CSC operation failed');
        else if (answer.error !== undefined) request.log.info({ operation, code: (answer.error as CscError).code }, 'CSC request refused');
        return send(reply, answer);
      };
      app.post(
        url,
        {
          bodyLimit:
            operation === 'signatures/signDoc'
              ? (options.documentBodyLimit ?? 64 * 1024 * 1024)
              : (options.bodyLimit ?? 1024 * 1024),
          schema: {
            summary: `CSC API ${version} ${operation}`,
            tags: [`csc-${version}`],
            ...(operation === 'info' ? {} : { security: operation === 'auth/login' ? [{ basic: [] }] : [{ bearer: [] }] }),
            ...(idempotent.has(operation) ? { headers: idempotencyKeyHeader } : {}),
            ...(operation === 'signatures/signHash' ? { body: signHashBodySchema, response: { 200: signHashResponseSchema } } : {}),
          },
          // Documentation-only schemas (csc-sign-hash-schema.ts): the CSC service checks the body and
          // shapes the answer; fastify neither validates the one nor filters the other.
          ...(operation === 'signatures/signHash' ? { validatorCompiler: () => () => true, serializerCompiler: () => (data: unknown) => JSON.stringify(data) } : {}),
        },
        handler,
      );
      // CSC v1.0.3.0's OpenAPI makes `info` a POST; some v1 clients send it as a GET: accept both.
      if (operation === 'info') app.get(url, { schema: { hide: true } }, handler);
    }
  }
  await Promise.resolve();
};
