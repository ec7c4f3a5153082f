/**
 * `GET /metrics` in the Prometheus text format, on the main listener or on a listener of its
 * own (metrics-config.ts), optionally behind a bearer token (RFC 6750 §2.1, compared in constant
 * time). The route is left out of the OpenAPI document: it is for the platform, not API clients.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { secureContextOptions, type TlsMaterial } from '../tls-config.js';
import type { SignetMetrics } from './signet-metrics.js';

/** True when `authorization` is `Bearer <token>` (or no token is required). */
export function isScrapeAllowed(
  authorization: string | undefined,
  token: string | undefined,
): boolean {
  if (token === undefined) return true;
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  if (match?.[1] === undefined) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}

const unauthorized = {
  error: 'invalid_token',
  error_description: 'the metrics endpoint needs its bearer token',
};

/** Registers `GET /metrics` on `app`. */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: SignetMetrics,
  token: string | undefined,
): void {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!isScrapeAllowed(request.headers.authorization, token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .send(unauthorized);
    }
    const text = await metrics.scrape();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}

/** A listener serving only `GET /metrics`. */
export interface MetricsListener {
  readonly url: string;
  /** The TLS server when the listener serves HTTPS (its certificate is reloaded on SIGHUP). */
  readonly tlsServer: TlsServer | undefined;
  close(): Promise<void>;
}

/**
 * Starts the separate metrics listener on `address`. With `tls` (the main listener's certificate
 * and key, SIGNET_TLS_CERT_FILE / _KEY_FILE) it serves HTTPS too: a bearer token must not cross
 * the network in clear, and a node that serves TLS has no plain port. No client certificate is
 * asked for here (RFC 8705 is for OAuth clients, not scrapers).
 *
 * @example
 * ```ts
 * const listener = await startMetricsListener({ host: '127.0.0.1', port: 9464 }, metrics, undefined);
 * await listener.close();
 * ```
 */
export async function startMetricsListener(
  address: { readonly host: string; readonly port: number },
  metrics: SignetMetrics,
  token: string | undefined,
  tls?: TlsMaterial,
): Promise<MetricsListener> {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'not_found', error_description: 'no such endpoint' }));
      return;
    }
    if (!isScrapeAllowed(req.headers.authorization, token)) {
      res
        .writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': 'Bearer realm="metrics"',
        })
        .end(JSON.stringify(unauthorized));
      return;
    }
    metrics.scrape().then(
      (text) =>
        res
          .writeHead(200, { 'content-type': metrics.registry.contentType })
          .end(req.method === 'HEAD' ? undefined : text),
      () =>
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'server_error', error_description: 'internal error' })),
    );
  };
  const tlsServer =
    tls === undefined
      ? undefined
      : createHttpsServer({ ...secureContextOptions({ cert: tls.cert, key: tls.key, ca: undefined }), ALPNProtocols: ['http/1.1'] }, handle);
  const server: Server = tlsServer ?? createServer(handle);
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    url: `${tlsServer === undefined ? 'http' : 'https'}://${host}:${port}/metrics`,
    tlsServer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
