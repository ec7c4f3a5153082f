/**
 * Registration of OAuth clients for the admin surface (RFC 6749 §2): client type, exact redirect
 * URIs (RFC 9700 §4.1.1), allowed scopes, and for confidential clients a generated secret stored
 * only as a scrypt hash. The OAuth2 domain may supply its own registry; this one is the default.
 */
import {
  createOAuthClient,
  type OAuthClientRegistrationDeps,
  type TlsClientAuthRequest,
} from '../../auth/oauth2/index.js';
import type { OAuthClientType } from '../../store/index.js';
import { ServerError } from '../errors.js';
import type { AdminOrigin } from './admin-tokens.js';

/** A client registration request. */
export interface NewClient {
  /** Chosen id; generated when absent. */
  readonly clientId?: string;
  readonly name: string;
  readonly clientType: OAuthClientType;
  readonly redirectUris: readonly string[];
  readonly allowedScopes: readonly string[];
  /** RFC 8705 mutual-TLS client authentication instead of a secret. */
  readonly tlsClientAuth?: TlsClientAuthRequest;
}

/** Creates OAuth clients. */
export interface ClientRegistry {
  create(request: NewClient, origin: AdminOrigin): Promise<{ readonly clientId: string; readonly clientSecret?: string }>;
}

/** CSC v2 §8.4.2 scopes plus the OAuth ones Signet grants. */
export const knownScopes: readonly string[] = ['service', 'credential'];

const clientIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** Checks a registration (RFC 6749 §3.1.2: absolute redirect URIs without fragment). */
export function checkNewClient(request: NewClient): void {
  if (request.clientId !== undefined && !clientIdPattern.test(request.clientId)) {
    throw new ServerError('ERR_SERVER_INVALID_REQUEST', 'a client id has 1 to 64 of A-Z a-z 0-9 . _ -');
  }
  if (request.name.trim() === '' || request.name.length > 200) {
    throw new ServerError('ERR_SERVER_INVALID_REQUEST', 'a client needs a name of at most 200 characters');
  }
  if (request.allowedScopes.length === 0 || request.allowedScopes.some((s) => !knownScopes.includes(s))) {
    throw new ServerError('ERR_SERVER_INVALID_REQUEST', `scopes must be among: ${knownScopes.join(', ')}`);
  }
  for (const uri of request.redirectUris) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch (cause) {
      throw new ServerError('ERR_SERVER_INVALID_REQUEST', `redirect URI '${uri}' is not absolute`, { cause });
    }
    // RFC 6749 §3.1.2: no fragment.
    if (parsed.hash !== '' || uri.includes('#')) {
      throw new ServerError('ERR_SERVER_INVALID_REQUEST', `redirect URI '${uri}' carries a fragment`);
    }
  }
}

/**
 * The registry over the OAuth2 domain's `createOAuthClient` (redirect URI policy of RFC 9700 §4.1
 * and RFC 8252 §7.3, secret generated there and stored as a scrypt hash, audited).
 */
export function oauthClientRegistry(deps: OAuthClientRegistrationDeps): ClientRegistry {
  return {
    async create(request, origin) {
      checkNewClient(request);
      return createOAuthClient(deps, {
        name: request.name,
        clientType: request.clientType,
        redirectUris: [...request.redirectUris],
        allowedScopes: request.allowedScopes as readonly ('service' | 'credential')[],
        ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
        ...(request.tlsClientAuth !== undefined ? { tlsClientAuth: request.tlsClientAuth } : {}),
        ...(origin.sourceAddress !== undefined ? { sourceAddress: origin.sourceAddress } : {}),
        ...(origin.traceId !== undefined ? { traceId: origin.traceId } : {}),
      });
    },
  };
}
