/** Prometheus metrics of the server: the registry, the decorators that feed it, and `/metrics`. */
export {
  SignetMetrics,
  type MetricSources,
  type PoolFigures,
  type SigningPoolFigures,
  type TokenFigures,
} from './signet-metrics.js';
export { auditMetrics } from './audit-metrics.js';
export { registerHttpMetrics } from './http-metrics.js';
export { loadMetricsConfig, type MetricsConfig } from './metrics-config.js';
export {
  isScrapeAllowed,
  registerMetricsRoute,
  startMetricsListener,
  type MetricsListener,
} from './metrics-endpoint.js';
export { inSpan, observeKeyBackend } from './observed-key-backend.js';
export {
  observeOcspResponder,
  observeTimestampAuthority,
  ocspStatusOf,
  timestampStatusOf,
} from './observed-pki.js';
export { observeStore, storeErrorClass } from './observed-store.js';
