/**
 * Log redaction (issue 6; docs/security.md KEY-11): no password, PIN, OTP, SAD, token, client secret or
 * set-up token appears in the captured logs, whatever route or error path a request takes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildServer, createLogger } from '../../src/server/index.js';
import { Capture, openServices, serverEnv } from './support/server-fixture.js';

describe('log redaction (issue 6, KEY-11)', () => {
  it('the logger censors secret fields at any of the first three levels, and Authorization headers', () => {
    const out = new Capture();
    const log = createLogger('trace', out);
    log.info(
      {
        password: 'pw-top-1',
        body: { PIN: 'pin-2', OTP: 'otp-3', SAD: 'sad-4', nested: { access_token: 'tok-5', client_secret: 'cs-6' } },
        req: { headers: { authorization: 'Bearer hdr-7' } },
        headers: { authorization: 'Basic hdr-8', cookie: 'c-9' },
      },
      'event',
    );
    for (const secret of ['pw-top-1', 'pin-2', 'otp-3', 'sad-4', 'tok-5', 'cs-6', 'hdr-7', 'hdr-8', 'c-9']) {
      assert.ok(!out.text.includes(secret), `${secret} leaked: ${out.text}`);
    }
    assert.match(out.text, /\[redacted\]/);
  });

  it('requests carrying secrets in headers, bodies and query strings leave none of them in the request logs', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const logs = new Capture();
    const services = await openServices(t, { ...env, env: { ...env.env, SIGNET_LOG_LEVEL: 'trace' } }, { logs });
    const app = await buildServer(services);
    t.after(() => app.close());
    const setup = services.setupToken ?? '';
    const admin = await app.inject({ method: 'POST', url: '/admin/v1/setup', payload: { setupToken: setup } });
    const adminToken = admin.json<{ access_token: string }>().access_token;
    const auth = { authorization: `Bearer ${adminToken}` };
    const user = await app.inject({ method: 'POST', url: '/admin/v1/users', headers: auth, payload: { username: 'alice', password: 'Sup3r-Secret-Password', totp: true } });
    const totpSecret = user.json<{ totp: { secret: string } }>().totp.secret;
    const client = await app.inject({ method: 'POST', url: '/admin/v1/clients', headers: auth, payload: { name: 'Gw', clientType: 'confidential', redirectUris: [], allowedScopes: ['service'] } });
    const clientSecret = client.json<{ clientSecret: string }>().clientSecret;
    // Error paths: malformed JSON carrying a secret, an unknown route with secrets in the query.
    await app.inject({ method: 'POST', url: '/admin/v1/users', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"password":"Broken-Json-Secret"' });
    await app.inject({ method: 'GET', url: '/nope?code=Query-Code-Secret&access_token=Query-Token-Secret' });
    await app.inject({ method: 'POST', url: '/admin/v1/setup', headers: { authorization: 'Basic dXNlcjpCYXNpYy1QYXNzd29yZA==' }, payload: { setupToken: 'Wrong-Setup-Secret' } });
    assert.ok(logs.text.length > 0, 'requests were logged');
    // One access-log line per request, with its trace id, status and time; the query string cut.
    const completed = logs.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'request completed');
    assert.equal(completed.length, 6);
    for (const line of completed) {
      assert.match(String(line['traceId']), /^[0-9a-f]{32}$/);
      assert.equal(typeof line['responseTime'], 'number');
      assert.equal(typeof (line['res'] as { statusCode?: unknown }).statusCode, 'number');
    }
    assert.ok(completed.some((l) => (l['req'] as { url?: string }).url === '/nope?…'));
    for (const secret of [setup, adminToken, 'Sup3r-Secret-Password', totpSecret, clientSecret, 'Broken-Json-Secret', 'Query-Code-Secret', 'Query-Token-Secret', 'dXNlcjpCYXNpYy1QYXNzd29yZA', 'Wrong-Setup-Secret']) {
      assert.ok(secret.length > 0);
      assert.ok(!logs.text.includes(secret), `a secret leaked into the logs: ${secret}`);
    }
  });
});
