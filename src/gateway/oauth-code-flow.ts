/**
 * The gateway as an OAuth 2.0 client of a CSC provider's authorization server: the authorization
 * code flow (RFC 6749 §4.1) with PKCE S256 (RFC 7636, RFC 9700 §2.1.1), a fresh `state` per
 * request checked on the callback (RFC 9700 §4.7, CSRF), and the RFC 9207 `iss` check against
 * mix-up (RFC 9700 §4.4). CSC v2 §8.4: scope `credential` with credentialID, numSignatures,
 * base64url `hashes` and hashAlgorithmOID; the token is the signHash bearer (docs/security.md OA-14/15/16).
 * When the server offers pushed authorization requests (RFC 9126), the parameters travel over the
 * back channel and the browser URL carries only client_id and a single-use request_uri.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HashAuthorizationRequest, HashAuthorizer } from './authorizer.js';
import { GatewayError } from './errors.js';

/** What the client needs to know of the authorization server (RFC 8414 §2). */
export interface OAuthServer {
  /** The issuer identifier the responses must name (RFC 8414 §2, RFC 9207 §2). */
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  /** RFC 9207 §3 `authorization_response_iss_parameter_supported`: then `iss` is mandatory. */
  readonly isIssuerParameterSupported: boolean;
  /** RFC 9126 §5 `pushed_authorization_request_endpoint`, when the server offers it. */
  readonly pushedAuthorizationRequestEndpoint?: string;
  /**
   * Signet's `signet_consent_documents_endpoint` (docs/decisions/0001 Contract 3), when the
   * server announces it: prepared documents may be pushed there for the consent page.
   */
  readonly consentDocumentsEndpoint?: string;
  /** Its batch form `signet_consent_documents_batch_endpoint` (one client authentication per batch). */
  readonly consentDocumentsBatchEndpoint?: string;
}

/** This gateway's registration at that server. */
export interface OAuthClientRegistration {
  readonly clientId: string;
  /** For a confidential client (client_secret_basic, RFC 6749 §2.3.1); absent for a public one. */
  readonly clientSecret?: string;
  /** The exact registered redirect URI (RFC 9700 §4.1). */
  readonly redirectUri: string;
}

/** The transport: the global fetch by default; injectable. */
export type OAuthFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<Response>;

/**
 * One authorization in flight. It holds the PKCE verifier: keep it server-side (in the user's
 * session), never in the browser; it is plain data so any node can finish the flow.
 */
export interface PendingAuthorization {
  readonly issuer: string;
  readonly state: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
}

/** The token endpoint's answer (RFC 6749 §5.1; CSC v2 §8.4.4 adds credentialID). */
export interface OAuthTokenResponse {
  readonly accessToken: string;
  readonly expiresIn?: number;
  readonly credentialID?: string;
}

const maxMetadataBytes = 64 * 1024;

function fail(code: 'ERR_GATEWAY_OAUTH_STATE' | 'ERR_GATEWAY_OAUTH_ISSUER' | 'ERR_GATEWAY_OAUTH_REFUSED' | 'ERR_GATEWAY_OAUTH_METADATA', message: string, detail?: Record<string, unknown>): never {
  throw new GatewayError(code, message, detail === undefined ? {} : { detail });
}

function defaultFetch(): OAuthFetch {
  return (url, init) => fetch(url, init);
}

/**
 * Reads the server's RFC 8414 metadata at `{issuer}/.well-known/oauth-authorization-server` and
 * checks that it names the same issuer (RFC 8414 §3.3).
 */
export async function discoverOAuthServer(issuer: string, fetchImpl: OAuthFetch = defaultFetch()): Promise<OAuthServer> {
  const res = await fetchImpl(`${issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`, { method: 'GET', headers: { accept: 'application/json' } });
  const text = await res.text();
  if (!res.ok || text.length > maxMetadataBytes) fail('ERR_GATEWAY_OAUTH_METADATA', 'the authorization server metadata cannot be read', { status: res.status });
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    fail('ERR_GATEWAY_OAUTH_METADATA', 'the authorization server metadata is not JSON', { cause: String(cause) });
  }
  // RFC 8414 §3.3: the issuer in the document MUST be identical to the one it was fetched for.
  if (meta['issuer'] !== issuer) fail('ERR_GATEWAY_OAUTH_METADATA', 'the metadata names another issuer', { issuer: meta['issuer'] });
  const authorizationEndpoint = meta['authorization_endpoint'];
  const tokenEndpoint = meta['token_endpoint'];
  if (typeof authorizationEndpoint !== 'string' || typeof tokenEndpoint !== 'string') {
    fail('ERR_GATEWAY_OAUTH_METADATA', 'the metadata lacks the authorization or token endpoint');
  }
  const methods = meta['code_challenge_methods_supported'];
  if (Array.isArray(methods) && !methods.includes('S256')) {
    fail('ERR_GATEWAY_OAUTH_METADATA', 'the server does not support PKCE S256');
  }
  const par = meta['pushed_authorization_request_endpoint'];
  const documents = meta['signet_consent_documents_endpoint'];
  const batch = meta['signet_consent_documents_batch_endpoint'];
  return {
    issuer,
    authorizationEndpoint,
    tokenEndpoint,
    isIssuerParameterSupported: meta['authorization_response_iss_parameter_supported'] === true,
    ...(typeof par === 'string' ? { pushedAuthorizationRequestEndpoint: par } : {}),
    ...(typeof documents === 'string' && /^https?:\/\//i.test(documents) ? { consentDocumentsEndpoint: documents } : {}),
    ...(typeof batch === 'string' && /^https?:\/\//i.test(batch) ? { consentDocumentsBatchEndpoint: batch } : {}),
  };
}

/** CSC v2 §8.4.2 scope-`credential` parameters for `request` (hashes base64url, comma-separated). */
export function credentialScopeParams(request: HashAuthorizationRequest): Record<string, string> {
  return {
    scope: 'credential',
    credentialID: request.credentialID,
    numSignatures: String(request.numSignatures),
    hashAlgorithmOID: request.hashAlgorithmOID,
    hashes: request.hashes.map((x) => Buffer.from(x, 'base64').toString('base64url')).join(','),
  };
}

/** The parameters of an authorization request: `params` plus the code flow's, a fresh 256-bit state and PKCE verifier. */
function authorizationParams(
  server: OAuthServer,
  client: OAuthClientRegistration,
  params: Readonly<Record<string, string>>,
): { readonly all: Record<string, string>; readonly pending: PendingAuthorization } {
  const state = randomBytes(32).toString('base64url');
  const codeVerifier = randomBytes(32).toString('base64url');
  const all: Record<string, string> = {
    ...params,
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    state,
    // RFC 7636 §4.2: S256 challenge = BASE64URL(SHA-256(ASCII(code_verifier))).
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  return { all, pending: { issuer: server.issuer, state, codeVerifier, redirectUri: client.redirectUri } };
}

/**
 * Starts an authorization: a fresh 256-bit state and PKCE verifier, and the URL to send the
 * person's browser to. `params` adds the scope and CSC parameters (e.g. credentialScopeParams).
 */
export function startAuthorization(
  server: OAuthServer,
  client: OAuthClientRegistration,
  params: Readonly<Record<string, string>>,
): { readonly authorizationUrl: string; readonly pending: PendingAuthorization } {
  const { all, pending } = authorizationParams(server, client, params);
  const url = new URL(server.authorizationEndpoint);
  for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  return { authorizationUrl: url.toString(), pending };
}

/**
 * Starts an authorization through a pushed request (RFC 9126): the parameters, the hashes among
 * them, are posted to the server with client authentication (§2.1), and the browser URL carries
 * only client_id and the single-use request_uri the server returned (§4), so nothing of the
 * request shows in browser history, logs or Referer headers, and no URL length limits the hashes.
 */
export async function startPushedAuthorization(
  server: OAuthServer,
  client: OAuthClientRegistration,
  params: Readonly<Record<string, string>>,
  fetchImpl: OAuthFetch = defaultFetch(),
): Promise<{ readonly authorizationUrl: string; readonly pending: PendingAuthorization }> {
  const endpoint = server.pushedAuthorizationRequestEndpoint;
  if (endpoint === undefined) fail('ERR_GATEWAY_OAUTH_METADATA', 'the server offers no pushed authorization requests');
  const { all, pending } = authorizationParams(server, client, params);
  const form = new URLSearchParams(all);
  const res = await fetchImpl(endpoint, { method: 'POST', headers: clientAuthentication(client, form), body: form.toString() });
  const body = await jsonBody(res);
  // RFC 9126 §2.2: 201 Created with request_uri and expires_in.
  const requestUri = body['request_uri'];
  if (res.status !== 201 || typeof requestUri !== 'string' || requestUri.length === 0 || requestUri.length > 512) {
    fail('ERR_GATEWAY_OAUTH_REFUSED', 'the pushed authorization request was refused', { status: res.status, error: body['error'] });
  }
  const url = new URL(server.authorizationEndpoint);
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('request_uri', requestUri);
  return { authorizationUrl: url.toString(), pending };
}

/**
 * Starts an authorization the way the server allows: a pushed request (RFC 9126, the parameters —
 * hashes included — stay out of the browser URL) when it offers one and `pushed` is not false,
 * the plain redirect otherwise.
 */
export async function beginAuthorization(
  server: OAuthServer,
  client: OAuthClientRegistration,
  params: Readonly<Record<string, string>>,
  fetchFn?: OAuthFetch,
  pushed = true,
): Promise<{ readonly authorizationUrl: string; readonly pending: PendingAuthorization }> {
  return server.pushedAuthorizationRequestEndpoint !== undefined && pushed
    ? startPushedAuthorization(server, client, params, fetchFn)
    : startAuthorization(server, client, params);
}

/** A prepared document shown at consent (docs/decisions/0001 Contract 3). */
export interface ConsentDocument {
  /** The name shown to the person (display text only). */
  readonly name: string;
  /** The prepared PDF: original ‖ incremental update with /Contents zeroed. */
  readonly document: Uint8Array;
  /** The DER SET OF signed attributes (RFC 5652 §5.4) whose digest is the DTBS/R hash. */
  readonly signedAttributes: Uint8Array;
  readonly hashAlgorithmOID: string;
}

/**
 * Pushes a prepared document to Signet's `POST /oauth2/documents` (Contract 3) with client
 * authentication, so the consent page shows it; the server computes the DTBS/R hash itself.
 * Returns its `document_ref` and hash, or undefined when the provider has no such endpoint
 * (404: another CSC provider; the request then carries the hashes alone).
 */
export async function pushConsentDocument(
  endpoint: string,
  client: OAuthClientRegistration,
  document: ConsentDocument,
  fetchImpl: OAuthFetch = defaultFetch(),
): Promise<{ readonly documentRef: string; readonly hash: string } | undefined> {
  const form = new URLSearchParams();
  const headers = { ...clientAuthentication(client, form), 'content-type': 'application/json' };
  const body = JSON.stringify({
    ...Object.fromEntries(form),
    name: document.name,
    document: Buffer.from(document.document).toString('base64'),
    signedAttributes: Buffer.from(document.signedAttributes).toString('base64'),
    hashAlgorithmOID: document.hashAlgorithmOID,
  });
  const res = await fetchImpl(endpoint, { method: 'POST', headers, body });
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  const answer = await jsonBody(res);
  const documentRef = answer['document_ref'];
  const hash = answer['hash'];
  if (res.status !== 201 || typeof documentRef !== 'string' || documentRef.length === 0 || documentRef.length > 512 || typeof hash !== 'string') {
    fail('ERR_GATEWAY_OAUTH_REFUSED', 'the authorization server refused the document', { status: res.status, error: answer['error'], description: answer['error_description'] });
  }
  return { documentRef, hash };
}

/** The outcome of one document of a batch push. */
export type PushedDocument = { readonly documentRef: string; readonly hash: string } | { readonly error: GatewayError };

/**
 * Pushes up to 50 prepared documents in one request to Signet's batch endpoint, under one client
 * authentication; returns each document's reference or refusal, in order. Undefined when the
 * batch as a whole was not taken (no such endpoint, too large, refused): the caller pushes the
 * documents one by one instead.
 */
export async function pushConsentDocuments(
  endpoint: string,
  client: OAuthClientRegistration,
  documents: readonly ConsentDocument[],
  fetchImpl: OAuthFetch = defaultFetch(),
): Promise<readonly PushedDocument[] | undefined> {
  const form = new URLSearchParams();
  const headers = { ...clientAuthentication(client, form), 'content-type': 'application/json' };
  const body = JSON.stringify({
    ...Object.fromEntries(form),
    documents: documents.map((d) => ({
      name: d.name,
      document: Buffer.from(d.document).toString('base64'),
      signedAttributes: Buffer.from(d.signedAttributes).toString('base64'),
      hashAlgorithmOID: d.hashAlgorithmOID,
    })),
  });
  const res = await fetchImpl(endpoint, { method: 'POST', headers, body });
  if (res.status === 401) {
    const answer = await jsonBody(res);
    fail('ERR_GATEWAY_OAUTH_REFUSED', 'the authorization server refused the client', { status: res.status, error: answer['error'] });
  }
  if (res.status !== 201) {
    await res.body?.cancel();
    return undefined;
  }
  const text = await res.text();
  let items: unknown;
  try {
    items = (JSON.parse(text) as { documents?: unknown }).documents;
  } catch {
    items = undefined;
  }
  if (!Array.isArray(items) || items.length !== documents.length) fail('ERR_GATEWAY_OAUTH_REFUSED', 'the authorization server answered the batch with another number of documents');
  return (items as Record<string, unknown>[]).map((item): PushedDocument => {
    const documentRef = item['document_ref'];
    const hash = item['hash'];
    if (typeof documentRef === 'string' && documentRef.length > 0 && documentRef.length <= 512 && typeof hash === 'string') return { documentRef, hash };
    return {
      error: new GatewayError('ERR_GATEWAY_OAUTH_REFUSED', `the authorization server refused the document: ${typeof item['error_description'] === 'string' ? item['error_description'].slice(0, 300) : 'no reason given'}`),
    };
  });
}

/**
 * The client's authentication on a back-channel request: client_secret_basic (RFC 6749 §2.3.1,
 * the form-urlencoded id and secret) for a confidential client; client_id in the form for a
 * public one (its proof is the PKCE verifier).
 */
function clientAuthentication(client: OAuthClientRegistration, form: URLSearchParams): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (client.clientSecret === undefined) form.set('client_id', client.clientId);
  else {
    form.delete('client_id');
    const id = encodeURIComponent(client.clientId);
    headers['authorization'] = `Basic ${Buffer.from(`${id}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  }
  return headers;
}

/** The JSON object of a response, or {} when it is not one (the caller judges the status). */
async function jsonBody(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (text.length > maxMetadataBytes) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Exactly one value of `name` in the callback, or undefined (RFC 6749 §3.1: no repeated parameters). */
function single(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) fail('ERR_GATEWAY_OAUTH_STATE', `the authorization response repeats ${name}`);
  return all[0];
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks the authorization response that arrived at the redirect URI and returns its code. The
 * order is the one that keeps an attacker's response from being acted on at all: state first
 * (RFC 9700 §4.7: missing or not this session's → CSRF), then `iss` (RFC 9207 §2.4: missing when
 * the server advertises it, or another issuer → mix-up), then an error response, then the code.
 */
export function checkAuthorizationResponse(
  server: OAuthServer,
  pending: PendingAuthorization,
  callback: URL | URLSearchParams,
): string {
  const params = callback instanceof URL ? callback.searchParams : callback;
  if (callback instanceof URL) {
    // The response must come back to the registered redirect URI it was requested for.
    const expected = new URL(pending.redirectUri);
    if (callback.origin !== expected.origin || callback.pathname !== expected.pathname) {
      fail('ERR_GATEWAY_OAUTH_STATE', 'the authorization response arrived at another redirect URI');
    }
  }
  const state = single(params, 'state');
  if (state === undefined) fail('ERR_GATEWAY_OAUTH_STATE', 'the authorization response carries no state');
  if (!sameString(state, pending.state)) fail('ERR_GATEWAY_OAUTH_STATE', 'the authorization response belongs to another request');
  const iss = single(params, 'iss');
  // RFC 9207 §2.4: with the parameter advertised, a response without it MUST be rejected; any
  // `iss` present MUST equal the issuer the request was sent to.
  if (iss === undefined) {
    if (server.isIssuerParameterSupported) fail('ERR_GATEWAY_OAUTH_ISSUER', 'the authorization response names no issuer');
  } else if (iss !== pending.issuer || iss !== server.issuer) {
    fail('ERR_GATEWAY_OAUTH_ISSUER', 'the authorization response comes from another issuer', { iss });
  }
  const error = single(params, 'error');
  if (error !== undefined) {
    fail('ERR_GATEWAY_OAUTH_REFUSED', 'the authorization server refused the authorization', {
      error,
      description: single(params, 'error_description'),
    });
  }
  const code = single(params, 'code');
  if (code === undefined || code.length === 0 || code.length > 512) fail('ERR_GATEWAY_OAUTH_REFUSED', 'the authorization response carries no code');
  return code;
}

/**
 * Redeems `code` at the token endpoint with the pending PKCE verifier (RFC 7636 §4.5), so a code
 * injected from another session fails there (RFC 9700 §4.5; docs/security.md OA-14).
 */
export async function redeemAuthorizationCode(
  server: OAuthServer,
  client: OAuthClientRegistration,
  pending: PendingAuthorization,
  code: string,
  fetchImpl: OAuthFetch = defaultFetch(),
): Promise<OAuthTokenResponse> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: pending.redirectUri,
    code_verifier: pending.codeVerifier,
  });
  const headers = clientAuthentication(client, form);
  const res = await fetchImpl(server.tokenEndpoint, { method: 'POST', headers, body: form.toString() });
  const body = await jsonBody(res);
  if (!res.ok) {
    fail('ERR_GATEWAY_OAUTH_REFUSED', 'the token endpoint refused the authorization code', {
      status: res.status,
      error: body['error'],
    });
  }
  const accessToken = body['access_token'];
  const tokenType = body['token_type'];
  // RFC 6749 §5.1 / RFC 6750: a Bearer access token (CSC v1 servers answered "SAD" for credential scope).
  if (typeof accessToken !== 'string' || accessToken.length === 0 || typeof tokenType !== 'string' || !['bearer', 'sad'].includes(tokenType.toLowerCase())) {
    fail('ERR_GATEWAY_OAUTH_REFUSED', 'the token response carries no bearer access token');
  }
  const expiresIn = body['expires_in'];
  const credentialID = body['credentialID'];
  return {
    accessToken,
    ...(typeof expiresIn === 'number' ? { expiresIn } : {}),
    ...(typeof credentialID === 'string' ? { credentialID } : {}),
  };
}

/**
 * A HashAuthorizer that runs the code flow per group of hashes: `userAgent` takes the person's
 * browser to the authorization URL and resolves with the URL the server redirected back to.
 * The scope-`credential` token becomes the signHash bearer (CSC v2 §8.4).
 *
 * @example
 * ```ts
 * const server = await discoverOAuthServer('https://rssp.example');
 * const authorize = oauthCodeFlowAuthorizer({ server, client, userAgent: (url) => browser.visit(url) });
 * await signBatch(documents, { client: csc, credential, clock, authorize });
 * ```
 */
export function oauthCodeFlowAuthorizer(options: {
  readonly server: OAuthServer;
  readonly client: OAuthClientRegistration;
  readonly userAgent: (authorizationUrl: string) => Promise<string>;
  readonly fetch?: OAuthFetch;
  /** Use a pushed authorization request when the server offers one (default true). */
  readonly pushed?: boolean;
}): HashAuthorizer {
  return async (request) => {
    const params = credentialScopeParams(request);
    const { authorizationUrl, pending } = await beginAuthorization(options.server, options.client, params, options.fetch, options.pushed !== false);
    const callback = new URL(await options.userAgent(authorizationUrl));
    const code = checkAuthorizationResponse(options.server, pending, callback);
    const token = await redeemAuthorizationCode(options.server, options.client, pending, code, options.fetch);
    if (token.credentialID !== undefined && token.credentialID !== request.credentialID) {
      fail('ERR_GATEWAY_OAUTH_REFUSED', 'the token was issued for another credential');
    }
    return { accessToken: token.accessToken };
  };
}
