/**
 * Migration 0012_gateway_provider: the web gateway against a CSC provider that shares nothing with
 * this node. `gateway_provider_sessions` keeps, per web session, the provider's service-scope
 * authorization (CSC v2 §8.4.2 scope `service`): the pending code flow (its `state` hash, sealed
 * PKCE verifier) and then the sealed access token, never sent to the browser.
 * `gateway_jobs.provider_credential` keeps the credential's `credentials/info` answer read at Sign
 * (chain, key, algorithms), so any node can finish the run without the person's service token.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreKind } from './store.js';

/** The migration for one store kind. */
export function gatewayProviderMigration(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('gateway_provider_sessions')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('state_hash', sql.raw(bytes))
        .addColumn('oauth_pending', sql.raw(bytes))
        .addColumn('access_token', sql.raw(bytes))
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('gateway_provider_sessions_state_idx').on('gateway_provider_sessions').column('state_hash').unique().execute();
      await db.schema.createIndex('gateway_provider_sessions_expiry_idx').on('gateway_provider_sessions').column('expires_at').execute();
      await db.schema.alterTable('gateway_jobs').addColumn('provider_credential', 'text').execute();
    },
  };
}
