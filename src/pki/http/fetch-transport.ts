/**
 * The client side of the PKI HTTP bindings (RFC 3161 §3.4, RFC 6960 App. A, RFC 5280
 * §4.2.1.13): node:http(s) by default or an injected fetch-like transport, with a timeout, a
 * response size limit read from the stream, and typed errors. Only http: and https: URLs are
 * followed.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
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
  const target = requireHttpUrl(url);
  const max = options.maxResponseBytes ?? options.defaultMaxBytes;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.fetch === undefined) {
    // Issue 19: a fetch() round trip (undici, web streams, a Response) cost the client about
    // 1.2 ms of CPU per time-stamp or OCSP request, node:http about a quarter of it (as the CSC
    // client's json-transport). A redirect is left to fetch, which follows it as before.
    const reply = await nodeHttpExchange(target, request, options.expectType, max, timeoutMs);
    if (reply !== 'redirect') return checkedReply(url, reply.status, reply.contentType, reply.body, options.expectType);
  }
  const fetchFn: FetchLike = options.fetch ?? ((u, init) => fetch(u, init));
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
    return checkedReply(url, response.status, mediaType(response.headers.get('content-type') ?? undefined), body, options.expectType);
  } catch (err) {
    if (err instanceof PkiError) throw err;
    if (timedOut) throw new PkiError('ERR_PKI_TIMEOUT', `no complete answer within ${timeoutMs} ms`, { detail: { url } });
    throw new PkiError('ERR_PKI_TRANSPORT', 'the request to the endpoint failed', { cause: err, detail: { url } });
  } finally {
    clearTimeout(timer);
  }
}

function mediaType(header: string | undefined): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase();
}

/** ERR_PKI_HTTP_STATUS for a non-2xx answer or an unexpected media type; the exchange otherwise. */
function checkedReply(url: string, status: number, contentType: string | undefined, body: Uint8Array, expectType: string | undefined): FetchedBytes {
  if (status < 200 || status > 299) {
    throw new PkiError('ERR_PKI_HTTP_STATUS', `the endpoint answered HTTP ${status}`, { detail: { url } });
  }
  if (expectType && contentType !== expectType) {
    throw new PkiError('ERR_PKI_HTTP_STATUS', `the endpoint answered ${contentType ?? 'no media type'}, expected ${expectType}`);
  }
  return { status, contentType, body };
}

/**
 * One exchange over node:http(s) with the runtime's keep-alive agents: the body read up to
 * `max` bytes, the whole exchange bounded by `timeoutMs`. 'redirect' for a 3xx answer with a
 * Location (its body is dropped). Rejects with ERR_PKI_TIMEOUT, ERR_PKI_RESPONSE_TOO_LARGE or
 * ERR_PKI_TRANSPORT.
 */
function nodeHttpExchange(
  target: URL,
  request: { readonly method: 'GET' | 'POST'; readonly contentType?: string; readonly body?: Uint8Array },
  expectType: string | undefined,
  max: number,
  timeoutMs: number,
): Promise<{ status: number; contentType: string | undefined; body: Uint8Array } | 'redirect'> {
  return new Promise((resolve, reject) => {
    const url = target.toString();
    let settled = false;
    const finish = (error: PkiError | undefined, reply?: { status: number; contentType: string | undefined; body: Uint8Array } | 'redirect'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) resolve(reply as 'redirect');
      else {
        req.destroy();
        reject(error);
      }
    };
    const timer = setTimeout(() => finish(new PkiError('ERR_PKI_TIMEOUT', `no complete answer within ${timeoutMs} ms`, { detail: { url } })), timeoutMs);
    const headers: Record<string, string> = {};
    if (request.contentType) headers['content-type'] = request.contentType;
    if (expectType) headers['accept'] = expectType;
    if (request.body) headers['content-length'] = String(request.body.length);
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method: request.method, headers });
    req.on('error', (cause) => finish(new PkiError('ERR_PKI_TRANSPORT', 'the request to the endpoint failed', { cause, detail: { url } })));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status <= 399 && res.headers.location !== undefined) {
        res.resume();
        return finish(undefined, 'redirect');
      }
      const tooLarge = (): void => finish(new PkiError('ERR_PKI_RESPONSE_TOO_LARGE', `response larger than ${max} bytes`));
      if (Number(res.headers['content-length'] ?? '0') > max) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) tooLarge();
        else chunks.push(chunk);
      });
      res.on('end', () => {
        // A buffer of its own (not a view into Node's shared pool): callers keep and re-read it.
        const body = new Uint8Array(size);
        let offset = 0;
        for (const c of chunks) {
          body.set(c, offset);
          offset += c.length;
        }
        finish(undefined, { status, contentType: mediaType(res.headers['content-type']), body });
      });
      res.on('error', (cause) => finish(new PkiError('ERR_PKI_TRANSPORT', 'the request to the endpoint failed', { cause, detail: { url } })));
    });
    req.end(request.body === undefined ? undefined : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength));
  });
}
