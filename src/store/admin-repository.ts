/**
 * Read models and single-use tokens for the administrator surface (admin API and CLI): listings
 * without secret columns, counts of admin tokens, and the atomic redemption of a one-time token.
 */
import type { Db } from './store.js';
import type { TokensTable } from './schema.js';
import { parseTlsClientAuth, type TlsClientAuth } from './oauth-clients-repository.js';

/** A user as an administrator sees it (no password hash, no TOTP secret). */
export interface UserSummary {
  readonly id: string;
  readonly username: string;
  readonly status: string;
  readonly hasTotp: boolean;
  readonly locked: boolean;
  readonly createdAt: number;
  /** `user` or `admin`. */
  readonly role: string;
  /** Whether the user must sign in with a passkey. */
  readonly requirePasskey: boolean;
}

/** Every user, oldest first. `now` decides whether a temporary lock is still in force. */
export async function listUsers(db: Db, now: number): Promise<readonly UserSummary[]> {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username', 'status', 'totp_secret', 'locked_until', 'created_at', 'role', 'require_passkey'])
    .orderBy('created_at')
    .orderBy('username')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    status: r.status,
    hasTotp: r.totp_secret !== null,
    role: r.role,
    requirePasskey: Number(r.require_passkey) === 1,
    locked: r.locked_until !== null && Number(r.locked_until) > now,
    createdAt: Number(r.created_at),
  }));
}

/** An OAuth client as an administrator sees it (no secret hash). */
export interface OAuthClientSummary {
  readonly id: string;
  readonly name: string;
  readonly clientType: string;
  readonly redirectUris: readonly string[];
  readonly allowedScopes: readonly string[];
  readonly createdAt: number;
  /** RFC 8705 §2 certificate binding (mutual-TLS client authentication); null: none. */
  readonly tlsClientAuth: TlsClientAuth | null;
}

/** Every OAuth client, oldest first. */
export async function listOAuthClients(db: Db): Promise<readonly OAuthClientSummary[]> {
  const rows = await db
    .selectFrom('oauth_clients')
    .select(['id', 'name', 'client_type', 'redirect_uris', 'allowed_scopes', 'created_at', 'tls_client_auth'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    clientType: r.client_type,
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    allowedScopes: JSON.parse(r.allowed_scopes) as string[],
    createdAt: Number(r.created_at),
    tlsClientAuth: parseTlsClientAuth(r.tls_client_auth),
  }));
}

/** A credential as an administrator sees it (no PIN hash, no chain). */
export interface CredentialSummary {
  readonly id: string;
  readonly userId: string;
  readonly username: string;
  readonly backendKind: string;
  readonly status: string;
  readonly locked: boolean;
  readonly scal: string;
  readonly createdAt: number;
}

/** Every credential (or one user's), oldest first. */
export async function listCredentialSummaries(
  db: Db,
  filter: { readonly userId?: string } = {},
): Promise<readonly CredentialSummary[]> {
  let q = db
    .selectFrom('credentials')
    .innerJoin('users', 'users.id', 'credentials.user_id')
    .select([
      'credentials.id as id',
      'credentials.user_id as user_id',
      'users.username as username',
      'credentials.backend_kind as backend_kind',
      'credentials.status as status',
      'credentials.locked as locked',
      'credentials.scal as scal',
      'credentials.created_at as created_at',
    ]);
  if (filter.userId !== undefined) q = q.where('credentials.user_id', '=', filter.userId);
  const rows = await q.orderBy('credentials.created_at').orderBy('credentials.id').execute();
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    username: r.username,
    backendKind: r.backend_kind,
    status: r.status,
    locked: Number(r.locked) === 1,
    scal: r.scal,
    createdAt: Number(r.created_at),
  }));
}

/** How many tokens of the given kinds were ever stored (used, revoked and expired ones included). */
export async function countTokensOfKinds(db: Db, kinds: readonly string[]): Promise<number> {
  const row = await db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('kind', 'in', [...kinds])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Marks a live single-use token of `kind` used, once: the row when this call won; undefined when
 * unknown, of another kind, expired, revoked or already used (one UPDATE, so two racing
 * redemptions cannot both win).
 */
export async function redeemSingleUseToken(
  trx: Db,
  tokenHash: Uint8Array,
  kind: string,
  now: number,
): Promise<Readonly<TokensTable> | undefined> {
  const row = await trx
    .updateTable('tokens')
    .set({ used: 1 })
    .where('token_hash', '=', tokenHash)
    .where('kind', '=', kind)
    .where('used', '=', 0)
    .where('revoked', '=', 0)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : { ...row, token_hash: new Uint8Array(row.token_hash), expires_at: Number(row.expires_at), created_at: Number(row.created_at) };
}
