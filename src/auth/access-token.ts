/**
 * OAuth 2.0 / CSC access tokens (RFC 6749 §1.4, CSC API v2 §8.4): opaque bearer values, stored
 * only as SHA-256 (docs/security.md OA-20), with scope `service` or `credential` (CSC v2 §8.4.2);
 * a mutual-TLS client's tokens are bound to its certificate (RFC 8705 §3, `cnf` `x5t#S256`).
 * Issued by CSC auth/login and by the OAuth2 token endpoint alike.
 */
import { randomUUID } from 'node:crypto';
import { findTokenWithUser, insertToken, revokeToken, type Db, type TokenWithUserRow } from '../store/index.js';
import { generateOpaqueToken, hashOpaqueToken } from './opaque-token.js';

/** CSC API v2 §8.4.2 scopes: `service` (API access) or `credential` (one credential; may stand in for the SAD). */
export type AccessTokenScope = 'service' | 'credential';

/** What an access token is issued for. */
export interface IssueAccessTokenRequest {
  /** The user the token acts for; null for client-credentials tokens (RFC 6749 §4.4). */
  readonly userId: string | null;
  /** The OAuth client (must exist in oauth_clients; CSC auth/login uses `csc-login`). */
  readonly clientId: string;
  readonly scope: AccessTokenScope;
  /** The credential a `credential`-scope token is good for. */
  readonly credentialId?: string;
  readonly ttlSeconds: number;
  /** Epoch milliseconds (from the Clock). */
  readonly now: number;
  /** Groups tokens of one grant (refresh rotation revokes the family); a fresh id when absent. */
  readonly familyId?: string;
  /**
   * Use this opaque value instead of a fresh one: CSC credential-scope tokens carry the SAD
   * issued for the same authorization, so the token and the SAD are the same string.
   */
  readonly value?: string;
  /**
   * RFC 8705 §3: bind the token to this client certificate (`x5t#S256`, base64url SHA-256 of its
   * DER); such a token is good only on a connection presenting the same certificate.
   */
  readonly certificateThumbprint?: string;
}

/** The issued token: the value is returned once and never stored. */
export interface IssuedAccessToken {
  readonly value: string;
  /** Seconds until expiry (RFC 6749 §5.1 `expires_in`). */
  readonly expiresIn: number;
}

/** What a live access token grants. */
export interface AccessTokenInfo {
  readonly userId: string | null;
  readonly clientId: string;
  readonly scope: AccessTokenScope;
  readonly credentialId: string | null;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** True when the token acts for a user whose account is active now (false for client tokens). */
  readonly userActive: boolean;
  /** RFC 8705 §3.1 `cnf` `x5t#S256` of a certificate-bound token; null for a plain bearer token. */
  readonly certificateThumbprint: string | null;
}

/** Longest access-token lifetime accepted (CSC v2 §8.4.4 default is 3600 s). */
export const maxAccessTokenTtlSeconds = 24 * 3600;

/**
 * Issues an access token inside the caller's transaction (so the grant and its audit entry
 * commit together). The lifetime is clamped to 1 s … maxAccessTokenTtlSeconds; an unknown
 * client id fails on the foreign key (callers validate their input first).
 *
 * @example
 * ```ts
 * const { value, expiresIn } = await store.transaction((trx) =>
 *   issueAccessToken(trx, { userId, clientId: 'csc-login', scope: 'service', ttlSeconds: 3600, now }),
 * );
 * ```
 */
export async function issueAccessToken(
  trx: Db,
  request: IssueAccessTokenRequest,
): Promise<IssuedAccessToken> {
  const ttl = Math.max(1, Math.min(Math.floor(request.ttlSeconds), maxAccessTokenTtlSeconds));
  const value = request.value ?? generateOpaqueToken().token;
  await insertToken(trx, {
    token_hash: hashOpaqueToken(value),
    kind: 'access',
    client_id: request.clientId,
    user_id: request.userId,
    scope: request.scope,
    family_id: request.familyId ?? randomUUID(),
    credential_id: request.scope === 'credential' ? (request.credentialId ?? null) : null,
    expires_at: request.now + ttl * 1000,
    revoked: 0,
    used: 0,
    created_at: request.now,
    cnf_x5t_s256: request.certificateThumbprint ?? null,
  });
  return { value, expiresIn: ttl };
}

/**
 * Looks up a presented bearer value: undefined when unknown, not an access token, revoked or
 * expired, or bound to a client certificate (RFC 8705 §3) other than the one of the connection it
 * came on — `presentedCertificateThumbprint`, the `x5t#S256` of that connection's client
 * certificate, undefined without one (RFC 6750 §3.1 `invalid_token` for the caller to answer;
 * RFC 8705 §3.1 says the same for a binding mismatch).
 *
 * @example
 * ```ts
 * const info = await verifyAccessToken(store.db, bearer, clock.now().getTime(), thumbprint);
 * if (info === undefined) throw new CscError('invalid_token', 'The access token is not valid');
 * ```
 */
export async function verifyAccessToken(
  db: Db,
  value: string,
  now: number,
  presentedCertificateThumbprint: string | undefined,
): Promise<AccessTokenInfo | undefined> {
  if (!isAccessTokenValueShape(value)) return undefined;
  return accessTokenInfo(await findTokenWithUser(db, hashOpaqueToken(value)), now, presentedCertificateThumbprint);
}

/** Whether a presented value can be an access token at all (longer ones are never looked up). */
export function isAccessTokenValueShape(value: string): boolean {
  return value.length > 0 && value.length <= 512;
}

/**
 * verifyAccessToken's decision on a token row read elsewhere (store/bearer-and-credential.ts reads
 * it with the credential a signing call names): undefined when missing, not an access token,
 * revoked, expired, bound to another certificate or of another scope. Give it only the row of
 * the SHA-256 of a value that passed `isAccessTokenValueShape`.
 */
export function accessTokenInfo(
  row: TokenWithUserRow | undefined,
  now: number,
  presentedCertificateThumbprint: string | undefined,
): AccessTokenInfo | undefined {
  if (row === undefined || row.kind !== 'access' || row.revoked !== 0 || row.expires_at <= now) {
    return undefined;
  }
  const bound = row.cnf_x5t_s256 ?? null;
  // RFC 8705 §3.1: a bound token is refused unless the same certificate is on the connection.
  if (bound !== null && bound !== presentedCertificateThumbprint) return undefined;
  if (row.scope !== 'service' && row.scope !== 'credential') return undefined;
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    credentialId: row.credential_id,
    expiresAt: row.expires_at,
    userActive: row.user_status === 'active',
    certificateThumbprint: bound,
  };
}

/** Revokes an access token by value (CSC auth/revoke, RFC 7009); true when it was live. */
export async function revokeAccessToken(trx: Db, value: string): Promise<boolean> {
  return revokeToken(trx, hashOpaqueToken(value));
}
