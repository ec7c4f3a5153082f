/**
 * The gateway as OAuth 2.0 client of a CSC provider's authorization server (docs/security.md §3.5):
 * OA-14 code injection fails on the PKCE verifier, OA-15 a callback with a missing, foreign or
 * repeated `state` is rejected before any token request, OA-16 the AS emits `iss` (RFC 9207) and
 * advertises it, and the client rejects a missing or wrong `iss` (mix-up with a second provider).
 * The AS is Signet's real one (test/auth/oauth2/oauth2-env.ts) on SQLite and PostgreSQL, reached
 * through its Fastify instance; the browser part is driven like the other OAuth tests.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { hashOpaqueToken } from '../../src/auth/index.js';
import {
  GatewayError,
  checkAuthorizationResponse,
  credentialScopeParams,
  discoverOAuthServer,
  oauthCodeFlowAuthorizer,
  pushConsentDocuments,
  redeemAuthorizationCode,
  startAuthorization,
  startPushedAuthorization,
  type GatewayErrorCode,
  type OAuthClientRegistration,
  type OAuthFetch,
  type OAuthServer,
} from '../../src/gateway/index.js';
import { requireStore, storeKinds } from '../support/stores.js';
import { GATEWAY_REDIRECT, ISSUER, PIN, SHA256, approve, makeEnv, openLogin, signIn, type OAuth2Env } from '../auth/oauth2/oauth2-env.js';

/** The AS's Fastify instance as the client's HTTP transport (absolute URLs of ISSUER → inject). */
function injectFetch(app: FastifyInstance): OAuthFetch {
  return async (url, init) => {
    const u = new URL(url);
    assert.equal(u.origin, ISSUER, `the client only talks to ${ISSUER}`);
    const res = await app.inject({
      method: init.method as 'GET' | 'POST',
      url: `${u.pathname}${u.search}`,
      headers: init.headers,
      ...(init.body === undefined ? {} : { payload: init.body }),
    });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? '') } });
  };
}

/** The person's browser: login (password + OTP), consent with the PIN → the URL redirected to. */
async function browse(env: OAuth2Env, authorizationUrl: string): Promise<string> {
  const url = new URL(authorizationUrl);
  assert.equal(`${url.origin}${url.pathname}`, `${ISSUER}/oauth2/authorize`);
  const login = await openLogin(env, Object.fromEntries(url.searchParams));
  const consent = await signIn(env, login);
  assert.equal(consent.res.statusCode, 200, consent.res.body);
  // A pushed request (RFC 9126) from the gateway is always a credential authorization.
  const credential = url.searchParams.get('scope') === 'credential' || url.searchParams.has('request_uri');
  const done = await approve(env, consent, credential ? PIN : undefined);
  assert.equal(done.statusCode, 303, done.body);
  return String(done.headers.location);
}

function gatewayError(code: GatewayErrorCode, check?: (e: GatewayError) => void) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.code, code, e.message);
    check?.(e);
    return true;
  };
}

/** A copy of `url` with `name` removed, replaced or duplicated. */
function edit(url: string, name: string, value: string | null, duplicate = false): URL {
  const u = new URL(url);
  if (value === null) u.searchParams.delete(name);
  else if (duplicate) u.searchParams.append(name, value);
  else u.searchParams.set(name, value);
  return u;
}

const hash = Buffer.alloc(32, 7).toString('base64');
const credentialRequest = (env: OAuth2Env) => ({ credentialID: env.credentialId, hashes: [hash], hashAlgorithmOID: SHA256, numSignatures: 1 });

describe('gateway OAuth 2.0 client (code flow + PKCE, state, RFC 9207 iss)', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('OA-16 AS side: metadata advertises authorization_response_iss_parameter_supported and S256; the authorizer obtains a credential token', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const fetchImpl = injectFetch(env.app);
        const server = await discoverOAuthServer(ISSUER, fetchImpl);
        assert.deepEqual(server, {
          issuer: ISSUER,
          authorizationEndpoint: `${ISSUER}/oauth2/authorize`,
          tokenEndpoint: `${ISSUER}/oauth2/token`,
          isIssuerParameterSupported: true,
          pushedAuthorizationRequestEndpoint: `${ISSUER}/oauth2/pushed_authorize`,
        });
        // RFC 8414 §3.3: metadata fetched for another issuer identifier is refused.
        await assert.rejects(discoverOAuthServer(`${ISSUER}/other`, fetchImpl), gatewayError('ERR_GATEWAY_OAUTH_METADATA'));
        const client: OAuthClientRegistration = { clientId: env.gateway.id, clientSecret: env.gateway.secret, redirectUri: GATEWAY_REDIRECT };
        let callback = '';
        const authorize = oauthCodeFlowAuthorizer({
          server,
          client,
          fetch: fetchImpl,
          userAgent: async (authorizationUrl) => {
            callback = await browse(env, authorizationUrl);
            return callback;
          },
        });
        const result = await authorize(credentialRequest(env));
        assert.ok(typeof result === 'object' && result !== undefined);
        // RFC 9207 §2: the authorization response named the issuer.
        assert.equal(new URL(callback).searchParams.get('iss'), ISSUER);
        // The token is the SAD of exactly this hash (CSC v2 §8.4; only its hash is stored).
        const sad = await env.store.db.selectFrom('sads').select(['credential_id', 'num_signatures']).where('id_hash', '=', hashOpaqueToken(result.accessToken)).executeTakeFirst();
        assert.deepEqual(sad && [sad.credential_id, Number(sad.num_signatures)], [env.credentialId, 1]);
      });

      it('RFC 9126: the authorizer pushes the request, so the browser URL carries only client_id and a single-use request_uri; without PAR the parameters travel in the URL', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const fetchImpl = injectFetch(env.app);
        const server = await discoverOAuthServer(ISSUER, fetchImpl);
        const client: OAuthClientRegistration = { clientId: env.gateway.id, clientSecret: env.gateway.secret, redirectUri: GATEWAY_REDIRECT };
        const visited: URL[] = [];
        const userAgent = async (authorizationUrl: string): Promise<string> => {
          visited.push(new URL(authorizationUrl));
          return browse(env, authorizationUrl);
        };
        const pushed = await oauthCodeFlowAuthorizer({ server, client, fetch: fetchImpl, userAgent })(credentialRequest(env));
        assert.ok(typeof pushed === 'object' && pushed.accessToken.length > 0);
        const pushedUrl = visited[0] as URL;
        assert.deepEqual([...pushedUrl.searchParams.keys()].sort(), ['client_id', 'request_uri']);
        assert.match(pushedUrl.searchParams.get('request_uri') ?? '', /^urn:ietf:params:oauth:request_uri:/);
        // RFC 9126 §4: the request_uri is single use: the same URL again is refused (no consent page).
        const replay = await env.app.inject({ method: 'GET', url: `${pushedUrl.pathname}${pushedUrl.search}` });
        assert.notEqual(replay.statusCode, 200, 'a used request_uri opens no login page');
        const plain = await oauthCodeFlowAuthorizer({ server, client, fetch: fetchImpl, userAgent, pushed: false })(credentialRequest(env));
        assert.ok(typeof plain === 'object' && plain.accessToken.length > 0);
        assert.ok((visited[1] as URL).searchParams.has('hashes') && (visited[1] as URL).searchParams.has('code_challenge'), 'without PAR the request is in the URL');
        // A server that refuses the push: a clear gateway error, no browser visit.
        const foreign: OAuthClientRegistration = { ...client, clientSecret: 'not-the-secret' };
        await assert.rejects(startPushedAuthorization(server, foreign, credentialScopeParams(credentialRequest(env)), fetchImpl), gatewayError('ERR_GATEWAY_OAUTH_REFUSED'));
        assert.equal(visited.length, 2);
      });

      it('OA-15 a callback with a missing, foreign or repeated state is rejected before the code is redeemed', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const fetchImpl = injectFetch(env.app);
        const server = await discoverOAuthServer(ISSUER, fetchImpl);
        const client: OAuthClientRegistration = { clientId: env.gateway.id, clientSecret: env.gateway.secret, redirectUri: GATEWAY_REDIRECT };
        const a = startAuthorization(server, client, { scope: 'service' });
        const b = startAuthorization(server, client, { scope: 'service' });
        assert.notEqual(a.pending.state, b.pending.state);
        const callback = await browse(env, a.authorizationUrl);
        assert.equal(new URL(callback).searchParams.get('state'), a.pending.state);
        const stateError = gatewayError('ERR_GATEWAY_OAUTH_STATE');
        assert.throws(() => checkAuthorizationResponse(server, a.pending, edit(callback, 'state', null)), stateError);
        assert.throws(() => checkAuthorizationResponse(server, b.pending, new URL(callback)), stateError);
        assert.throws(() => checkAuthorizationResponse(server, a.pending, edit(callback, 'state', `${a.pending.state}x`)), stateError);
        assert.throws(() => checkAuthorizationResponse(server, a.pending, edit(callback, 'state', a.pending.state, true)), stateError);
        // At another path than the registered redirect URI.
        assert.throws(() => checkAuthorizationResponse(server, a.pending, new URL(callback.replace('/oauth/callback', '/elsewhere'))), stateError);
        // None of the rejections spent the code: the right session still redeems it once.
        const code = checkAuthorizationResponse(server, a.pending, new URL(callback));
        const token = await redeemAuthorizationCode(server, client, a.pending, code, fetchImpl);
        assert.ok(token.accessToken.length > 0);
      });

      it('OA-16 client side: a missing or wrong iss is rejected; mix-up — provider B\'s pending request refuses provider A\'s response', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const fetchImpl = injectFetch(env.app);
        const server = await discoverOAuthServer(ISSUER, fetchImpl);
        const client: OAuthClientRegistration = { clientId: env.gateway.id, clientSecret: env.gateway.secret, redirectUri: GATEWAY_REDIRECT };
        const a = startAuthorization(server, client, credentialScopeParams(credentialRequest(env)));
        const callback = await browse(env, a.authorizationUrl);
        const issuerError = gatewayError('ERR_GATEWAY_OAUTH_ISSUER');
        assert.throws(() => checkAuthorizationResponse(server, a.pending, edit(callback, 'iss', null)), issuerError);
        assert.throws(() => checkAuthorizationResponse(server, a.pending, edit(callback, 'iss', 'https://evil.example')), issuerError);
        assert.throws(() => checkAuthorizationResponse(server, a.pending, edit(callback, 'iss', `${ISSUER}/`)), issuerError);
        // Mix-up: the same gateway also uses provider B (same redirect URI). A response that comes
        // from A (iss = A) while B's request is pending — even carrying B's state — is refused.
        const providerB: OAuthServer = { issuer: 'https://rssp-b.example', authorizationEndpoint: 'https://rssp-b.example/oauth2/authorize', tokenEndpoint: 'https://rssp-b.example/oauth2/token', isIssuerParameterSupported: true };
        const b = startAuthorization(providerB, client, { scope: 'service' });
        assert.throws(() => checkAuthorizationResponse(providerB, b.pending, edit(callback, 'state', b.pending.state)), issuerError);
        // RFC 9207 §2.4: a server that does not advertise the parameter may omit it.
        const legacy: OAuthServer = { ...server, isIssuerParameterSupported: false };
        assert.equal(checkAuthorizationResponse(legacy, a.pending, edit(callback, 'iss', null)), new URL(callback).searchParams.get('code'));
        // An error response is reported as such, after state and iss were checked.
        const denied = new URL(GATEWAY_REDIRECT);
        denied.search = new URLSearchParams({ tenant: '7', error: 'access_denied', state: a.pending.state, iss: ISSUER }).toString();
        assert.throws(() => checkAuthorizationResponse(server, a.pending, denied), gatewayError('ERR_GATEWAY_OAUTH_REFUSED', (e) => assert.equal(e.detail?.['error'], 'access_denied')));
        const forgedDenial = new URL(denied);
        forgedDenial.searchParams.delete('state');
        assert.throws(() => checkAuthorizationResponse(server, a.pending, forgedDenial), gatewayError('ERR_GATEWAY_OAUTH_STATE'));
      });

      it('OA-14 code injection: an attacker\'s code in the victim\'s callback fails on the victim\'s PKCE verifier (invalid_grant), nothing issued', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const fetchImpl = injectFetch(env.app);
        const server = await discoverOAuthServer(ISSUER, fetchImpl);
        const client: OAuthClientRegistration = { clientId: env.gateway.id, clientSecret: env.gateway.secret, redirectUri: GATEWAY_REDIRECT };
        // The attacker runs the flow in their own session and keeps the code.
        const attacker = startAuthorization(server, client, credentialScopeParams(credentialRequest(env)));
        const stolenCode = new URL(await browse(env, attacker.authorizationUrl)).searchParams.get('code') ?? '';
        assert.equal(stolenCode.length, 43);
        // The victim's gateway has its own pending request; the attacker even knows its state.
        const victim = startAuthorization(server, client, credentialScopeParams(credentialRequest(env)));
        const injected = new URL(GATEWAY_REDIRECT);
        injected.searchParams.set('code', stolenCode);
        injected.searchParams.set('state', victim.pending.state);
        injected.searchParams.set('iss', ISSUER);
        const code = checkAuthorizationResponse(server, victim.pending, injected);
        const sadsBefore = (await env.store.db.selectFrom('sads').select('id_hash').execute()).length;
        await assert.rejects(
          redeemAuthorizationCode(server, client, victim.pending, code, fetchImpl),
          gatewayError('ERR_GATEWAY_OAUTH_REFUSED', (e) => assert.deepEqual([e.detail?.['status'], e.detail?.['error']], [400, 'invalid_grant'])),
        );
        assert.equal((await env.store.db.selectFrom('sads').select('id_hash').execute()).length, sadsBefore, 'no SAD issued');
      });
    });
  }
});

describe('consent-document push: announced endpoints, batches and their fallback', () => {
  const client: OAuthClientRegistration = { clientId: 'gw', clientSecret: 's3cret', redirectUri: 'https://gw.example/cb' };
  const doc = { name: 'a.pdf', document: new Uint8Array([1, 2, 3]), signedAttributes: new Uint8Array([4, 5]), hashAlgorithmOID: SHA256 };
  const answer = (status: number, body: unknown): Promise<Response> => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));

  it('the metadata announces the endpoints (read only when absolute http(s) URLs); absent, nothing is pushed (hashes alone)', async () => {
    const meta = (extra: Record<string, unknown>): OAuthFetch => () =>
      answer(200, { issuer: 'https://as.example', authorization_endpoint: 'https://as.example/a', token_endpoint: 'https://as.example/t', ...extra });
    const announced = await discoverOAuthServer('https://as.example', meta({ signet_consent_documents_endpoint: 'https://as.example/oauth2/documents', signet_consent_documents_batch_endpoint: 'https://as.example/oauth2/documents/batch' }));
    assert.equal(announced.consentDocumentsEndpoint, 'https://as.example/oauth2/documents');
    assert.equal(announced.consentDocumentsBatchEndpoint, 'https://as.example/oauth2/documents/batch');
    const silent = await discoverOAuthServer('https://as.example', meta({ signet_consent_documents_endpoint: 'javascript:alert(1)' }));
    assert.equal(silent.consentDocumentsEndpoint, undefined);
    assert.equal(silent.consentDocumentsBatchEndpoint, undefined);
  });

  it('a batch: one request with client_secret_basic, each answer mapped in order (a refusal is that document\'s); not taken → undefined (push one by one); a refused client or a short answer → error', async () => {
    let seen: { url: string; headers: Record<string, string>; body: string } | undefined;
    const ok: OAuthFetch = (url, init) => {
      seen = { url, headers: init.headers, body: init.body ?? '' };
      return answer(201, { documents: [{ document_ref: 'ref-1', hash: 'aGFzaA==', pages: 1, expires_in: 600 }, { error: 'invalid_request', error_description: 'the message-digest does not match' }] });
    };
    const pushed = await pushConsentDocuments('https://as.example/oauth2/documents/batch', client, [doc, { ...doc, name: 'b.pdf' }], ok);
    assert.equal(seen?.headers['authorization'], `Basic ${Buffer.from('gw:s3cret').toString('base64')}`);
    assert.deepEqual((JSON.parse(seen?.body ?? '{}') as { documents: { name: string }[] }).documents.map((d) => d.name), ['a.pdf', 'b.pdf']);
    assert.deepEqual(pushed?.[0], { documentRef: 'ref-1', hash: 'aGFzaA==' });
    const refused = pushed?.[1];
    assert.ok(refused !== undefined && 'error' in refused && refused.error.code === 'ERR_GATEWAY_OAUTH_REFUSED' && /message-digest/.test(refused.error.message));
    assert.equal(await pushConsentDocuments('https://as.example/b', client, [doc], () => answer(413, { error: 'invalid_request' })), undefined);
    assert.equal(await pushConsentDocuments('https://as.example/b', client, [doc], () => answer(404, {})), undefined);
    await assert.rejects(pushConsentDocuments('https://as.example/b', client, [doc], () => answer(401, { error: 'invalid_client' })), gatewayError('ERR_GATEWAY_OAUTH_REFUSED'));
    await assert.rejects(pushConsentDocuments('https://as.example/b', client, [doc, doc], () => answer(201, { documents: [{ document_ref: 'r', hash: 'h' }] })), gatewayError('ERR_GATEWAY_OAUTH_REFUSED'));
  });
});
