/**
 * The web gateway's API flow (docs/decisions/0001 Contract 4) against a real listening Signet on
 * SQLite and PostgreSQL: the gateway reaches its own authorization server, CSC API and TSA over
 * HTTP. Create a job, upload three PDFs (one with a visible signature), Sign, approve at the
 * authorization server (password + TOTP, PIN), callback, wait for done, download each and the
 * ZIP; every file is judged by Signet's validator, `unzip` and `pdfsig`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { receiptCommand } from '../../src/cli/commands/receipt.js';
import { derToPem } from '../../src/pki/index.js';
import { verifyPdfLongTerm, verifyPdfSignatures } from '../../src/validation/index.js';
import { transparencyPublicKeyFromSpki } from '../../src/transparency/index.js';
import { makeNssDb, pdfsigAsync } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { storeKinds } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { hasTool, requireTools } from '../support/tools.js';
import { readZip } from './support/read-zip.js';
import { api, approveInBrowser, upload, waitForJob, webJobsEnv, type Browser, type WebJobsEnv } from './support/web-jobs-env.js';

async function download(browser: Browser, env: WebJobsEnv, path: string): Promise<{ status: number; bytes: Uint8Array; headers: Headers }> {
  const res = await browser.request(`${env.node.url}/api/v1${path}`);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()), headers: res.headers };
}

describe('web gateway jobs: upload → sign through OAuth + CSC → progress → downloads', () => {
  for (const kind of storeKinds) {
    it(`${kind}: three PDFs (one visible) signed under one approval, downloaded one by one and as a ZIP, judged by the validator, unzip and pdfsig`, async (t) => {
      const env = await webJobsEnv(t, kind);
      if (!env) return;
      const alice = await env.addSigner('alice');
      const browser = await env.signIn(alice);
      const credentials = await api<Record<string, unknown>[]>(browser, env.node, 'GET', '/me/credentials');
      assert.equal(credentials.status, 200);
      assert.deepEqual(credentials.body.map((c) => [c['credentialID'], c['status']]), [[alice.credentialId, 'active']]);
      assert.match(String(credentials.body[0]?.['algorithm']), /^(EC P-(256|384|521)|RSA \d{4})$/, 'the NIST curve name, not OpenSSL\'s');
      const created = await api(browser, env.node, 'POST', '/jobs', { credentialID: alice.credentialId, level: 'B-T', reason: 'Approved contracts', location: 'Brussels' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const jobId = created.body['id'] as string;
      assert.match(jobId, /^[A-Za-z0-9_-]{22}$/, '128 random bits, base64url');

      const names = ['contract.pdf', '../../etc/annex\u0007.pdf', 'contract.pdf'];
      const docs: string[] = [];
      for (const [i, name] of names.entries()) {
        const r = await upload(browser, env.node, jobId, name, makeBasePdf({ text: `Document ${i}` }));
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body['pages'], 1);
        docs.push(r.body['id'] as string);
      }
      // AC-09: the name is display text only — no path, no control characters.
      const listed = await api(browser, env.node, 'GET', `/jobs/${jobId}`);
      assert.deepEqual(listed.body['documents'].map((d: { name: string }) => d.name), ['contract.pdf', 'annex.pdf', 'contract.pdf']);
      const placed = await api(browser, env.node, 'PATCH', `/jobs/${jobId}/documents/${docs[1]}`, { visible: { page: 1, rect: [50, 50, 250, 120] } });
      assert.equal(placed.status, 200, JSON.stringify(placed.body));
      const sign = await api(browser, env.node, 'POST', `/jobs/${jobId}/sign`);
      assert.equal(sign.status, 200, JSON.stringify(sign.body));
      const authorizationUrl = new URL(sign.body['authorizationUrl'] as string);
      // RFC 9126: only client_id and request_uri travel in the browser URL.
      assert.deepEqual([...authorizationUrl.searchParams.keys()].sort(), ['client_id', 'request_uri']);
      assert.equal(authorizationUrl.searchParams.get('client_id'), 'signet-web');
      assert.equal((await api(browser, env.node, 'GET', `/jobs/${jobId}`)).body['state'], 'authorizing');
      let consent = '';
      const callback = await approveInBrowser(env, browser, alice, authorizationUrl.toString(), (html) => (consent = html));
      // Contract 3: the prepared documents were pushed, so the consent page names them.
      for (const name of ['contract.pdf', 'annex.pdf']) assert.ok(consent.includes(name), `consent page shows ${name}`);
      assert.ok(callback.startsWith(`${env.node.url}/api/v1/oauth/callback?`), callback);
      const back = await browser.request(callback);
      assert.equal(back.status, 303, await back.text());
      assert.equal(back.headers.get('location'), `/jobs/${jobId}`);
      const done = await waitForJob(browser, env.node, jobId, (j) => j['state'] === 'done' || j['state'] === 'failed');
      assert.equal(done['state'], 'done', JSON.stringify(done));
      assert.deepEqual([done['total'], done['signed'], done['failed']], [3, 3, 0]);

      const dir = tempDir(t);
      const root = env.node.services.rootCertificate;
      const signedFiles: Uint8Array[] = [];
      for (const id of docs) {
        const d = await download(browser, env, `/jobs/${jobId}/documents/${id}/signed`);
        assert.equal(d.status, 200);
        assert.equal(d.headers.get('content-type'), 'application/pdf');
        const report = verifyPdfSignatures(d.bytes, { trustAnchors: [root] });
        assert.equal(report.signatures.length, 1);
        assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
        signedFiles.push(d.bytes);
        // Issue 21: the document's batch receipt verifies with signet receipt verify against the signed PDF.
        const r = await download(browser, env, `/jobs/${jobId}/documents/${id}/receipt`);
        assert.equal(r.status, 200);
        writeFileSync(join(dir, `${id}.json`), r.bytes);
        writeFileSync(join(dir, `${id}.pdf`), d.bytes);
        writeFileSync(join(dir, 'receipt-key.pem'), transparencyPublicKeyFromSpki((await env.node.services.transparency.signer()).publicKey).publicKeyPem);
        let out = '';
        const stdout = new PassThrough().on('data', (c: Buffer) => (out += c.toString()));
        const code = await receiptCommand.run(['verify', join(dir, `${id}.json`), join(dir, `${id}.pdf`), '--key', join(dir, 'receipt-key.pem')], { stdout, stderr: new PassThrough() });
        assert.equal(code, 0);
        assert.match(out, /of the approved batch of 3 /);
      }
      const annex = await download(browser, env, `/jobs/${jobId}/documents/${docs[1]}/signed`);
      assert.equal(annex.headers.get('content-disposition'), `attachment; filename="annex.pdf"; filename*=UTF-8''annex.pdf`);
      const original = await download(browser, env, `/jobs/${jobId}/documents/${docs[0]}/original`);
      assert.deepEqual(original.bytes, makeBasePdf({ text: 'Document 0' }));
      const zip = await download(browser, env, `/jobs/${jobId}/signed.zip`);
      assert.equal(zip.status, 200);
      assert.equal(zip.headers.get('content-type'), 'application/zip');
      const entries = readZip(zip.bytes);
      assert.deepEqual([...entries.keys()], ['contract.pdf', 'annex.pdf', 'contract (2).pdf']);
      assert.deepEqual([...entries.values()], signedFiles);
      const zipPath = join(dir, 'signed.zip');
      writeFileSync(zipPath, zip.bytes);
      if (hasTool('unzip') || process.env['CI'] === 'true') {
        if (!requireTools(t, 'unzip')) return;
        execFileSync('unzip', ['-t', zipPath]);
        const out = join(dir, 'unzipped');
        mkdirSync(out);
        execFileSync('unzip', ['-q', zipPath, '-d', out]);
        assert.deepEqual(new Uint8Array(readFileSync(join(out, 'contract (2).pdf'))), signedFiles[2]);
      }
      if (!requireTools(t, 'pdfsig', 'certutil')) return;
      const nss = makeNssDb(dir, derToPem(root, 'CERTIFICATE'));
      for (const [i, bytes] of signedFiles.entries()) {
        const path = join(dir, `signed-${i}.pdf`);
        writeFileSync(path, bytes);
        const sigs = await pdfsigAsync(path, nss);
        assert.equal(sigs.length, 1);
        assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
      }
    });
  }

  it('sqlite: B-LTA — the signature-time-stamp from this Signet\'s TSA, the DSS from its OCSP, a document timestamp; the validator reads the level back; the room of the document timestamps is measured once per run', async (t) => {
    const env = await webJobsEnv(t, 'sqlite');
    if (!env) return;
    const alice = await env.addSigner('alice');
    const browser = await env.signIn(alice);
    const jobId = (await api(browser, env.node, 'POST', '/jobs', { credentialID: alice.credentialId, level: 'B-LTA' })).body['id'] as string;
    const doc = (await upload(browser, env.node, jobId, 'archive.pdf', makeBasePdf({ text: 'kept for years' }))).body['id'] as string;
    for (const n of [2, 3]) assert.equal((await upload(browser, env.node, jobId, `archive-${n}.pdf`, makeBasePdf({ text: `kept for years ${n}` }))).status, 201);
    const tokens = async (): Promise<number> =>
      Number(/^signet_tsa_responses_total\{status="granted"\} (\d+)$/m.exec(await env.node.services.metrics.registry.metrics())?.[1] ?? 0);
    const before = await tokens();
    const sign = await api(browser, env.node, 'POST', `/jobs/${jobId}/sign`);
    assert.equal(sign.status, 200, JSON.stringify(sign.body));
    assert.equal((await browser.request(await approveInBrowser(env, browser, alice, sign.body['authorizationUrl'] as string))).status, 303);
    const done = await waitForJob(browser, env.node, jobId, (j) => j['state'] === 'done' || j['state'] === 'failed');
    assert.equal(done['signed'], 3, JSON.stringify(done));
    // One token measures the plan at Sign, one the document timestamps' room for the run, then two
    // per document (signature-time-stamp, document timestamp): 1 + 1 + 2 × 3 (10 when each document measured).
    assert.equal((await tokens()) - before, 8);
    const signed = await download(browser, env, `/jobs/${jobId}/documents/${doc}/signed`);
    const report = verifyPdfLongTerm(signed.bytes, { trustAnchors: [env.node.services.rootCertificate] });
    assert.equal(report.signatures.length, 2, 'the signature and the document timestamp');
    for (const s of report.signatures) assert.equal(s.indication, 'TOTAL-PASSED', `${s.fieldName}: ${JSON.stringify(s.problems)}`);
    assert.equal(report.signatures.find((s) => !s.isDocumentTimestamp)?.level, 'B-LTA');
  });
});
