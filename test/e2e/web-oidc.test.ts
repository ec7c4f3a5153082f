/**
 * The federated first factor in Debian's Chromium (issue 12 "Federation", docs/security.md SCA-19),
 * driven by accessible names: the sign-in page offers "Sign in with Test Bank" (a REAL OpenID
 * provider, panva's oidc-provider, on loopback, whose interaction logs the test account in); back
 * from it, the page asks only for Signet's second factor, and the one-time code opens the session.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import Provider from 'oidc-provider';
import { launchBrowser, newContext } from '../support/browser.js';
import { tempDir } from '../support/tmp.js';
import { expectAccessible, screenshots, watchPage, webServer } from './support/web-server.js';

const clientId = 'signet-web';
const clientSecret = 'a-client-secret-for-browser-tests-0123456789';

describe('web app in Chromium: federated sign-in (OpenID Connect)', () => {
  it('"Sign in with Test Bank", then the one-time code; no session before it', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const idpServer = createServer();
    await new Promise<void>((resolve) => idpServer.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => idpServer.close(() => resolve())));
    const issuer = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}`;
    const secretFile = join(tempDir(t), 'oidc-secret');
    writeFileSync(secretFile, clientSecret, { mode: 0o600 });
    const s = await webServer(t, 'sqlite', {
      SIGNET_OIDC_ISSUER: issuer,
      SIGNET_OIDC_CLIENT_ID: clientId,
      SIGNET_OIDC_CLIENT_SECRET_FILE: secretFile,
      SIGNET_OIDC_NAME: 'Test Bank',
    });
    assert.ok(s);
    const user = await s.addUser('fedora');
    // The provider knows Signet's address only now (the server listens on a free port).
    const provider = new Provider(issuer, {
      clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${s.base}/api/v1/session/oidc/callback`] }],
      findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub, preferred_username: sub }) }),
      claims: { openid: ['sub'], profile: ['preferred_username'] },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      conformIdTokenClaims: false,
    });
    provider.use(async (ctx, next) => {
      if (!/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
      await provider.interactionDetails(ctx.req, ctx.res);
      const grant = new provider.Grant({ accountId: user.username, clientId });
      grant.addOIDCScope('openid profile');
      const result = { login: { accountId: user.username }, consent: { grantId: await grant.save() } };
      await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      return undefined;
    });
    idpServer.on('request', provider.callback());

    const context = await newContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const noProblems = watchPage(page);
    await page.goto(`${s.base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const link = page.getByRole('link', { name: 'Sign in with Test Bank' });
    await link.waitFor();
    await link.click();
    // Back from the provider: only the second factor is asked, and there is no session yet.
    await page.getByText('Your identity provider signed you in as fedora').waitFor();
    assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Use passkey' }).count(), 0, 'fedora has no passkey');
    const none = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    assert.equal(none, 401, 'SCA-19: the federated sign-in alone opens no session');
    await expectAccessible(page, 'federated second-factor step');
    await screenshots(page, 'web-oidc-second-factor');
    await page.getByLabel('One-time code', { exact: true }).fill(s.nextOtp(user));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Welcome, fedora' }).waitFor();
    assert.equal(new URL(page.url()).search, '', 'the provider’s answer is gone from the address bar');
    const me = await page.evaluate(async () => (await (await fetch('/api/v1/session')).json()) as { user: { username: string } });
    assert.equal(me.user.username, 'fedora');
    noProblems();
  });
});
