/** Errors of the storage layer (kysely over SQLite or PostgreSQL): stable codes, no SQL in messages. */
import { SignetError } from '../core/errors.js';

/** Every code the store throws (docs/errors/store.md lists their meaning). */
export type StoreErrorCode =
  | 'ERR_STORE_CONFIG'
  | 'ERR_STORE_CONNECT'
  | 'ERR_STORE_MIGRATION'
  | 'ERR_STORE_BUSY'
  | 'ERR_STORE_CONFLICT'
  | 'ERR_STORE_NOT_FOUND'
  | 'ERR_STORE_QUERY';

/**
 * The database refused or failed an operation. The driver's error is kept as `cause` for logs;
 * the message never contains SQL text, parameters or connection strings with passwords.
 */
export class StoreError extends SignetError<StoreErrorCode> {}
