/**
 * A minimal node:http host for the PKI endpoints (`signet pki serve`): POST /tsa (RFC 3161
 * §3.4), GET|POST /ocsp (RFC 6960 App. A), GET /crl (RFC 5280 §4.2.1.13, DER) and the CA
 * certificates (§4.2.2.1 caIssuers, DER). Bodies are size-limited; handlers are framework-free.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { CertificateAuthority } from './ca/certificate-authority.js';
import { binaryResponse, textResponse, type PkiHttpHandler, type PkiHttpRequest, type PkiHttpResponse } from './http/pki-http.js';

/** One route: exact path, or a prefix (`/ocsp/` for GET requests carrying the request in the path). */
export interface PkiRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly prefix?: boolean;
  readonly handler: PkiHttpHandler;
}

/** Options of startPkiHttpHost. */
export interface PkiHttpHostOptions {
  readonly routes: readonly PkiRoute[];
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Largest request body (default 64 KiB). */
  readonly maxBodyBytes?: number;
  /** Per-request timeout (default 10 s). */
  readonly requestTimeoutMs?: number;
}

/** A running host. */
export interface PkiHttpHost {
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: PkiHttpResponse): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) });
  res.end(response.body);
}

/**
 * Starts the host.
 *
 * @example
 * ```ts
 * const host = await startPkiHttpHost({ routes: pkiRoutes({ ca, ocsp, tsa, rootCertificate, clock }), port: 0 });
 * ```
 */
export function startPkiHttpHost(options: PkiHttpHostOptions): Promise<PkiHttpHost> {
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const method = req.method ?? 'GET';
        const candidates = options.routes.filter((r) =>
          r.prefix ? url.pathname === r.path || url.pathname.startsWith(`${r.path}/`) : url.pathname === r.path,
        );
        if (candidates.length === 0) return send(res, textResponse(404, 'not found'));
        const route = candidates.find((r) => r.method === method);
        if (!route) {
          return send(res, { ...textResponse(405, 'method not allowed'), headers: { allow: [...new Set(candidates.map((r) => r.method))].join(', ') } });
        }
        const body = method === 'POST' ? await readBody(req, maxBody) : new Uint8Array(0);
        if (body === 'too-large') {
          res.setHeader('connection', 'close');
          return send(res, textResponse(413, 'request body too large'));
        }
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        const request: PkiHttpRequest = { method, path: url.pathname, headers, body };
        send(res, await route.handler(request));
      } catch {
        if (!res.headersSent) send(res, textResponse(500, 'internal error'));
        else res.destroy();
      }
    })();
  });
  server.requestTimeout = options.requestTimeoutMs ?? 10_000;
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** What pkiRoutes mounts. */
export interface PkiRoutesOptions {
  readonly ca: CertificateAuthority;
  readonly ocsp: PkiHttpHandler;
  readonly tsa: PkiHttpHandler;
  readonly rootCertificate: Uint8Array;
  /** The root's CRL as stored (GET /ca/root.crl; 404 while there is none). */
  readonly rootCrl?: () => Uint8Array | undefined;
  readonly clock: Clock;
  /** A served CRL is regenerated after this many minutes, or at once after a revocation. Default 60. */
  readonly crlCacheMinutes?: number;
}

/**
 * The standard routes: POST /tsa, GET|POST /ocsp, GET /crl, GET /ca/issuing.cer, GET /ca/root.cer,
 * GET /ca/root.crl.
 */
export function pkiRoutes(options: PkiRoutesOptions): readonly PkiRoute[] {
  let cached: { der: Uint8Array; revokedCount: number; at: number } | undefined;
  const cacheMs = (options.crlCacheMinutes ?? 60) * 60_000;
  const crl: PkiHttpHandler = async () => {
    const revokedCount = (await options.ca.store.listRevoked(options.ca.id)).length;
    const now = options.clock.now().getTime();
    if (!cached || cached.revokedCount !== revokedCount || now - cached.at > cacheMs) {
      cached = { der: await options.ca.generateCrl(), revokedCount, at: now };
    }
    return binaryResponse('application/pkix-crl', cached.der);
  };
  const rootCrl: PkiHttpHandler = () => {
    const der = options.rootCrl?.();
    return Promise.resolve(der === undefined ? textResponse(404, 'no root CRL') : binaryResponse('application/pkix-crl', der));
  };
    const cert = (der: Uint8Array): PkiHttpHandler => () => Promise.resolve(binaryResponse('application/pkix-cert', der));
  return [
    { method: 'POST', path: '/tsa', handler: options.tsa },
    { method: 'POST', path: '/ocsp', handler: options.ocsp },
    { method: 'GET', path: '/ocsp', prefix: true, handler: options.ocsp },
    { method: 'GET', path: '/crl', handler: crl },
    { method: 'GET', path: '/ca/issuing.cer', handler: cert(options.ca.certificate) },
    { method: 'GET', path: '/ca/root.cer', handler: cert(options.rootCertificate) },
    { method: 'GET', path: '/ca/root.crl', handler: rootCrl },
  ];
}
