/**
 * Account self-service (issue 12; docs/security.md SCA-18) through fastify.inject() on both stores:
 * passkeys added, renamed and removed under the web session with the 5-minute step-up rule, TOTP
 * enrolled with its QR code and confirmed by a first code, the last second factor never removed,
 * a step-up ceremony refused in another session (SCA-16), every change audited.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { generateTotp, decodeBase32 } from '../../src/auth/index.js';
import { listAuditRows } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { apiServer, type ApiServer, type Signer } from './support/api-fixture.js';

const origin = 'http://localhost:8080';

interface Client {
  readonly cookie: string;
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

function client(s: ApiServer, cookie: string): Client {
  return {
    cookie,
    call: (method, url, body) =>
      s.app.inject({
        method,
        url,
        headers: { cookie, 'x-signet-request': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
  };
}

async function signIn(s: ApiServer, u: Signer, otp: string | undefined = s.nextOtp(u)): Promise<Client> {
  const r = await s.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { 'content-type': 'application/json', 'x-signet-request': '1' },
    payload: JSON.stringify({ username: u.username, password: u.password, ...(otp === undefined ? {} : { otp }) }),
  });
  assert.equal(r.statusCode, 200, r.body);
  return client(s, String(r.headers['set-cookie']).split(';')[0] as string);
}

async function addPasskey(c: Client, authr: SoftAuthenticator, name: string, stepUp?: unknown): Promise<LightMyRequestResponse> {
  const o = await c.call('POST', '/api/v1/me/passkeys/options');
  assert.equal(o.statusCode, 200, o.body);
  const { ticket, options } = o.json<{ ticket: string; options: Parameters<SoftAuthenticator['register']>[0] }>();
  const made = authr.register(options);
  const r = await c.call('POST', '/api/v1/me/passkeys', { ticket, response: made.response, name, ...(stepUp === undefined ? {} : { stepUp }) });
  if (r.statusCode === 201) authr.keep(made.credential);
  return r;
}

async function open(t: Parameters<typeof apiServer>[0], kind: (typeof storeKinds)[number]): Promise<ApiServer | undefined> {
  const s = await apiServer(t, kind);
  s?.services.baseUrl.set(origin);
  return s;
}

function errorOf(r: LightMyRequestResponse): string {
  return r.json<{ error: string }>().error;
}

for (const kind of storeKinds) {
  describe(`account self-service (${kind})`, () => {
    it('adds, renames and removes passkeys; after 5 minutes a change needs a step-up (one-time code or passkey); audited', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('anna');
      const c = await signIn(s, u);
      const authr = new SoftAuthenticator(origin);
      const added = await addPasskey(c, authr, 'Laptop');
      assert.equal(added.statusCode, 201, added.body);
      const passkey = added.json<{ id: string; name: string; aaguid: string; createdAt: number; lastUsedAt: number | null }>();
      assert.equal(passkey.name, 'Laptop');
      assert.equal(passkey.aaguid, '00000000-0000-0000-0000-000000000000');
      assert.equal(passkey.lastUsedAt, null);

      const factors = await c.call('GET', '/api/v1/me/factors');
      assert.equal(factors.statusCode, 200, factors.body);
      const f = factors.json<{ totp: { enrolled: boolean }; passkeys: { id: string }[] }>();
      assert.equal(f.totp.enrolled, true);
      assert.deepEqual(f.passkeys.map((p) => p.id), [passkey.id]);

      s.clock.advance(6 * 60_000);
      const stale = await c.call('PATCH', `/api/v1/me/passkeys/${passkey.id}`, { name: 'Work laptop' });
      assert.equal(stale.statusCode, 403, stale.body);
      assert.equal(errorOf(stale), 'ERR_SESSION_STEP_UP_REQUIRED');
      const withOtp = await c.call('PATCH', `/api/v1/me/passkeys/${passkey.id}`, { name: 'Work laptop', stepUp: { otp: s.nextOtp(u) } });
      assert.equal(withOtp.statusCode, 200, withOtp.body);
      assert.equal(withOtp.json<{ name: string }>().name, 'Work laptop');

      s.clock.advance(6 * 60_000);
      // A second passkey, confirmed by a step-up with the first one (UV required for step-up).
      const so = await c.call('POST', '/api/v1/me/step-up/options');
      assert.equal(so.statusCode, 200, so.body);
      const step = so.json<{ ticket: string; options: { challenge: string; rpId: string; userVerification: string } }>();
      assert.equal(step.options.userVerification, 'required');
      const second = await addPasskey(c, authr, 'Phone', { ticket: step.ticket, response: authr.assert(step.options) });
      assert.equal(second.statusCode, 201, second.body);

      // Removing one of two passkeys is allowed (the session is fresh after the step-up).
      const removed = await c.call('DELETE', `/api/v1/me/passkeys/${passkey.id}`);
      assert.equal(removed.statusCode, 204, removed.body);
      const gone = await c.call('PATCH', `/api/v1/me/passkeys/${passkey.id}`, { name: 'x' });
      assert.equal(gone.statusCode, 404);
      assert.equal(errorOf(gone), 'ERR_WEBAUTHN_PASSKEY_NOT_FOUND');

      const types = (await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 10_000, userId: u.userId })).map((r) => `${r.event_type}:${r.outcome}`);
      for (const e of ['auth.passkey.register:success', 'auth.passkey.rename:success', 'auth.passkey.use:success', 'auth.passkey.remove:success', 'auth.session.login:success']) {
        assert.ok(types.includes(e), `${e} in ${types.join(',')}`);
      }
    });

    it('SCA-18: the last second factor is never removed (TOTP alone, passkey alone)', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('bert');
      const c = await signIn(s, u);
      const lastTotp = await c.call('DELETE', '/api/v1/me/totp');
      assert.equal(lastTotp.statusCode, 409, lastTotp.body);
      assert.equal(errorOf(lastTotp), 'ERR_SESSION_LAST_FACTOR');
      const authr = new SoftAuthenticator(origin);
      const added = await addPasskey(c, authr, 'Key');
      assert.equal(added.statusCode, 201, added.body);
      const totpGone = await c.call('DELETE', '/api/v1/me/totp');
      assert.equal(totpGone.statusCode, 204, totpGone.body);
      const lastPasskey = await c.call('DELETE', `/api/v1/me/passkeys/${added.json<{ id: string }>().id}`);
      assert.equal(lastPasskey.statusCode, 409, lastPasskey.body);
      assert.equal(errorOf(lastPasskey), 'ERR_SESSION_LAST_FACTOR');
      const f = (await c.call('GET', '/api/v1/me/factors')).json<{ totp: { enrolled: boolean }; passkeys: unknown[] }>();
      assert.equal(f.totp.enrolled, false);
      assert.equal(f.passkeys.length, 1);
    });

    it('a user without second factor gets an enrolment-only session, enrols TOTP from the QR code and confirms it', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const password = 'enrol-me-please';
      const userId = await s.services.authenticator.createUser({ username: 'nora', password });
      const u: Signer = { userId, username: 'nora', password, totpSecret: new Uint8Array(), credentialId: '', pin: '' };
      const c = await signIn(s, u, undefined);
      const me = await c.call('GET', '/api/v1/session');
      assert.equal(me.json<{ secondFactor: string }>().secondFactor, 'none');
      const enrol = await c.call('POST', '/api/v1/me/totp');
      assert.equal(enrol.statusCode, 200, enrol.body);
      const { uri, secret, qrSvg } = enrol.json<{ uri: string; secret: string; qrSvg: string }>();
      assert.match(uri, /^otpauth:\/\/totp\/Signet:nora\?/);
      assert.ok(uri.includes(`secret=${secret}`));
      assert.match(qrSvg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      const wrong = await c.call('POST', '/api/v1/me/totp/confirm', { code: '000000' });
      assert.equal(wrong.statusCode, 401);
      s.clock.advance(30_000);
      const ok = await c.call('POST', '/api/v1/me/totp/confirm', { code: generateTotp(decodeBase32(secret), s.clock.now()) });
      assert.equal(ok.statusCode, 204, ok.body);
      assert.equal((await c.call('GET', '/api/v1/session')).json<{ secondFactor: string }>().secondFactor, 'totp');
      // Re-enrolling now needs a step-up once the factor is stale.
      s.clock.advance(6 * 60_000);
      const again = await c.call('POST', '/api/v1/me/totp');
      assert.equal(again.statusCode, 403);
      assert.equal(errorOf(again), 'ERR_SESSION_STEP_UP_REQUIRED');
    });

    it('with the require-passkey policy a one-time code is no step-up', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('rosa');
      const c = await signIn(s, u);
      const authr = new SoftAuthenticator(origin);
      assert.equal((await addPasskey(c, authr, 'Key')).statusCode, 201);
      await s.services.admin.setRequirePasskey('rosa', true, { via: 'cli' });
      s.clock.advance(6 * 60_000);
      const r = await c.call('POST', '/api/v1/me/step-up', { otp: s.nextOtp(u) });
      assert.equal(r.statusCode, 403, r.body);
      assert.equal(errorOf(r), 'ERR_SESSION_PASSKEY_REQUIRED');
      const so = (await c.call('POST', '/api/v1/me/step-up/options')).json<{ ticket: string; options: { challenge: string; rpId: string } }>();
      assert.equal((await c.call('POST', '/api/v1/me/step-up', { ticket: so.ticket, response: authr.assert(so.options) })).statusCode, 204);
    });

    it('SCA-16: a step-up ceremony started in one session is refused in another session of the same user', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('carl');
      const a = await signIn(s, u);
      const authr = new SoftAuthenticator(origin);
      assert.equal((await addPasskey(a, authr, 'Key')).statusCode, 201);
      const b = await signIn(s, u);
      s.clock.advance(6 * 60_000);
      const so = await a.call('POST', '/api/v1/me/step-up/options');
      const step = so.json<{ ticket: string; options: { challenge: string; rpId: string } }>();
      const r = await b.call('POST', '/api/v1/me/step-up', { ticket: step.ticket, response: authr.assert(step.options) });
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(errorOf(r), 'ERR_WEBAUTHN_CEREMONY_MISMATCH');
      const stillStale = await b.call('DELETE', '/api/v1/me/totp');
      assert.equal(errorOf(stillStale), 'ERR_SESSION_STEP_UP_REQUIRED');
    });
  });
}
