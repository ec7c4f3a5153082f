/**
 * The Signature Application in Debian's Chromium (issue 13, "Done means"), driven by accessible
 * names as a screen-reader user would: sign in with a one-time code (TOTP), open "Verify", choose
 * a PDF signed under the service's own CA as "Signed PDF", and read TOTAL-PASSED in the report;
 * then the same file with a signed byte changed: TOTAL-FAILED / HASH_FAILURE and the typed
 * findings in plain words, each with its code in small print (issue 14);
 * axe-core finds no serious or critical violation on any page; no CSP violation; sign out.
 * Screenshots at 1280 and 360 px go to artifacts/ (the report's to docs/images/ with
 * SIGNET_UPDATE_DOC_IMAGES=1).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signPdf } from '../../src/pades/index.js';
import type { Services } from '../../src/server/index.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { serviceCaSigner } from '../server/support/service-ca-signer.js';
import {
  expectAccessible,
  keepForDocs,
  screenshots,
  watchPage,
  webServer,
} from './support/web-server.js';

async function signedByServiceCa(services: Services): Promise<Uint8Array> {
  const signer = await serviceCaSigner(services);
  return signPdf(makeBasePdf({ text: 'Signed for the Verify page' }), signer, {
    signingTime: services.clock.now(),
    reason: 'Approval',
  });
}

describe('web app in Chromium: sign in and verify', () => {
  it('signs in with a one-time code, verifies a signed PDF as TOTAL-PASSED, signs out; accessible at 1280 and 360 px', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const s = await webServer(t);
    assert.ok(s);
    const user = await s.addUser('valerie');
    const context = await newContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const noProblems = watchPage(page);

    await page.goto(`${s.base}/verify`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectAccessible(page, 'sign-in page');
    await screenshots(page, 'web-01-sign-in');

    // A wrong code first: a plain message with its code in small print.
    await page.getByLabel('Username', { exact: true }).fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByLabel('One-time code', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Error code: ERR_/);
    await screenshots(page, 'web-02-sign-in-refused');

    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByLabel('One-time code', { exact: true }).fill(s.nextOtp(user));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Verify a signed PDF' }).waitFor();
    assert.equal(
      await page.getByRole('link', { name: 'Verify' }).getAttribute('aria-current'),
      'page',
    );
    assert.equal(
      await page.getByRole('link', { name: 'Administration' }).count(),
      0,
      'no admin link for a user',
    );
    await expectAccessible(page, 'verify page');

    const pdf = join(tempDir(t), 'signed-contract.pdf');
    writeFileSync(pdf, await signedByServiceCa(s.services));
    await page.getByLabel('Signed PDF', { exact: true }).setInputFiles(pdf);
    await page.getByRole('heading', { name: 'Signature 1: Valid' }).waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /TOTAL-PASSED/);
    assert.match(text, /Vera Validator/);
    assert.match(text, /Nothing has changed since this signature/);
    assert.equal(await page.getByRole('img', { name: 'Valid' }).count(), 1);
    await page.getByText('Details').click();
    assert.match(await page.locator('details').innerText(), /signed bytes are unchanged/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download the report (JSON)' }).click(),
    ]);
    const saved = join(tempDir(t), 'report.json');
    await download.saveAs(saved);
    const report = JSON.parse(readFileSync(saved, 'utf8')) as {
      signatures: { indication: string }[];
    };
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED');
    await expectAccessible(page, 'verify report');
    await screenshots(page, 'web-03-verify-report');
    keepForDocs('web-03-verify-report-1280', 'web-verify-report');

    // A signed byte changed (/Reason (Approval) -> (Apprival)): the indication, its sub-indication
    // and each typed finding in plain words, with the code in small print.
    const signed = await signedByServiceCa(s.services);
    const at = Buffer.from(signed).indexOf('(Approval)');
    assert.ok(at > 0);
    const tampered = Buffer.from(signed);
    tampered.write('(Apprival)', at, 'latin1');
    const tamperedPath = join(tempDir(t), 'changed-contract.pdf');
    writeFileSync(tamperedPath, tampered);
    await page.getByLabel('Signed PDF', { exact: true }).setInputFiles(tamperedPath);
    await page.getByRole('heading', { name: 'Signature 1: Not valid' }).waitFor();
    const result = await page.locator('main').innerText();
    assert.match(result, /TOTAL-FAILED \/ HASH_FAILURE/);
    assert.match(result, /the document was altered/);
    // The change line must not say "nothing has changed" about a signature whose bytes were altered.
    assert.doesNotMatch(result, /Nothing has changed since this signature/);
    assert.match(result, /Nothing was added after this signature, but the signed content itself does not match it/);
    const findings = page.getByRole('list', { name: 'What the checks found' });
    const mismatch = findings
      .getByRole('listitem')
      .filter({ hasText: 'The signed content has changed since it was signed.' });
    assert.equal(await mismatch.count(), 1, await findings.innerText());
    assert.match(
      await mismatch.locator('small').innerText(),
      /ERR_VALIDATION_DIGEST_MISMATCH, signature value$/,
    );
    assert.match(await mismatch.innerText(), /^Problem:/);
    await expectAccessible(page, 'verify report with findings');
    await screenshots(page, 'web-03b-verify-findings');

    // Keyboard only: on a fresh load the skip link is the first stop and leads to the content.
    await page.goto(`${s.base}/verify`);
    await page.getByRole('heading', { name: 'Verify a signed PDF' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement.id'), 'main');
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate('document.activeElement.id'),
      'signed-pdf',
      'the first control of the page follows',
    );

    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const after = await page.request.get(`${s.base}/api/v1/session`);
    assert.equal(after.status(), 401);
    noProblems();
  });
});
