/**
 * Access and refresh tokens, stored as hashes only (docs/security.md OA-20). Refresh tokens rotate
 * within a family; presenting a used one revokes the whole family (RFC 9700 §4.14.2).
 */
import { preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { TokensTable } from './schema.js';

/** A stored token. */
export type TokenRow = Readonly<TokensTable>;

/** Token kinds. */
export type TokenKind = 'access' | 'refresh';

/** Stores a token (its hash). */
export async function insertToken(trx: Db, row: TokenRow): Promise<void> {
  await trx.insertInto('tokens').values(row).execute();
}

function toRow(row: TokensTable): TokenRow {
  return {
    ...row,
    token_hash: new Uint8Array(row.token_hash),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
  };
}

/** A stored token with its user's status (null for client tokens or a deleted user). */
export type TokenWithUserRow = TokenRow & { readonly user_status: string | null };

const selectTokenWithUser = preparedQuery((db: Db, tokenHash: Uint8Array) =>
  db
    .selectFrom('tokens')
    .leftJoin('users', 'users.id', 'tokens.user_id')
    .selectAll('tokens')
    .select('users.status as user_status')
    .where('tokens.token_hash', '=', tokenHash),
);

/** Finds a token and its user's status in one query (the bearer check of every API call). */
export async function findTokenWithUser(db: Db, tokenHash: Uint8Array): Promise<TokenWithUserRow | undefined> {
  const row = (await selectTokenWithUser(db, tokenHash)).rows[0];
  return row === undefined ? undefined : { ...toRow(row), user_status: row.user_status };
}

const selectToken = preparedQuery((db: Db, tokenHash: Uint8Array) =>
  db.selectFrom('tokens').selectAll().where('token_hash', '=', tokenHash),
);

/** Reads a token by hash (revoked or not; the caller checks kind, expiry and revocation). */
export async function findToken(db: Db, tokenHash: Uint8Array): Promise<TokenRow | undefined> {
  const row = (await selectToken(db, tokenHash)).rows[0];
  return row === undefined ? undefined : toRow(row);
}

/**
 * Marks a live refresh token used, once: the row when this call won; undefined when unknown,
 * expired, revoked or already used (the caller then revokes the family if it was a reuse).
 */
export async function useRefreshToken(
  trx: Db,
  tokenHash: Uint8Array,
  now: number,
): Promise<TokenRow | undefined> {
  const row = await trx
    .updateTable('tokens')
    .set({ used: 1 })
    .where('token_hash', '=', tokenHash)
    .where('kind', '=', 'refresh')
    .where('used', '=', 0)
    .where('revoked', '=', 0)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

/** Revokes one token; true when it was live. */
export async function revokeToken(trx: Db, tokenHash: Uint8Array): Promise<boolean> {
  const r = await trx
    .updateTable('tokens')
    .set({ revoked: 1 })
    .where('token_hash', '=', tokenHash)
    .where('revoked', '=', 0)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Revokes every token of a family (reuse detection, code replay); returns how many were live. */
export async function revokeTokenFamily(trx: Db, familyId: string): Promise<number> {
  const r = await trx
    .updateTable('tokens')
    .set({ revoked: 1 })
    .where('family_id', '=', familyId)
    .where('revoked', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Every token of a family (e.g. to revoke the SADs of a replayed code's credential tokens). */
export async function listTokenFamily(db: Db, familyId: string): Promise<TokenRow[]> {
  const rows = await db
    .selectFrom('tokens')
    .selectAll()
    .where('family_id', '=', familyId)
    .execute();
  return rows.map(toRow);
}
