/**
 * SAD rows and the conditional UPDATEs that consume them (INV-2): each UPDATE re-checks its
 * WHERE clause on the locked row, so the returned row counts decide, never an earlier read.
 */
import type { Db } from './store.js';
import type { SadsTable } from './schema.js';

/** A stored SAD (its id is the SHA-256 of the token). */
export type SadRow = Readonly<SadsTable>;

/** Inserts a SAD and the exact hashes it authorises. */
export async function insertSad(trx: Db, sad: SadRow, hashes: readonly Uint8Array[]): Promise<void> {
  await trx.insertInto('sads').values(sad).execute();
  if (hashes.length > 0) {
    await trx
      .insertInto('sad_hashes')
      .values(hashes.map((hash) => ({ sad_id: sad.id_hash, hash, used: 0 as const })))
      .execute();
  }
}

/** Reads a SAD by the hash of its token. */
export async function findSad(db: Db, idHash: Uint8Array): Promise<SadRow | undefined> {
  const row = await db.selectFrom('sads').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  return row === undefined
    ? undefined
    : { ...row, id_hash: new Uint8Array(row.id_hash), expires_at: Number(row.expires_at), created_at: Number(row.created_at) };
}

/** How many of `hashes` the SAD lists (used or not). */
export async function countListedSadHashes(db: Db, idHash: Uint8Array, hashes: readonly Uint8Array[]): Promise<number> {
  if (hashes.length === 0) return 0;
  const rows = await db
    .selectFrom('sad_hashes')
    .select('hash')
    .where('sad_id', '=', idHash)
    .where('hash', 'in', [...hashes])
    .execute();
  return rows.length;
}

/**
 * `UPDATE sads SET remaining = remaining - n WHERE id = ? AND remaining >= n AND revoked = 0 AND
 * expires_at > now`: true when exactly one row changed.
 */
export async function decrementSadRemaining(trx: Db, idHash: Uint8Array, n: number, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('sads')
    .set((eb) => ({ remaining: eb('remaining', '-', n) }))
    .where('id_hash', '=', idHash)
    .where('remaining', '>=', n)
    .where('revoked', '=', 0)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** `UPDATE sad_hashes SET used = 1 WHERE sad_id = ? AND hash = ? AND used = 0`: true when one row changed. */
export async function markSadHashUsed(trx: Db, idHash: Uint8Array, hash: Uint8Array): Promise<boolean> {
  const result = await trx
    .updateTable('sad_hashes')
    .set({ used: 1 })
    .where('sad_id', '=', idHash)
    .where('hash', '=', hash)
    .where('used', '=', 0)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Revokes a SAD; true when it existed and was not yet revoked. */
export async function revokeSadRow(trx: Db, idHash: Uint8Array): Promise<boolean> {
  const result = await trx.updateTable('sads').set({ revoked: 1 }).where('id_hash', '=', idHash).where('revoked', '=', 0).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Moves a live SAD's expiry (CSC credentials/extendTransaction); true when one row changed. */
export async function extendSadExpiry(trx: Db, idHash: Uint8Array, expiresAt: number, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('sads')
    .set({ expires_at: expiresAt })
    .where('id_hash', '=', idHash)
    .where('revoked', '=', 0)
    .where('expires_at', '>', now)
    .where('remaining', '>', 0)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
