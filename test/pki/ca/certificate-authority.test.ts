/** RFC 5280 issuance through profiles, judged by `openssl x509 -text` and `openssl verify`. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslKeyAndCsr, requireTools, runTool } from '../../support/tools.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { caStoreSuites } from '../support/ca-stores.js';
import { derToPem, parseCertificate, spkiDer } from '../../../src/pki/certificate.js';
import { PkiError } from '../../../src/pki/errors.js';
import { issueCertificate } from '../../../src/pki/ca/issue-certificate.js';
import { certificateProfileOf, defaultCredentialProfile } from '../../../src/pki/ca/credential-profiles.js';
import { buildSubject } from '../../../src/pki/ca/subject.js';
import { generateSerialNumber } from '../../../src/pki/ca/serial-number.js';
import { systemClock } from '../../../src/core/clock.js';
import { FileCaStore } from '../../../src/pki/store/file-ca-store.js';
import { createCaHierarchy } from '../../../src/pki/ca/create-ca-hierarchy.js';

const opensslCsr = (dir: string, name: string, keyArgs: string[], subj = '/CN=Alice Example/C=BE'): string =>
  opensslKeyAndCsr(dir, name, subj, keyArgs).csr;

for (const { kind, skip } of await caStoreSuites()) {
  describe(`CertificateAuthority (RFC 5280 §4.1, profiles) — ${kind} CA store`, { skip }, () => {
    let pki: PkiFixture;
    const cleanup = suiteCleanup(after);
    before(async () => {
      pki = await makePki(cleanup, { store: kind });
    });

    it('bootstraps root → issuing → TSA and OCSP certificates that openssl verify accepts', (t) => {
      if (!requireTools(t, 'openssl')) return;
      for (const leaf of [pki.files.tsa, pki.files.ocsp, pki.files.issuing]) {
        const r = runTool('openssl', ['verify', '-CAfile', pki.files.root, '-untrusted', pki.files.issuing, leaf]);
        assert.equal(r.status, 0, r.stdout + r.stderr);
      }
      const tsa = runTool('openssl', ['x509', '-in', pki.files.tsa, '-noout', '-text']).stdout;
      assert.match(tsa, /X509v3 Extended Key Usage: critical\s+Time Stamping\n/);
      const ocsp = runTool('openssl', ['x509', '-in', pki.files.ocsp, '-noout', '-text']).stdout;
      assert.match(ocsp, /OCSP Signing/);
      assert.match(ocsp, /OCSP No Check/);
      const root = runTool('openssl', ['x509', '-in', pki.files.root, '-noout', '-text']).stdout;
      assert.match(root, /CA:TRUE/);
      assert.match(root, /Certificate Sign, CRL Sign/);
    });

    it('enrolls an openssl CSR under the signing profile with every profile extension', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const csr = opensslCsr(pki.dir, 'alice', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
      assert.match(runTool('openssl', ['req', '-verify', '-noout', '-in', csr]).stderr, /verify OK/);
      const record = await pki.ca.enroll(runTool('cat', [csr]).stdout, {
        profile: 'signing',
        qcStatements: { qcCompliance: true, qcSSCD: true, qcTypeESign: true },
      });
      const certFile = join(pki.dir, 'alice.pem');
      writeFileSync(certFile, derToPem(record.der, 'CERTIFICATE'));
      const text = runTool('openssl', ['x509', '-in', certFile, '-noout', '-text']).stdout;
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation\n/);
      assert.match(text, /X509v3 Certificate Policies:\s+Policy: 2\.25\.1/);
      assert.match(text, /OCSP - URI:http:\/\/127\.0\.0\.1:1\/ocsp/);
      assert.match(text, /CA Issuers - URI:http:\/\/127\.0\.0\.1:1\/ca\/issuing\.cer/);
      assert.match(text, /X509v3 CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/127\.0\.0\.1:1\/crl/);
      assert.match(text, /qcStatements|1\.3\.6\.1\.5\.5\.7\.1\.3/);
      assert.match(text, /Subject: C ?= ?BE, CN ?= ?Alice Example/);
      // RFC 5280 §4.1.2.2: positive, ≥ 64 bits of entropy (we use 16 octets).
      assert.equal(record.serialHex.length, 32);
      assert.ok(Number.parseInt(record.serialHex.slice(0, 2), 16) < 0x80);
      const r = runTool('openssl', ['verify', '-CAfile', pki.files.root, '-untrusted', pki.files.issuing, certFile]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it('issues unique serials and refuses the same key for another subject (unique key)', async () => {
      const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      const a = await pki.ca.issue({ subject: { commonName: 'Bob' }, subjectPublicKey: key.publicKey, profile: 'signing' });
      const b = await pki.ca.issue({ subject: { commonName: 'Bob' }, subjectPublicKey: key.publicKey, profile: 'signing' });
      assert.notEqual(a.serialHex, b.serialHex);
      await assert.rejects(
        pki.ca.issue({ subject: { commonName: 'Mallory' }, subjectPublicKey: key.publicKey, profile: 'signing' }),
        (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_KEY_ALREADY_CERTIFIED',
      );
    });

    it('validates subjects: empty CN, control and bidi characters, PrintableString country', async () => {
      const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      for (const subject of [
        { commonName: '' },
        { commonName: '  ' },
        { commonName: 'A\u0000B' },
        { commonName: 'evil\u202egnp.exe' },
        { commonName: 'x'.repeat(65) },
        { commonName: 'Carol', country: 'Belgium' },
        { commonName: 'Carol', serialNumber: 'ü-123' },
      ]) {
        await assert.rejects(
          pki.ca.issue({ subject, subjectPublicKey: key.publicKey, profile: 'signing' }),
          (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_SUBJECT_INVALID',
          JSON.stringify(subject),
        );
      }
    });

    it('refuses unknown profiles and self-signed use of end-entity profiles', async () => {
      const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      await assert.rejects(
        pki.ca.issue({ subject: { commonName: 'X' }, subjectPublicKey: key.publicKey, profile: 'nope' as never }),
        (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_PROFILE_UNKNOWN',
      );
      await assert.rejects(
        issueCertificate({
          issuer: { kind: 'self', key: { backend: pki.keystore, ref: key.ref, algorithm: { scheme: 'ECDSA', digest: 'SHA-256' } } },
          subject: buildSubject({ commonName: 'Self' }),
          subjectPublicKey: key.publicKey,
          profile: certificateProfileOf(defaultCredentialProfile),
          serialNumber: generateSerialNumber(),
          clock: systemClock,
        }),
        (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_PROFILE_VIOLATION',
      );
    });

    it('enrolls a server-generated key, recording its reference for rekey', async () => {
      const rec = await pki.ca.issueWithNewKey(pki.keystore, { type: 'EC', curve: 'P-384' }, { subject: { commonName: 'Server Key Sam' }, profile: 'signing' });
      assert.ok(rec.keyRef?.startsWith('keystore:'));
      const spki = await pki.keystore.getPublicKey(rec.keyRef ?? '');
      assert.deepEqual(spkiDer(parseCertificate(rec.der)), spki);
      await assert.rejects(
        pki.ca.issueWithNewKey(pki.keystore, { type: 'EC', curve: 'P-256' }, { subject: { commonName: '' }, profile: 'signing' }),
        (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_SUBJECT_INVALID',
      );
    });

    it('builds an RSA hierarchy (sha256WithRSAEncryption) that openssl verify accepts', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const store = new FileCaStore(join(pki.dir, 'rsa-store'));
      mkdirSync(join(pki.dir, 'rsa-store'));
      const h = await createCaHierarchy({ backend: pki.keystore, store, clock: systemClock, urls: {}, keySpec: { type: 'RSA', bits: 2048 }, labelPrefix: 'rsa' });
      assert.deepEqual(h.algorithm, { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' });
      const root = join(pki.dir, 'rsa-root.pem');
      const chain = join(pki.dir, 'rsa-issuing.pem');
      const tsa = join(pki.dir, 'rsa-tsa.pem');
      writeFileSync(root, derToPem(h.root.certificate, 'CERTIFICATE'));
      writeFileSync(chain, derToPem(h.issuing.certificate, 'CERTIFICATE'));
      writeFileSync(tsa, derToPem(h.tsa.certificate, 'CERTIFICATE'));
      const r = runTool('openssl', ['verify', '-CAfile', root, '-untrusted', chain, tsa]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(runTool('openssl', ['x509', '-in', tsa, '-noout', '-text']).stdout, /Signature Algorithm: sha256WithRSAEncryption/);
    });
  });
}
