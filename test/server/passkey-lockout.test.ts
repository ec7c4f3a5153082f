/**
 * Loose ends of the passkey work (issue 12) on both stores: refused passkey assertions count
 * toward the user's lockout through the Authenticator's attempt reservation, like wrong TOTP codes
 * (docs/security.md SCA-02/08); an administrator revoking one passkey ends every web session of that
 * user in the same transaction (a session does not record which passkey opened or stepped it up),
 * and so does revoking the TOTP device.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { storeKinds } from '../support/stores.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { apiServer, type ApiServer, type Signer } from './support/api-fixture.js';

const origin = 'http://localhost:8080';

async function post(s: ApiServer, url: string, body: unknown, cookie: string): Promise<LightMyRequestResponse> {
  return s.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'x-signet-request': '1', cookie },
    payload: JSON.stringify(body),
  });
}

/** A signer with TOTP and one passkey, signed in with password + TOTP: the session cookie. */
async function signedIn(s: ApiServer, name: string): Promise<{ u: Signer; authr: SoftAuthenticator; cookie: string; passkeyId: string }> {
  const u = await s.addSigner(name);
  const authr = new SoftAuthenticator(origin);
  const reg = await s.services.passkeys.startRegistration({ userId: u.userId });
  const made = authr.register(reg.options);
  const pk = await s.services.passkeys.finishRegistration({ userId: u.userId, ticket: reg.ticket, response: made.response, name: 'Key' });
  authr.keep(made.credential);
  const r = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) }, '');
  assert.equal(r.statusCode, 200, r.body);
  const cookie = String(r.headers['set-cookie']).split(';')[0] as string;
  return { u, authr, cookie, passkeyId: pk.id };
}

for (const kind of storeKinds) {
  describe(`passkey loose ends (${kind})`, () => {
    it('SCA-02/08: refused passkey assertions count toward the lockout; the 5th locks the account, which then refuses every factor', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      s.services.baseUrl.set(origin);
      const { u, authr, cookie } = await signedIn(s, 'lena');
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      for (let i = 1; i <= 5; i++) {
        const opts = await post(s, '/api/v1/me/step-up/options', {}, cookie);
        assert.equal(opts.statusCode, 200, opts.body);
        const { ticket, options } = opts.json<{ ticket: string; options: { challenge: string; rpId: string } }>();
        const bad = await post(s, '/api/v1/me/step-up', { ticket, response: authr.assert(options, { signWith: stranger }) }, cookie);
        assert.equal(bad.json<{ error: string }>().error, 'ERR_WEBAUTHN_SIGNATURE', `attempt ${i}`);
      }
      const user = await s.services.store.db.selectFrom('users').select(['failed_attempts', 'locked_until']).where('id', '=', u.userId).executeTakeFirstOrThrow();
      assert.ok(user.locked_until !== null, 'locked after five refused assertions');
      // Locked: even a correct passkey, and a correct password + code, are refused.
      const opts = await post(s, '/api/v1/me/step-up/options', {}, cookie);
      const { ticket, options } = opts.json<{ ticket: string; options: { challenge: string; rpId: string } }>();
      const good = await post(s, '/api/v1/me/step-up', { ticket, response: authr.assert(options) }, cookie);
      assert.equal(good.json<{ error: string }>().error, 'ERR_AUTH_LOCKED');
      const login = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) }, '');
      assert.equal(login.json<{ error: string }>().error, 'ERR_AUTH_LOCKED');
      const audit = await s.services.store.db
        .selectFrom('audit_log')
        .select(['event_type', 'outcome'])
        .where('actor_user_id', '=', u.userId)
        .where('event_type', 'in', ['auth.passkey.attempt', 'user.locked'])
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        audit.map((a) => `${a.event_type}:${a.outcome}`),
        [...Array.from({ length: 4 }, () => 'auth.passkey.attempt:failure'), 'user.locked:success', 'auth.passkey.attempt:failure', 'auth.passkey.attempt:failure'],
      );
    });

    it('a good assertion clears the count (like a good code): four failures, a success, four more do not lock', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      s.services.baseUrl.set(origin);
      const { u, authr, cookie } = await signedIn(s, 'lars');
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const stepUp = async (good: boolean): Promise<LightMyRequestResponse> => {
        const { ticket, options } = (await post(s, '/api/v1/me/step-up/options', {}, cookie)).json<{ ticket: string; options: { challenge: string; rpId: string } }>();
        return post(s, '/api/v1/me/step-up', { ticket, response: good ? authr.assert(options) : authr.assert(options, { signWith: stranger }) }, cookie);
      };
      for (let i = 0; i < 4; i++) assert.equal((await stepUp(false)).statusCode, 400);
      assert.equal((await stepUp(true)).statusCode, 204);
      for (let i = 0; i < 4; i++) assert.equal((await stepUp(false)).statusCode, 400);
      const user = await s.services.store.db.selectFrom('users').select(['locked_until']).where('id', '=', u.userId).executeTakeFirstOrThrow();
      assert.equal(user.locked_until, null);
    });

    it("an administrator's passkey revocation ends all the user's web sessions (audited); the user's own removal keeps their session", async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      s.services.baseUrl.set(origin);
      const { u, cookie, passkeyId, authr } = await signedIn(s, 'mia');
      const other = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) }, '');
      const cookie2 = String(other.headers['set-cookie']).split(';')[0] as string;
      // The owner adds a second passkey and removes it in their session (fresh factor): the session stays.
      const reg = await post(s, '/api/v1/me/passkeys/options', {}, cookie);
      const regBody = reg.json<{ ticket: string; options: Parameters<SoftAuthenticator['register']>[0] }>();
      const made = authr.register(regBody.options);
      const added = await post(s, '/api/v1/me/passkeys', { ticket: regBody.ticket, response: made.response, name: 'Spare' }, cookie);
      assert.equal(added.statusCode, 201, added.body);
      const spareId = added.json<{ id: string }>().id;
      const removed = await s.app.inject({ method: 'DELETE', url: `/api/v1/me/passkeys/${spareId}`, headers: { cookie, 'x-signet-request': '1' } });
      assert.equal(removed.statusCode, 204, removed.body);
      assert.equal((await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).statusCode, 200);

      const { sessionsEnded } = await s.services.admin.revokePasskey(u.username, passkeyId, { via: 'api' });
      assert.equal(sessionsEnded, 2);
      for (const c of [cookie, cookie2]) {
        assert.equal((await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: c } })).statusCode, 401);
      }
      const entry = await s.services.store.db
        .selectFrom('audit_log')
        .select(['details'])
        .where('event_type', '=', 'auth.passkey.remove')
        .where('subject', 'like', `%${passkeyId}%`)
        .executeTakeFirstOrThrow();
      assert.equal((JSON.parse(entry.details) as { sessionsEnded: number }).sessionsEnded, 2);
    });

    it("an administrator's TOTP revocation ends all the user's web sessions too (audited)", async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      s.services.baseUrl.set(origin);
      const { u, cookie } = await signedIn(s, 'nils');
      const { sessionsEnded } = await s.services.admin.revokeTotp(u.username, { via: 'api' });
      assert.equal(sessionsEnded, 1);
      assert.equal((await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).statusCode, 401);
      const entry = await s.services.store.db
        .selectFrom('audit_log')
        .select(['details'])
        .where('event_type', '=', 'auth.totp.remove')
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(entry.details), { hadActive: true, sessionsEnded: 1, via: 'admin-api' });
    });
  });
}
