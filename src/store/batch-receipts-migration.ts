/**
 * Migration 0017_batch_receipts (issue 21, verifiable batches): a SAD binds the RFC 9162 Merkle
 * root of the ordered hashes the person approved (`sads.batch_root`, `batch_size`) and each of its
 * hashes keeps its place in that order (`sad_hashes.leaf_index`); `batch_receipts` keeps the
 * signed receipt of every hash signed under a SAD with a root (it outlives the SAD, so no foreign
 * key). It also added `gateway_job_documents.receipt`, never written; 0019 drops it.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreKind } from './store.js';

/** The migration for one store kind. */
export function batchReceiptsMigration(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sads').addColumn('batch_root', sql.raw(bytes)).execute();
      await db.schema.alterTable('sads').addColumn('batch_size', 'integer').execute();
      await db.schema.alterTable('sad_hashes').addColumn('leaf_index', 'integer').execute();
      await db.schema
        .createTable('batch_receipts')
        .addColumn('sad_id', sql.raw(bytes), (c) => c.notNull())
        .addColumn('leaf_index', 'integer', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text', (c) => c.notNull())
        .addColumn('hash', sql.raw(bytes), (c) => c.notNull())
        .addColumn('receipt', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('batch_receipts_pk', ['sad_id', 'leaf_index'])
        .execute();
      await db.schema
        .createIndex('batch_receipts_user_idx')
        .on('batch_receipts')
        .columns(['user_id', 'hash'])
        .execute();
      await db.schema.alterTable('gateway_job_documents').addColumn('receipt', 'text').execute();
    },
  };
}
