/**
 * Authorization codes (RFC 6749 §4.1.2, RFC 7636): only the code's hash is stored, with its
 * bindings; redemption is one conditional UPDATE so a code is redeemed at most once (RFC 6749 §10.5).
 */
import type { Db } from './store.js';
import type { AuthorizationCodesTable } from './schema.js';

/** A stored authorization code. */
export type AuthorizationCodeRow = Readonly<AuthorizationCodesTable>;

/** Stores a new code (its hash). */
export async function insertAuthorizationCode(trx: Db, row: AuthorizationCodeRow): Promise<void> {
  await trx.insertInto('authorization_codes').values(row).execute();
}

function toRow(row: AuthorizationCodesTable): AuthorizationCodeRow {
  return {
    ...row,
    code_hash: new Uint8Array(row.code_hash),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
  };
}

/** Reads a code by hash (to diagnose a refused redemption, e.g. reuse → revoke its tokens). */
export async function findAuthorizationCode(
  db: Db,
  codeHash: Uint8Array,
): Promise<AuthorizationCodeRow | undefined> {
  const row = await db
    .selectFrom('authorization_codes')
    .selectAll()
    .where('code_hash', '=', codeHash)
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

/**
 * `UPDATE authorization_codes SET used = 1 WHERE code_hash = ? AND used = 0 AND expires_at > now
 * RETURNING *`: the row when this call redeemed it, undefined when it was used, expired or unknown.
 * Two nodes racing get exactly one row (docs/security.md OA-11).
 */
export async function redeemAuthorizationCode(
  trx: Db,
  codeHash: Uint8Array,
  now: number,
): Promise<AuthorizationCodeRow | undefined> {
  const row = await trx
    .updateTable('authorization_codes')
    .set({ used: 1 })
    .where('code_hash', '=', codeHash)
    .where('used', '=', 0)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

/** Deletes codes that expired before `now` (housekeeping). */
export async function deleteExpiredAuthorizationCodes(trx: Db, now: number): Promise<number> {
  const r = await trx
    .deleteFrom('authorization_codes')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
