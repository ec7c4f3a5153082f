/**
 * The CSC client's calls as OpenTelemetry client spans: inside a traced request (a span is
 * active), each exchange is a child span `csc <method>` and carries its W3C `traceparent` (W3C
 * Trace Context §3.2) to the provider. Outside one (tracing off, the CLI) the exchange runs as
 * it is: @opentelemetry/api is a no-op until `signet serve` installs a tracer provider.
 */
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { JsonExchange, JsonReply, JsonTransport } from './json-transport.js';

/** Sends `exchange` through `transport`, in a span when the caller is traced. */
export async function tracedExchange(
  transport: JsonTransport,
  exchange: JsonExchange,
): Promise<JsonReply> {
  if (trace.getActiveSpan() === undefined) return transport(exchange);
  const tracer = trace.getTracer('signet-csc-client');
  return tracer.startActiveSpan(
    `csc ${exchange.method}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'POST',
        'url.full': `${exchange.url.origin}${exchange.url.pathname}`,
        'server.address': exchange.url.hostname,
        'signet.csc.method': exchange.method,
      },
    },
    async (span) => {
      const headers: Record<string, string> = { ...exchange.headers };
      propagation.inject(context.active(), headers);
      try {
        const reply = await transport({ ...exchange, headers });
        span.setAttribute('http.response.status_code', reply.status);
        if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return reply;
      } catch (err) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: err instanceof Error ? err.name : 'error',
        });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
