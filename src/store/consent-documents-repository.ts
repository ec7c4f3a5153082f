/**
 * Documents shown at consent (docs/decisions/0001 contract 3): sealed PDF bytes with the DTBS/R
 * hash the AS computed, bound to one authorization request at a time. Binding is a conditional
 * UPDATE, so a reference is taken by exactly one request even when two race (docs/security.md SAD-03).
 */
import type { Db } from './store.js';
import type { ConsentDocumentsTable } from './schema.js';

/** A stored consent document. */
export type ConsentDocumentRow = Readonly<ConsentDocumentsTable>;

function toRow(row: ConsentDocumentsTable): ConsentDocumentRow {
  return {
    ...row,
    ref_hash: new Uint8Array(row.ref_hash),
    sealed: new Uint8Array(row.sealed),
    pages: Number(row.pages),
    size: Number(row.size),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
  };
}

/** Stores a newly pushed document. */
export async function insertConsentDocument(trx: Db, row: ConsentDocumentRow): Promise<void> {
  await trx.insertInto('consent_documents').values(row).execute();
}

/** The documents with these reference hashes (any order; missing ones are simply absent). */
export async function findConsentDocuments(
  db: Db,
  refHashes: readonly Uint8Array[],
): Promise<ConsentDocumentRow[]> {
  if (refHashes.length === 0) return [];
  const rows = await db
    .selectFrom('consent_documents')
    .selectAll()
    .where('ref_hash', 'in', refHashes)
    .execute();
  return rows.map(toRow);
}

/**
 * `UPDATE … SET request_id = ? WHERE ref_hash = ? AND client_id = ? AND request_id IS NULL AND
 * expires_at > now`: binds an unbound, unexpired document of the client to a request. False
 * when another request took it first (or it expired, or it is another client's).
 */
export async function bindConsentDocument(
  trx: Db,
  refHash: Uint8Array,
  clientId: string,
  requestId: string,
  now: number,
): Promise<boolean> {
  const r = await trx
    .updateTable('consent_documents')
    .set({ request_id: requestId })
    .where('ref_hash', '=', refHash)
    .where('client_id', '=', clientId)
    .where('request_id', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Deletes the documents of a request (its code was issued, it was denied or it failed). */
export async function deleteConsentDocumentsOfRequest(trx: Db, requestId: string): Promise<number> {
  const r = await trx.deleteFrom('consent_documents').where('request_id', '=', requestId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Deletes documents that expired before `now` (housekeeping). */
export async function deleteExpiredConsentDocuments(trx: Db, now: number): Promise<number> {
  const r = await trx.deleteFrom('consent_documents').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
