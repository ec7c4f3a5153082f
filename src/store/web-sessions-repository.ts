/**
 * First-party web sessions (docs/decisions/0001 Contract 1): only the SHA-256 of the cookie is
 * stored; idle and absolute expiry are checked against the row on every request, on any node.
 */
import type { Db } from './store.js';
import type { WebSessionsTable } from './schema.js';

/** A stored web session. */
export type WebSessionRow = Readonly<WebSessionsTable>;

/** A live session together with its user's name, role and status. */
export interface WebSessionWithUser extends WebSessionRow {
  readonly username: string;
  readonly role: string;
  readonly status: string;
}

function toRow<T extends WebSessionsTable>(row: T): T {
  return {
    ...row,
    id_hash: new Uint8Array(row.id_hash),
    created_at: Number(row.created_at),
    last_seen_at: Number(row.last_seen_at),
    expires_at: Number(row.expires_at),
    second_factor_at: row.second_factor_at === null ? null : Number(row.second_factor_at),
    revoked: Number(row.revoked) === 1 ? 1 : 0,
  };
}

/** Stores a new session. */
export async function insertWebSession(trx: Db, row: WebSessionRow): Promise<void> {
  await trx.insertInto('web_sessions').values(row).execute();
}

/** Reads a session (revoked or not) with its user. */
export async function findWebSession(db: Db, idHash: Uint8Array): Promise<WebSessionWithUser | undefined> {
  const row = await db
    .selectFrom('web_sessions')
    .innerJoin('users', 'users.id', 'web_sessions.user_id')
    .selectAll('web_sessions')
    .select(['users.username', 'users.role', 'users.status'])
    .where('web_sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

/** Moves the idle clock of a live session. */
export async function touchWebSession(trx: Db, idHash: Uint8Array, at: number): Promise<void> {
  await trx.updateTable('web_sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).where('revoked', '=', 0).execute();
}

/** Records a fresh second factor (a step-up) on a live session. */
export async function setWebSessionSecondFactor(trx: Db, idHash: Uint8Array, factor: string, at: number): Promise<boolean> {
  const r = await trx
    .updateTable('web_sessions')
    .set({ second_factor: factor, second_factor_at: at, last_seen_at: at })
    .where('id_hash', '=', idHash)
    .where('revoked', '=', 0)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Revokes one session. True when it was live. */
export async function revokeWebSession(trx: Db, idHash: Uint8Array): Promise<boolean> {
  const r = await trx.updateTable('web_sessions').set({ revoked: 1 }).where('id_hash', '=', idHash).where('revoked', '=', 0).executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Revokes every session of a user (factor reset, role change); returns how many were live. */
export async function revokeUserWebSessions(trx: Db, userId: string): Promise<number> {
  const r = await trx.updateTable('web_sessions').set({ revoked: 1 }).where('user_id', '=', userId).where('revoked', '=', 0).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Deletes sessions past their absolute end, and revoked ones (housekeeping). */
export async function deleteExpiredWebSessions(trx: Db, now: number): Promise<number> {
  const r = await trx
    .deleteFrom('web_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('revoked', '=', 1)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
