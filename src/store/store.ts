/** The Store handle: a typed kysely instance on SQLite or PostgreSQL plus its write-transaction rule. */
import type { WalCheckpointStats } from './wal-checkpointer.js';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** The supported databases. Tests loop over `Record<StoreKind, …>` so a missing one fails to compile. */
export type StoreKind = 'sqlite' | 'postgres';

/** Where the database lives. */
export type StoreConfig =
  | {
      readonly kind: 'sqlite';
      /** Database file path (`:memory:` only for single-connection use). */
      readonly file: string;
      /** How long a write transaction waits for SQLite's write lock before ERR_STORE_BUSY (default 5000). */
      readonly busyTimeoutMs?: number;
      /**
       * Who checkpoints the WAL: the connection at commit time (SQLite's default), or a thread of
       * its own (wal-checkpointer.ts: no checkpoint inside a request; `signet serve` uses it).
       */
      readonly walCheckpoints?: 'connection' | 'thread';
    }
  | {
      readonly kind: 'postgres';
      /** A `postgres://` URL (DATABASE_URL). */
      readonly url: string;
      /** Pool size (default 10). */
      readonly poolSize?: number;
      /** Server-side statement_timeout in ms (default 30000): a blocked statement fails instead of hanging. */
      readonly statementTimeoutMs?: number;
      /** How long to wait for a connection in ms (default 10000), bounded so no request hangs (FLT-21). */
      readonly connectTimeoutMs?: number;
    };

/** The database a repository or service receives, or the transaction it runs in. */
export type Db = Kysely<Database>;

/**
 * An open, migrated database. All writes that must be atomic go through `transaction()`:
 * on SQLite it is `BEGIN IMMEDIATE` (the write lock is taken first, so no SQLITE_BUSY surfaces
 * mid-transaction); on PostgreSQL it is a READ COMMITTED transaction, where conditional UPDATEs
 * re-check their WHERE clause on the locked row.
 */
export interface Store {
  readonly kind: StoreKind;
  readonly db: Db;
  /**
   * Runs `fn` in one write transaction; commits when it resolves, rolls back when it throws.
   * Use only `trx` inside: on SQLite `store.db` waits for this transaction's connection (deadlock).
   */
  transaction<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /**
   * Runs read-only `fn` on one consistent snapshot (PostgreSQL REPEATABLE READ READ ONLY; SQLite a
   * deferred read transaction in WAL mode). On SQLite it holds this Store's only connection meanwhile.
   */
  snapshot<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /** Closes the connection (SQLite) or drains the pool (PostgreSQL). */
  close(): Promise<void>;
  /** The connection pool's figures (PostgreSQL; SQLite has one connection and no pool). */
  poolStats?(): StorePoolStats;
  /** The WAL checkpoint thread's figures (SQLite with `walCheckpoints: 'thread'`). */
  walCheckpoints?(): WalCheckpointStats;
}

/** Connections open, lent out, and callers waiting for one. */
export interface StorePoolStats {
  readonly size: number;
  readonly inUse: number;
  readonly waiting: number;
}
