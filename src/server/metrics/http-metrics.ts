/**
 * HTTP request metrics: one histogram observation per answered request, labelled by method,
 * route template (`/csc/v2/signatures/signHash`, `/pki/ocsp/*`; `unmatched` for a 404 without a
 * route, so a scanner's paths never become label values) and status class (`2xx` … `5xx`).
 */
import type { FastifyInstance } from 'fastify';
import type { SignetMetrics } from './signet-metrics.js';

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Adds the onResponse hook that observes every request. */
export function registerHttpMetrics(app: FastifyInstance, metrics: SignetMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestDuration.observe(
      {
        method: knownMethods.has(request.method) ? request.method : 'other',
        route: request.routeOptions.url ?? 'unmatched',
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
