/**
 * The reads a signing call starts with, in one statement (issue 19): the presented access token
 * with its user's status, the credential the request names and the credential's further keys —
 * three round trips on PostgreSQL and three statements on SQLite before, each with its own read
 * transaction. The caller decides from the three parts exactly as it did from three reads.
 */
import { preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { TokenWithUserRow } from './tokens-repository.js';
import type { CredentialRow } from './credentials-repository.js';
import type { CredentialKeyRow } from './credential-keys-repository.js';

/** What one read of a bearer token and a named credential finds. */
export interface BearerAndCredential {
  /** The token's row with its user's status; undefined when no token has this hash. */
  readonly token: TokenWithUserRow | undefined;
  /** The credential of that id, whoever owns it; undefined when unknown or when the token is. */
  readonly credential: CredentialRow | undefined;
  /** The credential's further keys, oldest first (as listCredentialKeys orders them). */
  readonly keys: readonly CredentialKeyRow[];
}

// The token row drives the statement: one row per further key of the credential (at least one).
const selectBearerAndCredential = preparedQuery((db: Db, tokenHash: Uint8Array, credentialId: string) =>
  db
    .selectFrom('tokens')
    .leftJoin('users', 'users.id', 'tokens.user_id')
    .leftJoin('credentials', (join) => join.on('credentials.id', '=', credentialId))
    .leftJoin('credential_keys', 'credential_keys.credential_id', 'credentials.id')
    .selectAll('tokens')
    .select([
      'users.status as user_status',
      'credentials.id as c_id',
      'credentials.user_id as c_user_id',
      'credentials.key_ref as c_key_ref',
      'credentials.backend_kind as c_backend_kind',
      'credentials.certificate_chain as c_certificate_chain',
      'credentials.status as c_status',
      'credentials.pin_hash as c_pin_hash',
      'credentials.pin_failures as c_pin_failures',
      'credentials.locked as c_locked',
      'credentials.multisign as c_multisign',
      'credentials.scal as c_scal',
      'credentials.created_at as c_created_at',
      'credentials.certificate_serial as c_certificate_serial',
      'credentials.profile as c_profile',
      'credentials.signing_mode as c_signing_mode',
      'credential_keys.id as k_id',
      'credential_keys.credential_id as k_credential_id',
      'credential_keys.key_ref as k_key_ref',
      'credential_keys.backend_kind as k_backend_kind',
      'credential_keys.certificate_chain as k_certificate_chain',
      'credential_keys.certificate_serial as k_certificate_serial',
      'credential_keys.created_at as k_created_at',
    ])
    .where('tokens.token_hash', '=', tokenHash)
    .orderBy('credential_keys.created_at')
    .orderBy('credential_keys.id'),
);

/**
 * Reads the token whose hash is `tokenHash` (with its user's status), the credential `credentialId`
 * and its further keys in one statement. Nothing is checked here: not the token's kind, expiry
 * or revocation, nor who owns the credential (auth/access-token.ts and csc/request-scope.ts do,
 * on these rows, as on separate reads).
 */
export async function findBearerAndCredential(db: Db, tokenHash: Uint8Array, credentialId: string): Promise<BearerAndCredential> {
  const rows = (await selectBearerAndCredential(db, tokenHash, credentialId)).rows;
  const first = rows[0];
  if (first === undefined) return { token: undefined, credential: undefined, keys: [] };
  const token: TokenWithUserRow = {
    token_hash: new Uint8Array(first.token_hash),
    kind: first.kind,
    client_id: first.client_id,
    user_id: first.user_id,
    scope: first.scope,
    family_id: first.family_id,
    credential_id: first.credential_id,
    expires_at: Number(first.expires_at),
    revoked: first.revoked,
    used: first.used,
    created_at: Number(first.created_at),
    cnf_x5t_s256: first.cnf_x5t_s256,
    user_status: first.user_status,
  };
  const credential: CredentialRow | undefined =
    first.c_id === null
      ? undefined
      : {
          id: first.c_id,
          user_id: first.c_user_id as string,
          key_ref: first.c_key_ref as string,
          backend_kind: first.c_backend_kind as string,
          certificate_chain: first.c_certificate_chain as string,
          status: first.c_status as string,
          pin_hash: first.c_pin_hash,
          pin_failures: Number(first.c_pin_failures),
          locked: Number(first.c_locked) as CredentialRow['locked'],
          multisign: Number(first.c_multisign),
          scal: first.c_scal as string,
          created_at: Number(first.c_created_at),
          certificate_serial: first.c_certificate_serial,
          profile: first.c_profile,
          signing_mode: first.c_signing_mode as string,
        };
  const keys: CredentialKeyRow[] = [];
  for (const row of rows) {
    if (row.k_id === null) continue;
    keys.push({
      id: row.k_id,
      credential_id: row.k_credential_id as string,
      key_ref: row.k_key_ref as string,
      backend_kind: row.k_backend_kind as string,
      certificate_chain: row.k_certificate_chain as string,
      certificate_serial: row.k_certificate_serial as string,
      created_at: Number(row.k_created_at),
    });
  }
  return { token, credential, keys };
}
