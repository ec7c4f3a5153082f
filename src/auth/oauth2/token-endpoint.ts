/**
 * The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; CSC API v2 §8.4.4): authorization_code
 * (single use; a replayed code revokes what it issued, RFC 6749 §4.1.2), client_credentials
 * (scope service only) and refresh_token (service scope only, rotated; a reused refresh token
 * revokes its whole family, RFC 9700 §4.14.2). Credential-scope tokens ARE their SAD (contract 2).
 */
import { appendAudit, appendFailureAudit, type AuditEvent } from '../../audit/index.js';
import {
  findAuthorizationCode,
  findToken,
  findUserById,
  redeemAuthorizationCode,
  useRefreshToken,
  type AuthorizationCodeRow,
  type OAuthClient,
} from '../../store/index.js';
import { issueAccessToken } from '../access-token.js';
import { SadError } from '../errors.js';
import { hashOpaqueToken } from '../opaque-token.js';
import { ref } from './audit-details.js';
import { codeFamily, insertRefreshToken, revokeGrant } from './grant-tokens.js';
import { restatedAuthorizationDetails } from './restated-authorization-details.js';
import { authenticateClient, origin } from './client-authentication.js';
import type { PresentedCertificate } from './client-certificate.js';
import { OAuth2Error } from './errors.js';
import { required, single } from './params.js';
import { verifyPkce } from './pkce.js';
import type { OAuth2Deps, Origin, RawParams } from './types.js';

/** RFC 6749 §5.1 successful response (CSC v2 §8.4.4 adds credentialID and authorization_details). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token?: string;
  readonly scope: string;
  readonly credentialID?: string;
  readonly authorization_details?: readonly unknown[];
}

/** A token request as the HTTP layer received it. */
export interface TokenRequest extends Origin {
  readonly params: RawParams;
  /** The Authorization header, for client_secret_basic. */
  readonly authorization?: string | undefined;
  /** The client certificate of the TLS connection, for mutual-TLS clients (RFC 8705 §2). */
  readonly clientCertificate?: PresentedCertificate | undefined;
}

/** The certificate binding of the tokens one request issues (RFC 8705 §3), if any. */
type Binding = { readonly certificateThumbprint?: string };

function invalidGrant(message: string): OAuth2Error {
  return new OAuth2Error('ERR_OAUTH2_INVALID_GRANT', message);
}

/** Handles POST /oauth2/token. Throws OAuth2Error for every refusal (audited). */
export class TokenEndpoint {
  readonly #d: OAuth2Deps;

  constructor(deps: OAuth2Deps) {
    this.#d = deps;
  }

  /** Issues tokens for one grant. */
  async token(request: TokenRequest): Promise<TokenResponse> {
    const grantType = single(request.params, 'grant_type');
    if (grantType === undefined) {
      throw new OAuth2Error('ERR_OAUTH2_INVALID_REQUEST', 'the grant_type parameter is missing');
    }
    const { client, certificateThumbprint } = await authenticateClient(this.#d, request);
    // RFC 8705 §3: a client that authenticated with its certificate gets tokens bound to it.
    const bound = certificateThumbprint === undefined ? {} : { certificateThumbprint };
    try {
      switch (grantType) {
        case 'authorization_code':
          return await this.#authorizationCode(client, request, bound);
        case 'client_credentials':
          return await this.#clientCredentials(client, request, bound);
        case 'refresh_token':
          return await this.#refresh(client, request, bound);
        default:
          // RFC 9700 §2.4: no password grant; CSC v2 §8.4.4: no implicit.
          throw new OAuth2Error(
            'ERR_OAUTH2_UNSUPPORTED_GRANT_TYPE',
            'the grant type is not supported',
          );
      }
    } catch (err) {
      if (err instanceof OAuth2Error) {
        await appendFailureAudit(
          this.#d.store,
          this.#event(request, 'oauth2.token', 'failure', {
            actorClientId: client.id,
            details: { grantType: grantType.slice(0, 40), error: err.code, reason: err.message },
          }),
          this.#d.audit,
        );
      }
      throw err;
    }
  }

  async #authorizationCode(
    client: OAuthClient,
    request: TokenRequest,
    bound: Binding,
  ): Promise<TokenResponse> {
    const p = request.params;
    const code = required(p, 'code');
    const redirectUri = single(p, 'redirect_uri');
    const verifier = single(p, 'code_verifier');
    const codeHash = hashOpaqueToken(code);
    const now = this.#now();
    // RFC 6749 §4.1.2 / §10.5: single use, decided by one conditional UPDATE (OA-11).
    const redeemed = await this.#d.store.transaction(async (trx) => {
      const row = await redeemAuthorizationCode(trx, codeHash, now);
      if (row !== undefined) return row;
      const known = await findAuthorizationCode(trx, codeHash);
      if (known !== undefined && known.used !== 0) {
        // A second redemption: revoke every token (and SAD) the first one produced (OA-10).
        const revoked = await revokeGrant(trx, codeFamily(codeHash));
        await appendAudit(
          trx,
          this.#event(request, 'oauth2.code.replay', 'failure', {
            actorClientId: client.id,
            actorUserId: known.user_id,
            details: { codeRef: ref(codeHash), revokedTokens: revoked },
          }),
          this.#d.audit,
        );
      }
      return undefined;
    });
    if (redeemed === undefined) throw invalidGrant('the code is invalid, expired or already used');
    this.#checkCodeBinding(redeemed, client, redirectUri, verifier);
    // The user may have been disabled since consenting (docs/security.md SAD-16 in spirit).
    if ((await findUserById(this.#d.store.db, redeemed.user_id))?.status !== 'active') {
      throw invalidGrant('the user account is not active');
    }
    const family = codeFamily(codeHash);
    if (redeemed.scope === 'credential')
      return this.#credentialToken(redeemed, client, family, request, bound);
    return this.#d.store.transaction(async (trx) => {
      const access = await issueAccessToken(trx, {
        userId: redeemed.user_id,
        clientId: client.id,
        scope: 'service',
        ttlSeconds: this.#d.serviceTokenTtlSeconds ?? 3600,
        now,
        familyId: family,
        ...bound,
      });
      const refresh = await insertRefreshToken(
        trx,
        this.#d.refreshTokenTtlSeconds ?? 8 * 3600,
        client.id,
        redeemed.user_id,
        family,
        now,
      );
      await appendAudit(
        trx,
        this.#event(request, 'oauth2.token.issue', 'success', {
          actorClientId: client.id,
          actorUserId: redeemed.user_id,
          details: { grantType: 'authorization_code', scope: 'service', codeRef: ref(codeHash) },
        }),
        this.#d.audit,
      );
      return {
        access_token: access.value,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        refresh_token: refresh,
        scope: 'service',
      };
    });
  }

  /** RFC 6749 §4.1.3 and RFC 7636 §4.6: same client, same redirect_uri, matching verifier. */
  #checkCodeBinding(
    row: AuthorizationCodeRow,
    client: OAuthClient,
    redirectUri: string | undefined,
    verifier: string | undefined,
  ): void {
    if (row.client_id !== client.id) throw invalidGrant('the code was issued to another client');
    if (redirectUri !== row.redirect_uri)
      throw invalidGrant('redirect_uri differs from the authorization request');
    if (row.code_challenge === null) {
      // RFC 9700 §4.8.2: a verifier without a challenge is a PKCE downgrade attempt.
      if (verifier !== undefined)
        throw invalidGrant('code_verifier was sent but no code_challenge was');
      return;
    }
    if (verifier === undefined) throw invalidGrant('code_verifier is required');
    if (!verifyPkce(verifier, row.code_challenge))
      throw invalidGrant('code_verifier does not match the code_challenge');
  }

  /** Contract 2: issue the SAD first, then store the access token under the same value. */
  async #credentialToken(
    row: AuthorizationCodeRow,
    client: OAuthClient,
    family: string,
    request: TokenRequest,
    bound: Binding,
  ): Promise<TokenResponse> {
    const credentialId = row.credential_id ?? '';
    const hashes = JSON.parse(row.hashes ?? '[]') as string[];
    const rar = restatedAuthorizationDetails(request.params, row, hashes);
    const ttl = this.#d.credentialTokenTtlSeconds ?? 300;
    let sad: string;
    try {
      ({ sad } = await this.#d.sads.issue({
        userId: row.user_id,
        credentialId,
        clientId: client.id,
        hashAlgorithmOid: row.hash_algorithm_oid ?? '',
        hashes: hashes.map((h) => new Uint8Array(Buffer.from(h, 'base64'))),
        numSignatures: row.num_signatures ?? hashes.length,
        lifetimeSeconds: ttl,
        ...origin(request),
      }));
    } catch (err) {
      if (err instanceof SadError)
        throw invalidGrant(`the authorization cannot be activated: ${err.message}`);
      throw err;
    }
    const now = this.#now();
    return this.#d.store.transaction(async (trx) => {
      const access = await issueAccessToken(trx, {
        userId: row.user_id,
        clientId: client.id,
        scope: 'credential',
        credentialId,
        ttlSeconds: ttl,
        now,
        familyId: family,
        value: sad,
        ...bound,
      });
      await appendAudit(
        trx,
        this.#event(request, 'oauth2.token.issue', 'success', {
          actorClientId: client.id,
          actorUserId: row.user_id,
          subject: `credential:${credentialId}`,
          details: {
            grantType: 'authorization_code',
            scope: 'credential',
            codeRef: ref(row.code_hash),
            numSignatures: row.num_signatures ?? 0,
            hashes,
          },
        }),
        this.#d.audit,
      );
      // CSC v2 §8.4.4: no refresh token for scope credential (docs/security.md OA-19).
      return {
        access_token: access.value,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        scope: 'credential',
        credentialID: credentialId,
        ...(rar === undefined ? {} : { authorization_details: rar }),
      };
    });
  }

  /** RFC 6749 §4.4: confidential clients only, scope service only, no refresh token (§4.4.3). */
  async #clientCredentials(
    client: OAuthClient,
    request: TokenRequest,
    bound: Binding,
  ): Promise<TokenResponse> {
    if (client.clientType !== 'confidential') {
      throw new OAuth2Error(
        'ERR_OAUTH2_UNAUTHORIZED_CLIENT',
        'public clients cannot use client_credentials',
      );
    }
    const scope = single(request.params, 'scope') ?? 'service';
    if (scope !== 'service' || !client.allowedScopes.includes('service')) {
      throw new OAuth2Error(
        'ERR_OAUTH2_INVALID_SCOPE',
        'client_credentials grants only the service scope',
      );
    }
    const now = this.#now();
    return this.#d.store.transaction(async (trx) => {
      const access = await issueAccessToken(trx, {
        userId: null,
        clientId: client.id,
        scope: 'service',
        ttlSeconds: this.#d.serviceTokenTtlSeconds ?? 3600,
        now,
        ...bound,
      });
      await appendAudit(
        trx,
        this.#event(request, 'oauth2.token.issue', 'success', {
          actorClientId: client.id,
          details: { grantType: 'client_credentials', scope: 'service' },
        }),
        this.#d.audit,
      );
      return {
        access_token: access.value,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        scope: 'service',
      };
    });
  }

  /** RFC 6749 §6 with rotation; RFC 9700 §4.14.2 reuse detection revokes the family (OA-18). */
  async #refresh(
    client: OAuthClient,
    request: TokenRequest,
    bound: Binding,
  ): Promise<TokenResponse> {
    const value = required(request.params, 'refresh_token');
    const scope = single(request.params, 'scope');
    // OA-19: signing authority is never refreshable.
    if (scope !== undefined && scope !== 'service') {
      throw new OAuth2Error(
        'ERR_OAUTH2_INVALID_SCOPE',
        'a refresh token grants only the service scope',
      );
    }
    const hash = hashOpaqueToken(value);
    const now = this.#now();
    const outcome = await this.#d.store.transaction(async (trx) => {
      const known = await findToken(trx, hash);
      if (known === undefined || known.kind !== 'refresh') return 'invalid' as const;
      // RFC 6749 §6: the refresh token is bound to the client it was issued to.
      if (known.client_id !== client.id) return 'invalid' as const;
      const row = await useRefreshToken(trx, hash, now);
      if (row === undefined) {
        if (known.used !== 0) {
          const revoked = await revokeGrant(trx, known.family_id);
          await appendAudit(
            trx,
            this.#event(request, 'oauth2.refresh.reuse', 'failure', {
              actorClientId: client.id,
              ...(known.user_id === null ? {} : { actorUserId: known.user_id }),
              details: { revokedTokens: revoked },
            }),
            this.#d.audit,
          );
        }
        return 'invalid' as const;
      }
      if (row.user_id !== null) {
        const user = await findUserById(trx, row.user_id);
        if (user?.status !== 'active') return 'invalid' as const;
      }
      const access = await issueAccessToken(trx, {
        userId: row.user_id,
        clientId: client.id,
        scope: 'service',
        ttlSeconds: this.#d.serviceTokenTtlSeconds ?? 3600,
        now,
        familyId: row.family_id,
        ...bound,
      });
      const refresh = await insertRefreshToken(
        trx,
        this.#d.refreshTokenTtlSeconds ?? 8 * 3600,
        client.id,
        row.user_id,
        row.family_id,
        now,
      );
      await appendAudit(
        trx,
        this.#event(request, 'oauth2.token.refresh', 'success', {
          actorClientId: client.id,
          ...(row.user_id === null ? {} : { actorUserId: row.user_id }),
        }),
        this.#d.audit,
      );
      return {
        access_token: access.value,
        token_type: 'Bearer' as const,
        expires_in: access.expiresIn,
        refresh_token: refresh,
        scope: 'service',
      };
    });
    if (outcome === 'invalid')
      throw invalidGrant('the refresh token is invalid, expired, revoked or already used');
    return outcome;
  }

  #now(): number {
    return this.#d.clock.now().getTime();
  }

  #event(
    o: Origin,
    type: string,
    outcome: 'success' | 'failure',
    extra: Omit<AuditEvent, 'type' | 'outcome' | 'sourceAddress' | 'traceId'>,
  ): AuditEvent {
    return { type, outcome, ...extra, ...origin(o) };
  }
}
