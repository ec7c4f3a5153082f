/** The renewal job: window, same key or rekey, idempotent and safe under concurrent runs. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools, runTool } from '../../support/tools.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { caStoreSuites } from '../support/ca-stores.js';
import { derToPem, parseCertificate, nameToString, spkiDer } from '../../../src/pki/certificate.js';
import { renewCertificates } from '../../../src/pki/renewal/renew-certificates.js';
import { CertificateAuthority } from '../../../src/pki/ca/certificate-authority.js';
import { PkiError } from '../../../src/pki/errors.js';

for (const { kind, skip } of await caStoreSuites()) {
  describe(`renewCertificates (renewal window, atomic claims) — ${kind} CA store`, { skip }, () => {
    let pki: PkiFixture;
    const cleanup = suiteCleanup(after);
    before(async () => {
      pki = await makePki(cleanup, { store: kind });
    });

    it('renews certificates inside the window once, keeping subject, profile, QC statements and key', async (t) => {
      const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      const old = await pki.ca.issue({
        subject: { commonName: 'Renee Renewal', country: 'BE', serialNumber: 'PNOBE-123' },
        subjectPublicKey: key.publicKey,
        profile: 'signing',
        validityDays: 10,
        qcStatements: { qcCompliance: true, qcSSCD: false, qcTypeESign: true },
      });
      const far = await pki.ca.issue({ subject: { commonName: 'Far Future' }, subjectPublicKey: (await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' })).publicKey, profile: 'signing' });

      // Two runs at once (two claimants, as two nodes would be) and a third afterwards.
      const second = new CertificateAuthority({
        id: 'issuing',
        key: { backend: pki.keystore, ref: pki.hierarchy.issuing.keyRef, algorithm: pki.hierarchy.algorithm },
        certificate: pki.hierarchy.issuing.certificate,
        store: await pki.openStoreAgain(),
        clock: pki.ca.clock,
        urls: {},
      });
      const [a, b] = await Promise.all([
        renewCertificates({ ca: pki.ca, withinDays: 30, claimant: 'node-a' }),
        renewCertificates({ ca: second, withinDays: 30, claimant: 'node-b' }),
      ]);
      const c = await renewCertificates({ ca: pki.ca, withinDays: 30 });
      const all = [...a.renewed, ...b.renewed, ...c.renewed].filter((r) => r.from === old.serialHex);
      assert.equal(all.length, 1, 'exactly one successor');
      assert.ok(![...a.renewed, ...b.renewed, ...c.renewed].some((r) => r.from === far.serialHex));
      const successor = all[0]?.to;
      assert.ok(successor);
      const oldCert = parseCertificate(old.der);
      const newCert = parseCertificate(successor.der);
      assert.equal(nameToString(newCert.tbsCertificate.subject), nameToString(oldCert.tbsCertificate.subject));
      assert.deepEqual(spkiDer(newCert), spkiDer(oldCert));
      assert.ok(successor.notAfter > old.notAfter);
      assert.equal((await pki.store.getCertificate(old.serialHex))?.renewedBy, successor.serialHex);

      if (!requireTools(t, 'openssl')) return;
      const file = join(pki.dir, 'renewed.pem');
      writeFileSync(file, derToPem(successor.der, 'CERTIFICATE'));
      const v = runTool('openssl', ['verify', '-CAfile', pki.files.root, '-untrusted', pki.files.issuing, file]);
      assert.equal(v.status, 0, v.stdout + v.stderr);
      const text = runTool('openssl', ['x509', '-in', file, '-noout', '-text']).stdout;
      assert.match(text, /serialNumber ?= ?PNOBE-123/);
      assert.match(text, /Non Repudiation/);
    });

    it('rekeys server-generated keys and refuses rekey of CSR-based certificates', async () => {
      const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      const old = await pki.ca.issue({ subject: { commonName: 'Rekey Rob' }, subjectPublicKey: key.publicKey, profile: 'signing', keyRef: key.ref, validityDays: 5 });
      const report = await renewCertificates({ ca: pki.ca, withinDays: 30, serialHex: old.serialHex, rekey: { backend: pki.keystore, spec: { type: 'EC', curve: 'P-256' } } });
      const to = report.renewed[0]?.to;
      assert.ok(to);
      assert.notEqual(to.keyRef, key.ref);
      assert.notDeepEqual(spkiDer(parseCertificate(to.der)), key.publicKey);

      const csrLike = await pki.ca.issue({ subject: { commonName: 'CSR Cid' }, subjectPublicKey: (await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' })).publicKey, profile: 'signing', validityDays: 5 });
      await assert.rejects(
        renewCertificates({ ca: pki.ca, withinDays: 30, serialHex: csrLike.serialHex, rekey: { backend: pki.keystore, spec: { type: 'EC', curve: 'P-256' } } }),
        (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_RENEWAL_UNSUPPORTED',
      );
    });

    it('renews only signing-profile certificates by default (TSA and OCSP certificates are left alone)', async () => {
      const report = await renewCertificates({ ca: pki.ca, withinDays: 4000 });
      const froms = report.renewed.map((r) => r.from);
      const tsaSerial = (await import('../../../src/pki/certificate.js')).serialToHex(parseCertificate(pki.hierarchy.tsa.certificate).tbsCertificate.serialNumber);
      const ocspSerial = (await import('../../../src/pki/certificate.js')).serialToHex(parseCertificate(pki.hierarchy.ocsp.certificate).tbsCertificate.serialNumber);
      assert.ok(!froms.includes(tsaSerial) && !froms.includes(ocspSerial));
      assert.ok(report.renewed.every((r) => r.to.profile === 'signing'));
    });
  });
}
