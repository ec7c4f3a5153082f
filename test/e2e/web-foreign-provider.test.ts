/**
 * The web app in Chromium against a CSC provider that shares nothing with it: node B is a separate
 * `signet serve` process (own data directory, users, credentials, CA) on 127.0.0.2 with a client
 * registered for node A by `signet admin clients create`; node A serves the web app with B as its
 * provider. The person opens "Sign documents", sees "Connect to Provider B", signs in at B's page
 * and grants access, comes back to the app, which now signs as B's credential; uploads a PDF,
 * approves at B's consent page (password, one-time code, PIN), and the job page shows
 * "Signed 1 of 1" with "Download all (ZIP)". Accessible (axe), screenshots at 1280 and 360 px.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { main } from '../../src/cli/main.js';
import type { DemoAccount } from '../../src/server/demo.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { captureIo } from '../server/support/server-fixture.js';
import { startServe } from '../server/support/serve-process.js';
import { expectAccessible, screenshots, signIn, watchPage, webServer } from './support/web-server.js';

/** B's sign-in page: username, password and the one-time code of TOTP step `step`. */
async function signInAtB(page: Page, demo: DemoAccount, step: number): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username', { exact: true }).fill(demo.username);
  await page.getByLabel('Password', { exact: true }).fill(demo.password);
  await page.getByLabel('One-time code', { exact: true }).fill(generateTotp(decodeBase32(demo.totpSecret), new Date(step * 30_000 + 1_000)));
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('web app in Chromium at a foreign CSC provider', () => {
  it('"Connect to Provider B", B\'s credential offered, one PDF approved at B and signed', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const dirB = join(tempDir(t), 'node-b');
    const b = await startServe(['--data', dirB, '--demo', '--host', '127.0.0.2'], { SIGNET_FAILED_REQUESTS_PER_MINUTE: '0', SIGNET_LOG_LEVEL: 'warn' });
    t.after(() => b.stop());
    const demo = JSON.parse(readFileSync(join(dirB, 'demo.json'), 'utf8')) as DemoAccount;
    const io = captureIo();
    const saved = process.env['DATABASE_URL'];
    delete process.env['DATABASE_URL'];
    try {
      const code = await main(['admin', 'clients', 'create', '--data', dirB, '--name', 'Gateway A', '--client-id', 'gateway-a', '--redirect-uri', 'http://127.0.0.1/api/v1/oauth/callback', '--scope', 'service', '--scope', 'credential', '--json'], io);
      assert.equal(code, 0, io.stderr.text);
    } finally {
      if (saved !== undefined) process.env['DATABASE_URL'] = saved;
    }
    const { clientSecret } = JSON.parse(io.stdout.text) as { clientSecret: string };
    const s = await webServer(t, 'sqlite', {}, { gateway: { providerUrl: b.url, foreign: { name: 'Provider B', clientId: 'gateway-a', clientSecret } }, loopbackIp: true });
    assert.ok(s);
    const user = await s.addUser('carla');
    const pdf = join(tempDir(t), 'order.pdf');
    writeFileSync(pdf, makeBasePdf({ text: 'Purchase order' }));

    const context = await newContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const noProblems = watchPage(page);
    await page.goto(`${s.base}/`);
    await signIn(page, s, user);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign documents' }).click();
    await page.getByRole('heading', { name: 'Your signing keys are at Provider B' }).waitFor();
    const connect = page.getByRole('button', { name: 'Connect to Provider B' });
    await connect.waitFor();
    await expectAccessible(page, 'connect step');
    await screenshots(page, 'web-20-connect-provider');

    let step = Math.floor(Date.now() / 30_000);
    await connect.click();
    await page.waitForURL((u) => u.origin === b.url);
    await signInAtB(page, demo, step);
    await page.getByRole('heading', { name: 'Authorise access' }).or(page.getByRole('button', { name: 'Approve' })).first().waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL((u) => u.origin === s.base && u.pathname === '/sign');
    await page.getByText('Connected to Provider B.').waitFor();
    await page.getByText('Signing keys at Provider B.').waitFor();
    await page.getByText(/^Signing as .*; certificate valid until/).waitFor();
    await expectAccessible(page, 'sign page at a foreign provider');
    await screenshots(page, 'web-21-connected-provider');

    await page.getByLabel('Documents', { exact: true }).setInputFiles([pdf]);
    await page.getByRole('heading', { name: '1 document to sign' }).waitFor();
    await page.getByLabel('Signature level', { exact: true }).selectOption('B-B');
    await page.getByRole('button', { name: 'Sign', exact: true }).click();
    await page.waitForURL((u) => u.origin === b.url, { timeout: 60_000 });
    // The next TOTP step (B accepts a step once, and one step of drift).
    step += 1;
    await signInAtB(page, demo, step);
    await page.getByText('order.pdf').first().waitFor();
    await page.getByLabel('Credential PIN', { exact: true }).fill(demo.pin);
    const otp = page.getByLabel('One-time code', { exact: true });
    if (await otp.isVisible()) await otp.fill(generateTotp(decodeBase32(demo.totpSecret), new Date(step * 30_000 + 1_000)));
    await screenshots(page, 'web-22-consent-at-provider');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL((u) => u.origin === s.base && /^\/jobs\/[^/]+$/.test(u.pathname), { timeout: 60_000 });
    await page.getByRole('progressbar', { name: 'Signed 1 of 1' }).waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: 'Download all (ZIP)' }).waitFor();
    await expectAccessible(page, 'job signed at a foreign provider');
    noProblems();
  });
});
