/**
 * The client side of the PKI HTTP bindings (RFC 3161 §3.4, RFC 6960 App. A, RFC 5280
 * §4.2.1.13): an injected fetch-like transport with a timeout, a response size limit read from
 * the stream, and typed errors. Only http: and https: URLs are followed.
 */
import { PkiError } from '../errors.js';

/** The subset of `fetch` the clients use (globalThis.fetch fits; tests may inject their own). */
export type FetchLike = (
  url: string,
  init: {
    readonly method: 'GET' | 'POST';
    readonly headers: Record<string, string>;
    readonly body?: Uint8Array;
    readonly signal: AbortSignal;
  },
) => Promise<Response>;

/** Limits of one exchange. */
export interface TransportOptions {
  readonly fetch?: FetchLike;
  /** Whole-exchange timeout, ms (default 10 s). */
  readonly timeoutMs?: number;
  /** Largest response body, bytes. */
  readonly maxResponseBytes?: number;
}

/** A completed exchange. */
export interface FetchedBytes {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

/** Checks a URL is absolute http(s); otherwise ERR_PKI_NO_URL. */
export function requireHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new PkiError('ERR_PKI_NO_URL', 'the endpoint URL is not a valid absolute URL', { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PkiError('ERR_PKI_NO_URL', `only http and https endpoints are supported, not ${parsed.protocol}`);
  }
  return parsed;
}

/**
 * Performs one request and reads at most `maxResponseBytes`. Throws ERR_PKI_TIMEOUT,
 * ERR_PKI_RESPONSE_TOO_LARGE, ERR_PKI_TRANSPORT or ERR_PKI_HTTP_STATUS (non-2xx, or a media type
 * other than `expectType` when given).
 */
export async function fetchBytes(
  url: string,
  request: { readonly method: 'GET' | 'POST'; readonly contentType?: string; readonly body?: Uint8Array },
  options: TransportOptions & { readonly expectType?: string; readonly defaultMaxBytes: number },
): Promise<FetchedBytes> {
  requireHttpUrl(url);
  const fetchFn: FetchLike = options.fetch ?? ((u, init) => fetch(u, init));
  const max = options.maxResponseBytes ?? options.defaultMaxBytes;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const headers: Record<string, string> = {};
    if (request.contentType) headers['content-type'] = request.contentType;
    if (options.expectType) headers['accept'] = options.expectType;
    const response = await fetchFn(url, {
      method: request.method,
      headers,
      ...(request.body ? { body: request.body } : {}),
      signal: controller.signal,
    });
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > max) {
      controller.abort();
      throw new PkiError('ERR_PKI_RESPONSE_TOO_LARGE', `response larger than ${max} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > max) {
          controller.abort();
          throw new PkiError('ERR_PKI_RESPONSE_TOO_LARGE', `response larger than ${max} bytes`);
        }
        chunks.push(value);
      }
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      body.set(c, offset);
      offset += c.length;
    }
    const contentType = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (response.status < 200 || response.status > 299) {
      throw new PkiError('ERR_PKI_HTTP_STATUS', `the endpoint answered HTTP ${response.status}`, { detail: { url } });
    }
    if (options.expectType && contentType !== options.expectType) {
      throw new PkiError('ERR_PKI_HTTP_STATUS', `the endpoint answered ${contentType ?? 'no media type'}, expected ${options.expectType}`);
    }
    return { status: response.status, contentType, body };
  } catch (err) {
    if (err instanceof PkiError) throw err;
    if (timedOut) throw new PkiError('ERR_PKI_TIMEOUT', `no complete answer within ${timeoutMs} ms`, { detail: { url } });
    throw new PkiError('ERR_PKI_TRANSPORT', 'the request to the endpoint failed', { cause: err, detail: { url } });
  } finally {
    clearTimeout(timer);
  }
}
