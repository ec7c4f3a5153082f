/**
 * Versioned schema migrations (kysely Migrator with an in-code provider): one ordered list for
 * SQLite and PostgreSQL, differing only in the byte-string column type.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.js';
import { StoreError } from './errors.js';
import type { StoreKind } from './store.js';
import { gatewayJobsMigration } from './gateway-jobs-migration.js';
import { gatewayProviderMigration } from './gateway-provider-migration.js';
import { keyStoreMigration } from './key-store-migration.js';
import { mtlsClientsMigration } from './mtls-clients-migration.js';
import { credentialKeysMigration } from './credential-keys-migration.js';
import { batchReceiptsMigration } from './batch-receipts-migration.js';
import { jobReceiptColumnMigration } from './job-receipt-column-migration.js';
import { transparencyLogMigration } from './transparency-log-migration.js';

type AnyDb = Kysely<unknown>;

function initialSchema(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('totp_secret', sql.raw(bytes))
        .addColumn('totp_last_step', 'bigint')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('key_ref', 'text', (c) => c.notNull())
        .addColumn('backend_kind', 'text', (c) => c.notNull())
        .addColumn('certificate_chain', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('pin_hash', 'text')
        .addColumn('pin_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('multisign', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('scal', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('credentials_user_idx')
        .on('credentials')
        .column('user_id')
        .execute();

      await db.schema
        .createTable('oauth_clients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('secret_hash', 'text')
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('allowed_scopes', 'text', (c) => c.notNull())
        .addColumn('client_type', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('authorization_codes')
        .addColumn('code_hash', sql.raw(bytes), (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id'))
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text')
        .addColumn('code_challenge_method', 'text')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text')
        .addColumn('num_signatures', 'integer')
        .addColumn('hash_algorithm_oid', 'text')
        .addColumn('hashes', 'text')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('tokens')
        .addColumn('token_hash', sql.raw(bytes), (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id'))
        .addColumn('user_id', 'text')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tokens_family_idx').on('tokens').column('family_id').execute();

      await db.schema
        .createTable('sads')
        .addColumn('id_hash', sql.raw(bytes), (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id'))
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('hash_algorithm_oid', 'text', (c) => c.notNull())
        .addColumn('num_signatures', 'integer', (c) => c.notNull())
        .addColumn('remaining', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addCheckConstraint('sads_remaining_check', sql`remaining >= 0`)
        .execute();

      await db.schema
        .createTable('sad_hashes')
        .addColumn('sad_id', sql.raw(bytes), (c) =>
          c.notNull().references('sads.id_hash').onDelete('cascade'),
        )
        .addColumn('hash', sql.raw(bytes), (c) => c.notNull())
        .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('sad_hashes_pk', ['sad_id', 'hash'])
        .execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('actor_user_id', 'text')
        .addColumn('actor_client_id', 'text')
        .addColumn('subject', 'text')
        .addColumn('source_address', 'text')
        .addColumn('trace_id', 'text')
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('prev_hash', sql.raw(bytes), (c) => c.notNull())
        .addColumn('hash', sql.raw(bytes), (c) => c.notNull())
        .addColumn('mac', sql.raw(bytes), (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('audit_log_user_idx')
        .on('audit_log')
        .columns(['actor_user_id', 'seq'])
        .execute();

      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('head_hash', sql.raw(bytes), (c) => c.notNull())
        .addColumn('mac', sql.raw(bytes), (c) => c.notNull())
        .execute();
      // The genesis head: sequence 0, an all-zero hash, no MAC (the key is not known here).
      await sql`insert into audit_head (id, seq, head_hash, mac) values (1, 0, ${new Uint8Array(32)}, ${new Uint8Array(0)})`.execute(
        db,
      );
    },
  };
}

/** docs/security.md SCA-09: a new TOTP secret stays pending until a first valid code confirms it. */
function totpConfirmation(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema
        .alterTable('users')
        .addColumn('totp_pending_secret', sql.raw(bytes))
        .execute();
    },
  };
}

/** docs/security.md SCA-01/03: fixed-window attempt counters keyed by e.g. source address. */
const rateLimits: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema
      .createTable('rate_limits')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .execute();
  },
};

/**
 * The built-in OAuth client `csc-login`: CSC auth/login (CSC API v2 §11.2) issues service tokens
 * without an OAuth client, but every token row names its client (tokens.client_id → oauth_clients).
 * It has no secret and no redirect URI, so it can never be used at the OAuth endpoints.
 */
const cscLoginClient: Migration = {
  async up(db: AnyDb): Promise<void> {
    await sql`insert into oauth_clients (id, secret_hash, redirect_uris, allowed_scopes, client_type, name, created_at) values ('csc-login', null, '[]', '["service"]', 'confidential', 'CSC auth/login', 0)`.execute(
      db,
    );
  },
};

/** OAuth 2.0 login/consent interactions kept server-side (docs/security.md OA-31…33). */
function oauthInteractions(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema
        .createTable('oauth_interactions')
        .addColumn('id_hash', sql.raw(bytes), (c) => c.primaryKey())
        .addColumn('csrf_hash', sql.raw(bytes))
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id'))
        .addColumn('user_id', 'text', (c) => c.references('users.id'))
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * The CA's records in the service database (the CaStore of `signet serve`): issued certificates
 * with revocation and renewal state, and named counters (CRL number RFC 5280 §5.2.3, TSA serial
 * RFC 3161 §2.4.2). `credentials.certificate_serial` names the credential's certificate so the
 * SAD consumption can see a CA revocation in the same query (docs/security.md SAD-16).
 */
function caStore(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema
        .createTable('ca_certificates')
        .addColumn('serial_hex', 'text', (c) => c.primaryKey())
        .addColumn('issuer_id', 'text', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('spki_sha256', 'text', (c) => c.notNull())
        .addColumn('der', sql.raw(bytes), (c) => c.notNull())
        .addColumn('not_before', 'bigint', (c) => c.notNull())
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revocation_reason', 'text')
        .addColumn('key_ref', 'text')
        .addColumn('qc_statements', 'text')
        .addColumn('renewed_by', 'text')
        .addColumn('claim_claimant', 'text')
        .addColumn('claim_until', 'bigint')
        .execute();
      await db.schema.createIndex('ca_certificates_spki_idx').on('ca_certificates').column('spki_sha256').execute();
      await db.schema
        .createIndex('ca_certificates_issuer_idx')
        .on('ca_certificates')
        .columns(['issuer_id', 'not_after'])
        .execute();
      await db.schema
        .createTable('ca_counters')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('credentials').addColumn('certificate_serial', 'text').execute();
    },
  };
}

/**
 * CSC credentials/extendTransaction (CSC API v2 §11.9): a successor SAD keeps
 * the time its transaction was authorised (the original authentication) and names its predecessor,
 * so its expiry ceiling is measured from that authentication, never from the latest extension.
 * Null on SADs issued directly (their own created_at is the authorisation time).
 */
function sadTransactions(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema.alterTable('sads').addColumn('authorized_at', 'bigint').execute();
      await db.schema.alterTable('sads').addColumn('predecessor_id', sql.raw(bytes)).execute();
    },
  };
}

/**
 * Idempotent signing (docs/security.md SAD-07, FLT-01…04; draft-ietf-httpapi-idempotency-key-header):
 * one row per signHash/signDoc call sent with an `Idempotency-Key`, keyed by (user, client, key),
 * holding the request fingerprint, the reserved SAD hashes, its state (in_flight → completed |
 * abandoned) and, once completed, the response until `purge_at`.
 */
function signingRequests(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema
        .createTable('signing_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', sql.raw(bytes), (c) => c.notNull())
        .addColumn('sad_id', sql.raw(bytes), (c) => c.notNull())
        .addColumn('credential_id', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('hashes', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('purge_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('signing_requests_key_unique', ['user_id', 'client_id', 'idempotency_key'])
        .execute();
      await db.schema
        .createIndex('signing_requests_state_idx')
        .on('signing_requests')
        .columns(['state', 'updated_at'])
        .execute();
      await db.schema.createIndex('signing_requests_purge_idx').on('signing_requests').column('purge_at').execute();
    },
  };
}

/**
 * Passkeys and first-party web sessions (issue 12, docs/decisions/0001 Contracts 1 and 2):
 * registered WebAuthn credentials (W3C WebAuthn L2 §7.1 step 26: the credential id, its COSE
 * public key, the signature counter), single-use ceremony challenges named by a ticket whose
 * SHA-256 is the key (consumed by one DELETE … RETURNING on any node), web sessions (only the
 * SHA-256 of the cookie), and the users' role and require-passkey policy.
 */
function passkeysSessions(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema
        .createTable('webauthn_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('credential_id', 'text', (c) => c.notNull().unique())
        .addColumn('public_key', sql.raw(bytes), (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('aaguid', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('backed_up', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('device_type', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('webauthn_credentials_user_idx').on('webauthn_credentials').column('user_id').execute();

      await db.schema
        .createTable('webauthn_challenges')
        .addColumn('ticket_hash', sql.raw(bytes), (c) => c.primaryKey())
        .addColumn('challenge', sql.raw(bytes), (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('binding', 'text')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webauthn_challenges_expiry_idx').on('webauthn_challenges').column('expires_at').execute();

      await db.schema
        .createTable('web_sessions')
        .addColumn('id_hash', sql.raw(bytes), (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('second_factor', 'text', (c) => c.notNull())
        .addColumn('second_factor_at', 'bigint')
        .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('web_sessions_user_idx').on('web_sessions').column('user_id').execute();
      await db.schema.createIndex('web_sessions_expiry_idx').on('web_sessions').column('expires_at').execute();

      await db.schema.alterTable('users').addColumn('role', 'text', (c) => c.notNull().defaultTo('user')).execute();
      await db.schema.alterTable('users').addColumn('require_passkey', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  };
}

/**
 * Documents shown at consent (docs/decisions/0001 contract 3): a PDF a client pushed to
 * POST /oauth2/documents, sealed with AES-256-GCM (the AAD names the reference), with the DTBS/R
 * hash the AS computed itself and the pre-signing findings. `request_id` binds it to one
 * authorization request (single use); rows go when the request ends or expires.
 */
function consentDocuments(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema
        .createTable('consent_documents')
        .addColumn('ref_hash', sql.raw(bytes), (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sealed', sql.raw(bytes), (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('hash_algorithm_oid', 'text', (c) => c.notNull())
        .addColumn('pages', 'integer', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('consent_documents_request_idx').on('consent_documents').column('request_id').execute();
      await db.schema.createIndex('consent_documents_expiry_idx').on('consent_documents').column('expires_at').execute();
    },
  };
}

/**
 * Certificate profiles and enrollment (issue 16 §3): a credential names the certificate profile it
 * was issued under (renewal keeps it) and its signing mode — `server` (the key is on a backend
 * here) or `external` (the key is held elsewhere, the holder signs the DTBS/R); the CA keeps the
 * PKCS#10 request of an external key, which renewal re-checks and reuses.
 */
function certificateProfiles(kind: StoreKind): Migration {
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb): Promise<void> {
      await db.schema.alterTable('credentials').addColumn('profile', 'text').execute();
      await db.schema.alterTable('credentials').addColumn('signing_mode', 'text', (c) => c.notNull().defaultTo('server')).execute();
      await db.schema.alterTable('ca_certificates').addColumn('csr', sql.raw(bytes)).execute();
    },
  };
}

/** The ordered migrations of one store kind. Names sort in application order; never rename one. */
export function migrationsFor(kind: StoreKind): Readonly<Record<string, Migration>> {
  return {
    '0001_initial_schema': initialSchema(kind),
    '0002_totp_confirmation': totpConfirmation(kind),
    '0003_rate_limits': rateLimits,
    '0004_csc_login_client': cscLoginClient,
    '0005_oauth_interactions': oauthInteractions(kind),
    '0006_ca_store': caStore(kind),
    '0007_sad_transactions': sadTransactions(kind),
    '0008_signing_requests': signingRequests(kind),
    '0009_passkeys_sessions': passkeysSessions(kind),
    '0010_consent_documents': consentDocuments(kind),
    '0011_gateway_jobs': gatewayJobsMigration(kind),
    '0012_gateway_provider': gatewayProviderMigration(kind),
    '0013_key_store': keyStoreMigration(kind),
    '0014_credential_keys': credentialKeysMigration,
    '0015_certificate_profiles': certificateProfiles(kind),
    '0016_transparency_log': transparencyLogMigration(kind),
    '0017_batch_receipts': batchReceiptsMigration(kind),
    // 0016 is reserved for work in progress elsewhere (issue 17's brief).
    '0018_mtls_clients': mtlsClientsMigration,
    '0019_job_receipt_column': jobReceiptColumnMigration,
  };
}

class InCodeMigrationProvider implements MigrationProvider {
  readonly #kind: StoreKind;
  constructor(kind: StoreKind) {
    this.#kind = kind;
  }
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({ ...migrationsFor(this.#kind) });
  }
}

/**
 * Applies every pending migration. Idempotent: running it again on an up-to-date database does
 * nothing. kysely's Migrator serialises concurrent runs (an advisory lock on PostgreSQL).
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  kind: StoreKind,
): Promise<readonly string[]> {
  const migrator = new Migrator({ db, provider: new InCodeMigrationProvider(kind) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw new StoreError('ERR_STORE_MIGRATION', 'database migration failed', { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
