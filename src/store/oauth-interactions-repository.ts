/**
 * OAuth 2.0 authorization interactions (the login → consent pages between /oauth2/authorize and
 * the code): the validated request lives here, in the database, never in a process, so any node
 * serves any step (docs/architecture.md). Only hashes of the session handle and of the per-request
 * anti-CSRF token are stored (RFC 9700 §4.7, docs/security.md OA-31).
 */
import type { Db } from './store.js';
import type { OAuthInteractionsTable } from './schema.js';

/** A stored interaction. */
export type OAuthInteractionRow = Readonly<OAuthInteractionsTable>;

/** Stores a new interaction. */
export async function insertOAuthInteraction(trx: Db, row: OAuthInteractionRow): Promise<void> {
  await trx.insertInto('oauth_interactions').values(row).execute();
}

function toRow(row: OAuthInteractionsTable): OAuthInteractionRow {
  return {
    ...row,
    id_hash: new Uint8Array(row.id_hash),
    csrf_hash: row.csrf_hash === null ? null : new Uint8Array(row.csrf_hash),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
  };
}

/**
 * `UPDATE … SET csrf_hash = NULL WHERE id_hash = ? AND csrf_hash = ? AND stage = ? AND
 * expires_at > now RETURNING *`: spends the anti-CSRF token once. Undefined when the session is
 * unknown or expired, the stage differs, or the token is wrong or already spent (two racing
 * submissions of one form get exactly one row).
 */
export async function claimOAuthInteraction(
  trx: Db,
  idHash: Uint8Array,
  csrfHash: Uint8Array,
  stage: string,
  now: number,
): Promise<OAuthInteractionRow | undefined> {
  const row = await trx
    .updateTable('oauth_interactions')
    .set({ csrf_hash: null })
    .where('id_hash', '=', idHash)
    .where('csrf_hash', '=', csrfHash)
    .where('stage', '=', stage)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

/** Gives an interaction a fresh anti-CSRF token (after a refused attempt, to re-show the form). */
export async function setOAuthInteractionCsrf(
  trx: Db,
  idHash: Uint8Array,
  csrfHash: Uint8Array,
): Promise<void> {
  await trx
    .updateTable('oauth_interactions')
    .set({ csrf_hash: csrfHash })
    .where('id_hash', '=', idHash)
    .execute();
}

/** Deletes an interaction (finished, or replaced by the next stage under a new handle). */
export async function deleteOAuthInteraction(trx: Db, idHash: Uint8Array): Promise<void> {
  await trx.deleteFrom('oauth_interactions').where('id_hash', '=', idHash).execute();
}

/** Deletes interactions that expired before `now` (housekeeping). */
export async function deleteExpiredOAuthInteractions(trx: Db, now: number): Promise<number> {
  const r = await trx
    .deleteFrom('oauth_interactions')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * `DELETE … WHERE id_hash = ? AND stage = ? AND expires_at > now RETURNING *`: takes a
 * single-use row (a pushed authorization request, RFC 9126 §2.2) exactly once.
 */
export async function takeOAuthInteraction(
  trx: Db,
  idHash: Uint8Array,
  stage: string,
  now: number,
): Promise<OAuthInteractionRow | undefined> {
  const row = await trx
    .deleteFrom('oauth_interactions')
    .where('id_hash', '=', idHash)
    .where('stage', '=', stage)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

/** Reads an unexpired interaction at `stage` without spending anything (the consent page's document fetches). */
export async function findOAuthInteraction(
  db: Db,
  idHash: Uint8Array,
  stage: string,
  now: number,
): Promise<OAuthInteractionRow | undefined> {
  const row = await db
    .selectFrom('oauth_interactions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .where('stage', '=', stage)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}
