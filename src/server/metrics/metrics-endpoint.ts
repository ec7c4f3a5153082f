/**
 * `GET /metrics` in the Prometheus text format, on the main listener or on a listener of its
 * own (metrics-config.ts), optionally behind a bearer token (RFC 6750 §2.1, compared in constant
 * time). The route is left out of the OpenAPI document: it is for the platform, not API clients.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
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
  close(): Promise<void>;
}

/**
 * Starts the separate metrics listener on `address`.
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
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
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
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
