/**
 * Passkeys in the web app (issue 13 journeys 1 and 4) with the CDP virtual authenticator (ctap2,
 * internal, user verification on) — real WebAuthn ceremonies, never a hand-made assertion: sign in
 * with a one-time code, add a passkey on "Account", rename it, sign out, sign in with the password
 * and "Use passkey"; "Activity" lists the passkey events newest first. axe-core on each page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addVirtualAuthenticator, launchBrowser, newContext } from '../support/browser.js';
import { expectAccessible, screenshots, watchPage, webServer } from './support/web-server.js';

describe('web app in Chromium: passkeys', () => {
  it('adds a passkey on Account, renames it, and signs in with password + passkey', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const s = await webServer(t);
    assert.ok(s);
    const user = await s.addUser('pascale');
    const context = await newContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const noProblems = watchPage(page);
    const authenticator = await addVirtualAuthenticator(page);

    await page.goto(`${s.base}/account`);
    await page.getByLabel('Username', { exact: true }).fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByLabel('One-time code', { exact: true }).fill(s.nextOtp(user));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Account' }).waitFor();
    await page.getByText('No passkey yet.').waitFor();
    await expectAccessible(page, 'account page');

    await page.getByLabel('Passkey name', { exact: true }).fill('Test laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Passkey added.').waitFor();
    await page.getByText('Test laptop').waitFor();
    assert.equal((await authenticator.credentials()).length, 1);

    await page.getByRole('button', { name: 'Rename Test laptop' }).click();
    await page.getByLabel('New name for Test laptop').fill('Office laptop');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Rename Office laptop' }).waitFor();
    const activity = page.getByRole('region', { name: 'Activity' });
    await activity.getByText('Passkey renamed').waitFor();
    const items = await activity.getByRole('listitem').allInnerTexts();
    assert.match(items[0] ?? '', /Passkey renamed/, 'newest first');
    assert.ok(items.some((i) => /Passkey added/.test(i)));
    await expectAccessible(page, 'account page with a passkey');
    await screenshots(page, 'web-04-account');

    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username', { exact: true }).fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await page.getByRole('heading', { name: 'Welcome, pascale' }).waitFor();
    const session = (await (await page.request.get(`${s.base}/api/v1/session`)).json()) as { secondFactor: string };
    assert.equal(session.secondFactor, 'passkey');
    assert.equal((await authenticator.credentials())[0]?.signCount, 2, 'registration then one assertion');
    await expectAccessible(page, 'start page');
    await screenshots(page, 'web-05-home');
    noProblems();
  });
});
