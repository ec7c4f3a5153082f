/** RFC 5280 §5 CRLs from the CA: judged by `openssl crl -text` and `openssl verify -crl_check`. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools, runTool } from '../../support/tools.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { caStoreSuites } from '../support/ca-stores.js';
import { derToPem } from '../../../src/pki/certificate.js';
import { PkiError } from '../../../src/pki/errors.js';
import { parseRevocationReason } from '../../../src/pki/revocation-reason.js';

for (const { kind, skip } of await caStoreSuites()) {
  describe(`CRL generation and revocation (RFC 5280 §5, §5.3.1) — ${kind} CA store`, { skip }, () => {
    let pki: PkiFixture;
    const cleanup = suiteCleanup(after);
    before(async () => {
      pki = await makePki(cleanup, { store: kind });
    });

    it('lists the revoked serial with its reason; cRLNumber increases; openssl verify -crl_check agrees', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      const cert = await pki.ca.issue({ subject: { commonName: 'Revoked Rita' }, subjectPublicKey: key.publicKey, profile: 'signing' });
      const certFile = join(pki.dir, 'rita.pem');
      writeFileSync(certFile, derToPem(cert.der, 'CERTIFICATE'));

      const crl1 = await pki.ca.generateCrl();
      const crl1File = join(pki.dir, 'crl1.der');
      writeFileSync(crl1File, crl1);
      const text1 = runTool('openssl', ['crl', '-inform', 'DER', '-in', crl1File, '-noout', '-text']);
      assert.equal(text1.status, 0, text1.stderr);
      assert.match(text1.stdout, /No Revoked Certificates/);
      const n1 = Number(/X509v3 CRL Number:\s+(\d+)/.exec(text1.stdout)?.[1]);
      const crl1Pem = join(pki.dir, 'crl1.pem');
      writeFileSync(crl1Pem, derToPem(crl1, 'X509 CRL'));
      const good = runTool('openssl', ['verify', '-crl_check', '-CRLfile', crl1Pem, '-CAfile', pki.files.root, '-untrusted', pki.files.issuing, certFile]);
      assert.equal(good.status, 0, good.stdout + good.stderr);

      await pki.ca.revoke(cert.serialHex, parseRevocationReason('keyCompromise'));
      await assert.rejects(pki.ca.revoke(cert.serialHex, 'keyCompromise'), (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_ALREADY_REVOKED');

      const crl2 = await pki.ca.generateCrl();
      const crl2File = join(pki.dir, 'crl2.der');
      writeFileSync(crl2File, crl2);
      const text2 = runTool('openssl', ['crl', '-inform', 'DER', '-in', crl2File, '-noout', '-text']).stdout;
      assert.ok(Number(/X509v3 CRL Number:\s+(\d+)/.exec(text2)?.[1]) > n1);
      assert.match(text2, new RegExp(`Serial Number: ${cert.serialHex.toUpperCase()}`));
      assert.match(text2, /Key Compromise/);
      assert.match(text2, /Next Update:/);
      const crl2Pem = join(pki.dir, 'crl2.pem');
      writeFileSync(crl2Pem, derToPem(crl2, 'X509 CRL'));
      const bad = runTool('openssl', ['verify', '-crl_check', '-CRLfile', crl2Pem, '-CAfile', pki.files.root, '-untrusted', pki.files.issuing, certFile]);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stdout + bad.stderr, /certificate revoked/);
      // The CRL signature verifies under the issuing CA.
      const sig = runTool('openssl', ['crl', '-in', crl2Pem, '-noout', '-CAfile', pki.files.chain]);
      assert.match(sig.stdout + sig.stderr, /verify OK/);
    });

    it('refuses unknown reasons and suspension (certificateHold) with ERR_PKI_REASON_INVALID', () => {
      for (const r of ['certificateHold', 'removeFromCRL', 'bogus', '__proto__']) {
        assert.throws(() => parseRevocationReason(r), (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_REASON_INVALID');
      }
    });

    it('refuses to revoke an unknown serial with ERR_PKI_CERT_NOT_FOUND', async () => {
      await assert.rejects(pki.ca.revoke('0123', 'superseded'), (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_CERT_NOT_FOUND');
    });
  });
}
