/**
 * The database's clock: the reference time shared by every node on one database (docs/security.md
 * FLT-15, FLT-17). PostgreSQL's clock_timestamp() is the server's wall clock at the moment the
 * function runs (not the transaction start); SQLite runs in this process, so its 'now' is this
 * host's clock.
 */
import { sql } from 'kysely';
import type { Store } from './store.js';

/**
 * The current time according to the database, one round trip.
 *
 * @example
 * ```ts
 * const reference = await databaseTime(store);
 * ```
 */
export async function databaseTime(store: Pick<Store, 'kind' | 'db'>): Promise<Date> {
  const query =
    store.kind === 'postgres'
      ? sql<{ ms: number | string }>`select extract(epoch from clock_timestamp()) * 1000 as ms`
      : sql<{ ms: number | string }>`select (julianday('now') - 2440587.5) * 86400000.0 as ms`;
  const row = (await query.execute(store.db)).rows[0];
  return new Date(Math.round(Number(row?.ms)));
}
