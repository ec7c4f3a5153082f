/**
 * The web session routes under /api/v1 (docs/decisions/0001 Contract 1): sign in with password +
 * TOTP or password + passkey (or a discoverable passkey alone when `SIGNET_PASSWORDLESS=1`), or
 * with a federated first factor (OpenID Connect) followed by Signet's passkey or TOTP; read the
 * session, sign out. Every POST/DELETE carries `X-Signet-Request: 1` (login CSRF included).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import { OidcError, firstFactorBinding, type CreatedWebSession, type OidcLogin } from '../../auth/index.js';
import { SignetError } from '../../core/errors.js';
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
  readonly services: Pick<Services, 'webLogin' | 'webSessions' | 'baseUrl' | 'passkeys'> & { readonly oidc?: Services['oidc'] };
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

/** The cookie that binds an OpenID Connect authorization to the browser that started it (10 minutes). */
export const oidcTransactionCookieName = 'signet_oidc_tx';
/** The cookie that carries a federated first factor to the second-factor step (5 minutes). */
export const oidcFirstFactorCookieName = 'signet_oidc';
const oidcCookiePath = '/api/v1/session/oidc';

function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function oidcCookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  // SameSite=Lax: the transaction cookie must come back on the provider's top-level redirect.
  return `${name}=${value}; Max-Age=${maxAgeSeconds}; Path=${oidcCookiePath}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

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
  /** Sets the new session's cookie (and clears the federated first factor's, after OIDC) and answers the session. */
  const signedIn = (reply: FastifyReply, created: CreatedWebSession, after: 'password' | 'oidc' = 'password'): Record<string, unknown> => {
    const cookie = sessionCookie(created.token, created.maxAgeSeconds, secure());
    void reply.header('set-cookie', after === 'oidc' ? [cookie, oidcCookie(oidcFirstFactorCookieName, '', 0, secure())] : cookie);
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
            required: ['passwordless', 'oidc'],
            properties: {
              passwordless: { type: 'boolean' },
              oidc: {
                type: 'object',
                nullable: true,
                description: 'the identity provider of the federated first factor, when configured: a "Sign in with <name>" link to start',
                required: ['name', 'start'],
                properties: { name: { type: 'string' }, start: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    async () => ({
      passwordless: services.webLogin.passwordless,
      oidc: services.oidc === undefined ? null : { name: services.oidc.name, start: '/api/v1/session/oidc/start' },
    }),
  );

  const oidcOf = (): OidcLogin => {
    if (services.oidc === undefined) throw new OidcError('ERR_OIDC_NOT_CONFIGURED', 'no identity provider is configured here');
    return services.oidc;
  };

  app.get(
    '/session/oidc/start',
    {
      schema: {
        summary: 'Federated first factor: redirects (302) to the identity provider (OIDC authorization code + PKCE S256)',
        tags: ['session'],
        response: { 302: { type: 'null' }, 404: errorSchema, 502: errorSchema },
      },
    },
    async (request, reply) => {
      const started = await oidcOf().start(requestOrigin(request));
      return reply
        .code(302)
        .header('set-cookie', oidcCookie(oidcTransactionCookieName, started.browserToken, 600, secure()))
        .header('location', started.location)
        .header('cache-control', 'no-store')
        .send();
    },
  );

  app.get<{ Querystring: { code?: string; state?: string; iss?: string; error?: string } }>(
    '/session/oidc/callback',
    {
      schema: {
        summary: 'The identity provider returns here; then 303 to the web app for the second factor (`/?oidc=second-factor`, or `/?oidc_error=CODE`)',
        tags: ['session'],
        querystring: {
          type: 'object',
          properties: {
            code: { type: 'string', maxLength: 2048 },
            state: { type: 'string', maxLength: 256 },
            iss: { type: 'string', maxLength: 2048 },
            error: { type: 'string', maxLength: 256 },
            error_description: { type: 'string', maxLength: 2048 },
            session_state: { type: 'string', maxLength: 2048 },
          },
        },
        response: { 303: { type: 'null' }, 404: errorSchema },
      },
    },
    async (request, reply) => {
      const oidc = oidcOf();
      const { code, state, iss, error } = request.query;
      const clearTx = oidcCookie(oidcTransactionCookieName, '', 0, secure());
      void reply.code(303).header('cache-control', 'no-store');
      try {
        const first = await oidc.callback({ code, state, iss, error, browserToken: readCookie(request, oidcTransactionCookieName), ...requestOrigin(request) });
        return await reply
          .header('set-cookie', [clearTx, oidcCookie(oidcFirstFactorCookieName, first.token, first.maxAgeSeconds, secure())])
          .header('location', '/?oidc=second-factor')
          .send();
      } catch (err) {
        if (!(err instanceof SignetError)) throw err;
        return reply.header('set-cookie', clearTx).header('location', `/?oidc_error=${encodeURIComponent(err.code)}`).send();
      }
    },
  );

  const firstFactor = async (request: FastifyRequest): Promise<{ token: string; userId: string }> => {
    const token = readCookie(request, oidcFirstFactorCookieName) ?? '';
    return { token, userId: await oidcOf().pendingUser(token) };
  };

  app.get(
    '/session/oidc/pending',
    {
      schema: {
        summary: 'After the identity provider: which second factors may finish the sign-in',
        tags: ['session'],
        response: {
          200: {
            type: 'object',
            required: ['username', 'totp', 'passkey'],
            properties: { username: { type: 'string' }, totp: { type: 'boolean' }, passkey: { type: 'boolean' } },
          },
          401: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request) => {
      const { userId } = await firstFactor(request);
      const factors = await services.webLogin.factors(userId);
      const username = await services.webLogin.username(userId);
      return { username, totp: factors.totp && !factors.requirePasskey, passkey: factors.passkeys > 0 };
    },
  );

  app.post<{ Body: { otp: string } }>(
    '/session/oidc/otp',
    {
      preHandler: csrf,
      schema: {
        summary: 'After the identity provider: finish with the one-time code (TOTP); sets the signet_session cookie',
        tags: ['session'],
        headers: csrfHeaders,
        body: { type: 'object', required: ['otp'], additionalProperties: false, properties: { otp: { type: 'string', maxLength: 16 } } },
        response: { 200: sessionSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => {
      const { token, userId } = await firstFactor(request);
      const created = await services.webLogin.federatedWithTotp({
        userId,
        otp: request.body.otp,
        consume: () => oidcOf().consumeFirstFactor(token, userId),
        ...requestOrigin(request),
      });
      return signedIn(reply, created, 'oidc');
    },
  );

  app.post(
    '/session/oidc/passkey/options',
    {
      preHandler: csrf,
      schema: {
        summary: 'After the identity provider: start the passkey step (the user\'s passkeys, bound to this first factor)',
        tags: ['session'],
        headers: csrfHeaders,
        response: {
          200: {
            type: 'object',
            required: ['ticket', 'options'],
            properties: { ticket: { type: 'string' }, options: { type: 'object', additionalProperties: true } },
          },
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request) => {
      const { token, userId } = await firstFactor(request);
      return services.webLogin.federatedPasskeyOptions({ userId, binding: firstFactorBinding(token), ...requestOrigin(request) });
    },
  );

  app.post<{ Body: { ticket: string; response: unknown } }>(
    '/session/oidc/passkey',
    {
      preHandler: csrf,
      schema: {
        summary: 'After the identity provider: finish with the passkey; sets the signet_session cookie',
        tags: ['session'],
        headers: csrfHeaders,
        body: {
          type: 'object',
          required: ['ticket', 'response'],
          additionalProperties: false,
          properties: { ticket: { type: 'string', maxLength: 100 }, response: credentialResponseSchema },
        },
        response: { 200: sessionSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => {
      const { token, userId } = await firstFactor(request);
      const created = await services.webLogin.federatedWithPasskey({
        userId,
        binding: firstFactorBinding(token),
        ticket: request.body.ticket,
        response: request.body.response,
        consume: () => oidcOf().consumeFirstFactor(token, userId),
        ...requestOrigin(request),
      });
      return signedIn(reply, created, 'oidc');
    },
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
