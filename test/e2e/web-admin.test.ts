/**
 * Administration in the browser (issue 13, journey 5 and "Done means"): an administrator signs
 * in, sees "Administration" (a user does not), revokes a user's credential with a reason on the
 * page; the credential is revoked at once (its certificate too), and the user's next signing
 * attempt on "Sign documents" shows the refusal in plain words with its code in small print.
 * The audit log's verification reads "Intact".
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { launchBrowser, newContext } from '../support/browser.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { expectAccessible, screenshots, signIn, watchPage, webServer } from './support/web-server.js';

describe('web app in Chromium: administration', () => {
  it('an admin revokes a credential on the Administration page; the next signing attempt shows the refusal', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const s = await webServer(t);
    assert.ok(s);
    const admin = await s.addUser('ada', { role: 'admin' });
    const user = await s.addUser('ulrich');

    const adminContext = await newContext(browser);
    t.after(() => adminContext.close());
    const page = await adminContext.newPage();
    const noProblems = watchPage(page);
    await page.goto(`${s.base}/`);
    await signIn(page, s, admin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    const credentials = page.getByRole('region', { name: 'Signing credentials' });
    await credentials.getByText(user.credentialId).waitFor();
    await expectAccessible(page, 'administration page');
    await screenshots(page, 'web-09-admin');

    // Role and passkey policy per user; an application registered, its secret shown once.
    const users = page.getByRole('region', { name: 'Users' });
    await users.getByLabel('Role of ulrich', { exact: true }).selectOption('admin');
    await page.getByText('ulrich is now an administrator.').waitFor();
    assert.equal((await s.services.admin.listUsers()).find((u) => u.username === 'ulrich')?.role, 'admin');
    await users.getByLabel('Role of ulrich', { exact: true }).selectOption('user');
    await page.getByText('ulrich is now a user.').waitFor();
    const passkeyRequired = users.getByRole('row').filter({ hasText: 'ulrich' }).getByRole('checkbox', { name: 'Passkey required' });
    await passkeyRequired.check();
    await page.getByText('ulrich must now sign in with a passkey.').waitFor();
    assert.equal((await s.services.admin.listUsers()).find((u) => u.username === 'ulrich')?.requirePasskey, true);
    await passkeyRequired.uncheck();
    await page.getByText('ulrich may sign in with a one-time code again.').waitFor();
    assert.equal((await s.services.admin.listUsers()).find((u) => u.username === 'ulrich')?.requirePasskey, false);
    const apps = page.getByRole('region', { name: 'Applications (OAuth clients)' });
    await apps.getByLabel('Application name', { exact: true }).fill('Partner portal');
    await apps.getByLabel('Redirect URIs', { exact: true }).fill('https://partner.example/callback');
    await apps.getByRole('button', { name: 'Register application' }).click();
    await page.getByText(/^Application Partner portal registered as /).waitFor();
    await apps.getByText(/^Client secret of /).waitFor();
    const registered = (await s.services.admin.listClients()).find((c) => c.name === 'Partner portal');
    assert.deepEqual(registered?.redirectUris, ['https://partner.example/callback']);
    // Each application's details read as one list: no separator before the first item.
    const appDetails = await apps.getByRole('listitem').allInnerTexts();
    assert.ok(appDetails.length > 0 && appDetails.every((d) => !/(^|\n)\s*·/.test(d)), appDetails.join(' | '));
    await expectAccessible(page, 'administration page after the changes');
    // 360 px wide: the tables become labelled rows, nothing scrolls sideways.
    await page.setViewportSize({ width: 360, height: 740 });
    assert.ok((await page.evaluate('document.documentElement.scrollWidth')) as number <= 360, 'no sideways scroll at 360 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshots(page, 'web-09b-admin-changes');

    await credentials.getByRole('button', { name: 'Revoke the credential of ulrich' }).click();
    await credentials.getByLabel('Reason', { exact: true }).selectOption('keyCompromise');
    await credentials.getByRole('button', { name: 'Revoke certificate' }).click();
    await page.getByText('The credential of ulrich is revoked.').waitFor();
    // The confirmation can appear before the list is read again: wait for the row to say so.
    const row = credentials.getByRole('row').filter({ hasText: user.credentialId });
    await row.filter({ hasText: 'Revoked' }).waitFor({ timeout: 10_000 });
    assert.match(await row.innerText(), /Revoked/);
    const listed = await s.services.admin.listCredentials('ulrich');
    assert.equal(listed[0]?.status, 'revoked');

    // The audit log's verification, as `signet audit verify` does it.
    await page.getByRole('button', { name: 'Verify the audit log' }).click();
    await page.getByText(/^Intact: all \d+ entries check out/).waitFor();
    assert.equal(await page.getByRole('img', { name: 'Intact' }).count(), 1);
    await expectAccessible(page, 'administration page after the checks');
    noProblems();

    // The user's next attempt: refused, in plain words, with the stable code.
    const userContext = await newContext(browser);
    t.after(() => userContext.close());
    const userPage = await userContext.newPage();
    await userPage.goto(`${s.base}/sign`);
    await signIn(userPage, s, user);
    assert.equal(await userPage.getByRole('link', { name: 'Administration' }).count(), 0);
    const admin403 = await userPage.request.get(`${s.base}/admin/v1/users`);
    assert.equal(admin403.status(), 403, 'the admin API refuses a user session');
    const pdf = join(tempDir(t), 'after-revocation.pdf');
    writeFileSync(pdf, makeBasePdf());
    await userPage.getByLabel('Documents', { exact: true }).setInputFiles(pdf);
    await userPage.getByRole('heading', { name: '1 document to sign' }).waitFor();
    await userPage.getByRole('button', { name: 'Sign', exact: true }).click();
    const alert = userPage.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /revoked/i);
    assert.match(text, /Error code: ERR_[A-Z_]+/);
    await screenshots(userPage, 'web-10-refused-after-revocation');
  });
});
