/** RFC 5652 §5 SignedData built by Signet, judged by `openssl cms -verify` and by our own parser. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSignedAttributes,
  buildSignedData,
  cmsOids,
  digestOf,
  findSignerCertificate,
  parseSignedData,
  verifySignerInfo,
  type DigestAlgorithm,
  type Signer,
} from '../../src/cms/index.js';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { buildTestPki, leafKinds, writePkiFiles, type LeafKind, type TestPki } from '../support/pki.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

interface Case {
  readonly leaf: LeafKind;
  readonly digest: DigestAlgorithm;
}

const cases: readonly Case[] = [
  { leaf: 'rsa', digest: 'SHA-256' },
  { leaf: 'rsa', digest: 'SHA-384' },
  { leaf: 'rsa', digest: 'SHA-512' },
  { leaf: 'rsa-pss', digest: 'SHA-256' },
  { leaf: 'rsa-pss', digest: 'SHA-384' },
  { leaf: 'rsa-pss', digest: 'SHA-512' },
  { leaf: 'ec-p256', digest: 'SHA-256' },
  { leaf: 'ec-p384', digest: 'SHA-384' },
  { leaf: 'ec-p521', digest: 'SHA-512' },
  { leaf: 'ec-p256', digest: 'SHA-512' },
];

async function signerFor(pki: TestPki<LeafKind>, c: Case): Promise<Signer> {
  const leaf = pki.leaves[c.leaf];
  return loadLocalSigner(
    { kind: 'pem', key: leaf.privateKeyPem, certificate: leaf.pem, chain: [pki.intermediate.pem] },
    c.leaf.startsWith('rsa') ? { scheme: c.leaf === 'rsa-pss' ? 'RSASSA-PSS' : 'RSASSA-PKCS1-v1_5', digest: c.digest } : { digest: c.digest },
  );
}

async function signDetached(signer: Signer, content: Uint8Array): Promise<{ cms: Uint8Array; dtbs: Uint8Array }> {
  const digest = signer.signatureAlgorithm.digest;
  const dtbs = buildSignedAttributes({
    messageDigest: digestOf(digest, content),
    digestAlgorithm: digest,
    signingCertificate: signer.certificateChain[0] as Uint8Array,
  });
  const signature = await signer.sign(dtbs);
  assert.ok(signature.length <= signer.maxSignatureSize(), 'maxSignatureSize is an upper bound');
  const cms = buildSignedData({
    signedAttributes: dtbs,
    signature,
    signatureAlgorithm: signer.signatureAlgorithm,
    certificates: signer.certificateChain,
  });
  return { cms, dtbs };
}

describe('RFC 5652 §5 detached SignedData for PAdES B-B (ETSI EN 319 142-1 §5.2)', () => {
  let pki: TestPki<LeafKind>;
  before(async () => {
    pki = await buildTestPki({ leaves: leafKinds });
  });
  const content = new TextEncoder().encode('%PDF-1.7 pretend byte ranges\n'.repeat(50));

  for (const c of cases) {
    it(`openssl cms -verify accepts ${c.leaf} with ${c.digest}`, async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const signer = await signerFor(pki, c);
      const { cms } = await signDetached(signer, content);
      const dir = tempDir(t);
      writeFileSync(join(dir, 'sig.der'), cms);
      writeFileSync(join(dir, 'data.bin'), content);
      writeFileSync(join(dir, 'root.pem'), pki.root.pem);
      const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'data.bin'), '-CAfile', join(dir, 'root.pem'), '-purpose', 'any', '-out', join(dir, 'out.bin')];
      const ok = runTool('openssl', args);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stderr, /Verification successful/);

      // The judge must be able to fail: other content breaks the message digest.
      writeFileSync(join(dir, 'data.bin'), new TextEncoder().encode('other content'));
      const bad = runTool('openssl', args);
      assert.notEqual(bad.status, 0);

      // Our parser and verifier agree.
      const sd = parseSignedData(cms);
      assert.equal(sd.version, 1);
      assert.equal(sd.contentType, cmsOids.id_data);
      assert.equal(sd.content, undefined);
      assert.deepEqual(sd.digestAlgorithms, [c.digest]);
      assert.equal(sd.certificates.length, 2);
      const si = sd.signerInfos[0];
      assert.ok(si);
      assert.deepEqual(si.signatureAlgorithm, signer.signatureAlgorithm);
      const cert = findSignerCertificate(sd, si);
      assert.ok(cert);
      assert.deepEqual(cert, signer.certificateChain[0]);
      const result = verifySignerInfo(si, { certificate: cert, messageDigest: digestOf(c.digest, content) });
      assert.deepEqual(result.problems, []);
      assert.equal(result.isValid, true);
    });
  }

  it('openssl shows content-type, message-digest and signing-certificate-v2, and no signing-time', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const signer = await signerFor(pki, { leaf: 'rsa', digest: 'SHA-256' });
    const { cms } = await signDetached(signer, content);
    const dir = tempDir(t);
    writeFileSync(join(dir, 'sig.der'), cms);
    const out = runTool('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(dir, 'sig.der')]);
    assert.equal(out.status, 0, out.stderr);
    assert.ok(out.stdout.includes('signedAttrs'), 'printed');
    assert.match(out.stdout, /contentType/);
    assert.match(out.stdout, /messageDigest/);
    assert.match(out.stdout, /id-smime-aa-signingCertificateV2|signingCertificateV2/);
    assert.doesNotMatch(out.stdout, /signingTime/);
    // RFC 4055 §5: PKCS#1 v1.5 identifiers carry NULL parameters.
    assert.match(out.stdout, /signatureAlgorithm:\s*\n\s*algorithm: sha256WithRSAEncryption[^\n]*\n\s*parameter: NULL/);
  });

  it('RFC 5652 §5.4: the signature covers the explicit SET OF (tag 0x31), not the [0] form', async () => {
    const signer = await signerFor(pki, { leaf: 'ec-p256', digest: 'SHA-256' });
    const { cms, dtbs } = await signDetached(signer, content);
    assert.equal(dtbs[0], 0x31);
    const si = parseSignedData(cms).signerInfos[0];
    assert.deepEqual(si?.signedAttributes, dtbs);
    assert.deepEqual(si?.signedAttributeList.map((a) => a.oid).sort(), [
      cmsOids.id_contentType,
      cmsOids.id_messageDigest,
      cmsOids.id_aa_signingCertificateV2,
    ].sort());
  });
});

describe('test/support/pki.ts profiles (RFC 5280 §4.2.1, RFC 3161 §2.3, RFC 6960 §4.2.2.2)', () => {
  it('openssl verifies every certificate to the root with the right purpose', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const pki = await buildTestPki({ leaves: ['rsa'] });
    const dir = tempDir(t);
    const files = await writePkiFiles(dir);
    writeFileSync(join(dir, 'tsa.pem'), pki.tsa.pem);
    writeFileSync(join(dir, 'ocsp.pem'), pki.ocsp.pem);
    const verifyAs = (purpose: string, cert: string) =>
      runTool('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', files.root, '-untrusted', files.chain, cert]);
    assert.equal(verifyAs('any', files.cert).status, 0, verifyAs('any', files.cert).stderr);
    assert.equal(verifyAs('timestampsign', join(dir, 'tsa.pem')).status, 0, verifyAs('timestampsign', join(dir, 'tsa.pem')).stderr);
    // The purpose check can fail: the signer leaf has no timeStamping EKU.
    assert.notEqual(verifyAs('timestampsign', files.cert).status, 0);
    const text = runTool('openssl', ['x509', '-in', join(dir, 'tsa.pem'), '-noout', '-text']).stdout;
    assert.match(text, /X509v3 Extended Key Usage: critical\s*\n\s*Time Stamping/);
    const ocsp = runTool('openssl', ['x509', '-in', join(dir, 'ocsp.pem'), '-noout', '-text']).stdout;
    assert.match(ocsp, /OCSP Signing/);
    const leaf = runTool('openssl', ['x509', '-in', files.cert, '-noout', '-text']).stdout;
    assert.match(leaf, /X509v3 Key Usage: critical\s*\n\s*Digital Signature, Non Repudiation/);
    assert.match(leaf, /X509v3 Authority Key Identifier/);
    assert.match(leaf, /X509v3 Subject Key Identifier/);
  });
});
