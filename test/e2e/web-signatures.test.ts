/**
 * The signer's own evidence in the browser (issue 21; docs/transparency.md, docs/security.md
 * TRN-07): two documents signed with one approval appear on Account under "Signatures made with
 * your key" — time, document, job, client — each "Proof verified" by the page itself (the tree
 * head's signature with the log key and the inclusion proof from the entry, in WebCrypto); the
 * "Download receipt" link gives a receipt that `signet receipt verify` accepts
 * against the downloaded signed PDF. A leaf edited in the database then reads "Proof failed" in
 * the page: the browser checks, it does not repeat the server's word.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { launchBrowser } from '../support/browser.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import {
  approveWithPasskey,
  expectAccessible,
  screenshots,
  signerWithDocuments,
  webServer,
} from './support/web-server.js';

/** `signet …` through the CLI's entry point, in process (this process serves the receipt key it fetches). */
async function signet(
  args: readonly string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: new PassThrough().on('data', (c: Buffer) => (stdout += c.toString())),
    stderr: new PassThrough().on('data', (c: Buffer) => (stderr += c.toString())),
  };
  const status = await main(args, io);
  return { status, stdout, stderr };
}

describe('web app in Chromium: signatures made with your key', () => {
  it('lists the signatures with verified proofs, downloads a receipt that signet receipt verify accepts, and shows an edited leaf as failed', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const s = await webServer(t);
    assert.ok(s);
    const user = await s.addUser('tilde');
    const dir = tempDir(t);
    const files = ['lease', 'inventory'].map((name) => {
      const path = join(dir, `${name}.pdf`);
      writeFileSync(path, makeBasePdf({ text: name }));
      return path;
    });
    const { page, noProblems } = await signerWithDocuments(t, browser, s, user, files);
    await page.getByLabel('Signature level', { exact: true }).selectOption('B-B');
    await page.getByRole('button', { name: 'Sign', exact: true }).click();
    await approveWithPasskey(page);
    await page.getByRole('progressbar', { name: 'Signed 2 of 2' }).waitFor({ timeout: 60_000 });
    const [pdfDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download lease.pdf' }).click(),
    ]);
    const signedPdf = join(dir, 'lease-signed.pdf');
    await pdfDownload.saveAs(signedPdf);
    // The job page offers each signed document's receipt beside the document, named after it.
    const [jobReceiptDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download receipt for lease.pdf' }).click(),
    ]);
    assert.equal(jobReceiptDownload.suggestedFilename(), 'lease.receipt.json');
    const jobReceipt = join(dir, 'lease-from-job.receipt.json');
    await jobReceiptDownload.saveAs(jobReceipt);
    await page.getByRole('link', { name: 'Download receipt for inventory.pdf' }).waitFor();

    // Before any tree head includes them, the signatures are listed as not in the log yet.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Account' })
      .click();
    const table = page.getByRole('table', { name: 'Signatures made with your key' });
    await table.waitFor();
    assert.equal(await table.getByRole('cell', { name: /^Not in the log yet/ }).count(), 2);

    // The log publishes a head (signet serve does so every SIGNET_TRANSPARENCY_STH_INTERVAL_MS).
    assert.ok(await s.services.transparency.publisher.publish());
    await page.reload();
    await table.waitFor();
    const verified = table.getByRole('cell', { name: 'Proof verified', exact: true });
    await verified.first().waitFor();
    assert.equal(await verified.count(), 2);
    for (const name of ['lease.pdf', 'inventory.pdf']) {
      const row = table.getByRole('row').filter({ hasText: name });
      assert.equal(await row.count(), 1, name);
      assert.match(await row.innerText(), /signet-web/, `${name}: the client that signed`);
      await row.getByRole('link', { name: 'signing job' }).waitFor();
    }
    await page
      .getByText(/Checked against the log's signed state of .* \(2 signatures in the log\)/)
      .waitFor();
    await expectAccessible(page, 'signatures made with your key');
    await table.scrollIntoViewIfNeeded();
    await screenshots(page, 'web-13-signatures');

    const [receiptDownload] = await Promise.all([
      page.waitForEvent('download'),
      table.getByRole('link', { name: 'Download receipt for lease.pdf' }).click(),
    ]);
    assert.match(receiptDownload.suggestedFilename(), /receipt\.json$/);
    const receipt = join(dir, 'lease.receipt.json');
    await receiptDownload.saveAs(receipt);
    assert.deepEqual(readFileSync(jobReceipt), readFileSync(receipt), 'the job page and the Account table give the same receipt');
    const check = await signet(['receipt', 'verify', receipt, signedPdf, '--service', s.base]);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /receipt verified: .* of the approved batch of 2 /);
    // The other document's receipt is not this PDF's.
    const [otherDownload] = await Promise.all([
      page.waitForEvent('download'),
      table.getByRole('link', { name: 'Download receipt for inventory.pdf' }).click(),
    ]);
    const otherReceipt = join(dir, 'inventory.receipt.json');
    await otherDownload.saveAs(otherReceipt);
    const mismatch = await signet([
      'receipt',
      'verify',
      otherReceipt,
      signedPdf,
      '--service',
      s.base,
    ]);
    assert.equal(mismatch.status, 1, mismatch.stdout);
    assert.match(mismatch.stderr, /ERR_TRANSPARENCY_RECEIPT_HASH/);
    noProblems();

    // TRN-07: a leaf edited in the database (its client) no longer proves its inclusion in the page.
    const db = s.services.store.db;
    const leaf = await db
      .selectFrom('transparency_leaves')
      .select(['id'])
      .where('user_id', '=', user.userId)
      .orderBy('id', 'asc')
      .executeTakeFirstOrThrow();
    await db
      .updateTable('transparency_leaves')
      .set({ client_id: 'someone-else' })
      .where('id', '=', leaf.id)
      .execute();
    await page.reload();
    await table.waitFor();
    await table.getByRole('cell', { name: /^Proof failed/ }).waitFor();
    assert.equal(await table.getByRole('cell', { name: /^Proof failed/ }).count(), 1);
    assert.equal(await table.getByRole('cell', { name: 'Proof verified', exact: true }).count(), 1);
  });
});
