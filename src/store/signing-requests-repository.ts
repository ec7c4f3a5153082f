/**
 * Idempotent signing requests (docs/security.md SAD-07, §3.10 fault table): every state change is a
 * conditional UPDATE whose row count decides (two nodes may race on one row), never an earlier read.
 */
import type { Db } from './store.js';
import type { SigningRequestState, SigningRequestsTable } from './schema.js';

/** A stored signing request. */
export type SigningRequestRow = Readonly<SigningRequestsTable>;

function fromDb(row: SigningRequestsTable): SigningRequestRow {
  return {
    ...row,
    fingerprint: new Uint8Array(row.fingerprint),
    sad_id: new Uint8Array(row.sad_id),
    attempt: Number(row.attempt),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    purge_at: Number(row.purge_at),
  };
}

/** Inserts a new request (state `in_flight`, attempt 1). A second row for the same (user, client, key) is a unique violation. */
export async function insertSigningRequest(trx: Db, row: SigningRequestRow): Promise<void> {
  await trx.insertInto('signing_requests').values(row).execute();
}

/** The request a (user, client, idempotency key) names, if any. */
export async function findSigningRequest(
  db: Db,
  userId: string,
  clientId: string,
  idempotencyKey: string,
): Promise<SigningRequestRow | undefined> {
  const row = await db
    .selectFrom('signing_requests')
    .selectAll()
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  return row === undefined ? undefined : fromDb(row);
}

/**
 * `UPDATE … SET state = 'completed', result = ? WHERE id = ? AND state = 'in_flight' AND attempt = ?`:
 * true when this attempt still owned the row (the sweeper has not abandoned it, no retry took it over).
 */
export async function completeSigningRequest(
  trx: Db,
  id: string,
  attempt: number,
  result: string,
  now: number,
): Promise<boolean> {
  const r = await trx
    .updateTable('signing_requests')
    .set({ state: 'completed', result, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'in_flight')
    .where('attempt', '=', attempt)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/**
 * `UPDATE … SET state = 'in_flight', attempt = attempt + 1 WHERE id = ? AND state = 'abandoned'
 * RETURNING attempt`: the new attempt number when this caller took the abandoned request over.
 */
export async function resumeSigningRequest(trx: Db, id: string, now: number): Promise<number | undefined> {
  const row = await trx
    .updateTable('signing_requests')
    .set((eb) => ({ state: 'in_flight' as SigningRequestState, attempt: eb('attempt', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .where('state', '=', 'abandoned')
    .returning('attempt')
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.attempt);
}

/** Up to `limit` requests still `in_flight` whose last attempt started at or before `cutoff`. */
export async function listStaleSigningRequests(
  db: Db,
  cutoff: number,
  limit: number,
): Promise<SigningRequestRow[]> {
  const rows = await db
    .selectFrom('signing_requests')
    .selectAll()
    .where('state', '=', 'in_flight')
    .where('updated_at', '<=', cutoff)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  return rows.map(fromDb);
}

/**
 * `UPDATE … SET state = 'abandoned' WHERE id = ? AND state = 'in_flight' AND attempt = ? AND
 * updated_at <= cutoff`: true when this call abandoned it (no completion or other sweeper won).
 */
export async function abandonSigningRequest(
  trx: Db,
  id: string,
  attempt: number,
  cutoff: number,
  now: number,
): Promise<boolean> {
  const r = await trx
    .updateTable('signing_requests')
    .set({ state: 'abandoned', updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'in_flight')
    .where('attempt', '=', attempt)
    .where('updated_at', '<=', cutoff)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Deletes completed and abandoned requests whose `purge_at` has passed; the number deleted. */
export async function purgeSigningRequests(trx: Db, now: number): Promise<number> {
  const r = await trx
    .deleteFrom('signing_requests')
    .where('purge_at', '<=', now)
    .where('state', '<>', 'in_flight')
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
