/**
 * Wrapped keys and the node's shared state (migration 0013_key_store). Every write is one
 * statement whose row count decides (insert-or-ignore on the primary key, update conditional on
 * the stamp), so nodes that start or re-wrap at once on one database agree.
 */
import { preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { WrappedKeysTable } from './schema.js';

/** A stored wrapped key. */
export type WrappedKeyRow = Readonly<WrappedKeysTable>;

/** Reads one wrapped key. */
export async function findWrappedKey(db: Db, keystore: string, ref: string): Promise<{ envelope: Uint8Array; stamp: string } | undefined> {
  const row = await db
    .selectFrom('wrapped_keys')
    .select(['envelope', 'stamp'])
    .where('keystore', '=', keystore)
    .where('ref', '=', ref)
    .executeTakeFirst();
  return row === undefined ? undefined : { envelope: new Uint8Array(row.envelope), stamp: row.stamp };
}

/** The stamp of one wrapped key (changes with every write). */
export async function findWrappedKeyStamp(db: Db, keystore: string, ref: string): Promise<string | undefined> {
  return (await selectWrappedKeyStamp(db, keystore, ref)).rows[0]?.stamp;
}

// Read before every signature with a cached key (the software keystore's stamp check): compiled once.
const selectWrappedKeyStamp = preparedQuery((db: Db, keystore: string, ref: string) =>
  db.selectFrom('wrapped_keys').select('stamp').where('keystore', '=', keystore).where('ref', '=', ref),
);

/** Inserts a wrapped key; false (nothing written) when (keystore, ref) exists. */
export async function insertWrappedKey(db: Db, row: WrappedKeyRow): Promise<boolean> {
  const inserted = await db
    .insertInto('wrapped_keys')
    .values({ ...row })
    .onConflict((oc) => oc.columns(['keystore', 'ref']).doNothing())
    .returning('ref')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Replaces a wrapped key's envelope if its stamp is still `stamp`. */
export async function replaceWrappedKey(
  db: Db,
  keystore: string,
  ref: string,
  expectedStamp: string,
  next: { readonly envelope: Uint8Array; readonly kekId: string; readonly stamp: string; readonly updatedAt: number },
): Promise<boolean> {
  const result = await db
    .updateTable('wrapped_keys')
    .set({ envelope: next.envelope, kek_id: next.kekId, stamp: next.stamp, updated_at: next.updatedAt })
    .where('keystore', '=', keystore)
    .where('ref', '=', ref)
    .where('stamp', '=', expectedStamp)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a wrapped key; false when there was none. */
export async function deleteWrappedKey(db: Db, keystore: string, ref: string): Promise<boolean> {
  const result = await db.deleteFrom('wrapped_keys').where('keystore', '=', keystore).where('ref', '=', ref).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** References of a keystore in ascending order after `after`, at most `limit`. */
export async function listWrappedKeyRefs(db: Db, keystore: string, after: string | undefined, limit: number): Promise<string[]> {
  let q = db.selectFrom('wrapped_keys').select('ref').where('keystore', '=', keystore);
  if (after !== undefined) q = q.where('ref', '>', after);
  return (await q.orderBy('ref').limit(limit).execute()).map((r) => r.ref);
}

/** References of a keystore's keys wrapped under another KEK than `kekId`, at most `limit`. */
export async function listWrappedKeysNotUnder(db: Db, keystore: string, kekId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('wrapped_keys')
    .select('ref')
    .where('keystore', '=', keystore)
    .where('kek_id', '<>', kekId)
    .orderBy('ref')
    .limit(limit)
    .execute();
  return rows.map((r) => r.ref);
}

/** The KEK ids that wrap a keystore's keys. */
export async function listWrappedKeyKekIds(db: Db, keystore: string): Promise<string[]> {
  const rows = await db.selectFrom('wrapped_keys').select('kek_id').distinct().where('keystore', '=', keystore).orderBy('kek_id').execute();
  return rows.map((r) => r.kek_id);
}

/** A named piece of the node's shared state (JSON text), or undefined. */
export async function findNodeState(db: Db, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('node_state').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value;
}

/** Inserts a named state; false (nothing written) when it exists. */
export async function insertNodeState(db: Db, name: string, value: string, now: number): Promise<boolean> {
  const inserted = await db
    .insertInto('node_state')
    .values({ name, value, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Replaces a named state if it is still `expected`. */
export async function replaceNodeState(db: Db, name: string, expected: string, value: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('node_state')
    .set({ value, updated_at: now })
    .where('name', '=', name)
    .where('value', '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

