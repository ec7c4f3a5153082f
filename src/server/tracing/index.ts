/** OpenTelemetry tracing of the server: start/stop, request spans, outgoing-call spans. */
export { startTracing, tracingRequested, type Tracing } from './tracing.js';
export { registerRequestSpans } from './request-spans.js';
export { traceOutgoingFetch } from './outgoing-fetch-spans.js';
export { AsyncContextManager } from './async-context-manager.js';
export { samplerFromEnv } from './sampler.js';
