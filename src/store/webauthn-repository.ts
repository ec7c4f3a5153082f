/**
 * WebAuthn rows: registered credentials (W3C WebAuthn L2 §7.1 step 26: id, COSE public key,
 * signature counter) and pending ceremony challenges. A challenge is consumed by one
 * `DELETE … RETURNING` keyed by the SHA-256 of its ticket, so a ticket finishes one ceremony once,
 * on whichever node (docs/security.md SCA-10).
 */
import type { Db } from './store.js';
import type { Flag, WebauthnChallengesTable, WebauthnCredentialsTable } from './schema.js';
import { StoreError } from './errors.js';
import { isUniqueViolation } from './unique-violation.js';

/** A stored WebAuthn credential. */
export type WebauthnCredentialRow = Readonly<WebauthnCredentialsTable>;

/** A stored ceremony challenge. */
export type WebauthnChallengeRow = Readonly<WebauthnChallengesTable>;

function toCredential(row: WebauthnCredentialsTable): WebauthnCredentialRow {
  return {
    ...row,
    public_key: new Uint8Array(row.public_key),
    counter: Number(row.counter),
    backed_up: Number(row.backed_up) === 1 ? 1 : 0,
    created_at: Number(row.created_at),
    last_used_at: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

/** Inserts a credential; a credential id registered already (to anyone) is ERR_STORE_CONFLICT (SCA-14). */
export async function insertWebauthnCredential(trx: Db, row: WebauthnCredentialRow): Promise<void> {
  try {
    await trx.insertInto('webauthn_credentials').values(row).execute();
  } catch (cause) {
    if (isUniqueViolation(cause)) throw new StoreError('ERR_STORE_CONFLICT', 'the credential id is registered already', { cause });
    throw cause;
  }
}

/** Finds a credential by its WebAuthn credential id (base64url). */
export async function findWebauthnCredentialByCredentialId(db: Db, credentialId: string): Promise<WebauthnCredentialRow | undefined> {
  const row = await db.selectFrom('webauthn_credentials').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  return row === undefined ? undefined : toCredential(row);
}

/** Finds one of a user's credentials by its row id (another user's is undefined). */
export async function findUserWebauthnCredential(db: Db, userId: string, id: string): Promise<WebauthnCredentialRow | undefined> {
  const row = await db
    .selectFrom('webauthn_credentials')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row === undefined ? undefined : toCredential(row);
}

/** A user's credentials, oldest first. */
export async function listUserWebauthnCredentials(db: Db, userId: string): Promise<readonly WebauthnCredentialRow[]> {
  const rows = await db
    .selectFrom('webauthn_credentials')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toCredential);
}

/** How many credentials a user has. */
export async function countUserWebauthnCredentials(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('webauthn_credentials')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Records a use: the new counter, the backup state and the time, only while the stored counter is
 * below the new one (or both are zero: an authenticator that does not count, §6.1.1). False when
 * a concurrent use got there first or the counter did not increase (a possible clone).
 */
export async function recordWebauthnCredentialUse(
  trx: Db,
  id: string,
  use: { readonly counter: number; readonly backedUp: boolean; readonly at: number },
): Promise<boolean> {
  const r = await trx
    .updateTable('webauthn_credentials')
    .set({ counter: use.counter, backed_up: (use.backedUp ? 1 : 0) as Flag, last_used_at: use.at })
    .where('id', '=', id)
    .where((eb) => (use.counter === 0 ? eb('counter', '=', 0) : eb('counter', '<', use.counter)))
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Renames one of a user's credentials. False when it is not theirs or does not exist. */
export async function renameWebauthnCredential(trx: Db, userId: string, id: string, name: string): Promise<boolean> {
  const r = await trx
    .updateTable('webauthn_credentials')
    .set({ name })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Deletes one of a user's credentials. False when it is not theirs or does not exist. */
export async function deleteWebauthnCredential(trx: Db, userId: string, id: string): Promise<boolean> {
  const r = await trx.deleteFrom('webauthn_credentials').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return r.numDeletedRows === 1n;
}

/** Deletes every credential of a user; returns how many. */
export async function deleteUserWebauthnCredentials(trx: Db, userId: string): Promise<number> {
  const r = await trx.deleteFrom('webauthn_credentials').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Stores a pending ceremony. */
export async function insertWebauthnChallenge(trx: Db, row: WebauthnChallengeRow): Promise<void> {
  await trx.insertInto('webauthn_challenges').values(row).execute();
}

function toChallenge(row: WebauthnChallengesTable): WebauthnChallengeRow {
  return {
    ...row,
    ticket_hash: new Uint8Array(row.ticket_hash),
    challenge: new Uint8Array(row.challenge),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
  };
}

/**
 * `DELETE FROM webauthn_challenges WHERE ticket_hash = ? RETURNING *`: takes the ceremony once.
 * Exactly one of any number of racing callers (on any node) gets the row; the caller checks the
 * expiry (an expired row is consumed too, and refused).
 */
export async function takeWebauthnChallenge(trx: Db, ticketHash: Uint8Array): Promise<WebauthnChallengeRow | undefined> {
  const row = await trx.deleteFrom('webauthn_challenges').where('ticket_hash', '=', ticketHash).returningAll().executeTakeFirst();
  return row === undefined ? undefined : toChallenge(row);
}

/** Reads a pending row without taking it (a federated first factor awaiting its second factor). */
export async function findWebauthnChallenge(db: Db, ticketHash: Uint8Array): Promise<WebauthnChallengeRow | undefined> {
  const row = await db.selectFrom('webauthn_challenges').selectAll().where('ticket_hash', '=', ticketHash).executeTakeFirst();
  return row === undefined ? undefined : toChallenge(row);
}

/** Deletes ceremonies that expired before `now` (housekeeping). */
export async function deleteExpiredWebauthnChallenges(trx: Db, now: number): Promise<number> {
  const r = await trx.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
