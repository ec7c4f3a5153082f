/**
 * Adapts a framework-free PkiHttpHandler into a FetchLike, so the TSA/OCSP/CRL clients can talk
 * to an in-process responder (tests, or a server that hosts its own TSA) without a socket.
 */
import type { FetchLike } from './fetch-transport.js';
import type { PkiHttpHandler } from './pki-http.js';

/**
 * A FetchLike that calls `handler` directly.
 *
 * @example
 * ```ts
 * const client = new TimestampClient({ url: 'http://in-process/tsa', fetch: handlerFetch(tsa.handler) });
 * ```
 */
export function handlerFetch(handler: PkiHttpHandler): FetchLike {
  return async (url, init) => {
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(init.headers)) headers[k.toLowerCase()] = v;
    const res = await handler({ method: init.method, path: new URL(url).pathname, headers, body: init.body ?? new Uint8Array(0) });
    return new Response(res.body.length === 0 ? null : res.body, { status: res.status, headers: res.headers });
  };
}
