/**
 * User rows: creation, lookup, the failed-attempt counter reserved BEFORE a factor is verified
 * (docs/security.md SCA-02), lockout, and the TOTP last-used step (RFC 6238 §5.2, SCA-05/06).
 */
import { preparedQuery } from './prepared-query.js';
import { sql, type Selectable } from 'kysely';
import type { Db } from './store.js';
import type { UsersTable } from './schema.js';
import { StoreError } from './errors.js';
import { isUniqueViolation } from './unique-violation.js';

/** A user row as read back. */
export type UserRow = Readonly<Selectable<UsersTable>>;

/** The roles of a user (0009). */
export type UserRole = 'user' | 'admin';

/** Account states. */
export type UserStatus = 'active' | 'disabled';

/** Inserts a user; a taken username is ERR_STORE_CONFLICT. */
export async function insertUser(
  trx: Db,
  user: {
    readonly id: string;
    readonly username: string;
    readonly passwordHash: string;
    readonly createdAt: number;
  },
): Promise<void> {
  try {
    await trx
      .insertInto('users')
      .values({
        id: user.id,
        username: user.username,
        password_hash: user.passwordHash,
        totp_secret: null,
        totp_pending_secret: null,
        totp_last_step: null,
        status: 'active',
        failed_attempts: 0,
        locked_until: null,
        created_at: user.createdAt,
      })
      .execute();
  } catch (cause) {
    if (isUniqueViolation(cause))
      throw new StoreError('ERR_STORE_CONFLICT', 'the username is taken', { cause });
    throw cause;
  }
}

function toUser(row: Selectable<UsersTable>): UserRow {
  return {
    ...row,
    require_passkey: Number(row.require_passkey) === 1 ? 1 : 0,
    totp_secret: row.totp_secret === null ? null : new Uint8Array(row.totp_secret),
    totp_pending_secret:
      row.totp_pending_secret === null ? null : new Uint8Array(row.totp_pending_secret),
    totp_last_step: row.totp_last_step === null ? null : Number(row.totp_last_step),
    locked_until: row.locked_until === null ? null : Number(row.locked_until),
    created_at: Number(row.created_at),
  };
}

/** Finds a user by username. */
export async function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('username', '=', username)
    .executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

const selectUserById = preparedQuery((db: Db, id: string) =>
  db.selectFrom('users').selectAll().where('id', '=', id),
);

/** Finds a user by id. */
export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const row = (await selectUserById(db, id)).rows[0];
  return row === undefined ? undefined : toUser(row);
}

/**
 * Reserves one factor attempt: increments `failed_attempts` only while the account is active and
 * below `maxAttempts` (or its lock has expired, which restarts the count). Returns the new count,
 * or undefined when no attempt may be made. The conditional UPDATE is the gate, so parallel
 * guesses on any number of nodes verify at most `maxAttempts` factors.
 */
export async function reserveUserAttempt(
  trx: Db,
  userId: string,
  maxAttempts: number,
  now: number,
): Promise<number | undefined> {
  const lockExpired = sql<boolean>`(locked_until is not null and locked_until <= ${now})`;
  const row = await trx
    .updateTable('users')
    .set({
      failed_attempts: sql<number>`case when ${lockExpired} then 1 else failed_attempts + 1 end`,
      locked_until: sql<number | null>`case when ${lockExpired} then null else locked_until end`,
    })
    .where('id', '=', userId)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('failed_attempts', '<', maxAttempts), lockExpired]))
    .returning('failed_attempts')
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.failed_attempts);
}

/** A verified factor clears the counter and any lock. */
export async function clearUserAttempts(trx: Db, userId: string): Promise<void> {
  await trx
    .updateTable('users')
    .set({ failed_attempts: 0, locked_until: null })
    .where('id', '=', userId)
    .execute();
}

/**
 * Gives back one reserved attempt (a first factor that verified, inside a sign-in of several):
 * earlier failures stay counted until the second factor verifies too (docs/security.md SCA-08).
 */
export async function releaseUserAttempt(trx: Db, userId: string): Promise<void> {
  await trx
    .updateTable('users')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '-', 1) }))
    .where('id', '=', userId)
    .where('failed_attempts', '>', 0)
    .execute();
}

/** Sets the lock expiry (null: locked until an administrator unlocks) once the limit is reached. */
export async function lockUser(trx: Db, userId: string, lockedUntil: number | null): Promise<void> {
  await trx
    .updateTable('users')
    .set({ locked_until: lockedUntil })
    .where('id', '=', userId)
    .execute();
}

/** Administrator unlock: clears counter and lock. */
export async function unlockUser(trx: Db, userId: string): Promise<boolean> {
  const r = await trx
    .updateTable('users')
    .set({ failed_attempts: 0, locked_until: null })
    .where('id', '=', userId)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Enables or disables an account. */
export async function setUserStatus(trx: Db, userId: string, status: UserStatus): Promise<boolean> {
  const r = await trx
    .updateTable('users')
    .set({ status })
    .where('id', '=', userId)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Replaces the password hash. */
export async function setUserPasswordHash(
  trx: Db,
  userId: string,
  passwordHash: string,
): Promise<void> {
  await trx
    .updateTable('users')
    .set({ password_hash: passwordHash })
    .where('id', '=', userId)
    .execute();
}

/** Stores a sealed TOTP secret as pending (it does not authenticate until confirmed). */
export async function setUserPendingTotpSecret(
  trx: Db,
  userId: string,
  sealed: Uint8Array | null,
): Promise<void> {
  await trx
    .updateTable('users')
    .set({ totp_pending_secret: sealed })
    .where('id', '=', userId)
    .execute();
}

/**
 * Promotes the pending secret to the active one, only if it is still the one that was checked
 * (a concurrent re-enrollment makes this return false); the confirming code's step becomes the last used.
 */
export async function confirmUserTotpSecret(
  trx: Db,
  userId: string,
  pending: Uint8Array,
  step: number,
): Promise<boolean> {
  const r = await trx
    .updateTable('users')
    .set((eb) => ({
      totp_secret: eb.ref('totp_pending_secret'),
      totp_pending_secret: null,
      totp_last_step: step,
    }))
    .where('id', '=', userId)
    .where('totp_pending_secret', '=', pending)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Removes the active and pending TOTP secrets. */
export async function clearUserTotp(trx: Db, userId: string): Promise<void> {
  await trx
    .updateTable('users')
    .set({ totp_secret: null, totp_pending_secret: null, totp_last_step: null })
    .where('id', '=', userId)
    .execute();
}

/**
 * `UPDATE users SET totp_last_step = s WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < s)`:
 * true when the step was newer (RFC 6238 §5.2: a code is accepted once; SCA-06: exactly one racer wins).
 */
export async function advanceUserTotpStep(trx: Db, userId: string, step: number): Promise<boolean> {
  const r = await trx
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Sets a user's role (admin action). False when the user does not exist. */
export async function setUserRole(trx: Db, userId: string, role: UserRole): Promise<boolean> {
  const r = await trx.updateTable('users').set({ role }).where('id', '=', userId).executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Sets whether a user must sign in with a passkey (TOTP login refused). False when the user does not exist. */
export async function setUserRequirePasskey(trx: Db, userId: string, required: boolean): Promise<boolean> {
  const r = await trx
    .updateTable('users')
    .set({ require_passkey: required ? 1 : 0 })
    .where('id', '=', userId)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}
