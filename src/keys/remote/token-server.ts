/**
 * The token server: exposes the keys of one machine's backend (card readers, a network HSM) to
 * signing nodes over HTTPS with mutual TLS (RFC 8446 §4.3.2; clients must present a certificate
 * issued by the configured CA). Sign requests are single use within a freshness window.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.js';
import { isSignetError } from '../../core/errors.js';
import type { KeyBackend } from '../key-backend.js';
import { KeyBackendError } from '../errors.js';
import { isListing } from '../key-listing.js';
import {
  badRequest,
  bytesField,
  digestAlgorithmField,
  maxBodyBytes,
  remotePaths,
  schemeField,
  specField,
  statusForCode,
  stringField,
} from './protocol.js';

/** TLS material of a server or client (PEM). */
export interface MutualTlsOptions {
  /** Own certificate chain (PEM). */
  readonly cert: string;
  /** Own private key (PEM). */
  readonly key: string;
  /** The CA that issued the peer's certificates (PEM). */
  readonly ca: string;
}

/** Options of `TokenServer.start`. */
export interface TokenServerOptions {
  readonly backend: KeyBackend;
  readonly tls: MutualTlsOptions;
  /** Host to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  readonly clock?: Clock;
  /** How long a sign request stays valid and its id remembered (default 300 s). */
  readonly freshnessMs?: number;
  /** Most remembered request ids (default 100 000); beyond it requests are refused as busy. */
  readonly maxRememberedRequests?: number;
}

/**
 * A running token server. Stop it with `close()` (the backend stays open: the caller owns it).
 *
 * @example
 * ```ts
 * const server = await TokenServer.start({ backend: hsm, tls: { cert, key, ca }, port: 8443 });
 * console.log(server.url); // https://127.0.0.1:8443
 * ```
 */
export class TokenServer {
  readonly url: string;
  readonly #server: Server;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: TokenServerOptions): Promise<TokenServer> {
    const handler = new RequestHandler(options);
    const server = createServer(
      {
        cert: options.tls.cert,
        key: options.tls.key,
        ca: options.tls.ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      (req, res) => {
        handler.handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      },
    );
    server.keepAliveTimeout = 30_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return new TokenServer(server, `https://${host.includes(':') ? `[${host}]` : host}:${port}`);
  }

  /** Stops accepting connections and closes idle keep-alive sockets. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }
}

class RequestHandler {
  readonly #backend: KeyBackend;
  readonly #clock: Clock;
  readonly #freshnessMs: number;
  readonly #maxRemembered: number;
  /** Used request ids → the time (ms) after which they may be forgotten. */
  readonly #used = new Map<string, number>();
  /** Ids used before a restart are not remembered, so older requests are refused outright. */
  readonly #startedAt: number;

  constructor(options: TokenServerOptions) {
    this.#backend = options.backend;
    this.#clock = options.clock ?? systemClock;
    this.#freshnessMs = options.freshnessMs ?? 300_000;
    this.#maxRemembered = options.maxRememberedRequests ?? 100_000;
    this.#startedAt = this.#clock.now().getTime();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const result = await this.#route(req.method ?? '', req.url ?? '', body);
      send(res, 200, result);
    } catch (err) {
      const code = isSignetError(err) ? err.code : 'ERR_KEY_REMOTE';
      const message = isSignetError(err) ? err.message : 'internal error';
      send(res, statusForCode(code), { error: { code, message } });
    }
  }

  async #route(method: string, url: string, body: unknown): Promise<unknown> {
    const b = this.#backend;
    if (method === 'GET' && url === remotePaths.health) return b.health();
    if (method === 'GET' && url === remotePaths.keys) {
      if (!isListing(b))
        throw new KeyBackendError(
          'ERR_KEY_CAPABILITY_UNSUPPORTED',
          'this backend cannot list keys',
        );
      return { keys: await b.listKeyRefs() };
    }
    if (method === 'POST' && url === remotePaths.generate) {
      const label =
        body !== null && typeof body === 'object' && 'label' in body
          ? stringField(body, 'label', 128)
          : undefined;
      const generated = await b.generateKey(
        specField(body),
        ...(label === undefined ? [] : [label]),
      );
      return {
        ref: generated.ref,
        keyType: generated.keyType,
        publicKey: b64(generated.publicKey),
      };
    }
    if (method === 'POST' && url === remotePaths.publicKey) {
      return { publicKey: b64(await b.getPublicKey(stringField(body, 'ref'))) };
    }
    if (method === 'POST' && url === remotePaths.sign) {
      const ref = stringField(body, 'ref');
      const scheme = schemeField(body);
      const digestAlgorithm = digestAlgorithmField(body);
      const digest = bytesField(body, 'digest');
      this.#consumeRequestId(stringField(body, 'requestId', 64), stringField(body, 'issuedAt', 64));
      return { signature: b64(await b.sign(ref, { scheme, digestAlgorithm, digest })) };
    }
    if (method === 'POST' && url === remotePaths.destroy) {
      await b.destroyKey(stringField(body, 'ref'));
      return { destroyed: true };
    }
    throw new KeyBackendError('ERR_KEY_REMOTE', `no route ${method} ${url.slice(0, 64)}`);
  }

  /** KEY-10: a request id is used once; requests outside the freshness window are refused. */
  #consumeRequestId(requestId: string, issuedAt: string): void {
    if (!/^[0-9a-f]{32}$/.test(requestId)) throw badRequest('requestId must be 32 hex digits');
    const now = this.#clock.now().getTime();
    const issued = Date.parse(issuedAt);
    if (!Number.isFinite(issued) || Math.abs(now - issued) > this.#freshnessMs) {
      throw new KeyBackendError('ERR_KEY_REPLAYED', 'sign request is outside the freshness window');
    }
    if (issued < this.#startedAt) {
      // The ids seen by the previous process are gone: a request older than this process could
      // be a replay of one it already signed.
      throw new KeyBackendError('ERR_KEY_REPLAYED', 'sign request predates the token server start');
    }
    for (const [id, forgetAt] of this.#used) {
      if (forgetAt > now) break; // insertion order ≈ time order
      this.#used.delete(id);
    }
    if (this.#used.has(requestId)) {
      throw new KeyBackendError('ERR_KEY_REPLAYED', 'sign request id already used');
    }
    if (this.#used.size >= this.#maxRemembered) {
      throw new KeyBackendError(
        'ERR_KEY_BACKEND_BUSY',
        'too many sign requests in the freshness window',
      );
    }
    this.#used.set(requestId, issued + 2 * this.#freshnessMs);
  }
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json'))
    throw badRequest('content-type must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw badRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw badRequest('request body is not JSON');
  }
}
