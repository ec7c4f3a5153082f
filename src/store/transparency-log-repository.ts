/**
 * The signature transparency log's rows (migration 0016): leaves queued by signing transactions,
 * sequenced in bulk by the tree-head publisher, the subtree hashes it stores and the signed heads.
 */
import { sql } from 'kysely';
import { preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { TransparencyLeavesTable, TransparencyTreeHeadsTable } from './schema.js';

/** A leaf as the signing transaction queues it (no index yet). */
export type NewLogLeaf = Omit<TransparencyLeavesTable, 'id' | 'leaf_index'>;

/** A stored leaf. */
export interface LogLeafRow extends NewLogLeaf {
  readonly id: number;
  readonly leaf_index: number | null;
}

/** A stored signed tree head. */
export type TreeHeadRow = Readonly<TransparencyTreeHeadsTable>;

/** One subtree hash: MTH of leaves [index·2^level, (index+1)·2^level). */
export interface LogNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

const chunk = 400;

const insertOneLeaf = preparedQuery(
  (
    trx: Db, userId: string, credentialId: string, certificateSerial: string, hashAlgorithmOid: string,
    dtbsHash: string, signedAt: number, clientId: string, sadId: string,
    traceId: string | null, leafHash: Uint8Array,
  ) =>
    trx.insertInto('transparency_leaves').values({
      user_id: userId, credential_id: credentialId, certificate_serial: certificateSerial,
      hash_algorithm_oid: hashAlgorithmOid, dtbs_hash: dtbsHash, signed_at: signedAt,
      client_id: clientId, sad_id: sadId, trace_id: traceId, leaf_hash: leafHash,
    }),
);

/** Queues leaves (in the caller's transaction: the signing one). */
export async function insertLogLeaves(trx: Db, leaves: readonly NewLogLeaf[]): Promise<void> {
  if (leaves.length === 1) {
    // signHash of one hash, the common case: a statement of fixed shape, compiled once.
    const l = leaves[0] as NewLogLeaf;
    await insertOneLeaf(
      trx, l.user_id, l.credential_id, l.certificate_serial, l.hash_algorithm_oid, l.dtbs_hash,
      l.signed_at, l.client_id, l.sad_id, l.trace_id, l.leaf_hash,
    );
    return;
  }
  for (let i = 0; i < leaves.length; i += chunk) {
    await trx.insertInto('transparency_leaves').values(leaves.slice(i, i + chunk)).execute();
  }
}

/**
 * Gives up to `limit` queued leaves the indexes `firstIndex`, `firstIndex + 1`, … in queue order,
 * in one statement; returns how many. Only the publisher calls it, under its lock.
 */
export async function sequenceLogLeaves(trx: Db, firstIndex: number, limit: number): Promise<number> {
  const result = await sql`
    update transparency_leaves set leaf_index = s.idx
    from (
      select id, ${firstIndex - 1} + row_number() over (order by id) as idx
      from transparency_leaves where leaf_index is null order by id limit ${limit}
    ) as s
    where transparency_leaves.id = s.id`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/** The leaf hashes of indexes [from, to), in order. */
export async function listLogLeafHashes(db: Db, from: number, to: number): Promise<{ readonly index: number; readonly hash: Uint8Array }[]> {
  const rows = await db
    .selectFrom('transparency_leaves')
    .select(['leaf_index', 'leaf_hash'])
    .where('leaf_index', '>=', from)
    .where('leaf_index', '<', to)
    .orderBy('leaf_index')
    .execute();
  return rows.map((r) => ({ index: Number(r.leaf_index), hash: new Uint8Array(r.leaf_hash) }));
}

/** The stored subtree hashes among `wanted` (missing ones are simply absent). */
export async function findLogNodes(db: Db, wanted: readonly { readonly level: number; readonly index: number }[]): Promise<LogNode[]> {
  const out: LogNode[] = [];
  for (let i = 0; i < wanted.length; i += chunk) {
    const part = wanted.slice(i, i + chunk);
    const rows = await db
      .selectFrom('transparency_nodes')
      .select(['level', 'node_index', 'hash'])
      .where((eb) => eb.or(part.map((w) => eb.and([eb('level', '=', w.level), eb('node_index', '=', w.index)]))))
      .execute();
    for (const r of rows) out.push({ level: Number(r.level), index: Number(r.node_index), hash: new Uint8Array(r.hash) });
  }
  return out;
}

/** Stores subtree hashes (the publisher's, under its lock). */
export async function insertLogNodes(trx: Db, nodes: readonly LogNode[]): Promise<void> {
  for (let i = 0; i < nodes.length; i += 1000) {
    await trx
      .insertInto('transparency_nodes')
      .values(nodes.slice(i, i + 1000).map((n) => ({ level: n.level, node_index: n.index, hash: n.hash })))
      .execute();
  }
}

function headOf(row: TransparencyTreeHeadsTable): TreeHeadRow {
  return {
    tree_size: Number(row.tree_size),
    root_hash: new Uint8Array(row.root_hash),
    timestamp: Number(row.timestamp),
    signature: new Uint8Array(row.signature),
    key_id: row.key_id,
    node_id: row.node_id,
  };
}

/** The head of the largest tree, if any was published. */
export async function findLatestTreeHead(db: Db): Promise<TreeHeadRow | undefined> {
  const row = await db.selectFrom('transparency_tree_heads').selectAll().orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? undefined : headOf(row);
}

/** The head published for `treeSize`, if any. */
export async function findTreeHead(db: Db, treeSize: number): Promise<TreeHeadRow | undefined> {
  const row = await db.selectFrom('transparency_tree_heads').selectAll().where('tree_size', '=', treeSize).executeTakeFirst();
  return row === undefined ? undefined : headOf(row);
}

/** Stores a head; false (nothing written) when a head of that size exists already. */
export async function insertTreeHead(trx: Db, head: TreeHeadRow): Promise<boolean> {
  const inserted = await trx
    .insertInto('transparency_tree_heads')
    .values({ ...head })
    .onConflict((oc) => oc.column('tree_size').doNothing())
    .returning('tree_size')
    .executeTakeFirst();
  return inserted !== undefined;
}

function leafOf(row: TransparencyLeavesTable & { id: number }): LogLeafRow {
  return {
    ...row,
    id: Number(row.id),
    leaf_index: row.leaf_index === null ? null : Number(row.leaf_index),
    signed_at: Number(row.signed_at),
    leaf_hash: new Uint8Array(row.leaf_hash),
  };
}

/** A user's leaves, newest first, strictly before queue id `beforeId` when given. */
export async function listUserLogLeaves(
  db: Db,
  userId: string,
  page: { readonly beforeId?: number; readonly limit: number },
): Promise<LogLeafRow[]> {
  let q = db.selectFrom('transparency_leaves').selectAll().where('user_id', '=', userId);
  if (page.beforeId !== undefined) q = q.where('id', '<', page.beforeId);
  const rows = await q.orderBy('id', 'desc').limit(page.limit).execute();
  return rows.map((r) => leafOf(r as TransparencyLeavesTable & { id: number }));
}
