/**
 * A batch of 200 documents in the browser (issue 13, "Done means"): one approval for 200 PDFs,
 * the progress bar "Signing N of 200" moves and completes at "Signed 200 of 200", and a reload in
 * the middle keeps the progress (it comes from the job in the database, not from the page). Each
 * signHash call (a chunk of 50) is slowed by the test-only fault hook (SIGNET_TEST_MODE=1), so
 * the middle of the batch is observable; everything else is the real service. One passkey
 * approval covers the 200 documents.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { launchBrowser } from '../support/browser.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { approveWithPasskey, screenshots, signerWithDocuments, webServer } from './support/web-server.js';

const count = 200;

// This file runs in its own process (node --test): the settings apply to its server only.
process.env['SIGNET_TEST_MODE'] = '1';
process.env['SIGNET_FAULT_HOOKS'] = 'afterReserve=delay:1000';

describe('web app in Chromium: a batch of 200', () => {
  it('shows "Signing N of 200" that survives a reload, then "Signed 200 of 200"', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const s = await webServer(t);
    assert.ok(s);
    const user = await s.addUser('bertha');
    const dir = tempDir(t);
    const files = Array.from({ length: count }, (_, i) => {
      const path = join(dir, `invoice-${String(i + 1).padStart(3, '0')}.pdf`);
      writeFileSync(path, makeBasePdf({ text: `Invoice ${i + 1}` }));
      return path;
    });
    const { page, noProblems } = await signerWithDocuments(t, browser, s, user, files);
    await page.getByLabel('Signature level', { exact: true }).selectOption('B-B');
    await page.getByRole('button', { name: 'Sign', exact: true }).click();
    // 200 consent pushes (each inspected by the authorization server) take a while on a busy machine.
    const jobId = await approveWithPasskey(page, 240_000);

    // Mid-way: "Signing N of 200" with 0 < N < 200 … then a reload shows at least as much.
    const progress = page.getByRole('progressbar');
    await page.getByRole('progressbar', { name: /^Signing [1-9]\d* of 200$/ }).waitFor({ timeout: 120_000 });
    const before = Number(await progress.getAttribute('aria-valuenow'));
    assert.ok(before > 0 && before < count, `mid-way: ${before}`);
    await screenshots(page, 'web-11-batch-progress');
    await page.reload();
    await progress.waitFor();
    const after = Number(await progress.getAttribute('aria-valuenow'));
    assert.ok(after >= before, `after the reload ${after} ≥ ${before}`);
    assert.match(String(await progress.getAttribute('aria-label')), /^(Signing \d+ of 200|Signed 200 of 200)$/);
    assert.equal(new URL(page.url()).pathname, `/jobs/${jobId}`);

    await page.getByRole('progressbar', { name: 'Signed 200 of 200' }).waitFor({ timeout: 240_000 });
    assert.equal(await page.getByRole('link', { name: /^Download invoice-\d+\.pdf$/ }).count(), count);
    await page.getByRole('link', { name: 'Download all (ZIP)' }).waitFor();
    await screenshots(page, 'web-12-batch-done');
    noProblems();
  });
});
