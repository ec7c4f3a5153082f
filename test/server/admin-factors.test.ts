/**
 * Administrators and second factors (issue 12): the admin API lists a user's factors, revokes a
 * passkey, resets every factor (recovery: sessions end, the user enrols again), sets roles and
 * the require-passkey policy, with an admin bearer token or an admin's web session (CSRF header);
 * `signet admin users …` does the same on the data directory. Every change audited.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { main } from '../../src/cli/main.js';
import { listAuditRows } from '../../src/store/index.js';
import { ensureDemoAccount } from '../../src/server/demo.js';
import { credentialOperationsFor } from '../../src/server/surfaces.js';
import { storeKinds } from '../support/stores.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { apiServer, type ApiServer, type Signer } from './support/api-fixture.js';
import { captureIo, openServices, serverEnv } from './support/server-fixture.js';

const origin = 'http://localhost:8080';

async function login(s: ApiServer, u: Signer, otp?: string): Promise<LightMyRequestResponse> {
  return s.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { 'content-type': 'application/json', 'x-signet-request': '1' },
    payload: JSON.stringify({ username: u.username, password: u.password, ...(otp === undefined ? {} : { otp }) }),
  });
}

function cookieOf(r: LightMyRequestResponse): string {
  return String(r.headers['set-cookie']).split(';')[0] as string;
}

async function withPasskey(s: ApiServer, u: Signer): Promise<string> {
  const authr = new SoftAuthenticator(origin);
  const reg = await s.services.passkeys.startRegistration({ userId: u.userId });
  const made = authr.register(reg.options);
  return (await s.services.passkeys.finishRegistration({ userId: u.userId, ticket: reg.ticket, response: made.response, name: 'Key' })).id;
}

for (const kind of storeKinds) {
  describe(`admin: users' factors and roles (${kind})`, () => {
    it('lists, revokes and resets factors with an admin bearer token; require-passkey policy; audited', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      s.services.baseUrl.set(origin);
      const setup = await s.app.inject({ method: 'POST', url: '/admin/v1/setup', payload: { setupToken: s.services.setupToken } });
      const auth = { authorization: `Bearer ${setup.json<{ access_token: string }>().access_token}` };
      const u = await s.addSigner('uwe');
      const first = await withPasskey(s, u);
      await withPasskey(s, u);

      const listed = await s.app.inject({ method: 'GET', url: '/admin/v1/users/uwe/factors', headers: auth });
      assert.equal(listed.statusCode, 200, listed.body);
      const f = listed.json<{ totp: { enrolled: boolean }; passkeys: { id: string; name: string; aaguid: string; lastUsedAt: null }[] }>();
      assert.equal(f.totp.enrolled, true);
      assert.equal(f.passkeys.length, 2);

      const policy = await s.app.inject({ method: 'PUT', url: '/admin/v1/users/uwe/require-passkey', headers: auth, payload: { required: true } });
      assert.equal(policy.statusCode, 200, policy.body);
      const refused = await login(s, u, s.nextOtp(u));
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json<{ error: string }>().error, 'ERR_SESSION_PASSKEY_REQUIRED');
      await s.app.inject({ method: 'PUT', url: '/admin/v1/users/uwe/require-passkey', headers: auth, payload: { required: false } });
      const session = await login(s, u, s.nextOtp(u));
      assert.equal(session.statusCode, 200, session.body);

      const revoked = await s.app.inject({ method: 'DELETE', url: `/admin/v1/users/uwe/factors/passkeys/${first}`, headers: auth });
      assert.equal(revoked.statusCode, 204, revoked.body);
      // Revoking a passkey ends the user's web sessions (a session does not record which passkey it used).
      const endedByRevocation = await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: cookieOf(session) } });
      assert.equal(endedByRevocation.statusCode, 401, 'the revocation ends the user’s sessions');
      const again = await s.app.inject({ method: 'DELETE', url: `/admin/v1/users/uwe/factors/passkeys/${first}`, headers: auth });
      assert.equal(again.statusCode, 404);

      const session2 = await login(s, u, s.nextOtp(u));
      assert.equal(session2.statusCode, 200, session2.body);
      const reset = await s.app.inject({ method: 'POST', url: '/admin/v1/users/uwe/factors/reset', headers: auth });
      assert.equal(reset.statusCode, 200, reset.body);
      assert.deepEqual(reset.json(), { userId: u.userId, passkeys: 1, totp: true, sessions: 1 });
      const ended = await s.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: cookieOf(session2) } });
      assert.equal(ended.statusCode, 401, 'the reset ends the user’s sessions');
      // Recovery: the password alone opens an enrolment-only session.
      const enrol = await login(s, u);
      assert.equal(enrol.statusCode, 200, enrol.body);
      assert.equal(enrol.json<{ secondFactor: string }>().secondFactor, 'none');
      const blocked = await s.app.inject({ method: 'GET', url: '/admin/v1/users', headers: { cookie: cookieOf(enrol) } });
      assert.equal(blocked.statusCode, 403);

      const rows = await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 10_000 });
      const find = (type: string): Record<string, unknown> | undefined => {
        const row = rows.find((r) => r.event_type === type && r.subject !== null && r.subject.includes(type === 'auth.passkey.remove' ? first : u.userId));
        return row === undefined ? undefined : (JSON.parse(row.details) as Record<string, unknown>);
      };
      assert.equal(find('auth.passkey.remove')?.['via'], 'admin-api');
      assert.equal(find('auth.passkey.remove')?.['sessionsEnded'], 1);
      assert.deepEqual(find('auth.factors.reset'), { passkeys: 1, totpRemoved: true, sessions: 1, via: 'admin-api' });
      assert.ok(rows.some((r) => r.event_type === 'admin.user.require_passkey'));
    });

    it('an admin’s web session (two factors) uses the admin API; a user’s session is 403; state changes need X-Signet-Request', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const boss = await s.addSigner('boss');
      await s.services.admin.setRole('boss', 'admin', { via: 'cli' });
      const worker = await s.addSigner('worker');
      const bossCookie = cookieOf(await login(s, boss, s.nextOtp(boss)));
      const workerCookie = cookieOf(await login(s, worker, s.nextOtp(worker)));
      const users = await s.app.inject({ method: 'GET', url: '/admin/v1/users', headers: { cookie: bossCookie } });
      assert.equal(users.statusCode, 200, users.body);
      const list = users.json<{ users: { username: string; role: string }[] }>().users;
      assert.deepEqual(list.map((x) => [x.username, x.role]), [['boss', 'admin'], ['worker', 'user']]);
      const noCsrf = await s.app.inject({ method: 'PUT', url: '/admin/v1/users/worker/role', headers: { cookie: bossCookie }, payload: { role: 'admin' } });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(noCsrf.json<{ error: string }>().error, 'ERR_SESSION_CSRF');
      const promoted = await s.app.inject({ method: 'PUT', url: '/admin/v1/users/worker/role', headers: { cookie: bossCookie, 'x-signet-request': '1' }, payload: { role: 'admin' } });
      assert.equal(promoted.statusCode, 200, promoted.body);
      const roleRow = (await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 10_000 })).find((r) => r.event_type === 'admin.user.role' && r.subject === `user:${worker.userId}`);
      assert.equal(roleRow?.actor_user_id, boss.userId, 'the administrator is the actor');
      await s.services.admin.setRole('worker', 'user', { via: 'cli' });
      const forbidden = await s.app.inject({ method: 'GET', url: '/admin/v1/users', headers: { cookie: workerCookie } });
      assert.equal(forbidden.statusCode, 403);
      assert.equal(forbidden.json<{ error: string }>().error, 'ERR_SESSION_FORBIDDEN');
    });
  });
}

describe('signet serve --demo (issue 12)', () => {
  it('the demo user is an administrator (the web app shows its Administration page)', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, env, { credentials: credentialOperationsFor });
    const { demo } = await ensureDemoAccount(services);
    const users = await services.admin.listUsers();
    assert.deepEqual(users.map((u) => [u.username, u.role]), [[demo.username, 'admin']]);
  });
});

describe('signet admin users … (issue 12)', () => {
  it('create --role admin --require-passkey, set-role, factors USER, reset-factors USER', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    await (await openServices(t, env)).close();
    const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const io = captureIo();
      const code = await main(['admin', ...args, '--data', env.dataDir], io);
      return { code, out: io.stdout.text, err: io.stderr.text };
    };
    const created = await run('users', 'create', '--username', 'ada', '--password', 'correct horse', '--totp', '--role', 'admin', '--require-passkey', '--json');
    assert.equal(created.code, 0, created.err);
    const list = JSON.parse((await run('users', 'list', '--json')).out) as { username: string; role: string; requirePasskey: boolean }[];
    assert.deepEqual(list.map((u) => [u.username, u.role, u.requirePasskey]), [['ada', 'admin', true]]);
    assert.equal((await run('users', 'set-role', 'ada', '--role', 'user')).code, 0);
    assert.equal((await run('users', 'require-passkey', 'ada', '--off')).code, 0);
    const factors = await run('users', 'factors', 'ada');
    assert.equal(factors.code, 0, factors.err);
    assert.match(factors.out, /TOTP enrolled; TOTP or passkey/);
    const reset = await run('users', 'reset-factors', 'ada', '--json');
    assert.equal(reset.code, 0, reset.err);
    assert.deepEqual((JSON.parse(reset.out) as { totp: boolean; passkeys: number }).totp, true);
    const after = JSON.parse((await run('users', 'factors', 'ada', '--json')).out) as { totp: { enrolled: boolean }; requirePasskey: boolean };
    assert.equal(after.totp.enrolled, false);
    assert.equal(after.requirePasskey, false);
    const bad = await run('users', 'set-role', 'ada', '--role', 'root');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /ERR_CLI_USAGE/);
  });
});
