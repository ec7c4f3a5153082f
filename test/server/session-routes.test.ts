/**
 * The web session routes (docs/decisions/0001 Contract 1; issue 12) through fastify.inject() on
 * both stores: password + TOTP, password + passkey (a hand-crafted authenticator), the CSRF
 * header, the require-passkey policy, logout, idle and absolute expiry on the injected clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { setUserRequirePasskey } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { apiServer, type ApiServer } from './support/api-fixture.js';

const origin = 'http://localhost:8080';

function cookieOf(r: LightMyRequestResponse): string {
  const header = r.headers['set-cookie'];
  const line = Array.isArray(header) ? header[0] : header;
  assert.ok(line !== undefined, 'a Set-Cookie header');
  return (line.split(';')[0] as string).trim();
}

async function post(s: ApiServer, url: string, body: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return s.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'x-signet-request': '1', ...headers },
    payload: JSON.stringify(body),
  });
}

async function open(t: Parameters<typeof apiServer>[0], kind: (typeof storeKinds)[number]): Promise<ApiServer | undefined> {
  const s = await apiServer(t, kind);
  s?.services.baseUrl.set(origin);
  return s;
}

for (const kind of storeKinds) {
  describe(`web session routes (${kind})`, () => {
    it('Contract 1: password + TOTP signs in with an HttpOnly SameSite=Lax cookie; GET and DELETE /session; audited', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('sofia');
      const r = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) });
      assert.equal(r.statusCode, 200, r.body);
      const setCookie = String(r.headers['set-cookie']);
      assert.match(setCookie, /^signet_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/);
      assert.deepEqual(r.json<{ user: unknown }>().user, { id: u.userId, username: 'sofia', role: 'user' });
      const cookie = cookieOf(r);
      const me = await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(me.json<{ secondFactor: string }>().secondFactor, 'totp');
      // The own audit trail reads with the session too.
      const audit = await s.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { cookie } });
      assert.equal(audit.statusCode, 200, audit.body);
      assert.ok(audit.json<{ entries: { type: string }[] }>().entries.some((e) => e.type === 'auth.session.login'));
      // Logout needs the CSRF header too.
      const noHeader = await s.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
      assert.equal(noHeader.statusCode, 403);
      assert.equal(noHeader.json<{ error: string }>().error, 'ERR_SESSION_CSRF');
      const out = await s.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-signet-request': '1' } });
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers['set-cookie']), /^signet_session=; Max-Age=0/);
      const after = await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
      assert.equal(after.statusCode, 401);
      assert.equal(after.json<{ error: string }>().error, 'unauthenticated');
    });

    it('SCA-08: a right password between wrong one-time codes does not wipe their count — the fifth locks the account', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('tove');
      for (let round = 1; round <= 5; round++) {
        const wrong = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: '000000' });
        assert.equal(wrong.json<{ error: string }>().error, 'ERR_AUTH_OTP_INVALID', `round ${round}`);
      }
      const locked = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) });
      assert.equal(locked.statusCode, 401, locked.body);
      assert.equal(locked.json<{ error: string }>().error, 'ERR_AUTH_LOCKED');
      assert.equal(locked.headers['set-cookie'], undefined);
    });

    it('SCA-08: a CSC auth/login (password only) between wrong one-time codes does not wipe their count either', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('tage');
      for (let round = 1; round <= 4; round++) {
        const wrong = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: '000000' });
        assert.equal(wrong.json<{ error: string }>().error, 'ERR_AUTH_OTP_INVALID', `round ${round}`);
        // The password alone is right: the CSC login answers, and must give back only its own attempt.
        await s.login(u);
      }
      const fifth = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: '000000' });
      assert.equal(fifth.json<{ error: string }>().error, 'ERR_AUTH_OTP_INVALID');
      const locked = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) });
      assert.equal(locked.json<{ error: string }>().error, 'ERR_AUTH_LOCKED');
    });

    it('a right password and code clear the failures counted before them', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('ulla');
      for (let round = 1; round <= 4; round++) {
        assert.equal((await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: '000000' })).statusCode, 401);
      }
      assert.equal((await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) })).statusCode, 200);
      // Four more wrong codes would lock only if the earlier four were still counted.
      for (let round = 1; round <= 4; round++) {
        const wrong = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: '000000' });
        assert.equal(wrong.json<{ error: string }>().error, 'ERR_AUTH_OTP_INVALID', `round ${round}`);
      }
      assert.equal((await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) })).statusCode, 200);
    });

    it('refuses a wrong or missing one-time code, a wrong password, and a login without X-Signet-Request', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('sven');
      const wrong = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: '000000' });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json<{ error: string }>().error, 'ERR_AUTH_OTP_INVALID');
      assert.equal(wrong.headers['set-cookie'], undefined);
      const missing = await post(s, '/api/v1/session', { username: u.username, password: u.password });
      assert.equal(missing.statusCode, 401);
      assert.equal(missing.json<{ error: string }>().error, 'ERR_SESSION_SECOND_FACTOR_REQUIRED');
      const badPassword = await post(s, '/api/v1/session', { username: u.username, password: 'nope', otp: s.nextOtp(u) });
      assert.equal(badPassword.statusCode, 401);
      assert.equal(badPassword.json<{ error: string }>().error, 'ERR_AUTH_INVALID_CREDENTIALS');
      const csrf = await s.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ username: u.username, password: u.password, otp: s.nextOtp(u) }),
      });
      assert.equal(csrf.statusCode, 403);
      assert.equal(csrf.json<{ error: string }>().error, 'ERR_SESSION_CSRF');
      assert.equal(csrf.headers['set-cookie'], undefined);
      // A cross-origin page cannot add the header: its CORS preflight is refused (AC-07).
      const preflight = await s.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/session',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-signet-request' },
      });
      assert.equal(preflight.statusCode, 403);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
      assert.equal(preflight.headers['access-control-allow-headers'], undefined);
    });

    it('password + passkey signs in; require_passkey refuses TOTP for that user (audited)', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('petra');
      const authr = new SoftAuthenticator(origin);
      const reg = await s.services.passkeys.startRegistration({ userId: u.userId });
      const made = authr.register(reg.options);
      await s.services.passkeys.finishRegistration({ userId: u.userId, ticket: reg.ticket, response: made.response, name: 'Laptop' });
      authr.keep(made.credential);
      await s.services.store.transaction((trx) => setUserRequirePasskey(trx, u.userId, true));

      const totp = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) });
      assert.equal(totp.statusCode, 403, totp.body);
      assert.equal(totp.json<{ error: string }>().error, 'ERR_SESSION_PASSKEY_REQUIRED');

      const opts = await post(s, '/api/v1/session/passkey/options', { username: u.username, password: u.password });
      assert.equal(opts.statusCode, 200, opts.body);
      const { ticket, options } = opts.json<{ ticket: string; options: { challenge: string; rpId: string; allowCredentials: unknown[] } }>();
      assert.equal(options.rpId, 'localhost');
      assert.equal(options.allowCredentials.length, 1);
      const login = await post(s, '/api/v1/session/passkey', { ticket, response: authr.assert(options) });
      assert.equal(login.statusCode, 200, login.body);
      assert.equal(login.json<{ secondFactor: string }>().secondFactor, 'passkey');
      const me = await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: cookieOf(login) } });
      assert.equal(me.json<{ user: { id: string } }>().user.id, u.userId);
      // Passwordless is off by default: {} is refused.
      const pwless = await post(s, '/api/v1/session/passkey/options', {});
      assert.equal(pwless.statusCode, 403);
      assert.equal(pwless.json<{ error: string }>().error, 'ERR_SESSION_PASSWORDLESS_DISABLED');
    });

    it('SCA-17: a password alone, or with a one-time code never enrolled, opens no session for a user whose factor is a passkey', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('olga');
      const authr = new SoftAuthenticator(origin);
      const reg = await s.services.passkeys.startRegistration({ userId: u.userId });
      await s.services.passkeys.finishRegistration({ userId: u.userId, ticket: reg.ticket, response: authr.register(reg.options).response });
      await s.services.factors.removeTotp({ userId: u.userId });
      const alone = await post(s, '/api/v1/session', { username: u.username, password: u.password });
      assert.equal(alone.statusCode, 401);
      assert.equal(alone.json<{ error: string }>().error, 'ERR_SESSION_SECOND_FACTOR_REQUIRED');
      const otp = await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) });
      assert.equal(otp.statusCode, 401);
      assert.equal(otp.json<{ error: string }>().error, 'ERR_SESSION_SECOND_FACTOR_REQUIRED');
      assert.equal(alone.headers['set-cookie'], undefined);
      assert.equal(otp.headers['set-cookie'], undefined);
    });

    it('a session ends after 30 idle minutes and after 12 hours however active (injected clock)', async (t) => {
      const s = await open(t, kind);
      if (!s) return;
      const u = await s.addSigner('ida');
      const login = async (): Promise<string> =>
        cookieOf(await post(s, '/api/v1/session', { username: u.username, password: u.password, otp: s.nextOtp(u) }));
      const get = async (cookie: string): Promise<number> =>
        (await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).statusCode;
      const idle = await login();
      s.clock.advance(29 * 60_000);
      assert.equal(await get(idle), 200, 'still live after 29 idle minutes; the request moves the idle clock');
      s.clock.advance(29 * 60_000);
      assert.equal(await get(idle), 200);
      s.clock.advance(30 * 60_000 + 1);
      assert.equal(await get(idle), 401, 'ended after 30 idle minutes');

      const busy = await login();
      for (let i = 0; i < 12 * 3; i++) {
        s.clock.advance(20 * 60_000);
        const status = await get(busy);
        if (i < 12 * 3 - 1) assert.equal(status, 200, `alive at ${(i + 1) * 20} minutes`);
        else assert.equal(status, 401, 'ended at 12 hours');
      }
      // Housekeeping deletes the ended session rows (the idle one is past its absolute end too by now).
      assert.equal(await s.services.webSessions.purgeExpired(), 2);
      assert.equal(await s.services.webSessions.purgeExpired(), 0);
    });
  });
}
