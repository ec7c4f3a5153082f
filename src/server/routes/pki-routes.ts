/**
 * The PKI endpoints mounted under /pki: POST /pki/tsa (RFC 3161 §3.4), GET|POST /pki/ocsp
 * (RFC 6960 App. A), GET /pki/crl (RFC 5280 §4.2.1.13), GET /pki/ca/{issuing,root}.cer
 * (RFC 5280 §4.2.2.1 caIssuers), GET /pki/ca/root.crl (the root's CRL, the issuing CA's CDP). The handlers are src/pki's framework-free ones.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import { pkiRoutes, type PkiHttpRequest, type PkiRoute } from '../../pki/index.js';
import type { Services } from '../services.js';

/** Options of the PKI plugin. */
export interface PkiRoutesPluginOptions {
  readonly services: Pick<Services, 'ca' | 'ocsp' | 'tsa' | 'rootCertificate' | 'clock'> & Partial<Pick<Services, 'metrics'>> & {
    readonly caDirectory?: Pick<Services['caDirectory'], 'readRootCrl'>;
  };
  /** Largest DER request (default 64 KiB). */
  readonly maxBodyBytes?: number;
}

/** The mount point. */
export const pkiPrefix = '/pki';

const summaries: Record<string, string> = {
  'POST /tsa': 'RFC 3161 time-stamp request (application/timestamp-query)',
  'POST /ocsp': 'RFC 6960 OCSP request (application/ocsp-request)',
  'GET /ocsp': 'RFC 6960 App. A.1 OCSP request in the URL (base64)',
  'GET /crl': 'The issuing CA’s current CRL (DER)',
  'GET /ca/issuing.cer': 'The issuing CA certificate (DER)',
  'GET /ca/root.cer': 'The root CA certificate (DER)',
  'GET /ca/root.crl': 'The root CA’s CRL (DER; names the issuing CA when revoked)',
};

function toPkiRequest(request: FastifyRequest): PkiHttpRequest {
  const url = request.url.split('?')[0] ?? '';
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(request.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const body = Buffer.isBuffer(request.body) ? new Uint8Array(request.body) : new Uint8Array(0);
  return { method: request.method, path: url.slice(pkiPrefix.length) || '/', headers, body };
}

/** Registers the PKI routes; register with `{ prefix: '/pki' }`. */
export const pkiRoutesPlugin: FastifyPluginAsync<PkiRoutesPluginOptions> = (app, options) => {
  const { services } = options;
  const bodyLimit = options.maxBodyBytes ?? 64 * 1024;
  // RFC 3161 §3.4 and RFC 6960 App. A.1 media types carry raw DER.
  for (const type of ['application/timestamp-query', 'application/ocsp-request']) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  }
  const routes: readonly PkiRoute[] = pkiRoutes({
    ca: services.ca,
    ocsp: services.ocsp.handler,
    tsa: services.tsa.handler,
    rootCertificate: services.rootCertificate,
    ...(services.caDirectory ? { rootCrl: () => services.caDirectory?.readRootCrl() } : {}),
    clock: services.clock,
  });
  for (const route of routes) {
    const summary = summaries[`${route.method} ${route.path}`] ?? route.path;
    const paths = route.prefix ? [route.path, `${route.path}/*`] : [route.path];
    for (const path of paths) {
      app.route({
        method: route.method,
        url: path,
        bodyLimit,
        schema: { summary, tags: ['pki'], ...(path.endsWith('*') ? { hide: true } : {}) },
        handler: async (request, reply) => {
          const response = await route.handler(toPkiRequest(request));
          if (response.status === 200 && route.path.endsWith('crl')) services.metrics?.crlsIssued.inc({ ca: route.path === '/crl' ? 'issuing' : 'root' });
          // Public, cacheable PKI data: the global no-store default does not apply.
          void reply.code(response.status).headers({ 'cache-control': 'no-cache', ...response.headers });
          return reply.send(Buffer.from(response.body));
        },
      });
    }
  }
  return Promise.resolve();
};
