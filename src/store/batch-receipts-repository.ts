/** Batch receipts (issue 21): written with the consumption that signs their hash, read by their owner. */
import { preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { BatchReceiptsTable } from './schema.js';

/** A stored receipt. */
export type BatchReceiptRow = Readonly<BatchReceiptsTable>;

/** Inserts the receipts of one consumption (in its transaction). */
export async function insertBatchReceipts(
  trx: Db,
  rows: readonly BatchReceiptRow[],
): Promise<void> {
  if (rows.length === 1) {
    // signHash of one hash, the common case: a statement of fixed shape, compiled once.
    const r = rows[0] as BatchReceiptRow;
    await insertOneReceipt(trx, r.sad_id, r.leaf_index, r.user_id, r.credential_id, r.hash, r.receipt, r.created_at);
    return;
  }
  if (rows.length > 0)
    await trx
      .insertInto('batch_receipts')
      .values([...rows])
      .execute();
}

/**
 * The receipts a user holds for one DTBS/R hash (normally one; a hash approved again in another
 * batch has one per batch), newest first.
 */
export async function findBatchReceiptsByHash(
  db: Db,
  userId: string,
  hash: Uint8Array,
): Promise<BatchReceiptRow[]> {
  const rows = await db
    .selectFrom('batch_receipts')
    .selectAll()
    .where('user_id', '=', userId)
    .where('hash', '=', hash)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    ...r,
    sad_id: new Uint8Array(r.sad_id),
    hash: new Uint8Array(r.hash),
    leaf_index: Number(r.leaf_index),
    created_at: Number(r.created_at),
  }));
}

/** Which of `hashes` a user holds a receipt for, and under which credential (the receipts themselves are not read). */
export async function listBatchReceiptHashes(
  db: Db,
  userId: string,
  hashes: readonly Uint8Array[],
): Promise<{ readonly hash: Uint8Array; readonly credential_id: string }[]> {
  if (hashes.length === 0) return [];
  const rows = await db
    .selectFrom('batch_receipts')
    .select(['hash', 'credential_id'])
    .where('user_id', '=', userId)
    .where('hash', 'in', [...hashes])
    .execute();
  return rows.map((r) => ({ hash: new Uint8Array(r.hash), credential_id: r.credential_id }));
}

const insertOneReceipt = preparedQuery(
  (
    trx: Db, sadId: Uint8Array, leafIndex: number, userId: string, credentialId: string,
    hash: Uint8Array, receipt: string, createdAt: number,
  ) =>
    trx.insertInto('batch_receipts').values({
      sad_id: sadId, leaf_index: leafIndex, user_id: userId, credential_id: credentialId,
      hash, receipt, created_at: createdAt,
    }),
);

/** The receipt texts stored under one SAD, by leaf index (what a takeover of its request answers). */
export async function listSadBatchReceipts(
  db: Db,
  sadId: Uint8Array,
): Promise<{ readonly hash: Uint8Array; readonly receipt: string }[]> {
  const rows = await db
    .selectFrom('batch_receipts')
    .select(['hash', 'receipt'])
    .where('sad_id', '=', sadId)
    .orderBy('leaf_index')
    .execute();
  return rows.map((r) => ({ hash: new Uint8Array(r.hash), receipt: r.receipt }));
}
