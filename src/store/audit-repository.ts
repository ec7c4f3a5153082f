/** Rows of the audit log and its chain-head checkpoint (the SQL behind src/audit). */
import type { Db } from './store.js';
import type { AuditLogTable } from './schema.js';
import { StoreError } from './errors.js';

/** One stored audit row, as read back. */
export type AuditRow = Readonly<AuditLogTable>;

/** The chain-head checkpoint row. */
export interface AuditHeadRow {
  readonly seq: number;
  readonly headHash: Uint8Array;
  readonly mac: Uint8Array;
}

/**
 * Reserves the next sequence number by incrementing the head row, and returns it with the
 * previous entry's hash. The UPDATE locks the head row until the transaction ends (PostgreSQL
 * row lock; SQLite's single writer), so concurrent appenders form one linear chain.
 * Must run inside `Store.transaction()`.
 */
export async function reserveAuditSequence(
  trx: Db,
): Promise<{ seq: number; prevHash: Uint8Array }> {
  const row = await trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'head_hash'])
    .executeTakeFirst();
  if (row === undefined) {
    throw new StoreError('ERR_STORE_NOT_FOUND', 'the audit chain head is missing');
  }
  return { seq: Number(row.seq), prevHash: new Uint8Array(row.head_hash) };
}

/** Inserts one audit row. */
export async function insertAuditRow(trx: Db, row: AuditRow): Promise<void> {
  await trx.insertInto('audit_log').values(row).execute();
}

/** Moves the checkpoint to `seq` / `headHash` with its MAC. */
export async function updateAuditHead(trx: Db, head: AuditHeadRow): Promise<void> {
  await trx
    .updateTable('audit_head')
    .set({ seq: head.seq, head_hash: head.headHash, mac: head.mac })
    .where('id', '=', 1)
    .execute();
}

/** Reads the checkpoint, or undefined when the row was deleted. */
export async function readAuditHead(db: Db): Promise<AuditHeadRow | undefined> {
  const row = await db
    .selectFrom('audit_head')
    .select(['seq', 'head_hash', 'mac'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : {
        seq: Number(row.seq),
        headHash: new Uint8Array(row.head_hash),
        mac: new Uint8Array(row.mac),
      };
}

/** A page of entries in sequence order, strictly after `afterSeq`. */
export async function listAuditRows(
  db: Db,
  page: { readonly afterSeq: number; readonly limit: number; readonly userId?: string },
): Promise<readonly AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll().where('seq', '>', page.afterSeq);
  if (page.userId !== undefined) query = query.where('actor_user_id', '=', page.userId);
  const rows = await query.orderBy('seq', 'asc').limit(page.limit).execute();
  return rows.map((r) => ({
    ...r,
    seq: Number(r.seq),
    occurred_at: Number(r.occurred_at),
    prev_hash: new Uint8Array(r.prev_hash),
    hash: new Uint8Array(r.hash),
    mac: new Uint8Array(r.mac),
  }));
}
