/**
 * Client spans for the process's outgoing `fetch` calls (TSA, OCSP and CRL clients, OAuth and
 * OpenID Connect exchanges), through undici's diagnostics channels: each request made while a
 * span is active gets a span, child of the active one, and carries its W3C `traceparent` (W3C Trace Context §3.2). No
 * function is patched; unsubscribing ends it.
 */
import diagnostics from 'node:diagnostics_channel';
import {
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/** The fields of undici's request object that are read or written here. */
interface UndiciRequest {
  readonly method: string;
  readonly origin: string | URL;
  readonly path: string;
  readonly headers: string | readonly (string | readonly string[])[];
  addHeader(name: string, value: string): unknown;
}

/** Subscribes; returns the unsubscribe function. Requests to `excludedOrigins` are left alone. */
export function traceOutgoingFetch(tracer: Tracer, excludedOrigins: readonly string[]): () => void {
  const spans = new WeakMap<object, Span>();
  const onCreate = (message: unknown): void => {
    // Only calls made while serving a traced request; background work starts no trace here.
    if (trace.getActiveSpan() === undefined) return;
    const { request } = message as { request: UndiciRequest };
    const origin = String(request.origin).replace(/\/$/, '');
    if (excludedOrigins.includes(origin)) return;
    // A caller that set its own traceparent (the CSC client) already has a span for this call.
    if (/(^|[\s,])traceparent([:,]|$)/im.test(String(request.headers))) return;
    const span = tracer.startSpan(request.method, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        'url.full': `${origin}${request.path.split('?')[0] ?? ''}`,
        'server.address': new URL(origin).hostname,
      },
    });
    spans.set(request, span);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    for (const [name, value] of Object.entries(carrier)) request.addHeader(name, value);
  };
  const onHeaders = (message: unknown): void => {
    const { request, response } = message as {
      request: object;
      response: { readonly statusCode: number };
    };
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  const onError = (message: unknown): void => {
    const { request, error } = message as { request: object; error: unknown };
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.name : 'error',
    });
    span.end();
  };
  diagnostics.subscribe('undici:request:create', onCreate);
  diagnostics.subscribe('undici:request:headers', onHeaders);
  diagnostics.subscribe('undici:request:error', onError);
  return () => {
    diagnostics.unsubscribe('undici:request:create', onCreate);
    diagnostics.unsubscribe('undici:request:headers', onHeaders);
    diagnostics.unsubscribe('undici:request:error', onError);
  };
}
