/** Errors of the storage layer (kysely over SQLite or PostgreSQL): stable codes, no SQL in messages. */
import { SignetError } from '../core/errors.js';

/** Every code the store throws (docs/errors/store.md lists their meaning). */
export type StoreErrorCode =
  | 'ERR_STORE_CONFIG'
  | 'ERR_STORE_CONNECT'
  | 'ERR_STORE_MIGRATION'
  | 'ERR_STORE_BUSY'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_STORE_FULL'
  | 'ERR_STORE_CONFLICT'
  | 'ERR_STORE_NOT_FOUND'
  | 'ERR_STORE_QUERY';

/**
 * The database refused or failed an operation. The driver's error is kept as `cause` for logs;
 * the message never contains SQL text, parameters or connection strings with passwords.
 */
export class StoreError extends SignetError<StoreErrorCode> {}

/** Codes after which the same request may succeed later: answered 503 with Retry-After. */
export type RetriableStoreErrorCode = 'ERR_STORE_BUSY' | 'ERR_STORE_UNAVAILABLE' | 'ERR_STORE_FULL';

const retriable: ReadonlySet<string> = new Set<RetriableStoreErrorCode>([
  'ERR_STORE_BUSY',
  'ERR_STORE_UNAVAILABLE',
  'ERR_STORE_FULL',
]);

/** PostgreSQL SQLSTATEs of a lost or refused connection: class 08 and 57P01-57P03 (admin/crash shutdown, cannot connect now). */
function isPgConnectionLoss(code: unknown): boolean {
  return typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03');
}

/** Socket-level failures of the pg driver (it reports a dropped or refused connection by errno or message only). */
const lostConnectionErrnos: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const lostConnectionMessages: readonly RegExp[] = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^terminating connection/,
  // pg's client-side query_timeout (FLT-21: the server stopped answering).
  /^Query read timeout$/,
  // pg's connectionTimeoutMillis while the connection is being set up.
  /^timeout expired$/,
];

/**
 * Classifies a driver failure as a retriable store condition: the connection to PostgreSQL was
 * lost or refused (ERR_STORE_UNAVAILABLE), SQLite's disk or database is full (ERR_STORE_FULL,
 * SQLITE_FULL), or a lock wait / timeout (ERR_STORE_BUSY). A StoreError with one of these codes is
 * returned as is; anything else gives undefined (the caller keeps its own mapping).
 */
export function retriableStoreError(err: unknown): StoreError | undefined {
  if (err instanceof StoreError) return retriable.has(err.code) ? err : undefined;
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : '';
  if (code === 'SQLITE_FULL') {
    return new StoreError('ERR_STORE_FULL', 'the database storage is full, try again later', { cause: err });
  }
  if (
    isPgConnectionLoss(code) ||
    (typeof code === 'string' && lostConnectionErrnos.has(code)) ||
    lostConnectionMessages.some((m) => m.test(message))
  ) {
    return new StoreError('ERR_STORE_UNAVAILABLE', 'the database is unavailable, try again', { cause: err });
  }
  const isPoolTimeout = message === 'timeout exceeded when trying to connect';
  if (
    code === 'SQLITE_BUSY' ||
    code === 'SQLITE_LOCKED' ||
    isPoolTimeout ||
    // PostgreSQL 57014 query_canceled (statement_timeout), 55P03 lock_not_available, 40001/40P01 serialization/deadlock.
    code === '57014' ||
    code === '55P03' ||
    code === '40001' ||
    code === '40P01'
  ) {
    return new StoreError('ERR_STORE_BUSY', 'the database is busy, try again', { cause: err });
  }
  return undefined;
}
