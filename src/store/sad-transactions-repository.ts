/**
 * SAD successors (CSC API v2 §11.9 credentials/extendTransaction): the live SAD is retired by one
 * conditional UPDATE whose row count decides (INV-2), and its successor is inserted with the
 * remaining count and the transaction's hash history in the same database transaction.
 */
import type { Db } from './store.js';
import type { Flag, SadsTable } from './schema.js';

/** A SAD as extendTransaction needs it: the row, its transaction's authorisation time and standing. */
export interface SadForExtension extends Readonly<SadsTable> {
  /** When the transaction was first authorised (the original SAD's created_at for a first SAD). */
  readonly transaction_authorized_at: number;
  readonly credential_status: string | null;
  readonly credential_locked: number | null;
  readonly user_status: string | null;
}

/** Reads a SAD with its credential's and user's current state (docs/security.md SAD-16, SAD-17). */
export async function findSadForExtension(
  db: Db,
  idHash: Uint8Array,
): Promise<SadForExtension | undefined> {
  const row = await db
    .selectFrom('sads')
    .leftJoin('credentials', 'credentials.id', 'sads.credential_id')
    .leftJoin('users', 'users.id', 'sads.user_id')
    .selectAll('sads')
    .select([
      'credentials.status as credential_status',
      'credentials.locked as credential_locked',
      'users.status as user_status',
    ])
    .where('sads.id_hash', '=', idHash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const createdAt = Number(row.created_at);
  const authorizedAt =
    row.authorized_at === null || row.authorized_at === undefined
      ? null
      : Number(row.authorized_at);
  return {
    ...row,
    id_hash: new Uint8Array(row.id_hash),
    expires_at: Number(row.expires_at),
    created_at: createdAt,
    authorized_at: authorizedAt,
    predecessor_id:
      row.predecessor_id === null || row.predecessor_id === undefined
        ? null
        : new Uint8Array(row.predecessor_id),
    num_signatures: Number(row.num_signatures),
    remaining: Number(row.remaining),
    transaction_authorized_at: authorizedAt ?? createdAt,
    credential_locked: row.credential_locked === null ? null : Number(row.credential_locked),
  };
}

/**
 * `UPDATE sads SET revoked = 1 WHERE id = ? AND revoked = 0 AND expires_at > now AND remaining > 0
 * RETURNING remaining`: the remaining count read under the row lock when this call retired the SAD,
 * undefined when another transaction got there first (consumed, revoked, expired or extended).
 */
export async function retireSad(
  trx: Db,
  idHash: Uint8Array,
  now: number,
): Promise<number | undefined> {
  const row = await trx
    .updateTable('sads')
    .set({ revoked: 1 })
    .where('id_hash', '=', idHash)
    .where('revoked', '=', 0)
    .where('expires_at', '>', now)
    .where('remaining', '>', 0)
    .returning('remaining')
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.remaining);
}

/** The hashes a SAD lists, with their used flags. */
export async function listSadHashes(
  db: Db,
  idHash: Uint8Array,
): Promise<{ readonly hash: Uint8Array; readonly used: boolean }[]> {
  const rows = await db
    .selectFrom('sad_hashes')
    .select(['hash', 'used'])
    .where('sad_id', '=', idHash)
    .execute();
  return rows.map((r) => ({ hash: new Uint8Array(r.hash), used: Number(r.used) === 1 }));
}

/** Inserts a successor SAD with its hash rows (used ones already marked, so none signs twice). */
export async function insertSuccessorSad(
  trx: Db,
  sad: Readonly<SadsTable>,
  hashes: readonly { readonly hash: Uint8Array; readonly used: boolean }[],
): Promise<void> {
  await trx.insertInto('sads').values(sad).execute();
  if (hashes.length > 0) {
    await trx
      .insertInto('sad_hashes')
      .values(
        hashes.map((h) => ({ sad_id: sad.id_hash, hash: h.hash, used: (h.used ? 1 : 0) as Flag })),
      )
      .execute();
  }
}
