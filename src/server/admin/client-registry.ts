/**
 * Registration of OAuth clients for the admin surface (RFC 6749 §2): client type, exact redirect
 * URIs (RFC 9700 §4.1.1), allowed scopes, and for confidential clients a generated secret stored
 * only as a scrypt hash. The OAuth2 domain may supply its own registry; this one is the default.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { SecretHasher } from '../../auth/index.js';
import { insertOAuthClient, type OAuthClientType, type Store } from '../../store/index.js';
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

/** The default registry over the store (secret = 256 random bits, base64url, scrypt-hashed). */
export function storeClientRegistry(deps: {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: SecretHasher;
}): ClientRegistry {
  return {
    async create(request) {
      checkNewClient(request);
      const clientId = request.clientId ?? `client-${randomBytes(8).toString('hex')}`;
      const secret = request.clientType === 'confidential' ? randomBytes(32).toString('base64url') : undefined;
      const secretHash = secret === undefined ? null : await deps.hasher.hash(secret);
      await deps.store.transaction((trx) =>
        insertOAuthClient(trx, {
          id: clientId,
          name: request.name,
          clientType: request.clientType,
          secretHash,
          redirectUris: [...request.redirectUris],
          allowedScopes: [...request.allowedScopes],
          createdAt: deps.clock.now().getTime(),
        }),
      );
      return { clientId, ...(secret !== undefined ? { clientSecret: secret } : {}) };
    },
  };
}
