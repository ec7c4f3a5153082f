/**
 * Migration 0011_gateway_jobs: the web gateway's signing jobs and their documents (issue 13,
 * docs/decisions/0001 Contract 4). Documents live in the database, sealed with AES-256-GCM by the
 * gateway (the store never sees a plaintext byte of them), so any node can answer and continue
 * any job; `gateway_clients` keeps the sealed secret of the built-in OAuth client `signet-web`.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreKind } from './store.js';

/** The migration for one store kind (byte columns are bytea on PostgreSQL, blob on SQLite). */
export function gatewayJobsMigration(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('gateway_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('signed_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('state_hash', sql.raw(bytes))
        .addColumn('oauth_pending', sql.raw(bytes))
        .addColumn('approved', sql.raw(bytes))
        .addColumn('access_token', sql.raw(bytes))
        .addColumn('token_expires_at', 'bigint')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('purge_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('gateway_jobs_user_idx').on('gateway_jobs').columns(['user_id', 'created_at']).execute();
      await db.schema.createIndex('gateway_jobs_state_hash_idx').on('gateway_jobs').column('state_hash').unique().execute();
      await db.schema.createIndex('gateway_jobs_state_idx').on('gateway_jobs').columns(['state', 'lease_until']).execute();
      await db.schema.createIndex('gateway_jobs_purge_idx').on('gateway_jobs').column('purge_at').execute();

      await db.schema
        .createTable('gateway_job_documents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('pages', 'integer', (c) => c.notNull())
        .addColumn('visible', 'text')
        .addColumn('original', sql.raw(bytes), (c) => c.notNull())
        .addColumn('prepared', sql.raw(bytes))
        .addColumn('dtbs_hash', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('signed', sql.raw(bytes))
        .addColumn('signed_size', 'integer')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('gateway_job_documents_position_unique', ['job_id', 'position'])
        .execute();

      await db.schema
        .createTable('gateway_clients')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('secret', sql.raw(bytes), (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
