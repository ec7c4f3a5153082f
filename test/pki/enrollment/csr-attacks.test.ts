/**
 * Hostile PKCS#10 requests (RFC 2986) against the key policy, proof of possession, the unique key
 * rule and the subject rules — docs/security.md ASN-06, ASN-07, ASN-08. Requests are built here with
 * the asn1 schemas (and openssl where it can make the key), so each case changes exactly one thing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { caStoreSuites } from '../support/ca-stores.js';
import { verifyCsr } from '../../../src/pki/enrollment/verify-csr.js';
import { buildSubject } from '../../../src/pki/ca/subject.js';
import { PkiError } from '../../../src/pki/errors.js';

const sha256WithRSAEncryption = '1.2.840.113549.1.1.11';
const ecdsaWithSHA256 = '1.2.840.10045.4.3.2';
const rsaEncryption = '1.2.840.113549.1.1.1';

function code(c: string) {
  return (e: unknown) => e instanceof PkiError && e.code === c;
}

function spkiOf(key: KeyObject): Uint8Array {
  const pub = key.type === 'public' ? key : createPublicKey(key);
  return new Uint8Array(pub.export({ format: 'der', type: 'spki' }));
}

/** X.520 attribute with an explicit string type (the CHOICE arm of DirectoryString). */
function rdn(oid: string, value: ConstructorParameters<typeof AttributeValue>[0]): RelativeDistinguishedName {
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid, value: new AttributeValue(value) })]);
}

const cn = (value: ConstructorParameters<typeof AttributeValue>[0]) => rdn('2.5.4.3', value);

/**
 * A DER CSR over `spki` and `subject`, self-signed by `signer` (which may be another key than the
 * one in `spki`) under `signatureOid`.
 */
function buildCsr(options: { spki: Uint8Array; subject?: Name; signer: KeyObject; signatureOid?: string }): Uint8Array {
  const info = new CertificationRequestInfo({
    version: 0,
    subject: options.subject ?? new Name([cn({ utf8String: 'Test' })]),
    subjectPKInfo: AsnConvert.parse(options.spki, SubjectPublicKeyInfo),
  });
  const tbs = new Uint8Array(AsnConvert.serialize(info));
  const isRsa = options.signer.asymmetricKeyType === 'rsa';
  const signature = new Uint8Array(sign('sha256', tbs, { key: options.signer, ...(isRsa ? {} : { dsaEncoding: 'der' as const }) }));
  const oid = options.signatureOid ?? (isRsa ? sha256WithRSAEncryption : ecdsaWithSHA256);
  const csr = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new AlgorithmIdentifier(oid === ecdsaWithSHA256 ? { algorithm: oid } : { algorithm: oid, parameters: null }),
    signature: signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.byteLength) as ArrayBuffer,
  });
  return new Uint8Array(AsnConvert.serialize(csr));
}

/** An rsaEncryption SPKI with an arbitrary modulus and exponent (no private key exists). */
function rsaSpki(modulus: Uint8Array, exponent: Uint8Array): Uint8Array {
  // Positive INTEGERs: a leading zero octet keeps the top bit from reading as a sign (X.690 §8.3).
  const pub = new RSAPublicKey({
    modulus: new Uint8Array([0, ...modulus]).buffer,
    publicExponent: new Uint8Array([0, ...exponent]).buffer,
  });
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: rsaEncryption, parameters: null }),
    subjectPublicKey: AsnConvert.serialize(pub),
  });
  return new Uint8Array(AsnConvert.serialize(spki));
}

/** An odd number of `bits` bits with the top bit set. */
function oddNumber(bits: number): Uint8Array {
  const n = new Uint8Array(randomBytes(bits / 8));
  n[0] = (n[0] ?? 0) | 0x80;
  n[n.length - 1] = (n[n.length - 1] ?? 0) | 0x01;
  return n;
}

describe('docs/security.md ASN-06: CSR keys and proof of possession (RFC 2986 §3, ETSI TS 119 312 §6)', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('accepts the control: a P-256 request signed by its own key', () => {
    assert.equal(verifyCsr(buildCsr({ spki: spkiOf(ec.publicKey), signer: ec.privateKey })).key.keyType, 'EC');
  });

  it('refuses a request signed by another key (bad proof of possession) as ERR_PKI_CSR_BAD_POP', () => {
    assert.throws(() => verifyCsr(buildCsr({ spki: spkiOf(ec.publicKey), signer: other.privateKey })), code('ERR_PKI_CSR_BAD_POP'));
  });

  it('refuses an algorithm mismatch (EC key, RSA signature algorithm and the reverse) as ERR_PKI_CSR_BAD_POP', () => {
    assert.throws(
      () => verifyCsr(buildCsr({ spki: spkiOf(ec.publicKey), signer: ec.privateKey, signatureOid: sha256WithRSAEncryption })),
      code('ERR_PKI_CSR_BAD_POP'),
    );
    assert.throws(
      () => verifyCsr(buildCsr({ spki: spkiOf(rsa.publicKey), signer: rsa.privateKey, signatureOid: ecdsaWithSHA256 })),
      code('ERR_PKI_CSR_BAD_POP'),
    );
  });

  it('refuses RSA-16384 as ERR_PKI_UNSUPPORTED_KEY (above the 8192-bit maximum)', () => {
    const spki = rsaSpki(oddNumber(16384), new Uint8Array([1, 0, 1]));
    assert.equal(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength, 16384);
    assert.throws(() => verifyCsr(buildCsr({ spki, signer: rsa.privateKey })), code('ERR_PKI_UNSUPPORTED_KEY'));
  });

  it('refuses a 4096-bit public exponent as ERR_PKI_WEAK_KEY (NIST SP 800-89 §5.3.3: e < 2^256)', () => {
    const spki = rsaSpki(oddNumber(2048), oddNumber(4096));
    const details = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails;
    assert.equal(details?.modulusLength, 2048);
    assert.ok((details?.publicExponent ?? 0n) >= 1n << 4095n);
    assert.throws(() => verifyCsr(buildCsr({ spki, signer: rsa.privateKey })), code('ERR_PKI_WEAK_KEY'));
  });

  it('refuses e = 3 as ERR_PKI_WEAK_KEY, with a correct proof of possession (openssl key)', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const r = runTool('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_pubexp:3']);
    assert.equal(r.status, 0, r.stderr);
    const key = createPrivateKey(r.stdout);
    assert.equal(key.asymmetricKeyDetails?.publicExponent, 3n);
    assert.throws(() => verifyCsr(buildCsr({ spki: spkiOf(key), signer: key })), code('ERR_PKI_WEAK_KEY'));
  });

  it('refuses explicit curve parameters (RFC 5480 §2.1.1 namedCurve only) as ERR_PKI_UNSUPPORTED_KEY, and openssl made a valid request', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const key = runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:explicit']);
    assert.equal(key.status, 0, key.stderr);
    const keyFile = join(tempDir(t), 'explicit.key');
    writeFileSync(keyFile, key.stdout);
    const csr = runTool('openssl', ['req', '-new', '-key', keyFile, '-subj', '/CN=Explicit', '-outform', 'PEM']);
    assert.equal(csr.status, 0, csr.stderr);
    const verified = runTool('openssl', ['req', '-verify', '-noout'], { input: csr.stdout });
    assert.match(verified.stdout + verified.stderr, /verify OK/);
    const text = runTool('openssl', ['req', '-noout', '-text'], { input: csr.stdout }).stdout;
    assert.match(text, /Prime:|Field Type/);
    assert.throws(() => verifyCsr(csr.stdout), code('ERR_PKI_UNSUPPORTED_KEY'));
  });

  it('refuses a point not on the curve as ERR_PKI_UNSUPPORTED_KEY', () => {
    const spki = spkiOf(ec.publicKey);
    // The uncompressed point is the last 65 octets (04 || X || Y); change Y.
    spki[spki.length - 1] = (spki[spki.length - 1] ?? 0) ^ 0x01;
    assert.throws(() => verifyCsr(buildCsr({ spki, signer: ec.privateKey })), code('ERR_PKI_UNSUPPORTED_KEY'));
  });
});

for (const { kind, skip } of await caStoreSuites()) {
  describe(`docs/security.md ASN-07, ASN-08: enrollment of hostile requests — ${kind} CA store`, { skip }, () => {
    let pki: PkiFixture;
    const cleanup = suiteCleanup(after);
    before(async () => {
      pki = await makePki(cleanup, { store: kind });
    });

    it('ASN-07: a CSR for user B with user A\'s public key is refused (unique key constraint); A may renew it', async () => {
      const alice = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const spki = spkiOf(alice.publicKey);
      const first = await pki.ca.enroll(buildCsr({ spki, subject: new Name([cn({ utf8String: 'Alice A' })]), signer: alice.privateKey }), { profile: 'signing' });
      // Mallory cannot have a CSR signed with Alice's key; a CA operator (or a confused deputy)
      // submitting Alice's own request under another subject is the case refused here.
      await assert.rejects(
        pki.ca.enroll(buildCsr({ spki, subject: new Name([cn({ utf8String: 'Bob B' })]), signer: alice.privateKey }), { profile: 'signing' }),
        code('ERR_PKI_KEY_ALREADY_CERTIFIED'),
      );
      await assert.rejects(
        pki.ca.enroll(buildCsr({ spki, signer: alice.privateKey }), { profile: 'signing', subject: { commonName: 'Bob B' } }),
        code('ERR_PKI_KEY_ALREADY_CERTIFIED'),
      );
      const renewed = await pki.ca.enroll(buildCsr({ spki, subject: new Name([cn({ utf8String: 'Alice A' })]), signer: alice.privateKey }), { profile: 'signing' });
      assert.notEqual(renewed.serialHex, first.serialHex);
    });

    it('ASN-08: NUL, control characters, bidi overrides, 10 KB strings and unaccepted string types in the CSR subject are refused', async () => {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const spki = spkiOf(key.publicKey);
      const subjects: Record<string, Name> = {
        'NUL in CN': new Name([cn({ utf8String: 'Alice\u0000.example.org' })]),
        'BEL in CN': new Name([cn({ utf8String: 'Alice\u0007' })]),
        'C1 control in CN': new Name([cn({ utf8String: 'Alice\u0085' })]),
        'newline in O': new Name([rdn('2.5.4.10', { utf8String: 'Org\nCN=Admin' }), cn({ utf8String: 'Alice' })]),
        'bidi override in CN': new Name([cn({ utf8String: 'Alice \u202Efdp.exe' })]),
        'bidi isolate in CN': new Name([cn({ utf8String: 'Alice \u2066x\u2069' })]),
        '10 KB CN': new Name([cn({ utf8String: 'A'.repeat(10 * 1024) })]),
        'BMPString CN': new Name([cn({ bmpString: 'Alice' })]),
        'TeletexString CN': new Name([cn({ teletexString: 'Alice' })]),
        'UniversalString CN': new Name([cn({ universalString: 'Alice' })]),
        'non-PrintableString serialNumber': new Name([rdn('2.5.4.5', { utf8String: 'PNOBE-ü' }), cn({ utf8String: 'Alice' })]),
        'lower-case country': new Name([rdn('2.5.4.6', { printableString: 'be' }), cn({ utf8String: 'Alice' })]),
        'unaccepted attribute (street)': new Name([rdn('2.5.4.9', { utf8String: 'Main St 1' }), cn({ utf8String: 'Alice' })]),
        'repeated CN': new Name([cn({ utf8String: 'Alice' }), cn({ utf8String: 'Admin' })]),
        'multi-valued RDN': new Name([
          new RelativeDistinguishedName([
            new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: 'Alice' }) }),
            new AttributeTypeAndValue({ type: '2.5.4.10', value: new AttributeValue({ utf8String: 'Org' }) }),
          ]),
        ]),
        'no CN': new Name([rdn('2.5.4.10', { utf8String: 'Org' })]),
      };
      for (const [name, subject] of Object.entries(subjects)) {
        const csr = buildCsr({ spki, subject, signer: key.privateKey });
        // Each request is well formed and its proof of possession holds: only the subject is wrong.
        assert.equal(verifyCsr(csr).key.keyType, 'EC', name);
        await assert.rejects(pki.ca.enroll(csr, { profile: 'signing' }), code('ERR_PKI_SUBJECT_INVALID'), name);
      }
    });

    it('ASN-08: accepted string types are normalised per profile (countryName PrintableString, others UTF8String, NFC)', async () => {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const subject = new Name([
        rdn('2.5.4.6', { utf8String: 'BE' }),
        cn({ ia5String: 'Alice' }),
      ]);
      const record = await pki.ca.enroll(buildCsr({ spki: spkiOf(key.publicKey), subject, signer: key.privateKey }), { profile: 'signing' });
      const issued = AsnConvert.parse(record.der, Certificate).tbsCertificate.subject;
      const values = Array.from(issued, (r) => r[0] as AttributeTypeAndValue);
      assert.deepEqual(values.map((v) => v.type), ['2.5.4.6', '2.5.4.3']);
      assert.equal(values[0]?.value.printableString, 'BE');
      assert.equal(values[1]?.value.utf8String, 'Alice');
      // NFC (RFC 5280 §7.1 and RFC 4518 prepare names in NFC): a decomposed é comes out composed.
      const key2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const decomposed = await pki.ca.enroll(
        buildCsr({ spki: spkiOf(key2.publicKey), subject: new Name([cn({ utf8String: 'Rene\u0301' })]), signer: key2.privateKey }),
        { profile: 'signing' },
      );
      const issuedCn = AsnConvert.parse(decomposed.der, Certificate).tbsCertificate.subject[0]?.[0]?.value.utf8String;
      assert.equal(issuedCn, 'Ren\u00e9');
    });
  });
}

describe('docs/security.md ASN-08: subjects from user data (buildSubject)', () => {
  it('refuses the same injections when they arrive as user data instead of a CSR', () => {
    for (const commonName of ['A\u0000B', 'A\u001bB', 'A\u202eB', 'A\u2067B', 'A'.repeat(10 * 1024), '\ufeffAlice']) {
      assert.throws(() => buildSubject({ commonName }), code('ERR_PKI_SUBJECT_INVALID'), JSON.stringify(commonName.slice(0, 8)));
    }
  });
});
