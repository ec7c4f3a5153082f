/**
 * Cluster-wide mutual exclusion on PostgreSQL session advisory locks (PostgreSQL §9.27.10
 * pg_advisory_lock / pg_try_advisory_lock): held on one pooled connection for the duration of a
 * function and released with it; a node that dies loses its session and so its lock. On SQLite the
 * database is one file on one host, and the callers' own atomic steps (file lock, BEGIN IMMEDIATE
 * claims) already exclude each other, so the function simply runs.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { StoreError } from './errors.js';
import type { Store } from './store.js';

/** The signed 64-bit key of a lock name (first 8 bytes of its SHA-256). */
function lockKey(name: string): string {
  return createHash('sha256').update(`signet:${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * Runs `fn` while holding the advisory lock `name`, waiting for it up to `waitMs` (default 120 s:
 * another node may be creating CA keys on a slow HSM) with pg_try_advisory_lock polls, so the wait
 * does not depend on statement_timeout; ERR_STORE_BUSY after that.
 *
 * @example
 * ```ts
 * await withAdvisoryLock(store, 'first-start', async () => { ... });
 * ```
 */
export async function withAdvisoryLock<T>(store: Store, name: string, fn: () => Promise<T>, waitMs = 120_000): Promise<T> {
  if (store.kind === 'sqlite') return fn();
  const key = lockKey(name);
  return store.db.connection().execute(async (conn) => {
    const started = process.hrtime.bigint();
    let delayMs = 10;
    for (;;) {
      const got = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}::bigint) as locked`.execute(conn);
      if (got.rows[0]?.locked === true) break;
      if (Number(process.hrtime.bigint() - started) / 1e6 >= waitMs) {
        throw new StoreError('ERR_STORE_BUSY', `another node holds the ${name} lock, try again`);
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 250);
    }
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(${key}::bigint)`.execute(conn).catch(() => undefined);
    }
  });
}

/**
 * Runs `fn` only if the advisory lock `name` is free (another node's run is skipped, not queued);
 * `{ ran: false }` otherwise.
 *
 * @example
 * ```ts
 * const r = await tryAdvisoryLock(store, 'renewal', () => renewDue());
 * ```
 */
export async function tryAdvisoryLock<T>(
  store: Store,
  name: string,
  fn: () => Promise<T>,
): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }> {
  if (store.kind === 'sqlite') return { ran: true, value: await fn() };
  const key = lockKey(name);
  return store.db.connection().execute(async (conn) => {
    const got = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}::bigint) as locked`.execute(conn);
    if (got.rows[0]?.locked !== true) return { ran: false } as const;
    try {
      return { ran: true, value: await fn() } as const;
    } finally {
      await sql`select pg_advisory_unlock(${key}::bigint)`.execute(conn).catch(() => undefined);
    }
  });
}
