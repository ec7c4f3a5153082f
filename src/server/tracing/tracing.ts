/**
 * OpenTelemetry tracing of `signet serve`: on when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, exporting spans over OTLP/HTTP (JSON) in batches;
 * off otherwise, and then nothing is installed: no provider, no context manager, no exporter.
 * Trace context travels as W3C Trace Context (`traceparent`, `tracestate`) in and out.
 */
import { randomBytes } from 'node:crypto';
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { AsyncContextManager } from './async-context-manager.js';
import { traceOutgoingFetch } from './outgoing-fetch-spans.js';
import { samplerFromEnv } from './sampler.js';

/** The running tracing of one process. */
export interface Tracing {
  readonly tracer: Tracer;
  /**
   * Makes the next root span (one without a valid parent) use `traceId`: a request's span keeps
   * the trace id its log lines and audit entries already carry (logger.ts traceIdFor).
   */
  useTraceIdForNextRoot(traceId: string): void;
  /** Exports what is buffered and stops (end of `signet serve`). */
  shutdown(): Promise<void>;
}

/** Trace ids from the request when asked (useTraceIdForNextRoot), random ones otherwise. */
class RequestTraceIds implements IdGenerator {
  next: string | undefined;

  generateTraceId(): string {
    const id = this.next ?? randomBytes(16).toString('hex');
    this.next = undefined;
    return id;
  }

  generateSpanId(): string {
    return randomBytes(8).toString('hex');
  }
}

/** True when the OTel environment asks for trace export (OpenTelemetry SDK environment variables). */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env['OTEL_SDK_DISABLED'] === 'true' || env['OTEL_TRACES_EXPORTER'] === 'none') return false;
  return (
    (env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '') !== '' ||
    (env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? '') !== ''
  );
}

/**
 * Starts tracing when the environment asks for it (tracingRequested); undefined otherwise. The
 * exporter reads the rest of the standard variables from the process environment itself (headers,
 * timeout, compression).
 *
 * @example
 * ```ts
 * const tracing = startTracing(process.env, { version: '0.1.0', nodeId: 'node-a' });
 * await tracing?.shutdown();
 * ```
 */
export function startTracing(
  env: NodeJS.ProcessEnv,
  service: { readonly version: string; readonly nodeId: string },
): Tracing | undefined {
  if (!tracingRequested(env)) return undefined;
  const sampler = samplerFromEnv(env);
  const ids = new RequestTraceIds();
  const provider = new BasicTracerProvider({
    sampler,
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env['OTEL_SERVICE_NAME'] ?? 'signet',
      [ATTR_SERVICE_VERSION]: service.version,
      'service.instance.id': service.nodeId,
    }),
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(env) }))],
  });
  // The API's globals are what @opentelemetry/api consumers (the CSC client) see; set only here.
  context.setGlobalContextManager(new AsyncContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('signet', service.version);
  const stopFetchSpans = traceOutgoingFetch(tracer, exporterOrigins(env));
  return {
    tracer,
    useTraceIdForNextRoot: (traceId) => {
      ids.next = traceId;
    },
    shutdown: async () => {
      stopFetchSpans();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/**
 * The traces URL (OTLP exporter specification, "Endpoint URLs for OTLP/HTTP"): the per-signal
 * variable as it is, else `/v1/traces` appended to the base endpoint.
 */
function tracesUrl(env: NodeJS.ProcessEnv): string {
  const signal = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? '';
  if (signal !== '') return signal;
  return `${(env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '').replace(/\/+$/, '')}/v1/traces`;
}

/** The collector's origins: requests to them are never traced (the exporter's own traffic). */
function exporterOrigins(env: NodeJS.ProcessEnv): readonly string[] {
  const origins: string[] = [];
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    try {
      const value = env[name];
      if (value !== undefined && value !== '') origins.push(new URL(value).origin);
    } catch {
      // Not a URL: the exporter reports it; nothing to exclude.
    }
  }
  return origins;
}
