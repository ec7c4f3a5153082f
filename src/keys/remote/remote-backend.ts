/**
 * The `remote` key backend: a client of `signet token-server` over HTTPS with mutual TLS and
 * connection reuse. Reads are retried; a sign request is retried only with the same single-use
 * request id, so the server performs at most one key operation per call (never signs twice).
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:https';
import { systemClock, type Clock } from '../../core/clock.js';
import { digestAlgorithms } from '../../cms/algorithms.js';
import type { BackendHealth, GeneratedKey, KeyRef, KeySpec, SignRequest } from '../key-backend.js';
import type { ListingKeyBackend } from '../key-listing.js';
import { KeyBackendError } from '../errors.js';
import { maxBodyBytes, remoteErrorCode, remotePaths } from './protocol.js';
import type { MutualTlsOptions } from './token-server.js';

/** Options of `RemoteKeyBackend`. */
export interface RemoteKeyBackendOptions {
  /** `https://host:port` of the token server. */
  readonly url: string;
  /** Client certificate, key, and the CA that issued the server certificate. */
  readonly tls: MutualTlsOptions;
  /** Timeout of one HTTP exchange (default 30 000 ms; key generation may take seconds). */
  readonly timeoutMs?: number;
  /** Extra attempts after a connection failure (default 2). */
  readonly retries?: number;
  /** Most parallel connections (default 16). */
  readonly maxSockets?: number;
  readonly clock?: Clock;
}

interface Exchange {
  readonly status: number;
  readonly body: unknown;
}

/** Connection-level failures after which the request may not have reached the server. */
const retryableNetworkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Keys held by a token server, used over the network.
 *
 * @example
 * ```ts
 * const remote = new RemoteKeyBackend({ url: 'https://tokens.internal:8443', tls: { cert, key, ca } });
 * const signature = await remote.sign('pkcs11:token=card-07;object=alice', request);
 * ```
 */
export class RemoteKeyBackend implements ListingKeyBackend {
  readonly kind = 'remote';
  readonly #url: URL;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #clock: Clock;
  #closed = false;

  constructor(options: RemoteKeyBackendOptions) {
    this.#url = new URL(options.url);
    if (this.#url.protocol !== 'https:') {
      throw new KeyBackendError('ERR_KEY_URI_INVALID', 'the token server URL must be https://');
    }
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 16,
      cert: options.tls.cert,
      key: options.tls.key,
      ca: options.tls.ca,
      minVersion: 'TLSv1.2',
    });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 2;
    this.#clock = options.clock ?? systemClock;
  }

  async generateKey(spec: KeySpec, label?: string): Promise<GeneratedKey> {
    // Not retried after the request may have arrived: a second generation would be a second key.
    const body = await this.#call(
      'POST',
      remotePaths.generate,
      { spec, ...(label === undefined ? {} : { label }) },
      'refused-only',
    );
    return {
      ref: str(body, 'ref'),
      keyType: str(body, 'keyType') === 'EC' ? 'EC' : 'RSA',
      publicKey: bytes(body, 'publicKey'),
    };
  }

  async getPublicKey(ref: KeyRef): Promise<Uint8Array> {
    return bytes(await this.#call('POST', remotePaths.publicKey, { ref }, 'always'), 'publicKey');
  }

  async sign(ref: KeyRef, signRequest: SignRequest): Promise<Uint8Array> {
    // The token protocol carries no salt length: its signer uses hLen (RFC 4055 §3.1).
    if (signRequest.scheme === 'RSASSA-PSS' && signRequest.saltLength !== undefined && signRequest.saltLength !== digestAlgorithms[signRequest.digestAlgorithm].length) {
      throw new KeyBackendError('ERR_KEY_MECHANISM_UNSUPPORTED', 'a remote token signs RSASSA-PSS with a salt as long as the hash only');
    }
    const body = {
      requestId: randomBytes(16).toString('hex'),
      issuedAt: this.#clock.now().toISOString(),
      ref,
      scheme: signRequest.scheme,
      digestAlgorithm: signRequest.digestAlgorithm,
      digest: Buffer.from(signRequest.digest).toString('base64'),
    };
    // Retrying with the same request id is safe: the server consumes an id before signing, so
    // a second arrival is refused (ERR_KEY_REPLAYED) instead of signing twice.
    try {
      return bytes(await this.#call('POST', remotePaths.sign, body, 'always'), 'signature');
    } catch (err) {
      if (
        err instanceof KeyBackendError &&
        err.code === 'ERR_KEY_REPLAYED' &&
        (err.detail?.['attempt'] ?? 0) !== 0
      ) {
        throw new KeyBackendError(
          'ERR_KEY_BACKEND_UNAVAILABLE',
          'the token server connection failed mid-request; the signature was not delivered',
          { cause: err },
        );
      }
      throw err;
    }
  }

  async destroyKey(ref: KeyRef): Promise<void> {
    await this.#call('POST', remotePaths.destroy, { ref }, 'refused-only');
  }

  async listKeyRefs(): Promise<readonly KeyRef[]> {
    const body = await this.#call('GET', remotePaths.keys, undefined, 'always');
    const keys = (body as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw malformed();
    return keys as string[];
  }

  async health(): Promise<BackendHealth> {
    try {
      const body = (await this.#call('GET', remotePaths.health, undefined, 'always')) as {
        ok?: unknown;
        detail?: unknown;
      };
      return { ok: body.ok === true, detail: { remote: body.detail ?? null } };
    } catch (err) {
      return {
        ok: false,
        detail: { code: err instanceof KeyBackendError ? err.code : 'ERR_KEY_BACKEND_UNAVAILABLE' },
      };
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#agent.destroy();
    await Promise.resolve();
  }

  async #call(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    retry: 'always' | 'refused-only',
  ): Promise<unknown> {
    if (this.#closed)
      throw new KeyBackendError('ERR_KEY_BACKEND_CLOSED', 'the remote backend is closed');
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      let exchange: Exchange;
      try {
        exchange = await this.#exchange(method, path, payload);
      } catch (err) {
        if (err instanceof KeyBackendError && err.detail?.['network'] === undefined) throw err;
        const code =
          err instanceof KeyBackendError
            ? String(err.detail?.['network'])
            : ((err as NodeJS.ErrnoException).code ?? '');
        const mayRetry =
          retry === 'always' ? retryableNetworkCodes.has(code) : code === 'ECONNREFUSED';
        if (mayRetry && attempt < this.#retries) continue;
        throw new KeyBackendError(
          'ERR_KEY_BACKEND_UNAVAILABLE',
          `token server unreachable (${code || 'error'})`,
          { cause: err, detail: { attempt } },
        );
      }
      if (exchange.status === 200) return exchange.body;
      const error = (exchange.body as { error?: { code?: unknown; message?: unknown } } | undefined)
        ?.error;
      const message =
        typeof error?.message === 'string'
          ? error.message.slice(0, 500)
          : `token server answered ${exchange.status}`;
      throw new KeyBackendError(remoteErrorCode(error?.code), message, {
        detail: { status: exchange.status, attempt },
      });
    }
  }

  #exchange(method: string, path: string, payload: string | undefined): Promise<Exchange> {
    return new Promise<Exchange>((resolve, reject) => {
      const req = request(
        new URL(path, this.#url),
        {
          method,
          agent: this.#agent,
          timeout: this.#timeoutMs,
          headers:
            payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
              req.destroy(malformed());
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            try {
              resolve({
                status: res.statusCode ?? 0,
                body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
              });
            } catch {
              reject(malformed());
            }
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'token server timed out', {
            detail: { network: 'ETIMEDOUT' },
          }),
        ),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function malformed(): KeyBackendError {
  return new KeyBackendError('ERR_KEY_REMOTE', 'malformed answer from the token server');
}

function str(body: unknown, name: string): string {
  const v =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'string') throw malformed();
  return v;
}

function bytes(body: unknown, name: string): Uint8Array {
  const v = str(body, name);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw malformed();
  return new Uint8Array(Buffer.from(v, 'base64'));
}
