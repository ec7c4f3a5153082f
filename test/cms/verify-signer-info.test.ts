/** verifySignerInfo (RFC 5652 §5.4/§5.6, RFC 5035 §3; docs/security.md V12, PDF-30): tampering is reported, not thrown. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AsnParser } from '@peculiar/asn1-schema';
import {
  SigningCertificateV2,
  buildSignedAttributes,
  buildSignedData,
  cmsOids,
  digestOf,
  encodeAttribute,
  parseSignedData,
  verifySignerInfo,
  type DigestAlgorithm,
  type Signer,
} from '../../src/cms/index.js';
import { readCertificateId } from '../../src/cms/certificate-id.js';
import { encodeOid, encodeTlv, tags } from '../../src/cms/der.js';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { buildTestPki, issueTestCertificate, type TestPki } from '../support/pki.js';

const content = new TextEncoder().encode('the ByteRange bytes');

describe('verifySignerInfo', () => {
  let pki: TestPki<'rsa' | 'ec-p256'>;
  let rsa: Signer;
  let ec: Signer;
  before(async () => {
    pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
    rsa = await loadLocalSigner({ kind: 'pem', key: pki.leaves.rsa.privateKeyPem, certificate: pki.leaves.rsa.pem });
    ec = await loadLocalSigner({ kind: 'pem', key: pki.leaves['ec-p256'].privateKeyPem, certificate: pki.leaves['ec-p256'].pem });
  });

  async function make(signer: Signer, essCertificate?: Uint8Array): Promise<{ cms: Uint8Array; md: Uint8Array }> {
    const digest = signer.signatureAlgorithm.digest;
    const md = digestOf(digest, content);
    const dtbs = buildSignedAttributes({
      messageDigest: md,
      digestAlgorithm: digest,
      signingCertificate: essCertificate ?? (signer.certificateChain[0] as Uint8Array),
    });
    const cms = buildSignedData({
      signedAttributes: dtbs,
      signature: await signer.sign(dtbs),
      signatureAlgorithm: signer.signatureAlgorithm,
      certificates: signer.certificateChain,
    });
    return { cms, md };
  }

  function check(cms: Uint8Array, md: Uint8Array, certificate: Uint8Array) {
    const si = parseSignedData(cms).signerInfos[0];
    assert.ok(si);
    return verifySignerInfo(si, { certificate, messageDigest: md });
  }

  it('accepts an untouched signature', async () => {
    for (const signer of [rsa, ec]) {
      const { cms, md } = await make(signer);
      const r = check(cms, md, signer.certificateChain[0] as Uint8Array);
      assert.equal(r.isValid, true);
      assert.deepEqual(r.problems, []);
    }
  });

  it('detects a changed signature value', async () => {
    for (const signer of [rsa, ec]) {
      const { cms, md } = await make(signer);
      const si = parseSignedData(cms).signerInfos[0];
      assert.ok(si);
      const at = cms.length - si.signature.length + 5; // signature is the SignerInfo's last field
      const tampered = Uint8Array.from(cms);
      tampered[at] = (tampered[at] as number) ^ 0x01;
      const r = check(tampered, md, signer.certificateChain[0] as Uint8Array);
      assert.equal(r.isSignatureValid, false);
      assert.deepEqual(r.problems, ['SIGNATURE_INVALID']);
    }
  });

  it('detects a changed signed attribute (the message-digest inside the CMS)', async () => {
    const { cms, md } = await make(rsa);
    const at = Buffer.from(cms).indexOf(Buffer.from(md));
    assert.ok(at > 0);
    const tampered = Uint8Array.from(cms);
    tampered[at] = (tampered[at] as number) ^ 0xff;
    const r = check(tampered, md, rsa.certificateChain[0] as Uint8Array);
    assert.deepEqual([...r.problems].sort(), ['MESSAGE_DIGEST_MISMATCH', 'SIGNATURE_INVALID']);
  });

  it('PDF-30: message-digest of another document', async () => {
    const { cms } = await make(ec);
    const r = check(cms, digestOf('SHA-256', new TextEncoder().encode('another document')), ec.certificateChain[0] as Uint8Array);
    assert.equal(r.isValid, false);
    assert.equal(r.isSignatureValid, true);
    assert.deepEqual(r.problems, ['MESSAGE_DIGEST_MISMATCH']);
  });

  it('PDF-30: signing-certificate-v2 naming a different certificate', async () => {
    const { cms, md } = await make(rsa, pki.intermediate.der);
    const r = check(cms, md, rsa.certificateChain[0] as Uint8Array);
    assert.deepEqual(r.problems, ['SIGNING_CERTIFICATE_MISMATCH']);
  });

  it('reports a certificate that is not the one named by the sid', async () => {
    const { cms, md } = await make(rsa);
    const r = check(cms, md, ec.certificateChain[0] as Uint8Array);
    assert.ok(r.problems.includes('SID_MISMATCH'));
    assert.ok(r.problems.includes('KEY_ALGORITHM_MISMATCH'));
    assert.equal(r.isValid, false);
  });

  it('reports missing signing-certificate-v2 and content-type (RFC 5652 §5.3)', async () => {
    const md = digestOf('SHA-256', content);
    const onlyDigest = Uint8Array.from([
      0x31,
      ...(() => {
        const a = encodeAttribute({ oid: cmsOids.id_messageDigest, values: [Uint8Array.from([0x04, md.length, ...md])] });
        return [a.length, ...a];
      })(),
    ]);
    const sig = await rsa.sign(onlyDigest);
    // buildSignedData refuses such attributes, so splice them into a valid CMS by hand.
    assert.throws(() =>
      buildSignedData({ signedAttributes: onlyDigest, signature: sig, signatureAlgorithm: rsa.signatureAlgorithm, certificates: rsa.certificateChain }),
    );
    const si = parseSignedData((await make(rsa)).cms).signerInfos[0];
    assert.ok(si);
    const forged = {
      ...si,
      signedAttributes: onlyDigest,
      signedAttributeList: [{ oid: cmsOids.id_messageDigest, values: [Uint8Array.from([0x04, md.length, ...md])] }],
      signature: sig,
    };
    const r = verifySignerInfo(forged, { certificate: rsa.certificateChain[0] as Uint8Array, messageDigest: md });
    assert.deepEqual([...r.problems].sort(), ['CONTENT_TYPE_MISSING', 'SIGNING_CERTIFICATE_MISSING']);
    assert.equal(r.isSignatureValid, true);
  });

  it('RFC 5035 §4: ESSCertIDv2.hashAlgorithm is omitted for SHA-256 and present otherwise', async () => {
    const cases: readonly [DigestAlgorithm, boolean][] = [
      ['SHA-256', false],
      ['SHA-384', true],
      ['SHA-512', true],
    ];
    for (const [digest, present] of cases) {
      const dtbs = buildSignedAttributes({
        messageDigest: digestOf(digest, content),
        digestAlgorithm: digest,
        signingCertificate: rsa.certificateChain[0] as Uint8Array,
      });
      const cms = buildSignedData({ signedAttributes: dtbs, signature: new Uint8Array([1]), signatureAlgorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest }, certificates: rsa.certificateChain });
      const attr = parseSignedData(cms).signerInfos[0]?.signedAttributeList.find((a) => a.oid === cmsOids.id_aa_signingCertificateV2);
      assert.ok(attr);
      const value = AsnParser.parse(attr.values[0] as Uint8Array, SigningCertificateV2);
      assert.equal(value.certs[0]?.hashAlgorithm !== undefined, present, digest);
      assert.ok(value.certs[0]?.issuerSerial, 'issuerSerial included');
    }
  });

  it('RFC 5035 §3: the first ESSCertIDv2 matches on the certificate hash and, when present, its issuerSerial (issuer Name and serialNumber)', async () => {
    const certificate = rsa.certificateChain[0] as Uint8Array;
    const id = readCertificateId(certificate);
    const { cms, md } = await make(rsa);
    const si = parseSignedData(cms).signerInfos[0];
    assert.ok(si);
    const seq = (...c: Uint8Array[]): Uint8Array => encodeTlv(tags.sequence, ...c);
    const issuerSerial = (issuer: Uint8Array, serial: Uint8Array): Uint8Array =>
      seq(seq(encodeTlv(0xa4, issuer)), encodeTlv(tags.integer, serial));
    const ess = (...certId: Uint8Array[]): Uint8Array => seq(seq(seq(...certId)));
    const sha384 = seq(encodeOid('2.16.840.1.101.3.4.2.2'));
    const hash = encodeTlv(tags.octetString, digestOf('SHA-256', certificate));
    const cases: readonly [string, Uint8Array, boolean][] = [
      ['hash and issuerSerial', ess(hash, issuerSerial(id.issuer, id.serialNumberContent)), true],
      ['hash only', ess(hash), true],
      ['SHA-384 named', ess(sha384, encodeTlv(tags.octetString, digestOf('SHA-384', certificate))), true],
      ['another serialNumber', ess(hash, issuerSerial(id.issuer, Uint8Array.of(0x01))), false],
      ['another issuer', ess(hash, issuerSerial(id.subject, id.serialNumberContent)), false],
      ["another certificate's hash", ess(encodeTlv(tags.octetString, digestOf('SHA-256', pki.intermediate.der))), false],
      ['SHA-384 named over a SHA-256 hash', ess(sha384, hash), false],
      ['a second element after certs that is not a policy list', seq(seq(seq(hash)), Uint8Array.of(0x05, 0)), false],
    ];
    for (const [name, value, expected] of cases) {
      const forged = {
        ...si,
        signedAttributeList: si.signedAttributeList.map((a) => (a.oid === cmsOids.id_aa_signingCertificateV2 ? { oid: a.oid, values: [value] } : a)),
      };
      const r = verifySignerInfo(forged, { certificate, messageDigest: md });
      assert.equal(r.isSigningCertificateValid, expected, name);
    }
  });

  it('refuses bad builder input with typed errors', async () => {
    assert.throws(
      () => buildSignedAttributes({ messageDigest: new Uint8Array(20), digestAlgorithm: 'SHA-256', signingCertificate: rsa.certificateChain[0] as Uint8Array }),
      { code: 'ERR_CMS_INPUT' },
    );
    assert.throws(
      () => buildSignedAttributes({ messageDigest: new Uint8Array(32), digestAlgorithm: 'SHA-256', signingCertificate: new Uint8Array([0x30, 0x00]) }),
      { code: 'ERR_CMS_CERTIFICATE' },
    );
    assert.throws(
      () =>
        buildSignedAttributes({
          messageDigest: new Uint8Array(32),
          digestAlgorithm: 'SHA-256',
          signingCertificate: rsa.certificateChain[0] as Uint8Array,
          extra: [{ oid: cmsOids.id_messageDigest, values: [new Uint8Array([0x04, 0x00])] }],
        }),
      { code: 'ERR_CMS_ATTRIBUTE_DUPLICATE' },
    );
  });
});

describe('verifySignerInfo: docs/security.md V12 key constraints (PDF-30 RSA-1024)', () => {
  async function signedWith(key: KeyObject, certificate: Uint8Array, scheme: 'RSASSA-PKCS1-v1_5' | 'ECDSA') {
    const md = digestOf('SHA-256', content);
    const dtbs = buildSignedAttributes({ messageDigest: md, digestAlgorithm: 'SHA-256', signingCertificate: certificate });
    const signature = new Uint8Array(sign('sha256', dtbs, scheme === 'ECDSA' ? { key, dsaEncoding: 'der' } : key));
    const cms = buildSignedData({ signedAttributes: dtbs, signature, signatureAlgorithm: { scheme, digest: 'SHA-256' }, certificates: [certificate] });
    const si = parseSignedData(cms).signerInfos[0];
    assert.ok(si);
    return verifySignerInfo(si, { certificate, messageDigest: md });
  }

  it('reports an RSA-1024 signer as KEY_NOT_ACCEPTED while the signature itself verifies', async () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const cert = await issueTestCertificate({ key, subject: 'Weak RSA Signer' });
    const r = await signedWith(key, cert.der, 'RSASSA-PKCS1-v1_5');
    assert.equal(r.isSignatureValid, true);
    assert.deepEqual(r.problems, ['KEY_NOT_ACCEPTED']);
  });

  it('reports a secp256k1 signer as KEY_NOT_ACCEPTED', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    const cert = await issueTestCertificate({ key, subject: 'Other Curve Signer' });
    const r = await signedWith(key, cert.der, 'ECDSA');
    assert.equal(r.isSignatureValid, true);
    assert.deepEqual(r.problems, ['KEY_NOT_ACCEPTED']);
  });
});
