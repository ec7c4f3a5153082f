/**
 * Opens the database (better-sqlite3 in WAL mode, or a pg Pool), runs the migrations, and returns
 * a Store. The only place that knows the drivers.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.js';
import { StoreError, retriableStoreError } from './errors.js';
import { migrateToLatest } from './migrations.js';
import { startWalCheckpointer } from './wal-checkpointer.js';
import { forgetCommit, trackCommit } from './after-commit.js';
import type { Db, Store, StoreConfig } from './store.js';

/** PostgreSQL type OID of int8 (bigint): times and sequence numbers fit a double exactly. */
const INT8_OID = 20;

/**
 * Connects to the configured database and migrates it to the latest schema.
 *
 * @example
 * ```ts
 * const store = await connectStore({ kind: 'sqlite', file: 'signet-data/signet.db' });
 * await store.close();
 * ```
 */
export async function connectStore(config: StoreConfig): Promise<Store> {
  const store = config.kind === 'sqlite' ? openSqlite(config) : openPostgres(config);
  try {
    try {
      await sql`select 1`.execute(store.db);
    } catch (cause) {
      throw new StoreError('ERR_STORE_CONNECT', `cannot reach the ${store.kind} database`, {
        cause,
      });
    }
    await migrateToLatest(store.db, store.kind);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Transaction control, compiled once (a `sql` template is compiled again on every run). */
const sqliteStatements = {
  begin: CompiledQuery.raw('begin'),
  beginImmediate: CompiledQuery.raw('begin immediate'),
  commit: CompiledQuery.raw('commit'),
  rollback: CompiledQuery.raw('rollback'),
};

function openSqlite(config: Extract<StoreConfig, { kind: 'sqlite' }>): Store {
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(config.file);
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = NORMAL');
    // Waiting for the write lock happens asynchronously in transaction() below: a blocking
    // busy_timeout would freeze the event loop that the lock holder needs to commit.
    database.pragma('busy_timeout = 0');
  } catch (cause) {
    throw new StoreError('ERR_STORE_CONNECT', 'cannot open the SQLite database', { cause });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  const busyTimeoutMs = config.busyTimeoutMs ?? 5000;
  const checkpointer = config.walCheckpoints === 'thread' && config.file !== ':memory:' ? startWalCheckpointer(database, config.file) : undefined;
  let closed = false;
  return {
    kind: 'sqlite',
    db,
    transaction: <T>(fn: (trx: Db) => Promise<T>): Promise<T> =>
      db.connection().execute(async (conn) => {
        await beginImmediate(conn, busyTimeoutMs);
        const committed = trackCommit(conn);
        let result: T;
        try {
          result = await fn(conn);
          await conn.executeQuery(sqliteStatements.commit);
        } catch (err) {
          forgetCommit(conn);
          await rollbackQuietly(conn);
          throw mapBusy(err);
        }
        committed();
        return result;
      }),
    snapshot: <T>(fn: (trx: Db) => Promise<T>): Promise<T> =>
      db.connection().execute(async (conn) => {
        // A deferred read transaction: in WAL mode its first read fixes the snapshot; no write lock.
        await conn.executeQuery(sqliteStatements.begin);
        try {
          return await fn(conn);
        } finally {
          await rollbackQuietly(conn);
        }
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await checkpointer?.stop();
      await db.destroy();
    },
    ...(checkpointer === undefined ? {} : { walCheckpoints: () => checkpointer.stats() }),
  };
}

/**
 * Ends whatever transaction is open on the connection. SQLite may already have rolled back by
 * itself (SQLITE_FULL, SQLITE_IOERR…); that "no transaction is active" error must not mask the
 * original failure, and the connection must be left outside any transaction for the next caller.
 */
async function rollbackQuietly(conn: Db): Promise<void> {
  try {
    await conn.executeQuery(sqliteStatements.rollback);
  } catch {
    // Nothing was open any more.
  }
}

/**
 * Maps lock waits, timeouts, serialisation failures (ERR_STORE_BUSY), a lost connection
 * (ERR_STORE_UNAVAILABLE) and a full disk (ERR_STORE_FULL) to retriable StoreErrors; other
 * errors pass through.
 */
function mapBusy(err: unknown): unknown {
  return retriableStoreError(err) ?? err;
}

function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** SQLite §"BEGIN IMMEDIATE": take the write lock up front; retry asynchronously while busy. */
async function beginImmediate(conn: Db, busyTimeoutMs: number): Promise<void> {
  let waited = 0;
  let delay = 1;
  for (;;) {
    try {
      await conn.executeQuery(sqliteStatements.beginImmediate);
      return;
    } catch (err) {
      if (!isSqliteBusy(err)) throw err;
      if (waited >= busyTimeoutMs) {
        throw new StoreError('ERR_STORE_BUSY', 'the database is busy, try again', { cause: err });
      }
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
      waited += delay;
      delay = Math.min(delay * 2, 25);
    }
  }
}

/** How much longer than statement_timeout the client waits for an answer before giving up. */
const queryTimeoutMarginMs = 2000;

/**
 * pg leaves a client whose query hit query_timeout waiting for that answer forever (the next
 * query would queue behind it); its socket is destroyed instead, so the pool discards it on
 * release and the next request gets a fresh connection.
 */
function abandonOnReadTimeout(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (err instanceof Error && err.message === 'Query read timeout') stream?.destroy();
      });
    }
    return result;
  };
}

function openPostgres(config: Extract<StoreConfig, { kind: 'postgres' }>): Store {
  if (!/^postgres(ql)?:\/\//.test(config.url)) {
    throw new StoreError('ERR_STORE_CONFIG', 'the PostgreSQL URL must start with postgres://');
  }
  const statementTimeoutMs = config.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 10,
    statement_timeout: statementTimeoutMs,
    // docs/security.md FLT-21: a server that stops answering (network blackhole) never reports its
    // statement_timeout; the client gives up a little later on its own.
    query_timeout: statementTimeoutMs + queryTimeoutMarginMs,
    idle_in_transaction_session_timeout: 60_000,
    connectionTimeoutMillis: config.connectTimeoutMs ?? 10_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
    },
  });
  // An idle client's error (server restart) must not crash the process; the next query fails.
  pool.on('error', () => undefined);
  // Nor may a checked-out client's: a session terminated between two statements of a transaction
  // (pg_terminate_backend, a crash; docs/security.md FLT-06) emits 'error' with no query to reject. The
  // next statement then fails with ERR_STORE_UNAVAILABLE and the pool discards the client.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    abandonOnReadTimeout(client);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    kind: 'postgres',
    db,
    transaction: async <T>(fn: (trx: Db) => Promise<T>): Promise<T> => {
      let handle: object | undefined;
      let committed = (): void => undefined;
      try {
        const result = await db.transaction().execute(async (trx) => {
          handle = trx;
          committed = trackCommit(trx);
          return fn(trx);
        });
        committed();
        return result;
      } catch (err) {
        if (handle !== undefined) forgetCommit(handle);
        throw mapBusy(err);
      }
    },
    snapshot: <T>(fn: (trx: Db) => Promise<T>): Promise<T> =>
      db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute(async (trx) => fn(trx)),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
    poolStats: () => ({ size: pool.totalCount, inUse: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }),
  };
}

/** How many prepared statements one SQLite connection keeps (the queries are a small fixed set). */
const STATEMENT_CACHE = 256;

/**
 * Kysely prepares every query again; better-sqlite3 statements are reusable, and preparing is a
 * large part of a short query (measured on the signHash path). Statements are cached per SQL text,
 * least recently used evicted. Kysely runs one query at a time on the connection, so a cached
 * statement is never in use twice.
 */
function withStatementCache(database: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (source: string): BetterSqlite3.Statement => {
    let stmt = cache.get(source);
    if (stmt !== undefined) {
      cache.delete(source);
    } else {
      stmt = database.prepare(source);
      if (cache.size >= STATEMENT_CACHE) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
    }
    cache.set(source, stmt);
    return stmt;
  };
  return new Proxy(database, {
    get(target, key, receiver) {
      if (key === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
