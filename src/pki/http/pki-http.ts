/**
 * Framework-free HTTP handler shape for the PKI endpoints (OCSP RFC 6960 App. A, TSA RFC 3161
 * §3.4, CRL and CA certificates RFC 5280 §4.2.1.13 / §4.2.2.1), so node:http or Fastify can mount them.
 */

/** An HTTP request as the handlers see it (header names lower-case). */
export interface PkiHttpRequest {
  readonly method: string;
  /** Path without query, e.g. `/ocsp/MEUwQz…`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

/** The handler's answer. */
export interface PkiHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** One endpoint. Handlers never throw for bad input: they answer with a status. */
export type PkiHttpHandler = (request: PkiHttpRequest) => Promise<PkiHttpResponse>;

/** A plain-text error response. */
export function textResponse(status: number, text: string): PkiHttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: new TextEncoder().encode(`${text}\n`) };
}

/** A binary response with a media type. */
export function binaryResponse(contentType: string, body: Uint8Array, extra: Readonly<Record<string, string>> = {}): PkiHttpResponse {
  return { status: 200, headers: { 'content-type': contentType, ...extra }, body };
}

/** The media type without parameters, lower-case. */
export function mediaType(request: PkiHttpRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}
