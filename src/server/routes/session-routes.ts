/**
 * The web session routes under /api/v1 (docs/decisions/0001 Contract 1): sign in with password +
 * TOTP or password + passkey (or a discoverable passkey alone when `SIGNET_PASSWORDLESS=1`), read
 * the session, sign out. Every POST/DELETE carries `X-Signet-Request: 1` (login CSRF included).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import type { CreatedWebSession } from '../../auth/index.js';
import type { Services } from '../services.js';
import {
  clearSessionCookie,
  refuseWithoutCsrfHeader,
  requireWebUserOrEnrolment,
  sendWebError,
  sessionCookie,
} from './web-session-auth.js';

/** Options of the session plugin. */
export interface SessionRoutesOptions {
  readonly services: Pick<Services, 'webLogin' | 'webSessions' | 'baseUrl' | 'passkeys'>;
  /** How often ended sessions and expired WebAuthn challenges are deleted (default 10 minutes; 0: never). */
  readonly housekeepingMs?: number;
}

export const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

const userSchema = {
  type: 'object',
  required: ['id', 'username', 'role'],
  properties: { id: { type: 'string' }, username: { type: 'string' }, role: { type: 'string', enum: ['user', 'admin'] } },
} as const;

const sessionSchema = {
  type: 'object',
  required: ['user', 'secondFactor', 'secondFactorAt', 'expiresAt'],
  properties: {
    user: userSchema,
    secondFactor: { type: 'string', enum: ['totp', 'passkey', 'none'], description: '`none`: no second factor enrolled yet (enrolment only)' },
    secondFactorAt: { type: 'integer', nullable: true, description: 'epoch ms of the last second factor in this session' },
    expiresAt: { type: 'integer', description: 'epoch ms of the absolute end' },
  },
} as const;

/** A PublicKeyCredential as @simplewebauthn/browser returns it (checked in depth by the PasskeyService). */
export const credentialResponseSchema = {
  type: 'object',
  required: ['id', 'rawId', 'type', 'response'],
  properties: {
    id: { type: 'string', maxLength: 4096 },
    rawId: { type: 'string', maxLength: 4096 },
    type: { type: 'string' },
    response: { type: 'object' },
    clientExtensionResults: { type: 'object' },
    authenticatorAttachment: { type: 'string', nullable: true },
  },
} as const;

const csrfHeaders = {
  type: 'object',
  properties: { 'x-signet-request': { type: 'string', description: 'must be 1 (CSRF rule)' } },
} as const;

function requestOrigin(request: FastifyRequest): { sourceAddress: string; traceId: string } {
  return { sourceAddress: request.ip, traceId: String(request.id) };
}

/** The session body every sign-in returns. */
export function sessionBody(s: CreatedWebSession['session']): Record<string, unknown> {
  return {
    user: { id: s.userId, username: s.username, role: s.role },
    secondFactor: s.secondFactor,
    secondFactorAt: s.secondFactorAt,
    expiresAt: s.expiresAt,
  };
}

/** The session routes; register with `{ prefix: '/api/v1' }`. */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, { services, housekeepingMs = 600_000 }) => {
  // Housekeeping: ended sessions and expired ceremonies are deleted (idempotent on every node).
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    if (housekeepingMs <= 0) return;
    timer = setInterval(() => {
      void Promise.all([services.webSessions.purgeExpired(), services.passkeys.purgeExpiredChallenges()]).catch((err: unknown) =>
        app.log.warn({ err }, 'web session housekeeping failed'),
      );
    }, housekeepingMs);
    timer.unref();
    await Promise.resolve();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await Promise.resolve();
  });
  const secure = (): boolean => services.baseUrl.get().startsWith('https:');
  const signedIn = (reply: FastifyReply, created: CreatedWebSession): Record<string, unknown> => {
    void reply.header('set-cookie', sessionCookie(created.token, created.maxAgeSeconds, secure()));
    return sessionBody(created.session);
  };
  const csrf = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await refuseWithoutCsrfHeader(request, reply);
  };

  app.setErrorHandler((err, request, reply) => sendWebError(err, request, reply));

  app.get(
    '/session/methods',
    {
      schema: {
        summary: 'How one can sign in here (whether a passkey alone is enough)',
        tags: ['session'],
        response: {
          200: {
            type: 'object',
            required: ['passwordless'],
            properties: { passwordless: { type: 'boolean' } },
          },
        },
      },
    },
    async () => ({ passwordless: services.webLogin.passwordless }),
  );

  app.post<{ Body: { username: string; password: string; otp?: string } }>(
    '/session',
    {
      preHandler: csrf,
      schema: {
        summary: 'Sign in with password and one-time code (TOTP); sets the signet_session cookie',
        tags: ['session'],
        headers: csrfHeaders,
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 200 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
            otp: { type: 'string', maxLength: 16 },
          },
        },
        response: { 200: sessionSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => {
      const { username, password, otp } = request.body;
      return signedIn(reply, await services.webLogin.withPassword({ username, password, otp, ...requestOrigin(request) }));
    },
  );

  app.post<{ Body: { username?: string; password?: string } }>(
    '/session/passkey/options',
    {
      preHandler: csrf,
      schema: {
        summary: 'Start a passkey sign-in: after the password, or (passwordless, when enabled) with {}',
        tags: ['session'],
        headers: csrfHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 200 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['ticket', 'options'],
            properties: { ticket: { type: 'string' }, options: { type: 'object', additionalProperties: true } },
          },
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (request) => {
      const { username, password } = request.body ?? {};
      return services.webLogin.passkeyOptions({ username, password, ...requestOrigin(request) });
    },
  );

  app.post<{ Body: { ticket: string; response: unknown } }>(
    '/session/passkey',
    {
      preHandler: csrf,
      schema: {
        summary: 'Finish a passkey sign-in; sets the signet_session cookie',
        tags: ['session'],
        headers: csrfHeaders,
        body: {
          type: 'object',
          required: ['ticket', 'response'],
          additionalProperties: false,
          properties: { ticket: { type: 'string', maxLength: 100 }, response: credentialResponseSchema },
        },
        response: { 200: sessionSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) =>
      signedIn(reply, await services.webLogin.withPasskey({ ticket: request.body.ticket, response: request.body.response, ...requestOrigin(request) })),
  );

  app.get(
    '/session',
    {
      preHandler: requireWebUserOrEnrolment,
      schema: {
        summary: 'The signed-in user of this session',
        tags: ['session'],
        response: { 200: sessionSchema, 401: errorSchema },
      },
    },
    async (request) => sessionBody(request.webSession as NonNullable<FastifyRequest['webSession']>),
  );

  app.delete(
    '/session',
    {
      preHandler: requireWebUserOrEnrolment,
      schema: {
        summary: 'Sign out: ends the session everywhere and clears the cookie',
        tags: ['session'],
        headers: csrfHeaders,
        response: { 204: { type: 'null' }, 401: errorSchema, 403: errorSchema },
      },
    },
    async (request, reply) => {
      const session = request.webSession as NonNullable<FastifyRequest['webSession']>;
      await services.webSessions.revoke({ sessionId: session.sessionId, userId: session.userId, ...requestOrigin(request) });
      return reply.code(204).header('set-cookie', clearSessionCookie(secure())).send();
    },
  );
};
