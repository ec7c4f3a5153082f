/** The OAuth 2.0 authorization server as one framework-free service object (server/ mounts it). */
import { AuthorizationFlow, type AuthorizeResponse } from './authorization-flow.js';
import { OAuth2Error } from './errors.js';
import { authorizationServerMetadata, type AuthorizationServerMetadata } from './metadata.js';
import { revokeOAuthToken } from './revocation.js';
import { TokenEndpoint, type TokenRequest, type TokenResponse } from './token-endpoint.js';
import type { OAuth2Deps, Origin, RawParams } from './types.js';

/** The endpoints' behaviour, independent of HTTP framework. */
export interface OAuth2Service {
  /** GET /oauth2/authorize. */
  authorize(params: RawParams, origin: Origin): Promise<AuthorizeResponse>;
  /** POST /oauth2/authorize (login and consent forms); `session` is the interaction cookie. */
  submitAuthorization(
    form: RawParams,
    session: string | undefined,
    origin: Origin,
  ): Promise<AuthorizeResponse>;
  /** POST /oauth2/token; throws OAuth2Error. */
  token(request: TokenRequest): Promise<TokenResponse>;
  /** POST /oauth2/revoke; throws OAuth2Error only for client authentication and malformed requests. */
  revoke(request: TokenRequest): Promise<void>;
  /** RFC 8414 metadata. */
  metadata(): AuthorizationServerMetadata;
  /** True when the issuer is https (the interaction cookie is then `Secure`). */
  readonly secureCookies: boolean;
}

/**
 * Builds the OAuth2 service.
 *
 * @example
 * ```ts
 * const oauth2 = createOAuth2Service({ store, clock, audit, authenticator, sads, hasher, issuer: 'https://signet.example' });
 * await app.register(oauth2Routes, { oauth2 });
 * ```
 */
export function createOAuth2Service(deps: OAuth2Deps): OAuth2Service {
  const issuer = deps.issuer.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(issuer)) {
    throw new OAuth2Error(
      'ERR_OAUTH2_SERVER_ERROR',
      'the OAuth2 issuer must be an http(s) URL without query or fragment',
    );
  }
  const d: OAuth2Deps = { ...deps, issuer };
  const flow = new AuthorizationFlow(d);
  const tokens = new TokenEndpoint(d);
  const metadata = authorizationServerMetadata(issuer);
  return {
    authorize: (params, origin) => flow.start(params, origin),
    submitAuthorization: (form, session, origin) => flow.submit(form, session, origin),
    token: (request) => tokens.token(request),
    revoke: (request) => revokeOAuthToken(d, request),
    metadata: () => metadata,
    secureCookies: issuer.startsWith('https://'),
  };
}
