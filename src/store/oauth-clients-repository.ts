/** OAuth 2.0 client registrations (RFC 6749 §2): type, secret hash, exact redirect URIs, allowed scopes. */
import type { Db } from './store.js';
import { StoreError } from './errors.js';
import { isUniqueViolation } from './unique-violation.js';

/** RFC 6749 §2.1 client types. */
export type OAuthClientType = 'public' | 'confidential';

/** A registered client as the services see it. */
export interface OAuthClient {
  readonly id: string;
  readonly name: string;
  readonly clientType: OAuthClientType;
  /** Hash of the client secret (confidential clients), from the auth domain's SecretHasher. */
  readonly secretHash: string | null;
  /** Compared by exact string equality (RFC 9700 §4.1.1). */
  readonly redirectUris: readonly string[];
  readonly allowedScopes: readonly string[];
  readonly createdAt: number;
}

/** Registers a client; a taken id is ERR_STORE_CONFLICT. */
export async function insertOAuthClient(trx: Db, client: OAuthClient): Promise<void> {
  try {
    await trx
      .insertInto('oauth_clients')
      .values({
        id: client.id,
        name: client.name,
        client_type: client.clientType,
        secret_hash: client.secretHash,
        redirect_uris: JSON.stringify(client.redirectUris),
        allowed_scopes: JSON.stringify(client.allowedScopes),
        created_at: client.createdAt,
      })
      .execute();
  } catch (cause) {
    if (isUniqueViolation(cause))
      throw new StoreError('ERR_STORE_CONFLICT', 'the client id is taken', { cause });
    throw cause;
  }
}

/** Finds a client by id. */
export async function findOAuthClient(db: Db, id: string): Promise<OAuthClient | undefined> {
  const row = await db
    .selectFrom('oauth_clients')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    name: row.name,
    clientType: row.client_type === 'public' ? 'public' : 'confidential',
    secretHash: row.secret_hash,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    allowedScopes: JSON.parse(row.allowed_scopes) as string[],
    createdAt: Number(row.created_at),
  };
}

/**
 * Replaces a client's redirect URIs when they still are `expected` (JSON text compare-and-set,
 * so two nodes adding their URI at once do not lose one); true when replaced.
 */
export async function replaceOAuthClientRedirectUris(trx: Db, id: string, expected: readonly string[], next: readonly string[]): Promise<boolean> {
  const result = await trx
    .updateTable('oauth_clients')
    .set({ redirect_uris: JSON.stringify(next) })
    .where('id', '=', id)
    .where('redirect_uris', '=', JSON.stringify(expected))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
