/**
 * Federated first factor (docs/security.md SCA-19; issue 12 "Federation") on both stores. The happy
 * path runs against a REAL OpenID provider started here: panva's oidc-provider on loopback, with
 * a test client, a test account and an interaction that logs that account in and grants consent.
 * The id_token refusals (wrong iss, aud, nonce, expired, another provider's key, unknown user)
 * need tokens no honest provider issues: a second identity provider on loopback (node:http,
 * discovery + JWKS + token endpoint) signs what the test asks with keys it publishes.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { setUserRequirePasskey } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { apiServer, type ApiServer } from './support/api-fixture.js';

const origin = 'http://localhost:8080';
const redirectUri = `${origin}/api/v1/session/oidc/callback`;
const clientId = 'signet-web';
const clientSecret = 'a-client-secret-for-tests-only-0123456789';

function secretFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'signet-oidc-'));
  const file = join(dir, 'client-secret');
  writeFileSync(file, `${clientSecret}\n`, { mode: 0o600 });
  void t;
  return file;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A real OpenID provider: oidc-provider, whose interaction logs `account.id` in and consents. */
async function realProvider(t: TestContext): Promise<{ issuer: string; account: { id: string } }> {
  const account = { id: 'nobody' };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_basic' }],
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub, preferred_username: sub }) }),
    claims: { openid: ['sub'], profile: ['preferred_username'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    // The username claim in the id_token itself (not only at userinfo).
    conformIdTokenClaims: false,
  });
  // The interaction a person would go through at the bank: here it logs the test account in and grants openid profile.
  provider.use(async (ctx, next) => {
    const m = /^\/interaction\/([^/]+)$/.exec(ctx.path);
    if (m === null) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const grant = new provider.Grant({ accountId: account.id, clientId });
    grant.addOIDCScope('openid profile');
    const grantId = await grant.save();
    const result = { login: { accountId: account.id }, consent: { grantId } };
    void details;
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    return undefined;
  });
  server.on('request', provider.callback());
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { issuer, account };
}

/** Follows the browser through the provider (cookies kept) until it is sent back to Signet's callback. */
async function throughProvider(location: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = location;
  for (let i = 0; i < 10; i++) {
    if (url.startsWith(redirectUri)) return new URL(url);
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair as string).indexOf('=');
      jar.set((pair as string).slice(0, eq), (pair as string).slice(eq + 1));
    }
    const next = res.headers.get('location');
    assert.ok(next !== null, `the provider answered ${res.status} without a redirect: ${await res.text()}`);
    url = new URL(next, url).toString();
  }
  assert.fail('too many redirects at the provider');
}

/** A second identity provider that signs whatever id_token claims the test sets. */
async function craftingProvider(t: TestContext): Promise<{
  issuer: string;
  claims: (c: Record<string, unknown>) => void;
  signWithStranger: (on: boolean) => void;
}> {
  const own = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(own.publicKey)), kid: 'own', alg: 'ES256', use: 'sig' };
  let claims: Record<string, unknown> = {};
  let useStranger = false;
  let issuer = '';
  const server = createServer((req, res) => {
    void (async () => {
      const json = (body: unknown, status = 200): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.url === '/.well-known/openid-configuration') {
        return json({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          authorization_response_iss_parameter_supported: true,
        });
      }
      if (req.url === '/jwks') return json({ keys: [jwk] });
      if (req.url === '/token' && req.method === 'POST') {
        const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return json({ error: 'invalid_client' }, 401);
        const token = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'ES256', kid: 'own' })
          .sign(useStranger ? stranger.privateKey : own.privateKey);
        return json({ access_token: 'at', token_type: 'Bearer', id_token: token });
      }
      return json({ error: 'not_found' }, 404);
    })();
  });
  issuer = await listen(server);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { issuer, claims: (c) => void (claims = c), signWithStranger: (on) => void (useStranger = on) };
}

async function open(t: TestContext, kind: (typeof storeKinds)[number], issuer: string): Promise<ApiServer | undefined> {
  const s = await apiServer(t, kind, {
    SIGNET_OIDC_ISSUER: issuer,
    SIGNET_OIDC_CLIENT_ID: clientId,
    SIGNET_OIDC_CLIENT_SECRET_FILE: secretFile(t),
    SIGNET_OIDC_NAME: 'Test Bank',
  });
  s?.services.baseUrl.set(origin);
  return s;
}

function cookiesOf(r: LightMyRequestResponse): Map<string, string> {
  const header = r.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out = new Map<string, string>();
  for (const line of lines) {
    const [pair] = line.split(';');
    const eq = (pair as string).indexOf('=');
    out.set((pair as string).slice(0, eq), (pair as string).slice(eq + 1));
  }
  return out;
}

/** GET /session/oidc/start: the provider URL and the browser-binding cookie. */
async function start(s: ApiServer): Promise<{ location: URL; txCookie: string }> {
  const r = await s.app.inject({ method: 'GET', url: '/api/v1/session/oidc/start' });
  assert.equal(r.statusCode, 302, r.body);
  const tx = cookiesOf(r).get('signet_oidc_tx');
  assert.ok(tx !== undefined && tx !== '');
  assert.match(String(r.headers['set-cookie']), /Path=\/api\/v1\/session\/oidc; HttpOnly; SameSite=Lax/);
  return { location: new URL(String(r.headers.location)), txCookie: `signet_oidc_tx=${tx}` };
}

async function callback(s: ApiServer, query: string, cookie: string): Promise<{ r: LightMyRequestResponse; first?: string; error?: string }> {
  const r = await s.app.inject({ method: 'GET', url: `/api/v1/session/oidc/callback?${query}`, headers: { cookie } });
  assert.equal(r.statusCode, 303, r.body);
  const to = new URL(String(r.headers.location), origin);
  const error = to.searchParams.get('oidc_error') ?? undefined;
  const first = cookiesOf(r).get('signet_oidc');
  return { r, ...(first ? { first: `signet_oidc=${first}` } : {}), ...(error ? { error } : {}) };
}

async function post(s: ApiServer, url: string, body: unknown, cookie: string): Promise<LightMyRequestResponse> {
  return s.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'x-signet-request': '1', cookie },
    payload: JSON.stringify(body),
  });
}

async function failureReasons(s: ApiServer): Promise<string[]> {
  const rows = await s.services.store.db
    .selectFrom('audit_log')
    .select(['details'])
    .where('event_type', '=', 'auth.oidc.login')
    .where('outcome', '=', 'failure')
    .orderBy('seq')
    .execute();
  return rows.map((r) => (JSON.parse(r.details) as { reason: string }).reason);
}

for (const kind of storeKinds) {
  describe(`federated first factor, OpenID Connect (${kind})`, () => {
    it('SCA-19 happy path with a real provider: code + PKCE + nonce, then the second factor (TOTP, or a passkey) before any session', async (t) => {
      const idp = await realProvider(t);
      const s = await open(t, kind, idp.issuer);
      if (!s) return;
      const methods = await s.app.inject({ method: 'GET', url: '/api/v1/session/methods' });
      assert.deepEqual(methods.json<{ oidc: unknown }>().oidc, { name: 'Test Bank', start: '/api/v1/session/oidc/start' });

      const u = await s.addSigner('olga');
      idp.account.id = 'olga';
      const { location, txCookie } = await start(s);
      assert.equal(location.origin, idp.issuer);
      assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(location.searchParams.get('client_id'), clientId);
      assert.ok((location.searchParams.get('nonce') ?? '').length >= 43);
      // The stored transaction holds neither the nonce nor anything readable (the PKCE verifier is
      // sealed under a key derived from the state, which the database does not have).
      const stored = await s.services.store.db
        .selectFrom('webauthn_challenges')
        .select(['challenge'])
        .where('purpose', '=', 'oidc-authorization')
        .executeTakeFirstOrThrow();
      const storedText = Buffer.from(stored.challenge).toString('latin1');
      assert.ok(!storedText.includes(location.searchParams.get('nonce') as string), 'nonce stored in clear');
      assert.ok(!storedText.includes('verifier'), 'PKCE verifier stored in clear');
      const back = await throughProvider(location.toString());
      assert.equal(back.searchParams.get('iss'), idp.issuer, 'RFC 9207 iss in the authorization response');
      const { first, error } = await callback(s, back.search.slice(1), txCookie);
      assert.equal(error, undefined);
      assert.ok(first !== undefined);

      // SCA-19: the federated sign-in alone is no session.
      const noSession = await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: first } });
      assert.equal(noSession.statusCode, 401);
      const pending = await s.app.inject({ method: 'GET', url: '/api/v1/session/oidc/pending', headers: { cookie: first } });
      assert.deepEqual(pending.json(), { username: 'olga', totp: true, passkey: false });
      const missing = await post(s, '/api/v1/session/oidc/otp', { otp: '' }, first);
      assert.equal(missing.json<{ error: string }>().error, 'ERR_SESSION_SECOND_FACTOR_REQUIRED');
      const wrong = await post(s, '/api/v1/session/oidc/otp', { otp: '000000' }, first);
      assert.equal(wrong.json<{ error: string }>().error, 'ERR_AUTH_OTP_INVALID');
      const ok = await post(s, '/api/v1/session/oidc/otp', { otp: s.nextOtp(u) }, first);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json<{ secondFactor: string }>().secondFactor, 'totp');
      const session = cookiesOf(ok).get('signet_session');
      const me = await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: `signet_session=${session}` } });
      assert.equal(me.json<{ user: { id: string } }>().user.id, u.userId);
      const login = await s.services.store.db
        .selectFrom('audit_log')
        .select(['details'])
        .where('event_type', '=', 'auth.session.login')
        .where('actor_user_id', '=', u.userId)
        .executeTakeFirstOrThrow();
      assert.equal((JSON.parse(login.details) as { method: string }).method, 'oidc+totp');
      // The first factor was used up by that session.
      const again = await post(s, '/api/v1/session/oidc/otp', { otp: s.nextOtp(u) }, first);
      assert.equal(again.json<{ error: string }>().error, 'ERR_OIDC_FIRST_FACTOR_INVALID');
      // The same authorization response replayed: the state was taken once.
      const replay = await callback(s, back.search.slice(1), txCookie);
      assert.equal(replay.error, 'ERR_OIDC_STATE_INVALID');

      // A passkey user with the require-passkey policy: TOTP refused, the passkey opens the session.
      const p = await s.addSigner('pavel');
      const authr = new SoftAuthenticator(origin);
      const reg = await s.services.passkeys.startRegistration({ userId: p.userId });
      const made = authr.register(reg.options);
      await s.services.passkeys.finishRegistration({ userId: p.userId, ticket: reg.ticket, response: made.response, name: 'Key' });
      authr.keep(made.credential);
      await s.services.store.transaction((trx) => setUserRequirePasskey(trx, p.userId, true));
      idp.account.id = 'pavel';
      const second = await start(s);
      const back2 = await throughProvider(second.location.toString());
      const cb2 = await callback(s, back2.search.slice(1), second.txCookie);
      assert.ok(cb2.first !== undefined, cb2.error);
      const totp = await post(s, '/api/v1/session/oidc/otp', { otp: s.nextOtp(p) }, cb2.first);
      assert.equal(totp.json<{ error: string }>().error, 'ERR_SESSION_PASSKEY_REQUIRED');
      const opts = await post(s, '/api/v1/session/oidc/passkey/options', {}, cb2.first);
      assert.equal(opts.statusCode, 200, opts.body);
      const { ticket, options } = opts.json<{ ticket: string; options: { challenge: string; rpId: string } }>();
      // A ceremony bound to this first factor does not finish the password sign-in route.
      const viaPassword = await post(s, '/api/v1/session/passkey', { ticket, response: authr.assert(options) }, '');
      assert.equal(viaPassword.json<{ error: string }>().error, 'ERR_WEBAUTHN_CEREMONY_MISMATCH');
      const opts2 = await post(s, '/api/v1/session/oidc/passkey/options', {}, cb2.first);
      const o2 = opts2.json<{ ticket: string; options: { challenge: string; rpId: string } }>();
      const pk = await post(s, '/api/v1/session/oidc/passkey', { ticket: o2.ticket, response: authr.assert(o2.options) }, cb2.first);
      assert.equal(pk.statusCode, 200, pk.body);
      assert.equal(pk.json<{ secondFactor: string }>().secondFactor, 'passkey');

      // RFC 9207 mix-up: the response names another issuer.
      const third = await start(s);
      const back3 = await throughProvider(third.location.toString());
      back3.searchParams.set('iss', 'https://evil.example');
      const mixed = await callback(s, back3.search.slice(1), third.txCookie);
      assert.equal(mixed.error, 'ERR_OIDC_ISSUER_MISMATCH');
      // An account the provider knows but Signet does not.
      idp.account.id = 'stranger';
      const fourth = await start(s);
      const back4 = await throughProvider(fourth.location.toString());
      const unknown = await callback(s, back4.search.slice(1), fourth.txCookie);
      assert.equal(unknown.error, 'ERR_OIDC_USER_UNKNOWN');
      assert.deepEqual(await failureReasons(s), ['ERR_OIDC_STATE_INVALID', 'ERR_OIDC_ISSUER_MISMATCH', 'ERR_OIDC_USER_UNKNOWN']);
    });

    it('SCA-19 refusals: id_token with wrong iss, aud, azp, nonce, expired, signed by another key; state unknown or from another browser; each audited', async (t) => {
      const idp = await craftingProvider(t);
      const s = await open(t, kind, idp.issuer);
      if (!s) return;
      await s.addSigner('ines');
      const now = (): number => Math.floor(s.services.clock.now().getTime() / 1000);
      const attempt = async (claims: (nonce: string) => Record<string, unknown>, opts: { stranger?: boolean; iss?: string } = {}): Promise<string | undefined> => {
        const { location, txCookie } = await start(s);
        const nonce = location.searchParams.get('nonce') as string;
        idp.claims(claims(nonce));
        idp.signWithStranger(opts.stranger === true);
        const q = new URLSearchParams({ code: 'abc', state: location.searchParams.get('state') as string, iss: opts.iss ?? idp.issuer });
        const { error } = await callback(s, q.toString(), txCookie);
        return error;
      };
      const good = (nonce: string): Record<string, unknown> => ({
        iss: idp.issuer,
        sub: 'u-1',
        aud: clientId,
        iat: now(),
        exp: now() + 300,
        nonce,
        preferred_username: 'ines',
      });
      // The control: the crafted token is accepted when nothing is wrong.
      assert.equal(await attempt(good), undefined);
      assert.equal(await attempt((n) => ({ ...good(n), iss: 'https://other-idp.example' })), 'ERR_OIDC_ISSUER_MISMATCH');
      assert.equal(await attempt((n) => ({ ...good(n), aud: 'another-client' })), 'ERR_OIDC_AUDIENCE');
      assert.equal(await attempt((n) => ({ ...good(n), aud: [clientId, 'another-client'] })), 'ERR_OIDC_AUDIENCE');
      assert.equal(await attempt((n) => ({ ...good(n), aud: [clientId, 'another-client'], azp: clientId })), undefined);
      assert.equal(await attempt((n) => ({ ...good(n), nonce: `${n}x` })), 'ERR_OIDC_NONCE');
      assert.equal(await attempt((n) => ({ ...good(n), iat: now() - 7200, exp: now() - 3600 })), 'ERR_OIDC_TOKEN_EXPIRED');
      assert.equal(await attempt((n) => ({ ...good(n), iat: now() + 3600, exp: now() + 7200 })), 'ERR_OIDC_TOKEN_EXPIRED');
      assert.equal(await attempt(good, { stranger: true }), 'ERR_OIDC_TOKEN_SIGNATURE');
      assert.equal(await attempt((n) => ({ ...good(n), preferred_username: 'nobody-here' })), 'ERR_OIDC_USER_UNKNOWN');
      // RFC 9207: the provider announces iss; a response without it, or with another, is refused.
      assert.equal(await attempt(good, { iss: 'https://other-idp.example' }), 'ERR_OIDC_ISSUER_MISMATCH');
      // Unknown state; a state from another browser (no or another binding cookie).
      const { location, txCookie } = await start(s);
      const unknown = await callback(s, new URLSearchParams({ code: 'abc', state: 'A'.repeat(43), iss: idp.issuer }).toString(), txCookie);
      assert.equal(unknown.error, 'ERR_OIDC_STATE_INVALID');
      const q = new URLSearchParams({ code: 'abc', state: location.searchParams.get('state') as string, iss: idp.issuer });
      const otherBrowser = await callback(s, q.toString(), `signet_oidc_tx=${'B'.repeat(43)}`);
      assert.equal(otherBrowser.error, 'ERR_OIDC_BROWSER_MISMATCH');
      // That state is spent even though it was refused.
      assert.equal((await callback(s, q.toString(), txCookie)).error, 'ERR_OIDC_STATE_INVALID');
      // An expired transaction.
      const late = await start(s);
      s.clock.advance(11 * 60 * 1000);
      const lq = new URLSearchParams({ code: 'abc', state: late.location.searchParams.get('state') as string, iss: idp.issuer });
      assert.equal((await callback(s, lq.toString(), late.txCookie)).error, 'ERR_OIDC_STATE_EXPIRED');
      assert.deepEqual(await failureReasons(s), [
        'ERR_OIDC_ISSUER_MISMATCH',
        'ERR_OIDC_AUDIENCE',
        'ERR_OIDC_AUDIENCE',
        'ERR_OIDC_NONCE',
        'ERR_OIDC_TOKEN_EXPIRED',
        'ERR_OIDC_TOKEN_EXPIRED',
        'ERR_OIDC_TOKEN_SIGNATURE',
        'ERR_OIDC_USER_UNKNOWN',
        'ERR_OIDC_ISSUER_MISMATCH',
        'ERR_OIDC_STATE_INVALID',
        'ERR_OIDC_BROWSER_MISMATCH',
        'ERR_OIDC_STATE_INVALID',
        'ERR_OIDC_STATE_EXPIRED',
      ]);
    });

    it('without SIGNET_OIDC_ISSUER the routes answer 404 and /session/methods says oidc: null', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const methods = await s.app.inject({ method: 'GET', url: '/api/v1/session/methods' });
      assert.equal(methods.json<{ oidc: unknown }>().oidc, null);
      const r = await s.app.inject({ method: 'GET', url: '/api/v1/session/oidc/start' });
      assert.equal(r.statusCode, 404);
      assert.equal(r.json<{ error: string }>().error, 'ERR_OIDC_NOT_CONFIGURED');
    });
  });
}
