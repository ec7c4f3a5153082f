/**
 * docs/security.md PDF-31: a Bleichenbacher-'06 forgery of an RSASSA-PKCS1-v1_5 signature (RFC 8017
 * §8.2.2) for a public exponent e = 3. The forged value s is a cube root whose cube starts with
 * `00 01 FF 00 DigestInfo(hash)` and continues with garbage — after the DigestInfo (the 2006
 * original) or inside it, under an outer SEQUENCE length that covers the garbage (the node-forge
 * CVE-2022-24771 class). A verifier that parses the block leniently accepts it; one that compares
 * the whole encoded block, as RFC 8017 §8.2.2 step 4 requires (node:crypto does), refuses it.
 */
import { generateKeyPairSync, createHash, type KeyObject } from 'node:crypto';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignedData, readElement, type Signer } from '../../src/cms/index.js';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { signPdf } from '../../src/pades/index.js';
import { verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { buildTestPki, issueTestCertificate, type TestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';

const signingTime = new Date('2026-11-23T10:00:00Z');
// RFC 8017 §9.2 note 1: the DER prefix of DigestInfo for SHA-256.
const sha256DigestInfoPrefix = Buffer.from('3031300d060960864801650304020105000420', 'hex');

let pki: TestPki<'rsa'>;
let publicKey: KeyObject;
let signed: Uint8Array;
const corpus = pdfsigCorpus('pkcs1-forgery');

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa'] });
  const { privateKey, publicKey: pub } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
  publicKey = pub;
  const cert = await issueTestCertificate({ key: privateKey, subject: 'Signet Test Signer e=3' });
  const signer: Signer = await loadLocalSigner({
    kind: 'pem',
    key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    certificate: cert.der,
    chain: [pki.intermediate.der, pki.root.der],
  });
  signed = await signPdf(makeBasePdf(), signer, { signingTime, fieldName: 'Sig1' });
});

function bigFrom(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function bytesOf(n: bigint, length: number): Uint8Array {
  return new Uint8Array(Buffer.from(n.toString(16).padStart(length * 2, '0'), 'hex'));
}

/** The smallest integer whose cube is at least `n` (Newton's method on bigints). */
function cubeRootCeil(n: bigint): bigint {
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 3) + 1);
  for (;;) {
    const next = (2n * x + n / (x * x)) / 3n;
    if (next >= x) break;
    x = next;
  }
  while (x * x * x < n) x += 1n;
  while (x > 0n && (x - 1n) ** 3n >= n) x -= 1n;
  return x;
}

/** s with s^3 < n whose cube's leading bytes are `prefix` (the rest, up to k bytes, is garbage). */
function forge(prefix: Uint8Array, k: number): Uint8Array {
  const shift = BigInt((k - prefix.length) * 8);
  const target = bigFrom(prefix) << shift;
  const s = cubeRootCeil(target);
  return bytesOf(s, k);
}

/** The e = 3 public operation s^3 mod n, as a k-byte block (RFC 8017 §5.2.2 RSAVP1). */
function rsavp1(s: Uint8Array): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const n = bigFrom(Buffer.from(jwk.n ?? '', 'base64url'));
  const k = Math.ceil(n.toString(16).length / 2);
  return bytesOf(bigFrom(s) ** 3n % n, k);
}

/** The lenient check of the bug class: 00 01, some FF, 00, then a DigestInfo read by its prefix only. */
function lenientAccepts(block: Uint8Array, hash: Uint8Array): boolean {
  if (block[0] !== 0x00 || block[1] !== 0x01) return false;
  let i = 2;
  while (block[i] === 0xff) i++;
  if (i === 2 || block[i] !== 0x00) return false;
  const rest = Buffer.from(block.subarray(i + 1));
  // Reads AlgorithmIdentifier and the OCTET STRING after the outer SEQUENCE header, ignoring its length.
  const outerHeader = rest[1]! < 0x80 ? 2 : 2 + (rest[1]! & 0x7f);
  const inner = rest.subarray(outerHeader);
  return inner.subarray(0, 17).equals(sha256DigestInfoPrefix.subarray(2)) && inner.subarray(17, 49).equals(Buffer.from(hash));
}

/** `signed` with its SignerInfo signature value replaced by `forged` (same length, same /Contents size). */
function withSignatureValue(forged: Uint8Array): { pdf: Uint8Array; hash: Uint8Array } {
  const text = Buffer.from(signed).toString('latin1');
  const m = /\/Contents\s*<([0-9A-Fa-f]+)>/.exec(text);
  assert.ok(m?.[1]);
  const der = Buffer.from(m[1], 'hex');
  const cms = der.subarray(0, readElement(der, 0).end);
  const si = parseSignedData(cms).signerInfos[0];
  assert.ok(si?.signedAttributes);
  assert.equal(forged.length, si.signature.length);
  const at = der.indexOf(Buffer.from(si.signature));
  assert.ok(at > 0 && der.indexOf(Buffer.from(si.signature), at + 1) === -1, 'the signature value occurs once');
  const patched = Buffer.from(der);
  patched.set(forged, at);
  const hexStart = m.index + m[0].indexOf('<') + 1;
  const out = Buffer.from(signed);
  out.write(patched.toString('hex').toUpperCase(), hexStart, 'latin1');
  return { pdf: new Uint8Array(out), hash: new Uint8Array(createHash('sha256').update(si.signedAttributes).digest()) };
}

function only(bytes: Uint8Array): SignatureReport {
  const sig = verifyPdfSignatures(bytes, { trustAnchors: [pki.root.der] }).signatures[0];
  assert.ok(sig);
  return sig;
}

describe('docs/security.md PDF-31: PKCS#1 v1.5 signature forgery for an e = 3 key (V12)', () => {
  it('control: the honest e = 3 signature is TOTAL-PASSED', () => {
    const sig = only(signed);
    assert.equal(sig.indication, 'TOTAL-PASSED', sig.problems.join('; '));
    corpus.add('e3-honest', signed);
  });

  it('garbage after the DigestInfo (Bleichenbacher 2006) → SIG_CRYPTO_FAILURE', () => {
    const { hash } = withSignatureValue(new Uint8Array(256));
    // One FF of padding instead of k − 3 − |T| (RFC 8017 §9.2 step 5 asks for at least eight, and all of them).
    const prefix = Buffer.concat([Buffer.from([0x00, 0x01, 0xff, 0x00]), sha256DigestInfoPrefix, hash]);
    const s = forge(prefix, 256);
    const { pdf } = withSignatureValue(s);
    assert.ok(lenientAccepts(rsavp1(s), hash), 'the forged block fools a lenient parser');
    const sig = only(pdf);
    assert.equal(sig.indication, 'TOTAL-FAILED', sig.problems.join('; '));
    assert.equal(sig.subIndication, 'SIG_CRYPTO_FAILURE');
    assert.equal(sig.isIntact, false);
    corpus.add('e3-forged-trailing-garbage', pdf);
  });

  it('garbage inside the DigestInfo (outer SEQUENCE length covering it, the node-forge class) → SIG_CRYPTO_FAILURE', () => {
    const { hash } = withSignatureValue(new Uint8Array(256));
    // DigestInfo ::= SEQUENCE { digestAlgorithm, digest } with a long-form length that spans the garbage.
    const garbageLength = 256 - 4 - 4 - 17 - 32;
    const outer = Buffer.from([0x30, 0x82, (17 + 32 + garbageLength) >> 8, (17 + 32 + garbageLength) & 0xff]);
    const prefix = Buffer.concat([Buffer.from([0x00, 0x01, 0xff, 0x00]), outer, sha256DigestInfoPrefix.subarray(2), hash]);
    const s = forge(prefix, 256);
    const { pdf } = withSignatureValue(s);
    assert.ok(lenientAccepts(rsavp1(s), hash), 'the forged block fools a lenient parser');
    const sig = only(pdf);
    assert.equal(sig.indication, 'TOTAL-FAILED', sig.problems.join('; '));
    assert.equal(sig.subIndication, 'SIG_CRYPTO_FAILURE');
    assert.ok(sig.problems.some((p) => /SIGNATURE_INVALID/.test(p)), sig.problems.join('; '));
    corpus.add('e3-forged-garbage-in-digestinfo', pdf);
  });
});

describe('docs/security.md PDF-34: pdfsig agrees with the PDF-31 files', () => {
  it('pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
