/**
 * A Store decorator that times every transaction and snapshot
 * (signet_store_transaction_duration_seconds), counts database failures by class
 * (signet_store_errors_total) and, with tracing on, makes each one a `db.transaction` child span
 * of the request. Errors a transaction throws on purpose (a refused SAD rolling back) are not
 * database failures and are not counted.
 */
import type { Tracer } from '@opentelemetry/api';
import { monotonicMs } from '../../core/clock.js';
import { StoreError, retriableStoreError, type Db, type Store } from '../../store/index.js';
import { inSpan } from './observed-key-backend.js';
import type { SignetMetrics } from './signet-metrics.js';

/**
 * The class of a database failure: the store's retriable code (unavailable, busy, full), the
 * SQLSTATE class for PostgreSQL (SQL:2016 §24.1: its first two characters), the SQLite result
 * code; undefined for anything that is not a database failure.
 */
export function storeErrorClass(err: unknown): string | undefined {
  const retriable = retriableStoreError(err);
  if (retriable !== undefined) return retriable.code;
  if (err instanceof StoreError) return err.code;
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  // pg's DatabaseError carries the server's severity next to its SQLSTATE.
  const isPgError = typeof (err as { severity?: unknown }).severity === 'string';
  if (isPgError && /^[0-9A-Z]{5}$/.test(code)) return `sqlstate_${code.slice(0, 2)}`;
  if (/^SQLITE_[A-Z_]{1,40}$/.test(code)) return code;
  return undefined;
}

/**
 * `store` observed through `metrics` (and `tracer`, when tracing is on).
 *
 * @example
 * ```ts
 * const store = observeStore(await connectStore(config.database), metrics, tracer);
 * ```
 */
export function observeStore(
  store: Store,
  metrics: SignetMetrics,
  tracer: Tracer | undefined,
): Store {
  const attributes = { 'db.system': store.kind === 'postgres' ? 'postgresql' : 'sqlite' };
  const observed = async <T>(kind: 'write' | 'snapshot', run: () => Promise<T>): Promise<T> => {
    const started = monotonicMs();
    try {
      return await inSpan(
        tracer,
        kind === 'write' ? 'db.transaction' : 'db.snapshot',
        attributes,
        run,
      );
    } catch (err) {
      const errorClass = storeErrorClass(err);
      if (errorClass !== undefined) metrics.storeErrors.inc({ class: errorClass });
      throw err;
    } finally {
      metrics.storeTransactionDuration.observe({ kind }, (monotonicMs() - started) / 1000);
    }
  };
  const poolStats = store.poolStats?.bind(store);
  return {
    kind: store.kind,
    db: store.db,
    transaction: <T>(fn: (trx: Db) => Promise<T>) => observed('write', () => store.transaction(fn)),
    snapshot: <T>(fn: (trx: Db) => Promise<T>) => observed('snapshot', () => store.snapshot(fn)),
    close: () => store.close(),
    ...(poolStats !== undefined ? { poolStats } : {}),
  };
}
