/**
 * Issue 18 §2 through the web gateway: encrypted PDFs that open without a password (qpdf's
 * AES-128 R4 and AES-256 R6, empty user password) are uploaded to a job, signed through OAuth and
 * the CSC API of a real listening Signet, downloaded, and judged by the validator, pdfsig and
 * `qpdf --check` (no password); the signed file keeps its encryption.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { derToPem } from '../../src/pki/index.js';
import { PdfDocument } from '../../src/pdf/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeNssDb, pdfsigAsync, qpdfCheck } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { requireTools, runTool } from '../support/tools.js';
import { api, approveInBrowser, upload, waitForJob, webJobsEnv } from './support/web-jobs-env.js';

describe('issue 18 §2: the web gateway signs encrypted PDFs that open without a password', () => {
  it('sqlite: an AES-128 (R4) and an AES-256 (R6) file, uploaded, signed under one approval, downloaded: TOTAL-PASSED, pdfsig valid, qpdf --check clean, still encrypted', async (t) => {
    if (!requireTools(t, 'qpdf', 'pdfsig', 'certutil')) return;
    const env = await webJobsEnv(t, 'sqlite');
    if (!env) return;
    const dir = tempDir(t);
    const plain = join(dir, 'plain.pdf');
    writeFileSync(plain, makeBasePdf({ text: 'Statement, encrypted' }));
    const inputs = new Map<string, Uint8Array>();
    for (const [name, args] of [['statement-r4.pdf', ['128', '--use-aes=y']], ['statement-r6.pdf', ['256']]] as const) {
      const out = join(dir, name);
      const r = runTool('qpdf', ['--encrypt', '', 'owner-secret', ...args, '--', plain, out]);
      assert.equal(r.status, 0, r.stderr);
      inputs.set(name, new Uint8Array(readFileSync(out)));
    }

    const alice = await env.addSigner('alice');
    const browser = await env.signIn(alice);
    const created = await api(browser, env.node, 'POST', '/jobs', { credentialID: alice.credentialId, level: 'B-B', reason: 'Seen' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const jobId = created.body['id'] as string;
    const docs = new Map<string, string>();
    for (const [name, bytes] of inputs) {
      const r = await upload(browser, env.node, jobId, name, bytes);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      docs.set(name, r.body['id'] as string);
    }
    const sign = await api(browser, env.node, 'POST', `/jobs/${jobId}/sign`);
    assert.equal(sign.status, 200, JSON.stringify(sign.body));
    const back = await browser.request(await approveInBrowser(env, browser, alice, sign.body['authorizationUrl'] as string));
    assert.equal(back.status, 303, await back.text());
    const done = await waitForJob(browser, env.node, jobId, (j) => j['state'] === 'done' || j['state'] === 'failed');
    assert.deepEqual([done['state'], done['signed'], done['failed']], ['done', 2, 0], JSON.stringify(done));

    const root = env.node.services.rootCertificate;
    const nss = makeNssDb(dir, derToPem(root, 'CERTIFICATE'));
    for (const [name, id] of docs) {
      const res = await browser.request(`${env.node.url}/api/v1/jobs/${jobId}/documents/${id}/signed`);
      assert.equal(res.status, 200);
      const signed = new Uint8Array(await res.arrayBuffer());
      const original = inputs.get(name) as Uint8Array;
      assert.deepEqual(signed.subarray(0, original.length), original, `${name}: an incremental update`);
      assert.ok(PdfDocument.open(signed).encryption !== undefined, `${name}: still encrypted`);
      const report = verifyPdfSignatures(signed, { trustAnchors: [root] });
      assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', `${name}: ${JSON.stringify(report.signatures[0]?.problems)}`);
      const path = join(dir, `signed-${name}`);
      writeFileSync(path, signed);
      const sigs = await pdfsigAsync(path, nss);
      assert.equal(sigs.length, 1);
      assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
      const [ok, out] = qpdfCheck(path);
      assert.ok(ok, `${name}: qpdf --check (no password): ${out}`);
    }
  });
});
