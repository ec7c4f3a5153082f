/**
 * Pushed authorization requests (RFC 9126; CSC API v2 §8.4.3 `oauth2/pushed_authorize`): the
 * client posts the authorization parameters with client authentication and gets a single-use
 * `request_uri` (90 s) for the browser redirect — the way to authorise many hashes, which do not
 * fit a URL (CSC API v2 §8.4.2). The validated request is stored like an interaction.
 */
import { appendAudit } from '../../audit/index.js';
import { insertOAuthInteraction, takeOAuthInteraction } from '../../store/index.js';
import { generateOpaqueToken, hashOpaqueToken } from '../opaque-token.js';
import { requestDetails } from './audit-details.js';
import { validateAuthorizationRequest } from './authorization-request.js';
import { authenticateClient, origin } from './client-authentication.js';
import { bindRequestDocuments } from './consent-documents.js';
import { OAuth2Error } from './errors.js';
import type { TokenRequest } from './token-endpoint.js';
import type { AuthorizationRequest, OAuth2Deps } from './types.js';

/** RFC 9126 §2.2: the request_uri scheme for references the AS minted. */
export const requestUriPrefix = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2: short-lived; the CSC API v2 §8.4.3 example answers `expires_in: 90`. */
export const pushedRequestTtlSeconds = 90;
const PAR_STAGE = 'par';

/** RFC 9126 §2.2 success response. */
export interface PushedAuthorizationResponse {
  readonly request_uri: string;
  readonly expires_in: number;
}

/** POST /oauth2/pushed_authorize: validate as /oauth2/authorize would, store, return the reference. */
export async function pushAuthorizationRequest(
  deps: OAuth2Deps,
  request: TokenRequest,
): Promise<PushedAuthorizationResponse> {
  const { client } = await authenticateClient(deps, request);
  // RFC 9126 §2.1: client_id may be implied by Basic authentication.
  const params = { ...request.params, client_id: client.id };
  const v = await validateAuthorizationRequest(deps, params);
  // RFC 9126 §2.3: every problem is a token-endpoint style error (nothing to redirect to).
  if (v.kind !== 'valid') throw v.error;
  const reference = generateOpaqueToken();
  const now = deps.clock.now().getTime();
  await deps.store.transaction(async (trx) => {
    // Contract 3: the documents are taken by this request now (single use).
    await bindRequestDocuments(trx, v.request, now);
    await insertOAuthInteraction(trx, {
      id_hash: reference.hash,
      csrf_hash: null,
      stage: PAR_STAGE,
      client_id: client.id,
      user_id: null,
      request: JSON.stringify(v.request),
      expires_at: now + pushedRequestTtlSeconds * 1000,
      created_at: now,
    });
    await appendAudit(
      trx,
      {
        type: 'oauth2.par',
        outcome: 'success',
        actorClientId: client.id,
        details: requestDetails(v.request),
        ...origin(request),
      },
      deps.audit,
    );
  });
  return {
    request_uri: `${requestUriPrefix}${reference.token}`,
    expires_in: pushedRequestTtlSeconds,
  };
}

/**
 * Takes a pushed request once (RFC 9126 §4: single use, bound to the client that pushed it).
 * Throws ERR_OAUTH2_INTERACTION (shown, never redirected) when unknown, used, expired or foreign.
 */
export async function takePushedRequest(
  deps: Pick<OAuth2Deps, 'store' | 'clock'>,
  requestUri: string,
  clientId: string | undefined,
): Promise<AuthorizationRequest> {
  const token = requestUri.startsWith(requestUriPrefix)
    ? requestUri.slice(requestUriPrefix.length)
    : undefined;
  const row =
    token === undefined || token.length > 100
      ? undefined
      : await deps.store.transaction((trx) =>
          takeOAuthInteraction(trx, hashOpaqueToken(token), PAR_STAGE, deps.clock.now().getTime()),
        );
  if (row === undefined || row.client_id !== clientId) {
    throw new OAuth2Error(
      'ERR_OAUTH2_INTERACTION',
      'the request_uri is unknown, expired, already used, or belongs to another client',
    );
  }
  return JSON.parse(row.request) as AuthorizationRequest;
}
