/** OAuth 2.0 client registrations (RFC 6749 §2): type, secret hash, exact redirect URIs, allowed scopes. */
import type { Db } from './store.js';
import { StoreError } from './errors.js';
import { isUniqueViolation } from './unique-violation.js';

/** RFC 6749 §2.1 client types. */
export type OAuthClientType = 'public' | 'confidential';

/**
 * A client's certificate binding (RFC 8705 §2): `tls_client_auth` names the subject DN (RFC 4514
 * string, §2.1.2 tls_client_auth_subject_dn) or a dNSName (tls_client_auth_san_dns) of a
 * certificate that chains to the client CA; `self_signed_tls_client_auth` (§2.2) holds the base64url
 * SHA-256 thumbprint of the one certificate the client registered.
 */
export type TlsClientAuth =
  | { readonly method: 'tls_client_auth'; readonly subjectDn: string }
  | { readonly method: 'tls_client_auth'; readonly sanDns: string }
  | { readonly method: 'self_signed_tls_client_auth'; readonly x5tS256: string };

/** Reads the stored JSON of a binding; an unknown shape binds to no certificate (default-deny). */
export function parseTlsClientAuth(text: string | null | undefined): TlsClientAuth | null {
  if (text === null || text === undefined) return null;
  const v = JSON.parse(text) as Record<string, unknown>;
  if (v['method'] === 'tls_client_auth' && typeof v['subjectDn'] === 'string')
    return { method: 'tls_client_auth', subjectDn: v['subjectDn'] };
  if (v['method'] === 'tls_client_auth' && typeof v['sanDns'] === 'string')
    return { method: 'tls_client_auth', sanDns: v['sanDns'] };
  if (v['method'] === 'self_signed_tls_client_auth' && typeof v['x5tS256'] === 'string')
    return { method: 'self_signed_tls_client_auth', x5tS256: v['x5tS256'] };
  // Default-deny: a binding this version does not understand authenticates nobody.
  return { method: 'self_signed_tls_client_auth', x5tS256: '' };
}

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
  /** RFC 8705 mutual-TLS client authentication instead of a secret; null: none. */
  readonly tlsClientAuth: TlsClientAuth | null;
}

/** Registers a client (no certificate binding unless given); a taken id is ERR_STORE_CONFLICT. */
export async function insertOAuthClient(
  trx: Db,
  client: Omit<OAuthClient, 'tlsClientAuth'> & { readonly tlsClientAuth?: TlsClientAuth | null },
): Promise<void> {
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
        tls_client_auth:
          client.tlsClientAuth === undefined || client.tlsClientAuth === null
            ? null
            : JSON.stringify(client.tlsClientAuth),
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
    tlsClientAuth: parseTlsClientAuth(row.tls_client_auth),
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
