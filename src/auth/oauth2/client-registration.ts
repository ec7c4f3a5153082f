/**
 * Registering OAuth clients (RFC 6749 §2; the admin side): public or confidential, exact redirect
 * URIs, allowed scopes; a confidential client's secret is generated here, returned once and stored
 * only as a scrypt hash.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { appendAudit, type AuditContext } from '../../audit/index.js';
import { insertOAuthClient, type OAuthClientType, type Store } from '../../store/index.js';
import { generateOpaqueToken } from '../opaque-token.js';
import type { SecretHasher } from '../secret-hasher.js';
import { OAuth2Error } from './errors.js';
import { redirectUriProblem } from './redirect-uri.js';
import type { Origin } from './types.js';
import { origin } from './client-authentication.js';

/** What registering a client needs. */
export interface OAuthClientRegistrationDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly hasher: SecretHasher;
}

/** A client to register. */
export interface NewOAuthClient extends Origin {
  readonly name: string;
  readonly clientType: OAuthClientType;
  /** Exact redirect URIs (RFC 9700 §4.1.3); may be empty for a client-credentials-only client. */
  readonly redirectUris: readonly string[];
  /** Subset of `service`, `credential` (CSC v2 §8.4.2). */
  readonly allowedScopes: readonly ('service' | 'credential')[];
  /** A chosen client id (default: a random UUID). */
  readonly clientId?: string;
  /** The administrator registering it, for the audit log. */
  readonly actorUserId?: string;
}

/** The registered client: the secret (confidential clients) is shown once and never stored. */
export interface RegisteredOAuthClient {
  readonly clientId: string;
  readonly clientSecret?: string;
}

/**
 * Registers an OAuth client. Refuses (ERR_OAUTH2_CLIENT_METADATA) redirect URIs with fragments,
 * user info, plain http off loopback, and unknown scopes; a taken id is ERR_STORE_CONFLICT. Audited.
 *
 * @example
 * ```ts
 * const { clientId, clientSecret } = await createOAuthClient(deps, {
 *   name: 'Gateway', clientType: 'confidential',
 *   redirectUris: ['https://gw.example/cb'], allowedScopes: ['service', 'credential'],
 * });
 * ```
 */
export async function createOAuthClient(
  deps: OAuthClientRegistrationDeps,
  request: NewOAuthClient,
): Promise<RegisteredOAuthClient> {
  const fail = (message: string): never => {
    throw new OAuth2Error('ERR_OAUTH2_CLIENT_METADATA', message);
  };
  const name = request.name.trim();
  if (name.length === 0 || name.length > 100) fail('the client name must have 1 to 100 characters');
  if (request.clientType !== 'public' && request.clientType !== 'confidential') {
    fail('the client type must be public or confidential');
  }
  const clientId = request.clientId ?? randomUUID();
  if (!/^[A-Za-z0-9._~-]{1,100}$/.test(clientId) || clientId === 'csc-login') {
    fail('the client id must be 1 to 100 unreserved characters');
  }
  if (request.redirectUris.length > 20) fail('at most 20 redirect URIs');
  for (const uri of request.redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined)
      fail(`the redirect URI ${JSON.stringify(uri.slice(0, 100))} ${problem}`);
  }
  const scopes = [...new Set(request.allowedScopes)];
  if (scopes.length === 0 || scopes.some((s) => s !== 'service' && s !== 'credential')) {
    fail('allowed scopes must be service and/or credential');
  }
  const secret = request.clientType === 'confidential' ? generateOpaqueToken().token : undefined;
  const secretHash = secret === undefined ? null : await deps.hasher.hash(secret);
  await deps.store.transaction(async (trx) => {
    await insertOAuthClient(trx, {
      id: clientId,
      name,
      clientType: request.clientType,
      secretHash,
      redirectUris: [...request.redirectUris],
      allowedScopes: scopes,
      createdAt: deps.clock.now().getTime(),
    });
    await appendAudit(
      trx,
      {
        type: 'oauth2.client.create',
        outcome: 'success',
        ...(request.actorUserId === undefined ? {} : { actorUserId: request.actorUserId }),
        subject: `client:${clientId}`,
        details: {
          clientType: request.clientType,
          redirectUris: [...request.redirectUris],
          allowedScopes: scopes,
        },
        ...origin(request),
      },
      deps.audit,
    );
  });
  return secret === undefined ? { clientId } : { clientId, clientSecret: secret };
}
