/**
 * The admin API (issue 6): the one-time set-up token (hashed, single use) → admin bearer token;
 * users, OAuth clients; refusals of missing, wrong and non-admin tokens (docs/security.md OA-28,
 * AC-04); every action in the audit log.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { issueAccessToken } from '../../src/auth/access-token.js';
import { findCredential, listAuditRows } from '../../src/store/index.js';
import { credentialOperationsFor } from '../../src/server/surfaces.js';
import { buildServer, type Services } from '../../src/server/index.js';
import type { Capture} from './support/server-fixture.js';
import { openServices, serverEnv } from './support/server-fixture.js';

async function server(t: TestContext, logs?: Capture): Promise<{ app: FastifyInstance; services: Services } | undefined> {
  const env = await serverEnv(t, 'sqlite');
  if (!env) return undefined;
  const services = await openServices(t, env, logs ? { logs } : {});
  const app = await buildServer(services);
  t.after(() => app.close());
  return { app, services };
}

async function auditTypes(services: Services): Promise<string[]> {
  const rows = await listAuditRows(services.store.db, { afterSeq: 0, limit: 1000 });
  return rows.map((r) => `${r.event_type}:${r.outcome}`);
}

async function adminToken(app: FastifyInstance, services: Services): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/admin/v1/setup', payload: { setupToken: services.setupToken } });
  assert.equal(r.statusCode, 200, r.body);
  return r.json<{ access_token: string }>().access_token;
}

describe('admin API (issue 6)', () => {
  it('credentials: create with a chosen multisign (1…1000); out of range is 400', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, env, { credentials: credentialOperationsFor });
    const app = await buildServer(services);
    t.after(() => app.close());
    const auth = { authorization: `Bearer ${await adminToken(app, services)}` };
    const user = await app.inject({ method: 'POST', url: '/admin/v1/users', headers: auth, payload: { username: 'dora', password: 'correct horse' } });
    assert.equal(user.statusCode, 201, user.body);
    const payload = { user: 'dora', commonName: 'Dora', algorithm: 'EC-P256', pin: '123456' };
    const created = await app.inject({ method: 'POST', url: '/admin/v1/credentials', headers: auth, payload: { ...payload, multisign: 1000 } });
    assert.equal(created.statusCode, 201, created.body);
    const row = await findCredential(services.store.db, created.json<{ credentialID: string }>().credentialID);
    assert.equal(row?.multisign, 1000);
    const plain = await app.inject({ method: 'POST', url: '/admin/v1/credentials', headers: auth, payload });
    assert.equal((await findCredential(services.store.db, plain.json<{ credentialID: string }>().credentialID))?.multisign, 100);
    const tooMany = await app.inject({ method: 'POST', url: '/admin/v1/credentials', headers: auth, payload: { ...payload, multisign: 1001 } });
    assert.equal(tooMany.statusCode, 400);
  });

  it('the set-up token is single use; it is stored only as a hash', async (t) => {
    const s = await server(t);
    if (!s) return;
    const setup = s.services.setupToken ?? '';
    const first = await s.app.inject({ method: 'POST', url: '/admin/v1/setup', payload: { setupToken: setup } });
    assert.equal(first.statusCode, 200);
    const body = first.json<{ access_token: string; token_type: string; expires_in: number; scope: string }>();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'admin');
    assert.ok(body.expires_in > 3600);
    const again = await s.app.inject({ method: 'POST', url: '/admin/v1/setup', payload: { setupToken: setup } });
    assert.equal(again.statusCode, 400);
    assert.equal(again.json<{ error: string }>().error, 'ERR_SERVER_SETUP_TOKEN');
    const types = await auditTypes(s.services);
    assert.ok(types.includes('admin.setup.create:success'));
    assert.ok(types.includes('admin.setup.redeem:success'));
    assert.ok(types.includes('admin.setup.redeem:failure'));
    // Nothing in the database holds the token in clear.
    const rows = await s.services.store.db.selectFrom('tokens').selectAll().execute();
    for (const row of rows) assert.ok(!JSON.stringify(row).includes(setup));
  });

  it('no token, a wrong token, a CSC service token: 401 with a Bearer challenge, audited', async (t) => {
    const s = await server(t);
    if (!s) return;
    const none = await s.app.inject({ method: 'GET', url: '/admin/v1/users' });
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer realm="signet-admin"$/);
    const wrong = await s.app.inject({ method: 'GET', url: '/admin/v1/users', headers: { authorization: 'Bearer AAAA' } });
    assert.equal(wrong.statusCode, 401);
    assert.match(String(wrong.headers['www-authenticate']), /error="invalid_token"/);
    const userId = await s.services.authenticator.createUser({ username: 'bob', password: 'password-bob' });
    const csc = await s.services.store.transaction((trx) =>
      issueAccessToken(trx, { userId, clientId: 'csc-login', scope: 'service', ttlSeconds: 600, now: s.services.clock.now().getTime() }),
    );
    const cross = await s.app.inject({ method: 'GET', url: '/admin/v1/users', headers: { authorization: `Bearer ${csc.value}` } });
    assert.equal(cross.statusCode, 401, 'a CSC token is not an admin token (OA-28)');
    const query = await s.app.inject({ method: 'GET', url: `/admin/v1/users?access_token=${await adminToken(s.app, s.services)}` });
    assert.equal(query.statusCode, 401, 'tokens in the query string are not accepted (OA-29)');
    assert.equal((await auditTypes(s.services)).filter((x) => x === 'admin.auth:failure').length, 4);
  });

  it('users: create (with TOTP), list, disable; clients: create confidential and public, list; all audited', async (t) => {
    const s = await server(t);
    if (!s) return;
    const auth = { authorization: `Bearer ${await adminToken(s.app, s.services)}` };
    const created = await s.app.inject({ method: 'POST', url: '/admin/v1/users', headers: auth, payload: { username: 'alice', password: 'correct horse', totp: true } });
    assert.equal(created.statusCode, 201, created.body);
    const user = created.json<{ userId: string; totp: { secret: string; uri: string } }>();
    assert.match(user.totp.secret, /^[A-Z2-7]{32}$/);
    assert.match(user.totp.uri, /^otpauth:\/\/totp\/Signet:alice\?secret=/);
    // The enrolled device works at once: the user's current code is accepted.
    const { generateTotp, decodeBase32 } = await import('../../src/auth/index.js');
    await s.services.authenticator.verifyTotp({ userId: user.userId, code: generateTotp(decodeBase32(user.totp.secret), s.services.clock.now()) });
    const dup = await s.app.inject({ method: 'POST', url: '/admin/v1/users', headers: auth, payload: { username: 'alice', password: 'another one' } });
    assert.equal(dup.statusCode, 409);
    const short = await s.app.inject({ method: 'POST', url: '/admin/v1/users', headers: auth, payload: { username: 'carol', password: 'short' } });
    assert.equal(short.statusCode, 400);
    const list = await s.app.inject({ method: 'GET', url: '/admin/v1/users', headers: auth });
    const users = list.json<{ users: { username: string; status: string; hasTotp: boolean }[] }>().users;
    assert.deepEqual(users.map((u) => [u.username, u.status, u.hasTotp]), [['alice', 'active', true]]);
    assert.ok(!list.body.includes('password') && !list.body.includes('$scrypt$'));
    const disabled = await s.app.inject({ method: 'POST', url: '/admin/v1/users/alice/disable', headers: auth });
    assert.equal(disabled.statusCode, 200);
    await assert.rejects(s.services.authenticator.verifyPassword({ username: 'alice', password: 'correct horse' }));
    const missing = await s.app.inject({ method: 'POST', url: '/admin/v1/users/nobody/disable', headers: auth });
    assert.equal(missing.statusCode, 404);

    const conf = await s.app.inject({
      method: 'POST',
      url: '/admin/v1/clients',
      headers: auth,
      payload: { clientId: 'gateway', name: 'Gateway', clientType: 'confidential', redirectUris: ['https://gw.example.test/cb'], allowedScopes: ['service', 'credential'] },
    });
    assert.equal(conf.statusCode, 201, conf.body);
    assert.match(conf.json<{ clientSecret: string }>().clientSecret, /^[A-Za-z0-9_-]{43}$/);
    const pub = await s.app.inject({
      method: 'POST',
      url: '/admin/v1/clients',
      headers: auth,
      payload: { name: 'App', clientType: 'public', redirectUris: ['http://127.0.0.1/cb'], allowedScopes: ['credential'] },
    });
    assert.equal(pub.statusCode, 201);
    assert.equal(pub.json<{ clientSecret?: string }>().clientSecret, undefined);
    const badScope = await s.app.inject({
      method: 'POST',
      url: '/admin/v1/clients',
      headers: auth,
      payload: { name: 'X', clientType: 'public', redirectUris: [], allowedScopes: ['admin'] },
    });
    assert.equal(badScope.statusCode, 400);
    const clients = (await s.app.inject({ method: 'GET', url: '/admin/v1/clients', headers: auth })).json<{ clients: { id: string }[] }>().clients;
    assert.ok(clients.some((c) => c.id === 'gateway'));
    assert.ok(clients.some((c) => c.id === 'signet-admin'));
    const types = await auditTypes(s.services);
    for (const type of ['user.create:success', 'admin.user.create:success', 'admin.user.disable:success', 'admin.client.create:success']) {
      assert.ok(types.includes(type), type);
    }
  });
});
