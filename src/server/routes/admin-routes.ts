/**
 * The admin API under /admin/v1: set-up token exchange, users, OAuth clients, credentials, users'
 * roles and second factors. Every route but /setup needs an admin bearer token (RFC 6750 §2.1,
 * header only; scope `admin`) or the web session of a user with the admin role (signed in with
 * two factors; state changes carry `X-Signet-Request: 1`, docs/decisions/0001 Contract 1);
 * CSC/OAuth tokens are refused here and admin tokens are refused there (docs/security.md OA-28, AC-04).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import { appendFailureAudit } from '../../audit/index.js';
import { isSignetError } from '../../core/errors.js';
import { adminClientId, exchangeSetupToken, verifyAdminToken, type AdminOrigin } from '../admin/admin-tokens.js';
import type { Services } from '../services.js';
import type { SubjectFields } from '../admin/admin-service.js';
import { replyStoreUnavailable } from '../store-unavailable.js';
import { registerAdminFactorRoutes } from './admin-factor-routes.js';
import { registerAdminAuditRoutes } from './admin-audit-routes.js';
import { readSessionCookie, refuseWithoutCsrfHeader } from './web-session-auth.js';

/** Options of the admin plugin. */
export interface AdminRoutesOptions {
  readonly services: Pick<Services, 'store' | 'clock' | 'audit' | 'admin' | 'webSessions' | 'auditKey'>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin session of an authenticated admin request. */
    adminSession?: string;
    /** The administrator's user id when the request came with an admin's web session. */
    adminUserId?: string;
  }
}

/** HTTP status of each admin-surface error code. */
const statusOf: Record<string, number> = {
  ERR_SERVER_SETUP_TOKEN: 400,
  ERR_SERVER_ADMIN_UNAUTHORIZED: 401,
  ERR_SERVER_NOT_FOUND: 404,
  ERR_SERVER_INVALID_REQUEST: 400,
  ERR_SERVER_UNAVAILABLE: 501,
  ERR_STORE_CONFLICT: 409,
  ERR_STORE_BUSY: 503,
  ERR_AUTH_THROTTLED: 429,
  ERR_AUTH_POLICY: 400,
  ERR_PKI_SUBJECT_INVALID: 400,
  ERR_WEBAUTHN_PASSKEY_NOT_FOUND: 404,
  ERR_AUTH_TOTP_NOT_ENROLLED: 404,
};

function origin(request: FastifyRequest): AdminOrigin {
  return {
    via: 'api',
    sourceAddress: request.ip,
    traceId: request.id,
    ...(request.adminSession !== undefined ? { session: request.adminSession } : {}),
    ...(request.adminUserId !== undefined ? { actorUserId: request.adminUserId } : {}),
  };
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  // RFC 6750 §2.1: `Bearer` scheme, case-insensitive.
  const m = typeof header === 'string' ? /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim()) : null;
  return m?.[1];
}

/** The subject attributes a credential request may name (their content is checked by the CA's profile). */
const subjectFieldsSchema = {
  givenName: { type: 'string', minLength: 1, maxLength: 64 },
  surname: { type: 'string', minLength: 1, maxLength: 64 },
  serialNumber: { type: 'string', minLength: 1, maxLength: 64 },
  country: { type: 'string', minLength: 2, maxLength: 2 },
  organization: { type: 'string', minLength: 1, maxLength: 64 },
} as const;

function subjectFieldsOf(b: SubjectFields): SubjectFields {
  return {
    ...(b.givenName !== undefined ? { givenName: b.givenName } : {}),
    ...(b.surname !== undefined ? { surname: b.surname } : {}),
    ...(b.serialNumber !== undefined ? { serialNumber: b.serialNumber } : {}),
    ...(b.country !== undefined ? { country: b.country } : {}),
    ...(b.organization !== undefined ? { organization: b.organization } : {}),
  };
}

const stringArray = { type: 'array', items: { type: 'string', maxLength: 2000 }, maxItems: 50 } as const;

/** The admin API; register with `{ prefix: '/admin/v1' }`. */
export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = (app, { services }) => {
  const { admin } = services;

  app.setErrorHandler((err, request, reply) => {
    const unavailable = replyStoreUnavailable(err, request, reply);
    if (unavailable !== undefined) return unavailable;
    if (isSignetError(err)) {
      const status = statusOf[err.code] ?? 400;
      return reply.code(status).send({ error: err.code, error_description: err.message });
    }
    const e = err as { validation?: unknown; statusCode?: number; message?: string };
    if (e.validation !== undefined) {
      return reply.code(400).send({ error: 'ERR_SERVER_INVALID_REQUEST', error_description: e.message ?? 'invalid request' });
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ error: 'ERR_SERVER_INVALID_REQUEST', error_description: e.message ?? 'invalid request' });
    }
    request.log.error({ err }, 'admin request failed');
    return reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
  });

  const requireAdmin = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const value = bearer(request);
    const cookie = readSessionCookie(request);
    if (value === undefined && cookie !== undefined) {
      // The web app's Administration page: an admin's session signed in with two factors.
      const web = await services.webSessions.resolve(cookie);
      if (web !== undefined && web.role === 'admin' && web.secondFactor !== 'none') {
        if (await refuseWithoutCsrfHeader(request, reply)) return;
        request.adminSession = `web:${web.sessionId.slice(0, 16)}`;
        request.adminUserId = web.userId;
        return;
      }
      if (web !== undefined) {
        await appendFailureAudit(
          services.store,
          {
            type: 'admin.auth',
            outcome: 'failure',
            actorUserId: web.userId,
            sourceAddress: request.ip,
            traceId: request.id,
            details: { reason: 'not-admin', path: request.routeOptions.url ?? '' },
          },
          services.audit,
        );
        await reply.code(403).send({ error: 'ERR_SESSION_FORBIDDEN', error_description: 'this needs an administrator' });
        return;
      }
    }
    const session = value === undefined ? undefined : await verifyAdminToken(services.store.db, value, services.clock.now().getTime());
    if (session === undefined) {
      await appendFailureAudit(
        services.store,
        {
          type: 'admin.auth',
          outcome: 'failure',
          actorClientId: adminClientId,
          sourceAddress: request.ip,
          traceId: request.id,
          details: { reason: value === undefined ? 'missing' : 'invalid', path: request.routeOptions.url ?? '' },
        },
        services.audit,
      );
      // RFC 6750 §3: the challenge names the scheme and the error.
      await reply
        .code(401)
        .header('www-authenticate', `Bearer realm="signet-admin"${value === undefined ? '' : ', error="invalid_token"'}`)
        .send({ error: 'ERR_SERVER_ADMIN_UNAUTHORIZED', error_description: 'an admin bearer token is required' });
      return;
    }
    request.adminSession = session.session;
  };

  app.post<{ Body: { setupToken: string } }>(
    '/setup',
    {
      schema: {
        summary: 'Exchange the one-time set-up token for an admin bearer token',
        tags: ['admin'],
        body: {
          type: 'object',
          required: ['setupToken'],
          additionalProperties: false,
          properties: { setupToken: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (request) => {
      const issued = await exchangeSetupToken(services, request.body.setupToken, origin(request));
      return {
        access_token: issued.value,
        token_type: 'Bearer',
        expires_in: Math.floor((issued.expiresAt - services.clock.now().getTime()) / 1000),
        scope: 'admin',
      };
    },
  );

  app.register((scoped, _opts, done) => {
    scoped.addHook('preHandler', requireAdmin);
    const security = [{ adminBearer: [] }];

    scoped.get('/users', { schema: { summary: 'List users', tags: ['admin'], security } }, async () => ({
      users: await admin.listUsers(),
    }));

    scoped.post<{ Body: { username: string; password: string; totp?: boolean; role?: 'user' | 'admin'; requirePasskey?: boolean } }>(
      '/users',
      {
        schema: {
          summary: 'Create a user (password; optional TOTP enrolment, secret returned once)',
          tags: ['admin'],
          security,
          body: {
            type: 'object',
            required: ['username', 'password'],
            additionalProperties: false,
            properties: {
              username: { type: 'string', minLength: 1, maxLength: 64 },
              password: { type: 'string', minLength: 8, maxLength: 1024 },
              totp: { type: 'boolean' },
              role: { type: 'string', enum: ['user', 'admin'] },
              requirePasskey: { type: 'boolean' },
            },
          },
        },
      },
      async (request, reply) => {
        const created = await admin.createUser(request.body, origin(request));
        return reply.code(201).send(created);
      },
    );

    scoped.post<{ Params: { user: string } }>(
      '/users/:user/disable',
      { schema: { summary: 'Disable a user (by id or username)', tags: ['admin'], security } },
      async (request) => admin.disableUser(request.params.user, origin(request)),
    );

    registerAdminFactorRoutes(scoped, admin, origin, security);
    registerAdminAuditRoutes(scoped, services, security);

    scoped.get('/clients', { schema: { summary: 'List OAuth clients', tags: ['admin'], security } }, async () => ({
      clients: await admin.listClients(),
    }));

    scoped.post<{
      Body: {
        clientId?: string;
        name: string;
        clientType: 'public' | 'confidential';
        redirectUris: string[];
        allowedScopes: string[];
        tlsClientAuth?: { subjectDn: string } | { sanDns: string } | { selfSignedCertificatePem: string };
      };
    }>(
      '/clients',
      {
        schema: {
          summary: 'Register an OAuth client (secret of a confidential client returned once)',
          tags: ['admin'],
          security,
          body: {
            type: 'object',
            required: ['name', 'clientType', 'redirectUris', 'allowedScopes'],
            additionalProperties: false,
            properties: {
              clientId: { type: 'string', minLength: 1, maxLength: 64 },
              name: { type: 'string', minLength: 1, maxLength: 200 },
              clientType: { type: 'string', enum: ['public', 'confidential'] },
              redirectUris: stringArray,
              allowedScopes: stringArray,
              // RFC 8705 §2: exactly one binding — subject DN or dNSName (tls_client_auth, §2.1.2)
              // or the PEM of a self-signed certificate (self_signed_tls_client_auth, §2.2).
              tlsClientAuth: {
                type: 'object',
                additionalProperties: false,
                minProperties: 1,
                maxProperties: 1,
                properties: {
                  subjectDn: { type: 'string', minLength: 1, maxLength: 1024 },
                  sanDns: { type: 'string', minLength: 1, maxLength: 253 },
                  selfSignedCertificatePem: { type: 'string', minLength: 1, maxLength: 16384 },
                },
              },
            },
          },
        },
      },
      async (request, reply) => {
        const created = await admin.createClient(request.body, origin(request));
        return reply.code(201).send(created);
      },
    );

    scoped.get<{ Querystring: { user?: string } }>(
      '/credentials',
      {
        schema: {
          summary: 'List credentials (all, or one user’s)',
          tags: ['admin'],
          security,
          querystring: { type: 'object', properties: { user: { type: 'string', maxLength: 64 } } },
        },
      },
      async (request) => ({ credentials: await admin.listCredentials(request.query.user) }),
    );

    scoped.post<{
      Body: {
        user: string;
        backend?: string;
        algorithm?: 'RSA-2048' | 'RSA-3072' | 'EC-P256' | 'EC-P384';
        pin?: string;
        commonName: string;
        profile?: string;
        multisign?: number;
      } & SubjectFields;
    }>(
      '/credentials',
      {
        schema: {
          summary: 'Create a credential for a user (key generated on the backend, certificate issued)',
          tags: ['admin'],
          security,
          body: {
            type: 'object',
            required: ['user', 'commonName'],
            additionalProperties: false,
            properties: {
              user: { type: 'string', minLength: 1, maxLength: 64 },
              backend: { type: 'string', minLength: 1, maxLength: 64 },
              algorithm: { type: 'string', enum: ['RSA-2048', 'RSA-3072', 'EC-P256', 'EC-P384'] },
              pin: { type: 'string', minLength: 4, maxLength: 64 },
              commonName: { type: 'string', minLength: 1, maxLength: 64 },
              ...subjectFieldsSchema,
              profile: { type: 'string', minLength: 1, maxLength: 64 },
              multisign: { type: 'integer', minimum: 1, maximum: 1000 },
            },
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const created = await admin.createCredential(
          {
            user: b.user,
            backend: b.backend ?? 'software',
            algorithm: b.algorithm ?? 'EC-P256',
            commonName: b.commonName,
            subject: subjectFieldsOf(b),
            ...(b.pin !== undefined ? { pin: b.pin } : {}),
            ...(b.profile !== undefined ? { profile: b.profile } : {}),
            ...(b.multisign !== undefined ? { multisign: b.multisign } : {}),
          },
          origin(request),
        );
        return reply.code(201).send(created);
      },
    );

    scoped.post<{ Params: { id: string }; Body: { backend: string } }>(
      '/credentials/:id/keys',
      {
        schema: {
          summary: 'Add a key on another token to a credential (own certificate, same subject; issue 16)',
          tags: ['admin'],
          security,
          body: {
            type: 'object',
            required: ['backend'],
            additionalProperties: false,
            properties: { backend: { type: 'string', minLength: 1, maxLength: 64 } },
          },
        },
      },
      async (request, reply) => {
        const added = await admin.addCredentialKey(request.params.id, request.body.backend, origin(request));
        return reply.code(201).send(added);
      },
    );

    scoped.post<{
      Body: { user: string; csr: string; profile?: string; pin?: string; multisign?: number; commonName?: string } & SubjectFields;
    }>(
      '/credentials/enroll',
      {
        schema: {
          summary: 'Enroll a CSR of a key held elsewhere (proof of possession checked); the credential signs in external mode',
          tags: ['admin'],
          security,
          body: {
            type: 'object',
            required: ['user', 'csr'],
            additionalProperties: false,
            properties: {
              user: { type: 'string', minLength: 1, maxLength: 64 },
              csr: { type: 'string', minLength: 1, maxLength: 32768 },
              profile: { type: 'string', minLength: 1, maxLength: 64 },
              pin: { type: 'string', minLength: 4, maxLength: 64 },
              multisign: { type: 'integer', minimum: 1, maximum: 1000 },
              commonName: { type: 'string', minLength: 1, maxLength: 64 },
              ...subjectFieldsSchema,
            },
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const enrolled = await admin.enrollCredential(
          {
            user: b.user,
            csr: b.csr,
            subject: { ...subjectFieldsOf(b), ...(b.commonName !== undefined ? { commonName: b.commonName } : {}) },
            ...(b.profile !== undefined ? { profile: b.profile } : {}),
            ...(b.pin !== undefined ? { pin: b.pin } : {}),
            ...(b.multisign !== undefined ? { multisign: b.multisign } : {}),
          },
          origin(request),
        );
        return reply.code(201).send(enrolled);
      },
    );

    scoped.post<{ Params: { id: string } }>(
      '/credentials/:id/disable',
      { schema: { summary: 'Disable a credential', tags: ['admin'], security } },
      async (request) => {
        await admin.disableCredential(request.params.id, origin(request));
        return { credentialID: request.params.id, status: 'disabled' };
      },
    );

    scoped.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
      '/credentials/:id/revoke',
      {
        schema: {
          summary: 'Revoke a credential’s certificate and the credential (signing stops at once)',
          tags: ['admin'],
          security,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { reason: { type: 'string', maxLength: 64 } },
          },
        },
      },
      async (request) => {
        await admin.revokeCredential(request.params.id, request.body?.reason ?? 'unspecified', origin(request));
        return { credentialID: request.params.id, status: 'revoked' };
      },
    );
    done();
  });
  return Promise.resolve();
};
