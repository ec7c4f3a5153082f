/**
 * Passkeys in a real browser (issue 12 "Done means"): Debian's Chromium (headless, through
 * playwright-core) with the CDP virtual authenticator (ctap2, internal, user verification on)
 * runs real WebAuthn ceremonies — never a hand-made assertion — against the real server routes:
 * sign in with password + one-time code, add a passkey (registration), sign out, sign in with
 * password + passkey, then with the passkey alone (SIGNET_PASSWORDLESS=1). The small test page is
 * served by the same server (same origin: the session cookie and X-Signet-Request) and drives
 * `@simplewebauthn/browser`'s startRegistration/startAuthentication; the test acts through
 * accessible names only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addVirtualAuthenticator, launchBrowser, screenshot } from '../support/browser.js';
import { storeKinds } from '../support/stores.js';
import { listAuditRows } from '../../src/store/index.js';
import { apiServer } from './support/api-fixture.js';

// The package's exports do not name the UMD bundle: read it from node_modules directly.
const browserBundle = readFileSync(join(process.cwd(), 'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js'), 'utf8');

const pageHtml = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Passkey test page</title>
<script src="/test/webauthn.js"></script><script src="/test/page.js" defer></script></head>
<body><main>
<h1>Passkeys</h1>
<label for="username">Username</label><input id="username" autocomplete="username">
<label for="password">Password</label><input id="password" type="password">
<label for="otp">One-time code</label><input id="otp" inputmode="numeric">
<button id="totp-login" type="button">Sign in with one-time code</button>
<button id="add" type="button">Add passkey</button>
<button id="logout" type="button">Sign out</button>
<button id="passkey-login" type="button">Sign in with password and passkey</button>
<button id="passkey-only" type="button">Sign in with passkey only</button>
<p id="status" role="status"></p>
</main></body></html>`;

const pageJs = `
const { startRegistration, startAuthentication } = window.SimpleWebAuthnBrowser;
const status = document.getElementById('status');
const value = (id) => document.getElementById(id).value;
async function call(method, url, body) {
  const headers = { 'x-signet-request': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const r = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  const json = text === '' ? {} : JSON.parse(text);
  if (!r.ok) throw new Error(json.error || r.status);
  return json;
}
function run(id, fn) {
  document.getElementById(id).addEventListener('click', async () => {
    status.textContent = 'Working';
    try { status.textContent = await fn(); } catch (e) { status.textContent = 'Failed: ' + e.message; }
  });
}
run('totp-login', async () => {
  const s = await call('POST', '/api/v1/session', { username: value('username'), password: value('password'), otp: value('otp') });
  return 'Signed in as ' + s.user.username + ' with ' + s.secondFactor;
});
run('add', async () => {
  const { ticket, options } = await call('POST', '/api/v1/me/passkeys/options');
  const response = await startRegistration({ optionsJSON: options });
  const p = await call('POST', '/api/v1/me/passkeys', { ticket, response, name: 'Chromium virtual authenticator' });
  return 'Passkey added: ' + p.name;
});
run('logout', async () => { await call('DELETE', '/api/v1/session'); return 'Signed out'; });
run('passkey-login', async () => {
  const { ticket, options } = await call('POST', '/api/v1/session/passkey/options', { username: value('username'), password: value('password') });
  const response = await startAuthentication({ optionsJSON: options });
  const s = await call('POST', '/api/v1/session/passkey', { ticket, response });
  return 'Signed in as ' + s.user.username + ' with ' + s.secondFactor;
});
run('passkey-only', async () => {
  const { ticket, options } = await call('POST', '/api/v1/session/passkey/options', {});
  const response = await startAuthentication({ optionsJSON: options });
  const s = await call('POST', '/api/v1/session/passkey', { ticket, response });
  return 'Signed in as ' + s.user.username + ' with ' + s.secondFactor;
});
`;

const csp = "default-src 'none'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

for (const kind of storeKinds) {
  describe(`passkeys in Chromium with the virtual authenticator (${kind})`, () => {
    it('registers a passkey, then signs in with password + passkey and with the passkey alone, through the real routes', async (t) => {
      const browser = await launchBrowser(t);
      if (browser === undefined) return;
      const s = await apiServer(t, kind, { SIGNET_PASSWORDLESS: '1' });
      if (!s) return;
      s.app.get('/test/passkeys.html', { schema: { hide: true } }, (_q, reply) => reply.header('content-security-policy', csp).type('text/html').send(pageHtml));
      s.app.get('/test/webauthn.js', { schema: { hide: true } }, (_q, reply) => reply.type('text/javascript').send(browserBundle));
      s.app.get('/test/page.js', { schema: { hide: true } }, (_q, reply) => reply.type('text/javascript').send(pageJs));
      await s.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (s.app.server.address() as { port: number }).port;
      s.services.baseUrl.set(`http://localhost:${port}`);
      const u = await s.addSigner('vera');

      const page = await browser.newPage();
      const authenticator = await addVirtualAuthenticator(page);
      await page.goto(`http://localhost:${port}/test/passkeys.html`);
      const status = page.getByRole('status');
      await page.getByLabel('Username').fill(u.username);
      await page.getByLabel('Password').fill(u.password);
      await page.getByLabel('One-time code').fill(s.nextOtp(u));
      await page.getByRole('button', { name: 'Sign in with one-time code' }).click();
      await status.filter({ hasText: 'Signed in as vera with totp' }).waitFor();

      await page.getByRole('button', { name: 'Add passkey' }).click();
      await status.filter({ hasText: /Passkey added|Failed/ }).waitFor();
      assert.equal(await status.textContent(), 'Passkey added: Chromium virtual authenticator');
      const held = await authenticator.credentials();
      assert.equal(held.length, 1);
      assert.equal(held[0]?.rpId, 'localhost');
      const stored = await s.services.passkeys.listPasskeys(u.userId);
      assert.equal(stored.length, 1);
      assert.equal(stored[0]?.name, 'Chromium virtual authenticator');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await status.filter({ hasText: 'Signed out' }).waitFor();
      await page.getByRole('button', { name: 'Sign in with password and passkey' }).click();
      await status.filter({ hasText: /Signed in|Failed/ }).waitFor();
      assert.equal(await status.textContent(), 'Signed in as vera with passkey');
      await screenshot(page, `passkey-login-${kind}`);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await status.filter({ hasText: 'Signed out' }).waitFor();
      await page.getByLabel('Username').fill('');
      await page.getByLabel('Password').fill('');
      await page.getByRole('button', { name: 'Sign in with passkey only' }).click();
      await status.filter({ hasText: /Signed in|Failed/ }).waitFor();
      assert.equal(await status.textContent(), 'Signed in as vera with passkey');

      // The authenticator's counter moved with each assertion, and the server kept up.
      const after = await authenticator.credentials();
      const row = (await s.services.passkeys.listPasskeys(u.userId))[0];
      assert.ok(row?.lastUsedAt !== null);
      assert.ok((after[0]?.signCount ?? 0) >= 2);
      const types = (await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 10_000, userId: u.userId })).map((r) => `${r.event_type}:${r.outcome}`);
      assert.equal(types.filter((x) => x === 'auth.passkey.use:success').length, 2);
      assert.ok(types.includes('auth.passkey.register:success'));
      assert.equal(types.filter((x) => x === 'auth.session.login:success').length, 3);
    });
  });
}
