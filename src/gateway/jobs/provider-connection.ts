/**
 * The web gateway at a CSC provider that shares nothing with this node. The gateway is a client
 * registered there (id and secret from configuration); before the person can pick a credential,
 * their web session obtains a service-scope authorization at the provider (CSC v2 §8.4.2 scope
 * `service`; the code flow with PKCE S256, RFC 7636, pushed when offered, RFC 9126). Its access
 * token is sealed in the database for that web session only and never reaches the browser; with
 * it the gateway reads `credentials/list` and `credentials/info` (certificates=chain, CSC v2
 * §11.4, §11.5) — the chain for phase one comes from the provider. With this Signet as the
 * provider (no foreign provider configured) nothing here is used: the credentials are read from
 * its own records and the client is the built-in `signet-web`.
 */
import { createHash } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { appendAudit, appendFailureAudit } from '../../audit/index.js';
import { CscClient, CscClientError, remoteCredentialFromInfo, type CscCredentialInfo, type RemoteCredential } from '../../csc/client/index.js';
import { keyLabel } from '../../keys/index.js';
import {
  deleteGatewayProviderSession,
  findGatewayProviderSession,
  findGatewayProviderSessionByState,
  findWebSession,
  listGatewayProviderTokens,
  putGatewayProviderPending,
  setGatewayProviderToken,
  spendGatewayProviderState,
} from '../../store/index.js';
import { GatewayError } from '../errors.js';
import {
  checkAuthorizationResponse,
  discoverOAuthServer,
  redeemAuthorizationCode,
  beginAuthorization,
  type OAuthClientRegistration,
  type OAuthServer,
  type PendingAuthorization,
} from '../oauth-code-flow.js';
import type { JobContext } from './job-context.js';
import { ensureWebClient, webClientId } from './web-client.js';

/** Where a request came from (audit). */
interface Origin {
  readonly sourceAddress?: string;
  readonly traceId?: string;
}

/** What the web app shows of the provider (GET /api/v1/provider). */
export interface ProviderStatus {
  /** The provider's name (this Signet: "Signet"). */
  readonly name: string;
  /** True when the provider is another service (credentials are listed there). */
  readonly foreign: boolean;
  /** True when nothing more is needed to list and use the person's credentials. */
  readonly connected: boolean;
}

/** Longest a service token is kept when the provider names no lifetime (RFC 6749 §5.1 expires_in is optional). */
const defaultServiceTokenMs = 3600_000;
/** Longest a pending connection waits for its callback. */
const pendingMs = 10 * 60_000;
/** Most credentials read from the provider for one person. */
const maxCredentials = 50;

const servers = new Map<string, Promise<OAuthServer>>();

/** The provider's authorization server metadata (RFC 8414), read once per process and URL. */
export function providerServer(context: JobContext): Promise<OAuthServer> {
  const url = context.providerUrl();
  let server = servers.get(url);
  if (server === undefined) {
    server = discoverOAuthServer(url, context.fetch);
    servers.set(url, server);
    server.catch(() => servers.delete(url));
  }
  return server;
}

/** This gateway's registration at the provider: from configuration, or the built-in `signet-web`. */
export async function gatewayClient(context: JobContext): Promise<OAuthClientRegistration> {
  const foreign = context.foreign;
  if (foreign === undefined) return ensureWebClient(context, context.callbackUrl());
  return { clientId: foreign.clientId, ...(foreign.clientSecret !== undefined ? { clientSecret: foreign.clientSecret } : {}), redirectUri: context.callbackUrl() };
}

/** The client id audited as the actor of the gateway's requests. */
export function gatewayClientId(context: Pick<JobContext, 'foreign'>): string {
  return context.foreign?.clientId ?? webClientId;
}

const stateHash = (state: string): Uint8Array => new Uint8Array(createHash('sha256').update(state, 'utf8').digest());
const aad = (sessionId: string, column: 'oauth_pending' | 'access_token'): string => `gateway_provider_sessions:${sessionId}:${column}`;

/** The provider status for web session `sessionId`. */
export async function providerStatus(context: JobContext, sessionId: string): Promise<ProviderStatus> {
  if (context.foreign === undefined) return { name: 'Signet', foreign: false, connected: true };
  const token = await serviceToken(context, sessionId);
  return { name: context.foreign.name, foreign: true, connected: token !== undefined };
}

/** The web session's service token, when it holds one that has not expired. */
async function serviceToken(context: JobContext, sessionId: string): Promise<string | undefined> {
  const row = await findGatewayProviderSession(context.store.db, sessionId);
  if (row === undefined || row.access_token === null || row.expires_at <= context.clock.now().getTime()) return undefined;
  try {
    return Buffer.from(context.secretBox.open(row.access_token, aad(sessionId, 'access_token'))).toString('utf8');
  } catch {
    return undefined; // a value that does not open is no authorization
  }
}

/** How long a web session may be idle before it has ended (the web session's own default). */
const defaultSessionIdleMs = 30 * 60_000;

/** True when the web session `sessionId` (the hex of its cookie's SHA-256) can no longer be used. */
async function webSessionEnded(context: JobContext, sessionId: string, now: number): Promise<boolean> {
  const session = await findWebSession(context.store.db, new Uint8Array(Buffer.from(sessionId, 'hex')));
  const idleMs = context.sessionIdleMs ?? defaultSessionIdleMs;
  return session === undefined || session.revoked === 1 || session.expires_at <= now || session.last_seen_at + idleMs <= now;
}

/**
 * Ends the provider connections of web sessions that have ended — signed out, ended by an
 * administrator, idle or past their absolute end: each service token is revoked at the provider
 * (CSC `auth/revoke` with the token itself, bounded in time, best effort: a provider that does not
 * answer still loses the token here) and forgotten, audited `gateway.provider.disconnected`.
 * Called by the job sweeper; returns how many connections it ended.
 */
export async function endOrphanedProviderConnections(context: JobContext, limit = 50): Promise<number> {
  if (context.foreign === undefined) return 0;
  const now = context.clock.now().getTime();
  let ended = 0;
  for (const row of await listGatewayProviderTokens(context.store.db, limit)) {
    if (!(await webSessionEnded(context, row.session_id, now))) continue;
    const token = row.expires_at > now ? await serviceToken(context, row.session_id) : undefined;
    let revokedAtProvider = false;
    if (token !== undefined) {
      const client = new CscClient({ baseUrl: `${context.providerUrl()}/csc/v2`, auth: { kind: 'bearer', accessToken: token }, userAgent: 'signet-web-gateway', timeoutMs: 5_000 });
      revokedAtProvider = await client.revoke().then(
        () => true,
        (err: unknown) => {
          context.log?.warn({ err, provider: context.providerUrl() }, 'the provider did not revoke a service token; it is forgotten here and expires there');
          return false;
        },
      );
    }
    await context.store.transaction(async (trx) => {
      await deleteGatewayProviderSession(trx, row.session_id);
      await appendAudit(
        trx,
        { type: 'gateway.provider.disconnected', outcome: 'success', actorUserId: row.user_id, actorClientId: gatewayClientId(context), subject: `provider:${context.providerUrl()}`, details: { reason: 'session-ended', revokedAtProvider } },
        context.audit,
      );
    });
    ended++;
  }
  return ended;
}

/**
 * POST /api/v1/provider/connect: starts the service-scope authorization of the web session at
 * the provider; answers the URL to send the browser to.
 */
export async function startProviderConnection(context: JobContext, userId: string, sessionId: string, origin: Origin = {}): Promise<{ readonly authorizationUrl: string }> {
  if (context.foreign === undefined) throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'signing happens at this Signet: there is nothing to connect to');
  const server = await providerServer(context);
  const client = await gatewayClient(context);
  const params = { scope: 'service' };
  const { authorizationUrl, pending } = await beginAuthorization(server, client, params, context.fetch);
  const now = context.clock.now().getTime();
  await context.store.transaction(async (trx) => {
    await putGatewayProviderPending(trx, {
      session_id: sessionId,
      user_id: userId,
      state_hash: stateHash(pending.state),
      oauth_pending: context.secretBox.seal(Buffer.from(JSON.stringify(pending), 'utf8'), aad(sessionId, 'oauth_pending')),
      access_token: null,
      expires_at: now + pendingMs,
      created_at: now,
    });
    await appendAudit(trx, { type: 'gateway.provider.connect', outcome: 'success', actorUserId: userId, actorClientId: gatewayClientId(context), subject: `provider:${context.providerUrl()}`, ...origin }, context.audit);
  });
  return { authorizationUrl };
}

/**
 * The authorization response of a connection, when `callback`'s state is one: checks it belongs
 * to this person's web session (RFC 9700 §4.7), spends it once, checks `iss` (RFC 9207), redeems
 * the code with the PKCE verifier and seals the service token. Undefined when the state names
 * no connection (it may name a job). A refused response is audited and thrown.
 */
export async function completeProviderConnection(context: JobContext, userId: string, sessionId: string, callback: URL, origin: Origin = {}): Promise<{ readonly connected: true } | undefined> {
  if (context.foreign === undefined) return undefined;
  const states = callback.searchParams.getAll('state');
  const state = states.length === 1 ? states[0] : undefined;
  if (state === undefined || state.length > 512) return undefined;
  const hash = stateHash(state);
  const row = await findGatewayProviderSessionByState(context.store.db, hash);
  if (row === undefined) return undefined;
  const refuse = async (error: GatewayError): Promise<never> => {
    await appendFailureAudit(context.store, { type: 'gateway.provider.callback', outcome: 'failure', actorUserId: userId, actorClientId: gatewayClientId(context), details: { errorCode: error.code }, ...origin }, context.audit);
    throw error;
  };
  // Another person's or another session's response is not acted on at all.
  if (row.user_id !== userId || row.session_id !== sessionId || row.expires_at <= context.clock.now().getTime()) {
    return refuse(new GatewayError('ERR_GATEWAY_OAUTH_STATE', 'this connection is not expected (expired, or started elsewhere); connect again'));
  }
  let pending: PendingAuthorization;
  try {
    pending = JSON.parse(Buffer.from(context.secretBox.open(row.oauth_pending ?? new Uint8Array(), aad(sessionId, 'oauth_pending'))).toString('utf8')) as PendingAuthorization;
  } catch (cause) {
    return refuse(new GatewayError('ERR_GATEWAY_OAUTH_STATE', 'this connection can no longer be completed; connect again', { cause }));
  }
  const server = await providerServer(context);
  let code: string;
  try {
    code = checkAuthorizationResponse(server, pending, callback);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    await context.store.transaction((trx) => deleteGatewayProviderSession(trx, sessionId));
    return refuse(error);
  }
  if (!(await context.store.transaction((trx) => spendGatewayProviderState(trx, sessionId, hash)))) {
    return refuse(new GatewayError('ERR_GATEWAY_OAUTH_STATE', 'this connection was already completed'));
  }
  let token;
  try {
    token = await redeemAuthorizationCode(server, await gatewayClient(context), pending, code, context.fetch);
  } catch (error) {
    return refuse(error instanceof GatewayError ? error : new GatewayError('ERR_GATEWAY_OAUTH_REFUSED', 'the provider did not grant access', { cause: error }));
  }
  const now = context.clock.now().getTime();
  const expiresAt = now + Math.min(defaultServiceTokenMs, (token.expiresIn ?? defaultServiceTokenMs / 1000) * 1000);
  await context.store.transaction(async (trx) => {
    await setGatewayProviderToken(trx, sessionId, context.secretBox.seal(Buffer.from(token.accessToken, 'utf8'), aad(sessionId, 'access_token')), expiresAt);
    await appendAudit(trx, { type: 'gateway.provider.connected', outcome: 'success', actorUserId: userId, actorClientId: gatewayClientId(context), subject: `provider:${context.providerUrl()}`, details: { expiresAt }, ...origin }, context.audit);
  });
  return { connected: true };
}

/** A CSC client of the provider under the web session's service token; ERR_GATEWAY_PROVIDER_NOT_CONNECTED without one. */
async function serviceClient(context: JobContext, sessionId: string): Promise<CscClient> {
  const token = await serviceToken(context, sessionId);
  if (token === undefined) {
    throw new GatewayError('ERR_GATEWAY_PROVIDER_NOT_CONNECTED', `connect to ${context.foreign?.name ?? 'the signing service'} first: your signing keys are kept there`);
  }
  return new CscClient({ baseUrl: `${context.providerUrl()}/csc/v2`, auth: { kind: 'bearer', accessToken: token }, userAgent: 'signet-web-gateway', timeoutMs: 15_000 });
}

/** A provider refusal of the service token (expired or revoked there) forgets it: the person connects again. */
async function guarded<T>(context: JobContext, sessionId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CscClientError && error.remote !== undefined && (error.remote.status === 401 || error.remote.error === 'invalid_token')) {
      await context.store.transaction((trx) => deleteGatewayProviderSession(trx, sessionId));
      throw new GatewayError('ERR_GATEWAY_PROVIDER_NOT_CONNECTED', `${context.foreign?.name ?? 'the signing service'} no longer accepts the connection; connect again`, { cause: error });
    }
    if (error instanceof CscClientError) throw new GatewayError('ERR_GATEWAY_CREDENTIAL', `${context.foreign?.name ?? 'the signing service'} did not answer about your signing keys`, { cause: error });
    throw error;
  }
}

/** A credential of the provider as the web app lists it. */
export interface ProviderCredentialView {
  readonly credentialID: string;
  readonly subject: string;
  readonly status: string;
  readonly notAfter: string | null;
  readonly algorithm: string;
}

function viewOf(credentialID: string, info: CscCredentialInfo): ProviderCredentialView {
  let subject = info.cert?.subjectDN ?? '';
  let notAfter: string | null = null;
  let algorithm = '';
  const leaf = info.cert?.certificates?.[0];
  if (leaf !== undefined) {
    try {
      const cert = new X509Certificate(Buffer.from(leaf, 'base64'));
      subject = cert.subject.replace(/\n/g, ', ');
      notAfter = new Date(cert.validTo).toISOString();
      const key = cert.publicKey;
      algorithm = keyLabel(key);
    } catch {
      // shown without the certificate's details
    }
  }
  const status = info.key.status !== 'enabled' ? 'disabled' : info.cert?.status !== undefined && info.cert.status !== 'valid' ? info.cert.status : 'active';
  return { credentialID, subject, status, notAfter, algorithm };
}

/** The person's credentials at the provider: credentials/list, then credentials/info of each (chain). */
export async function listProviderCredentials(context: JobContext, sessionId: string): Promise<readonly ProviderCredentialView[]> {
  const csc = await serviceClient(context, sessionId);
  return guarded(context, sessionId, async () => {
    const { credentialIDs } = await csc.listCredentials({});
    const out: ProviderCredentialView[] = [];
    for (const id of credentialIDs.slice(0, maxCredentials)) {
      out.push(viewOf(id, await csc.credentialInfo({ credentialID: id, certificates: 'chain', certInfo: true, authInfo: true })));
    }
    return out;
  });
}

/**
 * The credential `credentialID` of the person at the provider, read now (credentials/info with
 * the chain), with the answer to keep: ERR_GATEWAY_CREDENTIAL when the provider does not list it
 * for this person or it cannot sign.
 */
export async function providerCredential(context: JobContext, sessionId: string, credentialID: string): Promise<{ readonly credential: RemoteCredential; readonly info: CscCredentialInfo }> {
  const csc = await serviceClient(context, sessionId);
  return guarded(context, sessionId, async () => {
    const { credentialIDs } = await csc.listCredentials({});
    if (!credentialIDs.includes(credentialID)) throw new GatewayError('ERR_GATEWAY_CREDENTIAL', 'no such credential');
    const info = await csc.credentialInfo({ credentialID, certificates: 'chain', certInfo: true, authInfo: true });
    try {
      return { credential: remoteCredentialFromInfo(credentialID, info), info };
    } catch (cause) {
      throw new GatewayError('ERR_GATEWAY_CREDENTIAL', 'this signing key cannot sign now (disabled, or without a certificate)', { cause });
    }
  });
}

/** The credential kept with a job at Sign (its credentials/info answer). */
export function keptCredential(credentialID: string, json: string): RemoteCredential {
  return remoteCredentialFromInfo(credentialID, JSON.parse(json) as CscCredentialInfo);
}
