/**
 * The Fastify assembly: logging with trace ids and redaction, body limits, security headers, the
 * OpenAPI document (@fastify/swagger, served at /documentation/json), /healthz, the PKI endpoints
 * under /pki, the admin API under /admin/v1, the user API under /api/v1, request limits and the
 * CORS refusal (request-limits.ts), the CSC and OAuth2 plugins when provided, /metrics (Prometheus)
 * and, with tracing on, one span per request.
 */
import { ServerError } from './errors.js';
import { MAX_JSON_DEPTH, jsonTooDeep } from '../core/json-depth.js';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { isSignetError } from '../core/errors.js';
import { accessLoggerFor, traceIdFor, type AccessLogger } from './logger.js';
import { lazyChildLogger } from './request-logger.js';
import { adminRoutes } from './routes/admin-routes.js';
import { registerDocumentationPage } from './routes/documentation-routes.js';
import { registerLogoRoute } from './routes/logo-route.js';
import { healthRoutes, healthSchema, livenessSchema, readinessSchema } from './routes/health-routes.js';
import { pkiPrefix, pkiRoutesPlugin } from './routes/pki-routes.js';
import { Readiness } from './readiness.js';
import { registerRequestLimits } from './request-limits.js';
import { replyStoreUnavailable } from './store-unavailable.js';
import { userApiPrefix, userAuditRoutes } from './routes/user-audit-routes.js';
import { receiptRoutes } from './routes/receipt-routes.js';
import { transparencyRoutes } from './routes/transparency-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { accountRoutes } from './routes/account-routes.js';
import type { Services } from './services.js';
import { createHttpsServerFactory } from './https-server.js';
import { registerHttpMetrics, registerMetricsRoute } from './metrics/index.js';
import { registerRequestSpans } from './tracing/index.js';

/** A surface plugin registered by buildServer with its own options (CSC, OAuth2). */
export interface SurfacePlugin {
  readonly plugin: FastifyPluginAsync<never>;
  readonly options: object;
  readonly prefix?: string;
}

/** Options of buildServer. */
export interface BuildServerOptions {
  /** Further surfaces (the CSC API, OAuth2) registered after the built-in ones. */
  readonly surfaces?: readonly SurfacePlugin[];
  /** Version shown in the OpenAPI document. */
  readonly version?: string;
  /**
   * Socket idle timeout (default 60 s: a client that stops sending headers or body is cut off)
   * and whole-request deadline (default 120 s: bounds trickling clients; Node checks it every
   * 30 s) (docs/security.md DOS-14).
   */
  readonly timeouts?: { readonly connectionMs?: number; readonly requestMs?: number };
  /** The process's readiness (`signet serve` drains it on SIGTERM); default: a new one over the services. */
  readonly readiness?: Readiness;
  /** Serve HTTPS with these options (tls-config.ts httpsServerOptions); absent: plain HTTP. */
  readonly https?: HttpsServerOptions;
  /**
   * `GET /metrics` on this listener (default: yes, without a token); false when it has a
   * listener of its own (SIGNET_METRICS_ADDRESS).
   */
  readonly metricsRoute?: { readonly token?: string } | false;
}


/** Security headers on every response (docs/security.md OA-25/26; OWASP secure headers). */
const securityHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** RFC 6797 §6.1: one year; subdomains are not Signet's to commit. */
const hstsHeader = 'max-age=31536000';

/**
 * One access-log line per request, written when the answer is complete, with method, path (no
 * query), status and time; Fastify's default writes two lines (incoming, completed), and each
 * costs a redaction pass on the signing hot path.
 */
class AccessLog extends LogController {
  readonly #access: AccessLogger;

  constructor(access: AccessLogger) {
    super({ requestIdLogLabel: 'traceId' });
    this.#access = access;
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    this.#access({
      traceId: request.id,
      req: { method: request.method, url: request.url, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTime: reply.elapsedTime,
    });
  }
}

/** Maps framework errors (parsing, limits, content types) to a JSON body; everything else is 500. */
function errorBody(err: FastifyError): { status: number; body: { error: string; error_description: string } } {
  if (err.validation !== undefined) {
    return { status: 400, body: { error: 'invalid_request', error_description: err.message } };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: 'invalid_request', error_description: 'the request body is too large' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { error: 'invalid_request', error_description: 'unsupported content type' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: { error: 'invalid_request', error_description: 'the request body is malformed' } };
    default:
      break;
  }
  if (err.statusCode === 400 && err instanceof SyntaxError) {
    return { status: 400, body: { error: 'invalid_request', error_description: 'the JSON body is malformed' } };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, body: { error: 'invalid_request', error_description: err.message } };
  }
  return { status: 500, body: { error: 'server_error', error_description: 'internal error' } };
}

/**
 * Builds (but does not start) the HTTP server over `services`.
 *
 * @example
 * ```ts
 * const app = await buildServer(services, { surfaces: [{ plugin: cscRoutes, options: { csc } }] });
 * await app.listen({ port: 0, host: '127.0.0.1' });
 * ```
 */
export async function buildServer(services: Services, options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const connectionMs = options.timeouts?.connectionMs ?? 60_000;
  const requestMs = options.timeouts?.requestMs ?? 120_000;
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    genReqId: traceIdFor,
    requestIdHeader: false,
    logController: new AccessLog(accessLoggerFor(services.logger)),
    // request.log is made when a request first logs (most never do: AccessLog writes their line).
    childLoggerFactory: lazyChildLogger,
    bodyLimit: services.config.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    connectionTimeout: connectionMs,
    requestTimeout: requestMs,
    // Fastify's default keep-alive timeout (72 s) on the HTTPS server too.
    ...(options.https === undefined ? {} : { serverFactory: createHttpsServerFactory(options.https, { connectionMs, requestMs, keepAliveMs: 72_000 }) }),
  });
  // First hooks: the request's span and its metrics cover everything after them.
  if (services.tracing !== undefined) registerRequestSpans(app, services.tracing);
  registerHttpMetrics(app, services.metrics);

  // DOS-15: every JSON body's nesting is bounded before it is parsed (a body nested thousands deep
  // parses, then overflows the stack of whatever walks it recursively: a 500). Fastify's own
  // parser (prototype-poisoning checks included) does the rest; plugins inherit this parser.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && jsonTooDeep(body)) {
      // statusCode: route families with their own error handler (OAuth2) read it as a 400.
      const err = Object.assign(new ServerError('ERR_SERVER_INVALID_REQUEST', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 });
      done(err, undefined);
      return;
    }
    void defaultJson(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Signet',
        description:
          'Remote signing service: CSC API v2 (/csc/v2) and v1 (/csc/v1), OAuth 2.0 (/oauth2), PKI endpoints (/pki), administration (/admin/v1), the user API (/api/v1: own audit trail).',
        version: options.version ?? '0.1.0',
      },
      servers: [{ url: services.baseUrl.get() }],
      components: {
        securitySchemes: {
          adminBearer: { type: 'http', scheme: 'bearer', description: 'Admin token (scope admin)' },
          bearer: { type: 'http', scheme: 'bearer', description: 'CSC / OAuth 2.0 access token' },
          basic: { type: 'http', scheme: 'basic', description: 'CSC auth/login' },
        },
      },
    },
  });
  app.addSchema(healthSchema);
  app.addSchema(livenessSchema);
  app.addSchema(readinessSchema);

  const readiness = options.readiness ?? new Readiness({ store: services.store, backends: services.backends, audit: services.audit });
  const headerEntries = Object.entries(securityHeaders);
  app.addHook('onSend', (request, reply, payload, done) => {
    // FLT-19: while draining, every answer ends its connection (RFC 9112 §9.6), so kept-alive
    // clients reconnect elsewhere and close() is not held up by idle keep-alive sockets.
    if (readiness.isDraining) void reply.header('connection', 'close');
    for (const [name, value] of headerEntries) {
      if (!reply.hasHeader(name)) void reply.header(name, value);
    }
    // RFC 6797 §7.2: HSTS only over a secure transport (a browser ignores it over HTTP anyway).
    if (options.https !== undefined) void reply.header('strict-transport-security', hstsHeader);
    // RFC 6749 §5.1: responses carrying tokens must not be cached; the default for every API answer.
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    void reply.header('x-trace-id', request.id);
    done(null, payload);
  });

  registerRequestLimits(app, {
    limits: services.config.rateLimits,
    clock: services.clock,
    store: services.store,
    audit: services.audit,
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const unavailable = replyStoreUnavailable(err, request, reply);
    if (unavailable !== undefined) return unavailable;
    if (isSignetError(err)) {
      request.log.warn({ code: err.code, detail: err.detail }, err.message);
      const status = err.code === 'ERR_AUTH_THROTTLED' ? 429 : 400;
      return reply.code(status).send({ error: err.code, error_description: err.message });
    }
    const { status, body } = errorBody(err);
    if (status >= 500) request.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' }),
  );

  app.get('/documentation/json', { schema: { hide: true } }, () => app.swagger());
  registerDocumentationPage(app);
  registerLogoRoute(app);
  if (options.metricsRoute !== false) registerMetricsRoute(app, services.metrics, options.metricsRoute?.token);
  await app.register(healthRoutes, { services, readiness });
  await app.register(pkiRoutesPlugin, { services, prefix: pkiPrefix });
  await app.register(adminRoutes, { services, prefix: '/admin/v1' });
  await app.register(userAuditRoutes, { services, prefix: userApiPrefix });
  await app.register(receiptRoutes, { services, prefix: userApiPrefix });
  await app.register(transparencyRoutes, { services, prefix: userApiPrefix });
  // docs/decisions/0001 Contract 1: the web session, read by requireWebUser on any plugin.
  app.decorate('signetWebSessions', services.webSessions);
  await app.register(sessionRoutes, { services, prefix: userApiPrefix });
  await app.register(accountRoutes, { services, prefix: userApiPrefix });
  for (const surface of options.surfaces ?? []) {
    await app.register(surface.plugin, {
      ...(surface.options as Record<string, unknown>),
      ...(surface.prefix !== undefined ? { prefix: surface.prefix } : {}),
    } as never);
  }
  return app;
}
