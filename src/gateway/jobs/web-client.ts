/**
 * The built-in confidential OAuth client `signet-web` through which the web gateway obtains
 * credential-scope authorizations from this Signet's own authorization server (RFC 6749 §2.1).
 * Registered at first use: a random 256-bit secret, kept hashed in `oauth_clients` (as every
 * client secret) and sealed for the gateway in `gateway_clients`; the redirect URI is
 * `<base URL>/api/v1/oauth/callback`, compared by exact string (RFC 9700 §4.1.1). Idempotent
 * across nodes: a lost insert race reads the winner's secret.
 */
import { randomBytes } from 'node:crypto';
import { appendAudit, type AuditContext } from '../../audit/index.js';
import type { SecretBox, SecretHasher } from '../../auth/index.js';
import type { Clock } from '../../core/clock.js';
import {
  findGatewayClientSecret,
  findOAuthClient,
  insertGatewayClientSecret,
  insertOAuthClient,
  isUniqueViolation,
  replaceOAuthClientRedirectUris,
  type Store,
} from '../../store/index.js';
import { GatewayError } from '../errors.js';
import type { OAuthClientRegistration } from '../oauth-code-flow.js';

/** The client id of the built-in web client. */
export const webClientId = 'signet-web';

/** What the registration needs. */
export interface WebClientDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly hasher: SecretHasher;
  readonly secretBox: SecretBox;
}

const aad = `gateway_clients:${webClientId}:secret`;
const maxRedirectUris = 20;

async function addRedirectUri(deps: WebClientDeps, redirectUri: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const client = await findOAuthClient(deps.store.db, webClientId);
    if (client === undefined) throw new GatewayError('ERR_GATEWAY_USAGE', 'the built-in web client is missing');
    if (client.redirectUris.includes(redirectUri)) return;
    const next = [...client.redirectUris, redirectUri].slice(-maxRedirectUris);
    const replaced = await deps.store.transaction(async (trx) => {
      const ok = await replaceOAuthClientRedirectUris(trx, webClientId, client.redirectUris, next);
      if (ok) await appendAudit(trx, { type: 'oauth2.client.redirect_uri', outcome: 'success', actorClientId: webClientId, subject: `client:${webClientId}`, details: { redirectUri } }, deps.audit);
      return ok;
    });
    if (replaced) return;
  }
  throw new GatewayError('ERR_GATEWAY_USAGE', 'the built-in web client could not be updated');
}

/**
 * The `signet-web` registration for `redirectUri`, registering the client (or adding the URI to
 * it) when needed.
 */
export async function ensureWebClient(deps: WebClientDeps, redirectUri: string): Promise<OAuthClientRegistration> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const sealed = await findGatewayClientSecret(deps.store.db, webClientId);
    if (sealed !== undefined) {
      const clientSecret = Buffer.from(deps.secretBox.open(sealed, aad)).toString('utf8');
      await addRedirectUri(deps, redirectUri);
      return { clientId: webClientId, clientSecret, redirectUri };
    }
    const clientSecret = randomBytes(32).toString('base64url');
    const secretHash = await deps.hasher.hash(clientSecret);
    const now = deps.clock.now().getTime();
    try {
      await deps.store.transaction(async (trx) => {
        await insertOAuthClient(trx, {
          id: webClientId,
          name: 'Signet web app',
          clientType: 'confidential',
          secretHash,
          redirectUris: [redirectUri],
          allowedScopes: ['service', 'credential'],
          createdAt: now,
        });
        await insertGatewayClientSecret(trx, webClientId, deps.secretBox.seal(Buffer.from(clientSecret, 'utf8'), aad), now);
        await appendAudit(trx, { type: 'oauth2.client.create', outcome: 'success', actorClientId: webClientId, subject: `client:${webClientId}`, details: { builtIn: true, redirectUri } }, deps.audit);
      });
      return { clientId: webClientId, clientSecret, redirectUri };
    } catch (err) {
      // Another node registered it first: read its secret on the next round.
      const conflict = isUniqueViolation(err) || (err as { code?: unknown }).code === 'ERR_STORE_CONFLICT';
      if (!conflict) throw err;
    }
  }
  throw new GatewayError('ERR_GATEWAY_USAGE', 'the built-in web client could not be registered');
}
