/**
 * Issue 14: signatures other producers write, judged as the reference validators judge them.
 * False alarms gone — BER CMS, SHA-1 (a policy finding, integrity still a fact), ECDSA with NULL
 * parameters, RSASSA-PSS with salt 222, an empty unsignedAttrs set, adbe.pkcs7.sha1 and
 * adbe.pkcs7.detached (no PAdES level)
 * — and non-conformant CMS no longer passing: an enveloping CMS, eContent present, a broken
 * signature-time-stamp. Every file is also judged by pdfsig (integrity).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData, type SignerInfo } from '@peculiar/asn1-cms';
import { addUnsignedAttribute, berToDer, cmsOids, encodeOid, encodeTlv, tags, type Signer } from '../../src/cms/index.js';
import { preparePdf, signPdf } from '../../src/pades/index.js';
import { IncrementalWriter, PdfDocument, PdfName } from '../../src/pdf/index.js';
import { defaultValidationPolicy, verifyPdfLongTerm, verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { buildVariantCms, prepareCrafted, replaceContents, toBer, type VariantAlgorithm } from '../support/cms-variants.js';
import { scanSignatures } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { leafSigner } from '../support/leaf-signer.js';

const corpus = pdfsigCorpus('reference-agreement');
let pki: TestPki<'rsa' | 'ec-p256'>;
let rsaSigner: Signer;
let anchors: Uint8Array[];

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
  anchors = [pki.root.der];
  rsaSigner = await leafSigner(pki, 'rsa');
});

function only(report: { signatures: readonly SignatureReport[] }): SignatureReport {
  assert.equal(report.signatures.length, 1, JSON.stringify(report));
  return report.signatures[0] as SignatureReport;
}

function codes(s: SignatureReport): string[] {
  return (s.findings ?? []).map((f) => f.code);
}

/** A crafted signature: `algorithm` over the ByteRange (or over `eContent` rules) with the test PKI's key. */
function crafted(options: {
  leaf: 'rsa' | 'ec-p256';
  algorithm: VariantAlgorithm;
  subFilter?: string;
  ess?: 'v1' | 'v2' | 'none';
  withoutSignedAttributes?: boolean;
  content?: 'detached' | 'enveloping' | 'econtent' | 'sha1-digest';
  ber?: boolean;
  emptyUnsignedAttributes?: boolean;
}): Uint8Array {
  const leaf = pki.leaves[options.leaf];
  const rev = prepareCrafted(makeBasePdf(), leaf.der, options.subFilter);
  const sha1OfRange = new Uint8Array(createHash('sha1').update(rev.covered).digest());
  const content = options.content ?? 'detached';
  const eContent = content === 'enveloping' ? rev.covered : content === 'econtent' ? new TextEncoder().encode('hello') : content === 'sha1-digest' ? sha1OfRange : undefined;
  const cms = buildVariantCms({
    key: leaf.privateKey,
    chain: [leaf.der, pki.intermediate.der, pki.root.der],
    algorithm: options.algorithm,
    signedContent: content === 'sha1-digest' ? sha1OfRange : rev.covered,
    ess: options.ess ?? 'v2',
    withoutSignedAttributes: options.withoutSignedAttributes === true,
    emptyUnsignedAttributes: options.emptyUnsignedAttributes === true,
    ...(eContent === undefined ? {} : { eContent }),
  });
  return rev.finish(options.ber === true ? toBer(cms) : cms);
}

describe('issue 14: false alarms the reference validators do not raise', () => {
  it('a Signet signature re-encoded in BER (indefinite lengths, constructed strings) is read as its DER equivalent', async () => {
    const signed = await signPdf(makeBasePdf(), rsaSigner, { signingTime: new Date('2026-11-23T10:00:00Z'), reserveBytes: 8192 });
    const [found] = scanSignatures(signed);
    assert.ok(found);
    const der = berToDer(found.cms, { maxDepth: 64, maxNodes: 50_000 }).der;
    const ber = toBer(der);
    assert.equal(ber[1], 0x80, 'the outer ContentInfo has the indefinite length');
    const file = replaceContents(signed, found.byteRange, ber);
    corpus.add('Signet signature in BER', file);
    const s = only(verifyPdfSignatures(file, { trustAnchors: anchors }));
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s));
    assert.equal(s.isIntact, true);
    assert.ok(codes(s).includes('ERR_VALIDATION_CMS_BER'));
    assert.equal(only(verifyPdfLongTerm(file, { trustAnchors: anchors })).level, 'B-B');
    // The signed attributes themselves in BER: RFC 5652 §5.4 signs their DER encoding, which is
    // what is hashed here; NSS (pdfsig) and OpenSSL hash the attribute values as received.
    const berAttrs = replaceContents(signed, found.byteRange, toBer(der, { signedAttributes: 'ber' }));
    corpus.add('signed attributes in BER', berAttrs, 'RFC 5652 §5.4 DER re-encoding of the signed attributes; NSS hashes the BER values as received');
    assert.equal(only(verifyPdfSignatures(berAttrs, { trustAnchors: anchors })).indication, 'TOTAL-PASSED');
    const crafted2 = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' }, ber: true });
    corpus.add('crafted CAdES in BER', crafted2);
    assert.equal(only(verifyPdfSignatures(crafted2, { trustAnchors: anchors })).indication, 'TOTAL-PASSED');
  });

  it('SHA-1: integrity is a fact (isIntact), the algorithm is the policy finding INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE', () => {
    const file = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha1' }, ess: 'v1' });
    corpus.add('SHA-1 CAdES', file);
    const s = only(verifyPdfSignatures(file, { trustAnchors: anchors }));
    assert.equal(s.isIntact, true, JSON.stringify(s));
    assert.equal(s.indication, 'INDETERMINATE');
    assert.equal(s.subIndication, 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE');
    const weak = s.findings?.find((f) => f.code === 'ERR_VALIDATION_WEAK_ALGORITHM');
    assert.equal(weak?.check, 'signature-acceptance');
    assert.match(weak?.message ?? '', /SHA-1/);
    // The policy is data: one that accepts SHA-1 makes the same facts TOTAL-PASSED; one without SHA-256 refuses a Signet signature.
    const lenient = { ...defaultValidationPolicy, signatureAcceptance: { ...defaultValidationPolicy.signatureAcceptance, digests: { ...defaultValidationPolicy.signatureAcceptance.digests, 'SHA-1': {} } } };
    assert.equal(only(verifyPdfSignatures(file, { trustAnchors: anchors, policy: lenient })).indication, 'TOTAL-PASSED');
    const strict = { ...defaultValidationPolicy, signatureAcceptance: { ...defaultValidationPolicy.signatureAcceptance, digests: { 'SHA-512': {} } } };
    const modern = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' } });
    assert.equal(only(verifyPdfSignatures(modern, { trustAnchors: anchors, policy: strict })).subIndication, 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE');
    // A tampered SHA-1 signature is still a broken one.
    const tampered = Uint8Array.from(file);
    const at = Buffer.from(tampered).indexOf('/Type /Page', 0, 'latin1');
    tampered[at + 1] = 0x74; // "type": inside the signed bytes
    corpus.add('SHA-1 CAdES tampered', tampered);
    const t = only(verifyPdfSignatures(tampered, { trustAnchors: anchors }));
    assert.equal(t.isIntact, false);
    assert.equal(t.subIndication, 'HASH_FAILURE');
  });

  it('two SignerInfos in one CMS: reported (TOTAL-FAILED / FORMAT_FAILURE, ERR_VALIDATION_CMS_STRUCTURE), the first one still verified as pdfsig does', async () => {
    const signed = await signPdf(makeBasePdf(), rsaSigner, { signingTime: new Date('2026-11-23T10:00:00Z'), reserveBytes: 16384 });
    const [found] = scanSignatures(signed);
    assert.ok(found);
    const info = AsnConvert.parse(berToDer(found.cms, { maxDepth: 64, maxNodes: 50_000 }).der, ContentInfo);
    const sd = AsnConvert.parse(info.content, SignedData);
    sd.signerInfos.push(sd.signerInfos[0] as SignerInfo);
    const twice = new Uint8Array(AsnConvert.serialize(new ContentInfo({ contentType: info.contentType, content: AsnConvert.serialize(sd) })));
    const file = replaceContents(signed, found.byteRange, twice);
    corpus.add('two SignerInfos', file);
    const s = only(verifyPdfLongTerm(file, { trustAnchors: anchors }));
    assert.equal(s.indication, 'TOTAL-FAILED', JSON.stringify(s.findings));
    assert.equal(s.subIndication, 'FORMAT_FAILURE');
    assert.equal(s.isIntact, true);
    const f = s.findings?.find((x) => x.code === 'ERR_VALIDATION_CMS_STRUCTURE');
    assert.equal(f?.check, 'format-checking');
    assert.match(f?.message ?? '', /2 SignerInfos \(exactly one expected\)/);
  });

  it('an empty unsignedAttrs set (RFC 5652 §5.3 says SIZE (1..MAX)) is read as absent: TOTAL-PASSED, as pdfsig says', () => {
    const file = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' }, emptyUnsignedAttributes: true });
    corpus.add('empty unsignedAttrs', file);
    const s = only(verifyPdfLongTerm(file, { trustAnchors: anchors }));
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.findings));
    assert.equal(s.isIntact, true);
    assert.equal(s.level, 'B-B');
  });

  it('ECDSA with explicit NULL parameters (RFC 5758 §3.2 says absent) verifies', () => {
    const file = crafted({ leaf: 'ec-p256', algorithm: { kind: 'ecdsa', hash: 'sha256', explicitNull: true } });
    corpus.add('ECDSA NULL parameters', file);
    const s = only(verifyPdfSignatures(file, { trustAnchors: anchors }));
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s));
  });

  it('RSASSA-PSS with salt 222 (the RFC 8017 §9.1.1 maximum for RSA-2048 and SHA-256) verifies; a wrong salt claim does not', () => {
    const file = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pss', hash: 'sha256', saltLength: 222 } });
    corpus.add('RSASSA-PSS salt 222', file);
    const s = only(verifyPdfSignatures(file, { trustAnchors: anchors }));
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s));
    const zero = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pss', hash: 'sha256', saltLength: 0 } });
    corpus.add('RSASSA-PSS salt 0', zero);
    assert.equal(only(verifyPdfSignatures(zero, { trustAnchors: anchors })).indication, 'TOTAL-PASSED');
  });

  it('adbe.pkcs7.sha1 (ISO 32000-1 §12.8.3.3.1): the encapsulated SHA-1 digest is checked; a PDF signature without a PAdES level', () => {
    const file = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha1' }, subFilter: 'adbe.pkcs7.sha1', ess: 'none', content: 'sha1-digest' });
    corpus.add('adbe.pkcs7.sha1', file);
    const s = only(verifyPdfLongTerm(file, { trustAnchors: anchors }));
    assert.equal(s.subFilter, 'adbe.pkcs7.sha1');
    assert.equal(s.isIntact, true, JSON.stringify(s));
    assert.equal(s.indication, 'INDETERMINATE');
    assert.equal(s.subIndication, 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE');
    assert.equal(s.level, undefined);
  });

  it('adbe.pkcs7.detached without an ESS attribute is TOTAL-PASSED, reported without a PAdES level', async () => {
    const file = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' }, subFilter: 'adbe.pkcs7.detached', ess: 'none' });
    corpus.add('adbe.pkcs7.detached', file);
    const s = only(verifyPdfLongTerm(file, { trustAnchors: anchors }));
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s));
    assert.equal(s.level, undefined);
    // The same without ESS under ETSI.CAdES.detached breaks EN 319 122-1 §5.2.2 (signing-certificate required).
    const cades = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' }, ess: 'none' });
    corpus.add('CAdES without ESS', cades);
    const c = only(verifyPdfSignatures(cades, { trustAnchors: anchors }));
    assert.equal(c.isIntact, true);
    assert.equal(c.indication, 'TOTAL-FAILED');
    assert.ok(codes(c).includes('ERR_VALIDATION_SIGNED_ATTRIBUTES'));
  });
});

describe('issue 14: plain PKCS #7 without signed attributes (RFC 5652 §5.4)', () => {
  it('adbe.pkcs7.detached and adbe.pkcs7.sha1 signed over the content digest verify; a wrong one does not; CAdES still requires attributes', () => {
    for (const [subFilter, content] of [
      ['adbe.pkcs7.detached', 'detached'],
      ['adbe.pkcs7.sha1', 'sha1-digest'],
    ] as const) {
      // adbe.pkcs7.sha1 as its producers write it: SHA-1 throughout.
      const hash = subFilter === 'adbe.pkcs7.sha1' ? 'sha1' : 'sha256';
      const file = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash }, subFilter, ess: 'none', content, withoutSignedAttributes: true });
      corpus.add(`${subFilter} without signed attributes`, file);
      const s = only(verifyPdfSignatures(file, { trustAnchors: anchors }));
      assert.equal(s.isIntact, true, JSON.stringify(s));
      assert.equal(s.indication, subFilter === 'adbe.pkcs7.sha1' ? 'INDETERMINATE' : 'TOTAL-PASSED', JSON.stringify(s));
      const tampered = Uint8Array.from(file);
      tampered[Buffer.from(tampered).indexOf('/Type /Page', 0, 'latin1') + 1] = 0x74;
      corpus.add(`${subFilter} without signed attributes, tampered`, tampered);
      assert.equal(only(verifyPdfSignatures(tampered, { trustAnchors: anchors })).isIntact, false);
    }
    const cades = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' }, ess: 'none', withoutSignedAttributes: true });
    corpus.add('CAdES without signed attributes', cades, 'EN 319 122-1 requires signed attributes under ETSI.CAdES.detached; pdfsig checks the PKCS #7 signature only');
    assert.equal(only(verifyPdfSignatures(cades, { trustAnchors: anchors })).indication, 'TOTAL-FAILED');
  });
});

describe('issue 14: non-conformant CMS no longer passes', () => {
  it('an enveloping CMS (the covered bytes as eContent) is FORMAT_FAILURE under ETSI.CAdES.detached', () => {
    const file = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' }, content: 'enveloping' });
    corpus.add('enveloping CMS', file);
    const s = only(verifyPdfSignatures(file, { trustAnchors: anchors }));
    assert.equal(s.indication, 'TOTAL-FAILED', JSON.stringify(s));
    assert.equal(s.subIndication, 'FORMAT_FAILURE');
    assert.equal(s.isIntact, false, 'RFC 5652 §5.4: with eContent the digest is over eContent, not the ByteRange (pdfsig: digest mismatch)');
    assert.equal(s.findings?.find((f) => f.code === 'ERR_VALIDATION_ENCAPSULATED_CONTENT')?.check, 'format-checking');
  });

  it('eContent present (other data encapsulated) is FORMAT_FAILURE under ETSI.CAdES.detached and adbe.pkcs7.detached', () => {
    for (const subFilter of ['ETSI.CAdES.detached', 'adbe.pkcs7.detached']) {
      const file = crafted({ leaf: 'rsa', algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' }, content: 'econtent', subFilter });
      corpus.add(`eContent present ${subFilter}`, file);
      const s = only(verifyPdfSignatures(file, { trustAnchors: anchors }));
      assert.equal(s.subIndication, 'FORMAT_FAILURE', subFilter);
      assert.ok(codes(s).includes('ERR_VALIDATION_ENCAPSULATED_CONTENT'));
    }
  });

  it('a broken signature-time-stamp is a finding and the signature is no longer TOTAL-PASSED nor B-T', async () => {
    const signed = await signPdf(makeBasePdf(), rsaSigner, { signingTime: new Date('2026-11-23T10:00:00Z'), reserveBytes: 4096 });
    const [found] = scanSignatures(signed);
    assert.ok(found);
    const cms = berToDer(found.cms, { maxDepth: 64, maxNodes: 50_000 }).der;
    // A ContentInfo(SignedData) with no readable SignedData inside: a token that cannot be verified.
    const garbage = encodeTlv(tags.sequence, encodeOid(cmsOids.id_signedData), encodeTlv(0xa0, encodeTlv(tags.sequence, encodeTlv(tags.integer, Uint8Array.of(3)))));
    const file = replaceContents(signed, found.byteRange, addUnsignedAttribute(cms, cmsOids.id_aa_signatureTimeStampToken, garbage));
    corpus.add('broken signature-time-stamp', file);
    const s = only(verifyPdfLongTerm(file, { trustAnchors: anchors }));
    assert.equal(s.isIntact, true);
    assert.equal(s.indication, 'INDETERMINATE', JSON.stringify(s));
    assert.equal(s.subIndication, 'SIG_CONSTRAINTS_FAILURE');
    assert.equal(s.findings?.find((f) => f.code === 'ERR_VALIDATION_SIGNATURE_TIMESTAMP')?.check, 'time-stamp');
    assert.equal(s.level, 'B-B');
  });
});

/**
 * A CAdES signature whose /ByteRange is `byteRangeText(ref, [a, b, c, d])` instead of the direct
 * array, with an indirect object (written in a revision before the signature, so it is signed)
 * holding `objectText([a, b, c, d])`; both are patched in place at fixed width.
 */
function indirectByteRange(objectText: (br: readonly number[]) => string, byteRangeText: (ref: string) => string): Uint8Array {
  const base = makeBasePdf();
  const w = new IncrementalWriter(PdfDocument.open(base));
  const ref = w.allocate();
  const placeholder = 'X'.repeat(80);
  w.set(ref, PdfName.of(placeholder));
  const withObject = Buffer.concat([base, w.build().bytes]);
  const leaf = pki.leaves.rsa;
  const prepared = preparePdf(withObject, {
    certificateChain: [leaf.der],
    signatureAlgorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
    maxSignatureSize: 512,
    signingTime: new Date('2026-11-23T10:00:00Z'),
    reserveBytes: 12_000,
  });
  const file = Buffer.concat([withObject, Buffer.from(prepared.update, 'base64')]);
  const [a, b, c, d] = prepared.byteRange;
  const put = (at: number, length: number, text: string): void => {
    assert.ok(at >= 0 && text.length <= length, text);
    file.write(text.padEnd(length, ' '), at, 'latin1');
  };
  // The placeholder object is the name /XXX…X: the array takes its place.
  const objAt = file.indexOf(placeholder, base.length - 1, 'latin1');
  put(objAt - 1, placeholder.length + 1, objectText([a, b, c, d]));
  const brAt = file.indexOf('/ByteRange', withObject.length, 'latin1');
  const brEnd = file.indexOf(']', brAt, 'latin1') + 1;
  put(brAt, brEnd - brAt, `/ByteRange ${byteRangeText(`${ref.num} ${ref.gen} R`)}`);
  const covered = Buffer.concat([file.subarray(a, a + b), file.subarray(c, c + d)]);
  const cms = buildVariantCms({ key: leaf.privateKey, chain: [leaf.der, pki.intermediate.der, pki.root.der], algorithm: { kind: 'rsa-pkcs1', hash: 'sha256' }, signedContent: covered, ess: 'v2' });
  file.write(Buffer.from(cms).toString('hex'), b + 1, 'latin1');
  return new Uint8Array(file);
}

describe('issue 14: the /ByteRange read as pdfsig and pyHanko read it', () => {
  it('an indirect /ByteRange array verifies (ISO 32000-1 §7.3.10); one with a third range or a name inside stays FORMAT_FAILURE', () => {
    const file = indirectByteRange((br) => `[${br.join(' ')}]`, (ref) => ref);
    corpus.add('indirect /ByteRange', file);
    const s = only(verifyPdfLongTerm(file, { trustAnchors: anchors }));
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.problems));
    assert.equal(s.coversWholeDocument, true);
    assert.equal(s.level, 'B-B');
    for (const [name, objectText] of [
      ['a third range', (br: readonly number[]) => `[${br.join(' ')} 0 0]`],
      ['a name inside', (br: readonly number[]) => `[${br[0]} /B ${br[2]} ${br[3]}]`],
    ] as const) {
      const bad = indirectByteRange(objectText, (ref) => ref);
      corpus.add(
        `indirect /ByteRange with ${name}`,
        bad,
        name === 'a third range' ? 'pdfsig digests any even number of ranges (here an empty third one); ISO 32000-1 Table 252 and PAdES have one hole, so more ranges are refused' : undefined,
      );
      const r = only(verifyPdfSignatures(bad, { trustAnchors: anchors }));
      assert.equal(r.subIndication, 'FORMAT_FAILURE', name);
      assert.equal(r.findings?.find((f) => f.code === 'ERR_VALIDATION_BYTE_RANGE')?.check, 'format-checking', name);
    }
  });
});

describe('issue 14: every file gets a report', () => {
  it('a file that is not a PDF: TOTAL-FAILED/FORMAT_FAILURE with a file-level finding, no exception', () => {
    for (const bytes of [new TextEncoder().encode('not a pdf at all'), new Uint8Array(0), makeBasePdf().subarray(0, 40)]) {
      const report = verifyPdfLongTerm(bytes, { trustAnchors: anchors });
      assert.equal(report.signatures.length, 0);
      assert.equal(report.indication, 'TOTAL-FAILED');
      assert.equal(report.subIndication, 'FORMAT_FAILURE');
      assert.equal(report.findings?.[0]?.code, 'ERR_VALIDATION_FILE_UNREADABLE');
      assert.equal(report.findings?.[0]?.check, 'document');
    }
  });

  it('a reader limit (objects, revisions, depth): INDETERMINATE with the file-level finding naming the limit', () => {
    for (const limits of [{ maxObjects: 1 }, { maxRevisions: 0 }, { maxDepth: 1 }]) {
      const report = verifyPdfSignatures(makeBasePdf(), { limits });
      assert.equal(report.indication, 'INDETERMINATE', JSON.stringify(limits));
      assert.equal(report.subIndication, undefined);
      assert.match(report.findings?.[0]?.message ?? '', /reader's limits: ERR_PDF_LIMIT_/);
    }
  });

  it('docs/security.md PDF-34: pdfsig agrees on integrity for every file above', (t) => corpus.assertAgreement(t));
});
