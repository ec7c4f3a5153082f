/**
 * Issue 16 §3: enrollment from a CSR for a key held elsewhere, and the external signing mode —
 * a bad proof of possession is refused with a coded error; signHash refuses the credential before
 * any SAD is touched; the two-phase API answers the DTBS, refuses a signature value that does not
 * verify with the certificate, embeds a good one (Signet's validator and pdfsig judge the PDF);
 * renewal reuses the stored CSR and keeps the profile; everything is audited.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPrivateKey,
  createHash,
  generateKeyPairSync,
  sign as nodeSign,
  type KeyObject,
} from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { isSignetError } from '../../src/core/errors.js';
import { oids } from '../../src/cms/index.js';
import { addCredentialKey, enrollCredential } from '../../src/csc/index.js';
import { derToPem, parseCertificate, renewCertificates, spkiDer } from '../../src/pki/index.js';
import { findCredential } from '../../src/store/index.js';
import { verifyAuditLog } from '../../src/audit/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { externalSigningRoutes } from '../../src/server/routes/external-signing-routes.js';
import { opensslKeyAndCsr, requireTools, runTool } from '../support/tools.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsig } from '../support/judges.js';
import { tempDir } from '../support/tmp.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { cscHarness } from './support/csc-harness.js';

/** A P-256 key and its CSR made by openssl (the key holder's side). */
function opensslCsr(
  dir: string,
  subj: string,
): { key: KeyObject; csrPem: string; csrFile: string } {
  const { key: keyFile, csr: csrFile } = opensslKeyAndCsr(dir, 'holder', subj);
  return {
    key: createPrivateKey(runTool('cat', [keyFile]).stdout),
    csrPem: runTool('cat', [csrFile]).stdout,
    csrFile,
  };
}

/** The same CSR with one bit of its signature flipped (the proof of possession no longer verifies). */
function breakSignature(pem: string): Uint8Array {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const csr = AsnConvert.parse(der, CertificationRequest);
  const sig = new Uint8Array(csr.signature);
  sig[sig.length - 3] = (sig[sig.length - 3] as number) ^ 0x01;
  csr.signature = sig.buffer;
  return new Uint8Array(AsnConvert.serialize(csr));
}

for (const kind of storeKinds) {
  describe(`issue 16 §3: CSR enrollment and external signing (${kind})`, () => {
    it('enrolls a CSR, refuses signHash, signs through the two phases, refuses a bad signature value, renews from the stored CSR', async (t) => {
      if (!requireTools(t, 'openssl', 'pdfsig')) return;
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const h = await cscHarness(t, store);
      const dir = tempDir(t, 'signet-enroll-');
      const user = await h.createUser('jana');
      const holder = opensslCsr(dir, '/CN=Jana Holder/C=BE');

      // A CSR whose signature does not verify: a coded error, nothing stored.
      await assert.rejects(
        enrollCredential(h.lifecycle, { userId: user.id, csr: breakSignature(holder.csrPem) }),
        (e) => isSignetError(e, 'ERR_PKI_CSR_BAD_POP'),
      );

      const { credentialID, serialNumber } = await enrollCredential(h.lifecycle, {
        userId: user.id,
        csr: holder.csrPem,
        pin: '13579',
      });
      const row = await findCredential(store.db, credentialID);
      assert.equal(row?.signing_mode, 'external');
      // The server cannot put a key of its own next to the holder's.
      await assert.rejects(
        addCredentialKey(h.lifecycle, { credentialId: credentialID, backend: 'software' }),
        (e) => isSignetError(e, 'ERR_CSC_EXTERNAL_KEY'),
      );
      assert.equal(row?.profile, 'signing');
      const record = await h.pki.store.getCertificate(serialNumber);
      assert.ok(record?.csr !== undefined, 'the CA keeps the CSR');
      const certPem = join(dir, 'holder.pem');
      writeFileSync(certPem, derToPem(record.der, 'CERTIFICATE'));
      // The certificate certifies the holder's key (openssl agrees on the public key).
      const fromCert = runTool('openssl', ['x509', '-in', certPem, '-noout', '-pubkey']).stdout;
      const fromCsr = runTool('openssl', [
        'req',
        '-in',
        holder.csrFile,
        '-noout',
        '-pubkey',
      ]).stdout;
      assert.equal(fromCert, fromCsr);

      // signHash and credentials/authorize: refused with a clear CSC error, nothing consumed.
      const token = await h.login('v2', user);
      const hash = createHash('sha256').update('x').digest('base64');
      const auth = await h.call(
        'v2',
        'credentials/authorize',
        {
          credentialID,
          numSignatures: 1,
          hashes: [hash],
          hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
          authData: [
            { id: 'PIN', value: '13579' },
            { id: 'OTP', value: h.nextOtp(user) },
          ],
        },
        { bearer: token },
      );
      // credentials/authorize: no SAD for a key the server does not hold (no factor spent on it).
      assert.equal(auth.status, 400, JSON.stringify(auth.body));
      assert.match(auth.body.error_description as string, /held by its owner/);
      assert.ok(!(await h.auditTypes()).some((a) => a.startsWith('sad.issue')), 'no SAD issued');
      const refused = await h.call(
        'v2',
        'signatures/signHash',
        {
          credentialID,
          SAD: 'a-sad-from-elsewhere',
          hashes: [hash],
          hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
          signAlgo: oids.ecdsa_with_SHA256,
        },
        { bearer: token },
      );
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_request');
      assert.match(refused.body.error_description as string, /held by its owner/);
      assert.ok(
        !(await h.auditTypes()).includes('sad.consume:success'),
        'the SAD was not consumed',
      );

      // The two phases.
      const app = Fastify({ logger: false });
      await app.register(externalSigningRoutes, { deps: h.deps, prefix: '/api/v1' });
      t.after(() => app.close());
      const post = async (path: string, payload: object) => {
        const res = await app.inject({
          method: 'POST',
          url: `/api/v1/external-signatures/${path}`,
          headers: { authorization: `Bearer ${token}` },
          payload,
        });
        return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, string> };
      };
      const pdf = makeBasePdf();
      const document = Buffer.from(pdf).toString('base64');
      const prepared = await post('prepare', { credentialID, document, reason: 'external key' });
      assert.equal(prepared.status, 200, JSON.stringify(prepared.body));
      assert.equal(prepared.body['signAlgo'], oids.ecdsa_with_SHA256);
      const dtbs = Buffer.from(prepared.body['dtbs'] as string, 'base64');
      assert.equal(createHash('sha256').update(dtbs).digest('base64'), prepared.body['dtbsHash']);

      // A value made with another key is refused, nothing embedded.
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const bad = await post('complete', {
        credentialID,
        document,
        state: prepared.body['state'] as string,
        signature: nodeSign('sha256', dtbs, stranger).toString('base64'),
      });
      assert.deepEqual([bad.status, bad.body['error']], [400, 'invalid_request']);
      assert.match(
        bad.body['error_description'] as string,
        /does not verify with the credential's certificate/,
      );
      // Another document under the same state is refused.
      const other = await post('complete', {
        credentialID,
        document: Buffer.from(makeBasePdf({ text: 'another document' })).toString('base64'),
        state: prepared.body['state'] as string,
        signature: nodeSign('sha256', dtbs, holder.key).toString('base64'),
      });
      assert.equal(other.status, 400);

      const done = await post('complete', {
        credentialID,
        document,
        state: prepared.body['state'] as string,
        signature: nodeSign('sha256', dtbs, holder.key).toString('base64'),
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const signed = new Uint8Array(Buffer.from(done.body['document'] as string, 'base64'));
      const report = verifyPdfSignatures(signed, {
        trustAnchors: [h.pki.hierarchy.root.certificate],
      });
      assert.equal(
        report.signatures[0]?.indication,
        'TOTAL-PASSED',
        JSON.stringify(report.signatures[0]?.problems),
      );
      const signedFile = join(dir, 'signed.pdf');
      writeFileSync(signedFile, signed);
      const judged = pdfsig(signedFile);
      assert.equal(judged.length, 1);
      assert.equal(judged[0]?.isValid, true, judged[0]?.text);

      // Renewal: the successor certifies the CSR's key under the same profile, and the CSR stays with it.
      const renewal = await renewCertificates({
        ca: h.lifecycle.ca,
        withinDays: 0,
        serialHex: serialNumber,
      });
      const successor = renewal.renewed[0]?.to;
      assert.ok(successor !== undefined);
      assert.equal(successor.profile, 'signing');
      assert.deepEqual(
        spkiDer(parseCertificate(successor.der)),
        spkiDer(parseCertificate(record.der)),
      );
      assert.deepEqual(successor.csr, record.csr);

      const types = await h.auditTypes();
      for (const type of [
        'credential.enroll:success',
        'signing.external.prepare:success',
        'signing.external.complete:success',
      ])
        assert.ok(types.includes(type), `${type} in ${types.join(' ')}`);
      assert.equal((await verifyAuditLog(store.db, h.audit.key)).ok, true);
    });
  });
}
