/**
 * One answer for a retriable database failure on every surface (docs/security.md FLT-06/08/09/21): a
 * lost connection, a lock wait or a full disk is 503 with Retry-After (RFC 9110 §15.6.4,
 * §10.2.3), never a 500 with a stack.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { retriableStoreError } from '../store/index.js';
import { retryAfterSeconds } from './readiness.js';

/**
 * Sends 503 + Retry-After when `err` is a retriable store failure and returns the reply; returns
 * undefined for any other error. `wireError` replaces the store code in the body (OAuth 2.0 and the
 * user API answer `temporarily_unavailable`, RFC 6749 §4.1.2.1).
 */
export function replyStoreUnavailable(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  wireError?: string,
): FastifyReply | undefined {
  const failure = retriableStoreError(err);
  if (failure === undefined) return undefined;
  request.log.warn({ code: failure.code, err: failure.cause ?? failure }, failure.message);
  return reply
    .code(503)
    .header('retry-after', String(retryAfterSeconds))
    .send({ error: wireError ?? failure.code, error_description: failure.message });
}
