/** RFC 6960 responder over HTTP, judged by `openssl ocsp`. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasTool, requireTools, runTool } from '../../support/tools.js';
import type { PkiFixture } from '../support/pki-fixture.js';
import { caStoreSuites } from '../support/ca-stores.js';
import { issueSigningCertificate, runToolAsync, servedPki, type PkiServer } from '../support/pki-server.js';
import { derToPem } from '../../../src/pki/certificate.js';

for (const { kind, skip } of await caStoreSuites()) {
  describe(`OCSP responder (RFC 6960) — ${kind} CA store`, { skip }, () => {
    let pki: PkiFixture;
    let server: PkiServer;
    let certFile: string;
    let serialHex: string;
    servedPki({ before, after }, (p, s) => ((pki = p), (server = s)), { store: kind });
    before(async () => {
      const rec = await issueSigningCertificate(pki, server, 'Olivia OCSP');
      serialHex = rec.serialHex;
      certFile = join(pki.dir, 'olivia.pem');
      writeFileSync(certFile, derToPem(rec.der, 'CERTIFICATE'));
    });

    async function ocsp(...args: string[]) {
      const r = await runToolAsync('openssl', ['ocsp', '-issuer', pki.files.issuing, '-url', `${server.host.url}/ocsp`, '-CAfile', pki.files.chain, ...args]);
      return r.stdout + r.stderr;
    }

    it('answers good with a verified response, nonce echoed and thisUpdate/nextUpdate, then revoked after revocation', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const out = await ocsp('-cert', certFile, '-resp_text');
      assert.match(out, /Response verify OK/);
      assert.match(out, /olivia\.pem: good/);
      assert.match(out, /This Update:/);
      assert.match(out, /Next Update:/);
      assert.match(out, /OCSP Nonce/);
      assert.doesNotMatch(out, /WARNING: no nonce/);
      assert.match(out, /OCSP Signing/); // the delegated responder certificate is included

      await pki.ca.revoke(serialHex, 'keyCompromise');
      const after = await ocsp('-cert', certFile);
      assert.match(after, /Response verify OK/);
      assert.match(after, /olivia\.pem: revoked/);
      assert.match(after, /Reason: keyCompromise/);
      assert.match(after, /Revocation Time:/);
    });

    it('answers unknown for a serial it never issued', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const out = await ocsp('-serial', '0x0123456789abcdef');
      assert.match(out, /Response verify OK/);
      assert.match(out, /: unknown/);
    });

    it('answers unauthorized for an issuer it does not serve', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const r = await runToolAsync('openssl', ['ocsp', '-issuer', pki.files.root, '-cert', pki.files.issuing, '-url', `${server.host.url}/ocsp`, '-CAfile', pki.files.root]);
      assert.match(r.stdout + r.stderr, /unauthorized/i);
    });

    it('serves GET requests (base64 in the path) and answers malformedRequest to garbage', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const reqFile = join(pki.dir, 'req.der');
      assert.equal(runTool('openssl', ['ocsp', '-issuer', pki.files.issuing, '-cert', pki.files.tsa, '-reqout', reqFile, '-no_nonce']).status, 0);
      const b64 = readFileSync(reqFile).toString('base64');
      const res = await fetch(`${server.host.url}/ocsp/${encodeURIComponent(b64)}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/ocsp-response');
      const respFile = join(pki.dir, 'resp.der');
      writeFileSync(respFile, new Uint8Array(await res.arrayBuffer()));
      const text = runTool('openssl', ['ocsp', '-respin', respFile, '-resp_text', '-noverify']).stdout;
      assert.match(text, /Cert Status: good/);

      const bad = await fetch(`${server.host.url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: new Uint8Array([0x30, 0x03, 1, 2, 3]) });
      const badFile = join(pki.dir, 'bad.der');
      writeFileSync(badFile, new Uint8Array(await bad.arrayBuffer()));
      const badText = runTool('openssl', ['ocsp', '-respin', badFile, '-resp_text', '-noverify']);
      assert.match(badText.stdout + badText.stderr, /malformedrequest/i);

      const wrongType = await fetch(`${server.host.url}/ocsp`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
      assert.equal(wrongType.status, 415);
      const huge = await fetch(`${server.host.url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: new Uint8Array(200_000) });
      assert.equal(huge.status, 413);
      const put = await fetch(`${server.host.url}/ocsp`, { method: 'PUT', body: 'x' });
      assert.equal(put.status, 405);
    });

    it('serves the CA certificates and a DER CRL', async () => {
      if (!hasTool('openssl')) return;
      const cer = await fetch(`${server.host.url}/ca/issuing.cer`);
      assert.equal(cer.headers.get('content-type'), 'application/pkix-cert');
      assert.deepEqual(new Uint8Array(await cer.arrayBuffer()), pki.hierarchy.issuing.certificate);
      const crl = await fetch(`${server.host.url}/crl`);
      assert.equal(crl.headers.get('content-type'), 'application/pkix-crl');
      const crlFile = join(pki.dir, 'served.crl');
      writeFileSync(crlFile, new Uint8Array(await crl.arrayBuffer()));
      assert.equal(runTool('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-noout']).status, 0);
    });
  });
}
