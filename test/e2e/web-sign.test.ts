/**
 * Signing in the browser (issue 13, journey 2 and "Done means"): upload three PDFs on "Sign
 * documents", see their cards (name, pages, thumbnail), preview one with zoom, place a visible
 * signature on one by drawing on its page, sign all three with one passkey approval on the
 * authorization server's consent page (the passkey added on Account first), follow the progress bar to "Signed 3 of 3", download the ZIP; every file
 * passes Signet's validator (TOTAL-PASSED under the service root) and poppler's pdfsig, and the
 * Verify page reads TOTAL-PASSED for one of them. Another person gets neither the job page nor
 * its ZIP (docs/security.md AC-05).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { derToPem } from '../../src/pki/index.js';
import { verifyPdfLongTerm } from '../../src/validation/index.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { makeNssDb, pdfsigAsync } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { requireTools, runTool } from '../support/tools.js';
import { approveWithPasskey, expectAccessible, keepForDocs, screenshots, signerWithDocuments, signIn, webServer } from './support/web-server.js';

describe('web app in Chromium: sign three documents with one approval', () => {
  it('uploads three PDFs, places a visible signature on one, approves once, downloads the ZIP; the files pass the validator and pdfsig', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const s = await webServer(t);
    assert.ok(s);
    const user = await s.addUser('sigrid');
    const dir = tempDir(t);
    const files = ['offer', 'contract', 'annex'].map((name, i) => {
      const path = join(dir, `${name}.pdf`);
      writeFileSync(path, makeBasePdf({ text: `${name} ${i + 1}` }));
      return path;
    });
    // Signed in from the home page; the approval will be a passkey's: its assertion signs the
    // commitment to the three documents.
    const { page, noProblems } = await signerWithDocuments(t, browser, s, user, files, '/');
    const cards = page.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 3 }) });
    assert.equal(await cards.count(), 3);
    for (const name of ['offer.pdf', 'contract.pdf', 'annex.pdf']) {
      await page.getByRole('img', { name: `First page of ${name}` }).waitFor();
    }
    await page.getByText('1 page ·').first().waitFor();

    await page.getByRole('button', { name: 'Preview offer.pdf' }).click();
    const dialog = page.getByRole('dialog', { name: 'Preview of offer.pdf' });
    await dialog.getByRole('img', { name: 'Page 1 of 1' }).waitFor();
    await dialog.getByRole('button', { name: 'Zoom in' }).click();
    await dialog.getByText('125%').waitFor();
    await expectAccessible(page, 'preview dialog');
    await screenshots(page, 'web-06a-preview');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // A visible signature on contract.pdf, drawn on its page.
    const contract = page.getByRole('listitem', { name: 'contract.pdf' });
    await contract.getByRole('radio', { name: 'Visible signature', exact: true }).check();
    const pageImage = contract.getByRole('img', { name: 'Page 1 of contract.pdf' });
    await pageImage.waitFor();
    // The page is ready for drawing once it is rendered (the keyboard alternative is enabled then).
    await contract.locator('button:not([disabled])', { hasText: 'Use the suggested place' }).waitFor();
    await pageImage.scrollIntoViewIfNeeded();
    const box = await pageImage.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.75);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.8, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.85, { steps: 5 });
    await page.mouse.up();
    await contract.getByText(/Signature placed on page 1/).waitFor();

    await page.getByLabel('Reason', { exact: true }).fill('I agree');
    await page.getByLabel('Location', { exact: true }).fill('Brussels');
    await page.getByLabel('Signature level', { exact: true }).selectOption('B-T');
    await expectAccessible(page, 'sign page');
    await screenshots(page, 'web-06-sign');
    keepForDocs('web-06-sign-1280', 'web-sign-page');

    await page.getByRole('button', { name: 'Sign', exact: true }).click();
    const jobId = await approveWithPasskey(page);
    await page.getByRole('progressbar', { name: 'Signed 3 of 3' }).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByRole('link', { name: /^Download (?!receipt for ).*\.pdf$/ }).count(), 3);
    assert.equal(await page.getByRole('link', { name: /^Download receipt for .*\.pdf$/ }).count(), 3, 'each signed document has its batch receipt');
    await expectAccessible(page, 'job page');
    await screenshots(page, 'web-08-job-done');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download all (ZIP)' }).click()]);
    const zip = join(dir, 'signed.zip');
    await download.saveAs(zip);
    const out = join(dir, 'signed');
    mkdirSync(out);
    if (requireTools(t, 'unzip')) {
      const unzip = runTool('unzip', ['-q', zip, '-d', out]);
      assert.equal(unzip.status, 0, unzip.stderr);
    }
    const signed = readdirSync(out).sort();
    assert.deepEqual(signed, ['annex.pdf', 'contract.pdf', 'offer.pdf']);
    for (const name of signed) {
      const report = verifyPdfLongTerm(new Uint8Array(readFileSync(join(out, name))), { trustAnchors: [s.services.rootCertificate] });
      assert.equal(report.signatures.length, 1, name);
      assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', `${name}: ${JSON.stringify(report.signatures[0]?.problems)}`);
      assert.match(report.signatures[0]?.signerSubject ?? '', /sigrid signer/);
    }
    const contractBytes = Buffer.from(readFileSync(join(out, 'contract.pdf'))).toString('latin1');
    assert.match(contractBytes, /\/Rect\s*\[\s*[1-9]/, 'the visible signature has a non-empty /Rect');
    if (requireTools(t, 'pdfsig', 'certutil')) {
      const nss = makeNssDb(dir, derToPem(s.services.rootCertificate, 'CERTIFICATE'));
      for (const name of signed) {
        const sigs = await pdfsigAsync(join(out, name), nss);
        assert.equal(sigs.length, 1, name);
        assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
      }
    }

    // The Verify page reads the same verdict.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Verify' }).click();
    await page.getByLabel('Signed PDF', { exact: true }).setInputFiles(join(out, 'contract.pdf'));
    await page.getByRole('heading', { name: 'Signature 1: Valid' }).waitFor();
    assert.match(await page.locator('main').innerText(), /TOTAL-PASSED/);
    noProblems();

    // AC-05: another person's browser gets neither the job page nor its files.
    const other = await s.addUser('otto');
    const otherContext = await newContext(browser);
    t.after(() => otherContext.close());
    const otherPage = await otherContext.newPage();
    await otherPage.goto(`${s.base}/jobs/${jobId}`);
    await signIn(otherPage, s, other);
    const refusal = otherPage.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /Error code: ERR_GATEWAY_JOB_NOT_FOUND/);
    assert.equal(await otherPage.getByRole('progressbar').count(), 0);
    assert.equal((await otherPage.request.get(`${s.base}/api/v1/jobs/${jobId}/signed.zip`)).status(), 404);
  });
});
