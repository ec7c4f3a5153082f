/**
 * Migration 0016_transparency_log (issue 21): the signature transparency log. Every signature
 * queues one leaf in the transaction that consumes its SAD; the tree-head publisher (one node at
 * a time, under an advisory lock) gives queued leaves their contiguous leaf indexes, stores the
 * hashes of the complete subtrees they close (so any proof over 100,000 leaves reads a few dozen
 * rows) and signs the new tree head. Leaf indexes and tree sizes are unique: two nodes can never
 * store two heads of one size.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreKind } from './store.js';

/** The log's three tables: queued and sequenced leaves, subtree hashes, signed tree heads. */
export function transparencyLogMigration(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('transparency_leaves')
        .addColumn('id', kind === 'postgres' ? 'bigserial' : 'integer', (c) =>
          kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('leaf_index', 'bigint', (c) => c.unique())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text', (c) => c.notNull())
        .addColumn('certificate_serial', 'text', (c) => c.notNull())
        .addColumn('hash_algorithm_oid', 'text', (c) => c.notNull())
        .addColumn('dtbs_hash', 'text', (c) => c.notNull())
        .addColumn('signed_at', 'bigint', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('sad_id', 'text', (c) => c.notNull())
        .addColumn('trace_id', 'text')
        .addColumn('leaf_hash', sql.raw(bytes), (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('transparency_leaves_user_idx')
        .on('transparency_leaves')
        .columns(['user_id', 'id'])
        .execute();
      // RFC 9162 §2.1: node (level, index) is MTH of leaves [index·2^level, (index+1)·2^level);
      // level 0 copies the leaf hashes, so a proof reads only this table.
      await db.schema
        .createTable('transparency_nodes')
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('node_index', 'bigint', (c) => c.notNull())
        .addColumn('hash', sql.raw(bytes), (c) => c.notNull())
        .addPrimaryKeyConstraint('transparency_nodes_pk', ['level', 'node_index'])
        .execute();
      await db.schema
        .createTable('transparency_tree_heads')
        .addColumn('tree_size', 'bigint', (c) => c.primaryKey())
        .addColumn('root_hash', sql.raw(bytes), (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('signature', sql.raw(bytes), (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
