/**
 * Fixed-window attempt counters in the database, so every node shares them (docs/security.md SCA-01:
 * per-IP limits; SCA-03: throttling limits lockout-as-DoS). One upsert per hit, atomic on both stores.
 */
import { sql } from 'kysely';
import type { Db } from './store.js';

/**
 * Counts one hit on `key` in the window of `windowMs` containing `now` (a window restarts when the
 * stored one has ended) and returns the count including this hit.
 */
export async function hitRateLimit(
  trx: Db,
  key: string,
  windowMs: number,
  now: number,
): Promise<number> {
  const expired = sql<boolean>`rate_limits.window_start <= ${now - windowMs}`;
  const row = await trx
    .insertInto('rate_limits')
    .values({ key, window_start: now, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when ${expired} then 1 else rate_limits.count + 1 end`,
        window_start: sql<number>`case when ${expired} then ${now} else rate_limits.window_start end`,
      }),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Deletes counters whose window ended before `now - windowMs` (housekeeping). */
export async function deleteExpiredRateLimits(
  trx: Db,
  windowMs: number,
  now: number,
): Promise<number> {
  const r = await trx
    .deleteFrom('rate_limits')
    .where('window_start', '<=', now - windowMs)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
