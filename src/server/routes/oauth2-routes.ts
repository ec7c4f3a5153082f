/**
 * The OAuth 2.0 endpoints over HTTP (RFC 6749 §3.1–§3.2, RFC 7009, RFC 8414): thin mapping of
 * requests onto the framework-free OAuth2Service. Token and revocation bodies are form-encoded
 * (RFC 6749 §4.1.3), JSON also accepted (CSC clients); errors are RFC 6749 §5.2 JSON; the HTML
 * pages carry anti-framing, no-referrer and no-store headers (RFC 9700 §4.16, §4.2).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import { replyStoreUnavailable } from '../store-unavailable.js';
import { presentedCertificate } from '../client-certificate.js';
import { registerOAuth2Assets } from './oauth2-assets.js';
import {
  OAuth2Error,
  safeErrorDescription,
  type AuthorizeResponse,
  type OAuth2Service,
  type RawParams,
} from '../../auth/oauth2/index.js';

/** Options of the OAuth2 plugin. */
export interface OAuth2RoutesOptions {
  readonly oauth2: OAuth2Service;
}

/** The interaction cookie: HttpOnly, SameSite=Strict, path-limited (RFC 6265bis §4.1; `__Host-` needs Path=/). */
const SESSION_COOKIE = 'signet_oauth2';
/** The first-party web session (docs/decisions/0001 contract 1), read for single sign-on. */
const WEB_SESSION_COOKIE = 'signet_session';
const FORM = 'application/x-www-form-urlencoded';
/** Bodies are small: forms and token requests (a credential request's hashes travel in the authorize query). */
const BODY_LIMIT = 64 * 1024;

const htmlHeaders: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  // The pages load only Signet's own script, pdf.js and its worker (RFC 9700 §4.16: no framing).
  'content-security-policy':
    "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** Form or query string → parameters; a repeated name becomes an array (the service refuses it, OA-23). */
function parseForm(text: string): RawParams {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** A parsed body (our form parser's string, or a JSON object) → parameters. */
function bodyParams(body: unknown): RawParams {
  if (typeof body === 'string') return parseForm(body);
  if (Buffer.isBuffer(body)) return parseForm(body.toString('utf8'));
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    // CSC sends authorization_details as a JSON value in JSON bodies.
    else if (k === 'authorization_details' && typeof v === 'object' && v !== null)
      out[k] = JSON.stringify(v);
    else if (Array.isArray(v)) out[k] = v.map(String);
    // Any other structured value is passed on as JSON text and fails that parameter's own checks.
    else if (v !== null && v !== undefined) out[k] = JSON.stringify(v);
  }
  return out;
}

function queryParams(request: FastifyRequest): RawParams {
  const q = request.url.indexOf('?');
  return q < 0 ? {} : parseForm(request.url.slice(q + 1));
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function origin(request: FastifyRequest): { sourceAddress: string; traceId: string } {
  return { sourceAddress: request.ip, traceId: String(request.id) };
}

async function sendAuthorize(
  reply: FastifyReply,
  r: AuthorizeResponse,
  secure: boolean,
): Promise<FastifyReply> {
  if (r.session !== undefined) {
    const attrs = `Path=/oauth2; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
    void reply.header(
      'set-cookie',
      'clear' in r.session
        ? `${SESSION_COOKIE}=; Max-Age=0; ${attrs}`
        : `${SESSION_COOKIE}=${r.session.set}; Max-Age=${r.session.maxAgeSeconds}; ${attrs}`,
    );
  }
  if (r.kind === 'redirect') {
    // RFC 9700 §4.12: 303 after a POST (never 307, which would re-post the credentials).
    return reply
      .code(r.status)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('location', r.location)
      .send();
  }
  return reply.code(r.status).headers(htmlHeaders).send(r.html);
}

/** RFC 6749 §5.2 error JSON; invalid_client after Basic auth carries WWW-Authenticate. */
function sendError(reply: FastifyReply, err: OAuth2Error, usedBasic: boolean): FastifyReply {
  if (err.status === 401 && usedBasic)
    void reply.header('www-authenticate', 'Basic realm="signet", charset="UTF-8"');
  return reply
    .code(err.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ error: err.error, error_description: safeErrorDescription(err.message) });
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

/**
 * Registers GET/POST /oauth2/authorize, POST /oauth2/token, POST /oauth2/revoke and
 * GET /.well-known/oauth-authorization-server.
 *
 * @example
 * ```ts
 * await app.register(oauth2Routes, { oauth2: createOAuth2Service(deps) });
 * ```
 */
export const oauth2Routes: FastifyPluginAsync<OAuth2RoutesOptions> = (app, { oauth2 }) => {
  if (!app.hasContentTypeParser(FORM)) {
    app.addContentTypeParser(
      FORM,
      { parseAs: 'string', bodyLimit: BODY_LIMIT },
      (_req, body, done) => {
        done(null, body);
      },
    );
  }
  // Framework-level refusals (size, media type, JSON syntax) in the OAuth error format too.
  app.setErrorHandler(
    (err: { statusCode?: number; code?: string; message: string }, request, reply) => {
      const unavailable = replyStoreUnavailable(err, request, reply.header('cache-control', 'no-store'), 'temporarily_unavailable');
      if (unavailable !== undefined) return unavailable;
      const status =
        typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
          ? err.statusCode
          : 500;
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .send({
          error: status === 500 ? 'server_error' : 'invalid_request',
          error_description: status === 500 ? 'internal error' : safeErrorDescription(err.message),
        });
    },
  );

  const tags = ['oauth2'];
  app.get(
    '/oauth2/authorize',
    {
      schema: {
        tags,
        summary:
          'Authorization endpoint (RFC 6749 §4.1.1, CSC v2 §8.4.2): login page or error redirect',
      },
    },
    async (request, reply) => {
      // Single sign-on: the browser's Signet web session (contract 1) skips the sign-in page.
      const r = await oauth2.authorize(queryParams(request), origin(request), readCookie(request, WEB_SESSION_COOKIE));
      return sendAuthorize(reply, r, oauth2.secureCookies);
    },
  );

  app.post(
    '/oauth2/authorize',
    { bodyLimit: BODY_LIMIT, schema: { tags, summary: 'Login and consent form posts' } },
    async (request, reply) => {
      // Only the HTML form posts here (a JSON body would need a CORS preflight anyway).
      const type = String(request.headers['content-type'] ?? '').toLowerCase();
      if (!type.startsWith(FORM) || request.body === null || request.body === undefined) {
        return reply
          .code(415)
          .headers(htmlHeaders)
          .send('<!DOCTYPE html><title>Unsupported</title><p>Send the sign-in form.</p>');
      }
      const r = await oauth2.submitAuthorization(
        bodyParams(request.body),
        readCookie(request, SESSION_COOKIE),
        origin(request),
      );
      return sendAuthorize(reply, r, oauth2.secureCookies);
    },
  );

  const tokenResponse = {
    200: {
      type: 'object',
      required: ['access_token', 'token_type'],
      properties: {
        access_token: { type: 'string' },
        token_type: { type: 'string' },
        expires_in: { type: 'integer' },
        refresh_token: { type: 'string' },
        scope: { type: 'string' },
        credentialID: { type: 'string' },
        authorization_details: {
          type: 'array',
          items: { type: 'object', additionalProperties: true },
        },
      },
    },
    '4xx': errorSchema,
  };
  app.post(
    '/oauth2/token',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        summary: 'Token endpoint (RFC 6749 §3.2, CSC v2 §8.4.4)',
        response: tokenResponse,
      },
    },
    async (request, reply) => {
      const authorization = request.headers.authorization;
      try {
        const result = await oauth2.token({
          params: bodyParams(request.body),
          authorization,
          clientCertificate: presentedCertificate(request),
          ...origin(request),
        });
        return await reply
          .code(200)
          .header('cache-control', 'no-store')
          .header('pragma', 'no-cache')
          .send(result);
      } catch (err) {
        if (err instanceof OAuth2Error) return sendError(reply, err, authorization !== undefined);
        throw err;
      }
    },
  );

  app.post(
    '/oauth2/revoke',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        summary: 'Token revocation (RFC 7009, CSC v2 §8.4.5)',
        response: { '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const authorization = request.headers.authorization;
      try {
        await oauth2.revoke({
          params: bodyParams(request.body),
          authorization,
          clientCertificate: presentedCertificate(request),
          ...origin(request),
        });
        // RFC 7009 §2.2: 200 whether or not the token was known.
        return await reply.code(200).header('cache-control', 'no-store').send();
      } catch (err) {
        if (err instanceof OAuth2Error) return sendError(reply, err, authorization !== undefined);
        throw err;
      }
    },
  );

  const push = oauth2.pushAuthorization?.bind(oauth2);
  if (push !== undefined) {
    app.post(
      '/oauth2/pushed_authorize',
      {
        // A credential request may list many hashes: that is what PAR is for.
        bodyLimit: 256 * 1024,
        schema: {
          tags,
          summary: 'Pushed authorization request (RFC 9126, CSC v2 §8.4.3)',
          response: {
            201: {
              type: 'object',
              required: ['request_uri', 'expires_in'],
              properties: { request_uri: { type: 'string' }, expires_in: { type: 'integer' } },
            },
            '4xx': errorSchema,
          },
        },
      },
      async (request, reply) => {
        const authorization = request.headers.authorization;
        try {
          const result = await push({
            params: bodyParams(request.body),
            authorization,
            clientCertificate: presentedCertificate(request),
            ...origin(request),
          });
          // RFC 9126 §2.2: 201 Created.
          return await reply.code(201).header('cache-control', 'no-store').send(result);
        } catch (err) {
          if (err instanceof OAuth2Error) return sendError(reply, err, authorization !== undefined);
          throw err;
        }
      },
    );
  }

  registerOAuth2Assets(app);
  app.addHook('onClose', async () => {
    await oauth2.close?.();
  });
  const passkeyLogin = oauth2.startPasskeyLogin?.bind(oauth2);
  if (passkeyLogin !== undefined) {
    app.post(
      '/oauth2/login/passkey',
      { bodyLimit: BODY_LIMIT, schema: { hide: true } },
      async (request, reply) => {
        const type = String(request.headers['content-type'] ?? '').toLowerCase();
        if (!type.startsWith(FORM)) {
          return reply.code(415).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: 'send the sign-in form' });
        }
        const r = await passkeyLogin(bodyParams(request.body), readCookie(request, SESSION_COOKIE), origin(request));
        void reply.header('cache-control', 'no-store');
        if (r.kind === 'refused') {
          return reply.code(r.status).send({ error: 'access_denied', error_description: r.message, ...(r.csrf === undefined ? {} : { csrf_token: r.csrf }) });
        }
        const attrs = `Path=/oauth2; HttpOnly; SameSite=Strict${oauth2.secureCookies ? '; Secure' : ''}`;
        return reply
          .code(200)
          .header('set-cookie', `${SESSION_COOKIE}=${r.session}; Max-Age=${r.maxAgeSeconds}; ${attrs}`)
          .send({ ticket: r.ticket, options: r.options, csrf_token: r.csrf });
      },
    );
  }
  const read = oauth2.readDocument?.bind(oauth2);
  if (read !== undefined) {
    app.get<{ Params: { index: string } }>(
      '/oauth2/documents/:index',
      { schema: { hide: true } },
      async (request, reply) => {
        const index = /^[0-9]{1,4}$/.test(request.params.index) ? Number(request.params.index) : -1;
        const doc = await read(readCookie(request, SESSION_COOKIE), index);
        if (doc === undefined) {
          return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: 'no such document in this consent' });
        }
        return reply
          .code(200)
          .header('content-type', 'application/pdf')
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cross-origin-resource-policy', 'same-origin')
          .header('content-disposition', `attachment; filename="${doc.name.replace(/[^A-Za-z0-9._ -]/g, '_')}"`)
          .send(Buffer.from(doc.pdf));
      },
    );
  }
  const upload = oauth2.uploadDocument?.bind(oauth2);
  if (upload !== undefined) {
    app.post(
      '/oauth2/documents',
      {
        bodyLimit: oauth2.documentBodyLimit ?? 32 * 1024 * 1024,
        schema: {
          tags,
          summary:
            'Push a prepared PDF and its signed attributes for consent (docs/decisions/0001 contract 3): the AS checks the ByteRange and message-digest and computes the DTBS/R hash itself',
          response: {
            201: {
              type: 'object',
              required: ['document_ref', 'hash', 'pages', 'expires_in'],
              properties: {
                document_ref: { type: 'string' },
                hash: { type: 'string' },
                pages: { type: 'integer' },
                expires_in: { type: 'integer' },
              },
            },
            '4xx': errorSchema,
          },
        },
      },
      async (request, reply) => {
        const authorization = request.headers.authorization;
        try {
          const result = await upload({ params: bodyParams(request.body), authorization, clientCertificate: presentedCertificate(request), ...origin(request) });
          return await reply.code(201).header('cache-control', 'no-store').send(result);
        } catch (err) {
          if (err instanceof OAuth2Error) return sendError(reply, err, authorization !== undefined);
          throw err;
        }
      },
    );
  }

  const uploadBatch = oauth2.uploadDocuments?.bind(oauth2);
  if (uploadBatch !== undefined) {
    app.post(
      '/oauth2/documents/batch',
      {
        bodyLimit: oauth2.documentBatchBodyLimit ?? 48 * 1024 * 1024,
        schema: {
          tags,
          summary:
            'Push up to 50 prepared PDFs (together within the single-document limit) under one client authentication: {documents: [{name, document, signedAttributes, hashAlgorithmOID}]}; answers each with its document_ref and hash, or its refusal, in order',
        },
      },
      async (request, reply) => {
        const authorization = request.headers.authorization;
        const body = request.body !== null && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Record<string, unknown>) : {};
        const { documents, ...rest } = body;
        try {
          const result = await uploadBatch({ params: bodyParams(rest), authorization, clientCertificate: presentedCertificate(request), ...origin(request) }, documents);
          return await reply.code(201).header('cache-control', 'no-store').send(result);
        } catch (err) {
          if (err instanceof OAuth2Error) return sendError(reply, err, authorization !== undefined);
          throw err;
        }
      },
    );
  }

  // docs/security.md OA-27: the token and revocation endpoints answer POST only.
  for (const path of ['/oauth2/token', '/oauth2/revoke', '/oauth2/pushed_authorize', '/oauth2/documents', '/oauth2/documents/batch']) {
    app.get(path, { schema: { hide: true } }, (_request, reply) =>
      reply
        .code(405)
        .header('allow', 'POST')
        .send({ error: 'invalid_request', error_description: 'use POST' }),
    );
  }

  app.get(
    '/.well-known/oauth-authorization-server',
    { schema: { tags, summary: 'Authorization server metadata (RFC 8414)' } },
    (_request, reply) =>
      reply.header('cache-control', 'public, max-age=3600').send(oauth2.metadata()),
  );
  return Promise.resolve();
};
