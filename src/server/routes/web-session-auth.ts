/**
 * The first-party web session at the HTTP edge (docs/decisions/0001 Contract 1): the
 * `signet_session` cookie (HttpOnly, SameSite=Lax, Path=/, Secure on https), `requireWebUser`
 * (a Fastify preHandler setting `request.webUser`, 401 otherwise) with the CSRF rule that every
 * state-changing request carries `X-Signet-Request: 1` (a header a cross-origin page cannot send
 * without a preflight, which Signet refuses: request-limits.ts), and the wire form of the errors
 * of the session and account routes.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { isSignetError } from '../../core/errors.js';
import type { WebSession, WebSessionService } from '../../auth/index.js';
import { replyStoreUnavailable } from '../store-unavailable.js';

/** The session cookie's name. */
export const sessionCookieName = 'signet_session';

/** The header every state-changing session request carries (value `1`). */
export const csrfHeaderName = 'x-signet-request';

/** What `requireWebUser` sets on the request. */
export interface WebUser {
  readonly userId: string;
  readonly username: string;
  readonly role: string;
  /** Hex SHA-256 of the cookie (names the session, is no credential). */
  readonly sessionId: string;
  /** When a second factor was last verified in this session (epoch ms), or null. */
  readonly secondFactorAt: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user of a web-session request (set by requireWebUser). */
    webUser?: WebUser;
    /** The whole session behind `webUser`. */
    webSession?: WebSession;
  }
  interface FastifyInstance {
    /** The web sessions (decorated by buildServer), read by requireWebUser. */
    signetWebSessions: WebSessionService;
  }
}

/** The value of the session cookie, if the request carries one. */
export function readSessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === sessionCookieName) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a new session (RFC 6265bis §4.1: HttpOnly, SameSite=Lax, Path=/, Secure on https). */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${sessionCookieName}=${token}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** Set-Cookie that removes the session cookie. */
export function clearSessionCookie(secure: boolean): string {
  return `${sessionCookieName}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** True for methods that change state (CSRF rule). */
export function isStateChanging(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
}

/** Refuses a state-changing request without `X-Signet-Request: 1` (403). Returns true when refused. */
export async function refuseWithoutCsrfHeader(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (!isStateChanging(request.method) || request.headers[csrfHeaderName] === '1') return false;
  await reply.code(403).send({ error: 'ERR_SESSION_CSRF', error_description: 'this request must carry the header X-Signet-Request: 1' });
  return true;
}

async function authenticate(request: FastifyRequest, reply: FastifyReply, allowEnrolment: boolean): Promise<void> {
  const session = await request.server.signetWebSessions.resolve(readSessionCookie(request));
  if (session === undefined) {
    await reply.code(401).send({ error: 'unauthenticated', error_description: 'sign in first' });
    return;
  }
  if (await refuseWithoutCsrfHeader(request, reply)) return;
  if (session.secondFactor === 'none' && !allowEnrolment) {
    await reply
      .code(403)
      .send({ error: 'ERR_SESSION_SECOND_FACTOR_REQUIRED', error_description: 'add a passkey or an authenticator app to your account first' });
    return;
  }
  request.webSession = session;
  request.webUser = {
    userId: session.userId,
    username: session.username,
    role: session.role,
    sessionId: session.sessionId,
    secondFactorAt: session.secondFactorAt,
  };
}

/**
 * Fastify preHandler: the request must carry a live session signed in with two factors (and, if
 * it changes state, `X-Signet-Request: 1`); sets `request.webUser`. 401 `unauthenticated` without
 * a session; 403 `ERR_SESSION_CSRF` without the header; 403 `ERR_SESSION_SECOND_FACTOR_REQUIRED`
 * for an enrolment-only session (a user who has no second factor yet).
 *
 * @example
 * ```ts
 * app.get('/me/credentials', { preHandler: requireWebUser }, async (request) => list(request.webUser!.userId));
 * ```
 */
export const requireWebUser: preHandlerAsyncHookHandler = async function requireWebUser(request, reply) {
  await authenticate(request, reply, false);
};

/** Like requireWebUser, but an enrolment-only session passes too (the account and session routes). */
export const requireWebUserOrEnrolment: preHandlerAsyncHookHandler = async function requireWebUserOrEnrolment(request, reply) {
  await authenticate(request, reply, true);
};

/** HTTP status of each code the session and account routes can meet. */
const statusOf: Readonly<Record<string, number>> = {
  ERR_AUTH_INVALID_CREDENTIALS: 401,
  ERR_AUTH_LOCKED: 401,
  ERR_AUTH_OTP_INVALID: 401,
  ERR_AUTH_OTP_REPLAYED: 401,
  ERR_AUTH_TOTP_NOT_ENROLLED: 400,
  ERR_AUTH_THROTTLED: 429,
  ERR_AUTH_SECRET_FORMAT: 500,
  ERR_AUTH_SECRET_BOX: 500,
  ERR_SESSION_INVALID: 401,
  ERR_SESSION_CSRF: 403,
  ERR_SESSION_SECOND_FACTOR_REQUIRED: 401,
  ERR_SESSION_PASSKEY_REQUIRED: 403,
  ERR_SESSION_PASSWORDLESS_DISABLED: 403,
  ERR_SESSION_STEP_UP_REQUIRED: 403,
  ERR_SESSION_LAST_FACTOR: 409,
  ERR_SESSION_FORBIDDEN: 403,
  ERR_WEBAUTHN_CONFIG: 500,
  ERR_WEBAUTHN_CREDENTIAL_EXISTS: 409,
  ERR_WEBAUTHN_TOO_MANY: 409,
  ERR_WEBAUTHN_PASSKEY_NOT_FOUND: 404,
  ERR_STORE_CONFLICT: 409,
  ERR_OIDC_NOT_CONFIGURED: 404,
  ERR_OIDC_DISCOVERY: 502,
  ERR_OIDC_USER_UNKNOWN: 403,
  ERR_OIDC_FIRST_FACTOR_INVALID: 401,
};

/**
 * The error handler of the session and account plugins: `{error: <stable code>,
 * error_description}` with the status of statusOf (WebAuthn refusals are 400: the response was
 * not acceptable), 503 for a retriable store failure, 500 (logged) for anything unexpected.
 */
export function sendWebError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const unavailable = replyStoreUnavailable(err, request, reply);
  if (unavailable !== undefined) return unavailable;
  if (isSignetError(err)) {
    const status = statusOf[err.code] ?? 400;
    if (status >= 500) request.log.error({ err }, 'web session request failed');
    else request.log.info({ code: err.code, detail: err.detail }, err.message);
    return reply
      .code(status)
      .send({ error: err.code, error_description: status >= 500 ? 'internal error' : err.message });
  }
  const e = err as { validation?: unknown; statusCode?: number; message?: string };
  if (e.validation !== undefined || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
    return reply.code(e.statusCode ?? 400).send({ error: 'invalid_request', error_description: e.message ?? 'invalid request' });
  }
  request.log.error({ err }, 'web session request failed');
  return reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
}
