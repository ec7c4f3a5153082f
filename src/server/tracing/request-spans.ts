/**
 * One server span per HTTP request (OpenTelemetry HTTP semantic conventions): it continues the
 * caller's W3C `traceparent` when there is one (W3C Trace Context §4), else starts a trace whose
 * id is the request's trace id, so spans, log lines and audit entries share one id. The span is
 * the active context of the handler: the database, key and outgoing-call spans are its children.
 * Health probes and metric scrapes get none.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tracing } from './tracing.js';

/** Probes and scrapes, every few seconds from the platform: no span (their log lines stay). */
const untracedPaths = new Set(['/health/live', '/health/ready', '/healthz', '/metrics']);

interface RequestSpan {
  readonly span: Span;
  readonly context: Context;
}

/** Adds the hooks that open, activate and close each request's span. */
export function registerRequestSpans(app: FastifyInstance, tracing: Tracing): void {
  const spans = new WeakMap<FastifyRequest, RequestSpan>();
  app.addHook('onRequest', (request, _reply, done) => {
    if (untracedPaths.has(request.url.split('?')[0] ?? '')) {
      done();
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    tracing.useTraceIdForNextRoot(request.id);
    const span = tracing.tracer.startSpan(
      request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?')[0] ?? '',
          'client.address': request.ip,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    spans.set(request, { span, context: active });
    context.with(active, done);
  });
  // The body arrives on the socket's own async context: the handler runs in the span's again.
  app.addHook('preHandler', (request, _reply, done) => {
    const entry = spans.get(request);
    if (entry === undefined) done();
    else context.with(entry.context, done);
  });
  const finish = (request: FastifyRequest, status: number | undefined): void => {
    const entry = spans.get(request);
    if (entry === undefined) return;
    spans.delete(request);
    const route = request.routeOptions.url;
    if (route !== undefined) {
      entry.span.updateName(`${request.method} ${route}`);
      entry.span.setAttribute('http.route', route);
    }
    if (status === undefined) {
      entry.span.setStatus({ code: SpanStatusCode.ERROR, message: 'aborted' });
    } else {
      entry.span.setAttribute('http.response.status_code', status);
      if (status >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    entry.span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, undefined);
    done();
  });
}
