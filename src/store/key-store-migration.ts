/**
 * Migration 0013_key_store (issue 16): every wrapped software key (credential keys, CA, TSA and
 * OCSP keys: the keystore's AES-256-GCM envelope under the KEK, never a clear key) and the node's
 * shared state (its sealed server secrets, the CA's configuration and certificates) live in the
 * database, so a node needs only DATABASE_URL and the KEK. `kek_id` makes a KEK rotation's
 * batches an index scan.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreKind } from './store.js';

/** The migration for one store kind (byte columns are bytea on PostgreSQL, blob on SQLite). */
export function keyStoreMigration(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('wrapped_keys')
        .addColumn('keystore', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('kek_id', 'text', (c) => c.notNull())
        .addColumn('stamp', 'text', (c) => c.notNull())
        .addColumn('envelope', sql.raw(bytes), (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('wrapped_keys_pk', ['keystore', 'ref'])
        .execute();
      await db.schema.createIndex('wrapped_keys_kek_idx').on('wrapped_keys').columns(['keystore', 'kek_id', 'ref']).execute();

      await db.schema
        .createTable('node_state')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
