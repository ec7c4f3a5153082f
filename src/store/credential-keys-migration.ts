/**
 * Migration 0014 (issue 16 §2): `credential_keys`, the further keys of a credential held on other
 * tokens (a heavy user's several cards). Each has its own certificate for the same subject; the
 * credential row keeps its first key, so single-key credentials are unchanged.
 */
import type { Kysely, Migration } from 'kysely';

/** The `credential_keys` table and its credential index. */
export const credentialKeysMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('credential_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id'))
      .addColumn('key_ref', 'text', (c) => c.notNull())
      .addColumn('backend_kind', 'text', (c) => c.notNull())
      .addColumn('certificate_chain', 'text', (c) => c.notNull())
      .addColumn('certificate_serial', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('credential_keys_credential_idx')
      .on('credential_keys')
      .column('credential_id')
      .execute();
    await db.schema
      .createIndex('credential_keys_serial_idx')
      .on('credential_keys')
      .column('certificate_serial')
      .execute();
  },
};
