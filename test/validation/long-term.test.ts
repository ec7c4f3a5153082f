/**
 * Validation of PAdES long-term data (ETSI EN 319 102-1 §5.5–5.6; docs/security.md V14, V15): signature
 * and document timestamps verified, DSS revocation evidence used, the level reached reported.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { addUnsignedAttribute, cmsOids, type Signer } from '../../src/cms/index.js';
import { buildCms, embedCms, extendPdf, preparePdf, reserveForLevel, signPdf } from '../../src/pades/index.js';
import { verifyPdfLongTerm } from '../../src/validation/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import type { PdfRef } from '../../src/pdf/index.js';
import { IncrementalWriter, PdfDict, PdfDocument, PdfName } from '../../src/pdf/index.js';

/** An incremental update that adds a catalog /OpenAction (not an allowed change, docs/security.md V8). */
function withOpenAction(pdf: Uint8Array): Uint8Array {
  const doc = PdfDocument.open(pdf);
  const w = new IncrementalWriter(doc);
  const catalog = doc.catalog.clone();
  catalog.set('OpenAction', PdfDict.of({ S: PdfName.of('JavaScript'), JS: PdfName.of('x') }));
  w.set(doc.trailer.get('Root') as PdfRef, catalog);
  return Buffer.concat([pdf, w.build().bytes]);
}
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';

const corpus = pdfsigCorpus('long-term');

describe('EN 319 102-1 long-term validation of PAdES levels', () => {
  let pki: LtvPki;
  let alice: Signer;
  let anchors: Uint8Array[];
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    ({ signer: alice } = await pki.newSigner('Alice'));
    anchors = [pki.hierarchy.root.certificate];
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  const sources = (level: 'B-T' | 'B-LT' | 'B-LTA') => ({ level, timestamper: pki.timestamper, revocation: pki.revocation });

  it('reports the level reached: B-B, B-T, B-LT, B-LTA', async () => {
    const bb = await signPdf(makeBasePdf(), alice, { signingTime: new Date() });
    const expectations = [
      ['B-B', bb],
      ['B-T', await signPdf(makeBasePdf(), alice, { signingTime: new Date(), ...sources('B-T') })],
      ['B-LT', await signPdf(makeBasePdf(), alice, { signingTime: new Date(), ...sources('B-LT') })],
      ['B-LTA', await signPdf(makeBasePdf(), alice, { signingTime: new Date(), ...sources('B-LTA') })],
    ] as const;
    for (const [level, file] of expectations) {
      corpus.add(`control ${level}`, file);
      const report = verifyPdfLongTerm(file, { trustAnchors: anchors });
      const sig = report.signatures.find((s) => !s.isDocumentTimestamp);
      assert.equal(sig?.level, level, `${level}: ${JSON.stringify(sig?.problems)}`);
      assert.notEqual(sig?.indication, 'TOTAL-FAILED');
      if (level !== 'B-B') {
        assert.equal(sig?.timestamps?.length, 1);
        assert.equal(sig?.timestamps?.[0]?.isValid, true, JSON.stringify(sig?.timestamps));
        assert.ok(sig?.timestamps?.[0]?.genTime instanceof Date);
      }
      if (level === 'B-LT' || level === 'B-LTA') assert.deepEqual(sig?.revocation?.status, 'good');
      if (level === 'B-B' || level === 'B-T') assert.equal(sig?.indication, 'TOTAL-PASSED', JSON.stringify(sig));
    }
  });

  it('a document timestamp is verified: TOTAL-PASSED over the whole file, TSA named, genTime reported', async () => {
    const bb = await signPdf(makeBasePdf(), alice, { signingTime: new Date() });
    const bt = await extendPdf(bb, sources('B-T'));
    const report = verifyPdfLongTerm(bt, { trustAnchors: anchors });
    const ts = report.signatures.find((s) => s.isDocumentTimestamp);
    assert.equal(ts?.indication, 'TOTAL-PASSED', JSON.stringify(ts));
    assert.match(ts?.signerSubject ?? '', /Timestamp Authority/);
    assert.equal(ts?.timestamps?.[0]?.kind, 'document');
    // Issue 14: a trusted document timestamp lists its chain, TSA first, up to the trust anchor.
    assert.equal(ts?.chain[0], ts?.signerSubject);
    assert.ok((ts?.chain.length ?? 0) >= 2, JSON.stringify(ts?.chain));
    const sig = report.signatures.find((s) => !s.isDocumentTimestamp);
    assert.equal(sig?.level, 'B-T', 'a later document timestamp gives B-T');
    const untrusted = verifyPdfLongTerm(bt, { trustAnchors: [] });
    assert.equal(untrusted.signatures.find((s) => s.isDocumentTimestamp)?.indication, 'INDETERMINATE');
  });

  it('extension of B-B to B-LTA and two archive renewals keep B-LTA', async () => {
    let file = await extendPdf(await signPdf(makeBasePdf(), alice, { signingTime: new Date() }), sources('B-LTA'));
    for (let round = 0; round < 2; round++) {
      file = await extendPdf(file, sources('B-LTA'));
      const report = verifyPdfLongTerm(file, { trustAnchors: anchors });
      assert.equal(report.signatures.find((s) => !s.isDocumentTimestamp)?.level, 'B-LTA');
      const newest = report.signatures.filter((s) => s.isDocumentTimestamp).at(-1);
      assert.equal(newest?.indication, 'TOTAL-PASSED', JSON.stringify(newest));
      for (const ts of report.signatures.filter((s) => s.isDocumentTimestamp)) assert.equal(ts.timestamps?.[0]?.isValid, true);
      // PDF-33: DSS and document timestamp updates are allowed changes: everything passes.
      for (const s of report.signatures) assert.equal(s.indication, 'TOTAL-PASSED', `${s.fieldName}: ${JSON.stringify(s.problems)}`);
    }
    // Any other change after the timestamps fails them (default-deny), and the signature with them.
    const tampered = verifyPdfLongTerm(withOpenAction(file), { trustAnchors: anchors });
    for (const s of tampered.signatures) assert.notEqual(s.indication, 'TOTAL-PASSED', s.fieldName);
  });

  it('PDF-23(a): a certification signature with P=1 stays TOTAL-PASSED after DSS and document timestamp updates', async () => {
    const certified = await signPdf(makeBasePdf(), alice, { signingTime: new Date(), certify: 1, ...sources('B-T') });
    const lta = await extendPdf(await extendPdf(certified, sources('B-LTA')), sources('B-LTA'));
    const report = verifyPdfLongTerm(lta, { trustAnchors: anchors });
    assert.equal(report.signatures.length, 3);
    for (const s of report.signatures) assert.equal(s.indication, 'TOTAL-PASSED', `${s.fieldName}: ${JSON.stringify(s.problems)}`);
    assert.equal(report.signatures.find((s) => !s.isDocumentTimestamp)?.level, 'B-LTA');
  });

  it('PDF-29: /SubFilter /ETSI.RFC3161 without /Type /DocTimeStamp is FORMAT_FAILURE', async () => {
    const bt = await extendPdf(await signPdf(makeBasePdf(), alice, { signingTime: new Date() }), sources('B-T'));
    const text = Buffer.from(bt).toString('latin1');
    const at = text.lastIndexOf('/Type /DocTimeStamp');
    assert.ok(at > 0);
    const forged = Buffer.from(text.slice(0, at) + '/Type /Sig         ' + text.slice(at + '/Type /DocTimeStamp'.length), 'latin1');
    const ts = verifyPdfLongTerm(new Uint8Array(forged), { trustAnchors: anchors }).signatures.find((s) => s.isDocumentTimestamp);
    assert.equal(ts?.indication, 'TOTAL-FAILED');
    assert.equal(ts?.subIndication, 'FORMAT_FAILURE');
  });

  it('ASN-10: a timestamp whose genTime lies in the future of the validation time is not valid', async () => {
    const bt = await signPdf(makeBasePdf(), alice, { signingTime: new Date(), ...sources('B-T') });
    const past = verifyPdfLongTerm(bt, { trustAnchors: anchors, clock: fixedClock(new Date(Date.UTC(2025, 0, 1))) }).signatures[0];
    assert.equal(past?.timestamps?.[0]?.isValid, false);
    assert.match(past?.timestamps?.[0]?.problems.join() ?? '', /in the future/);
    assert.notEqual(past?.level, 'B-T');
  });

  it('ASN-10 / PDF-30: a signature timestamp over another imprint is rejected and the level drops to B-B', async () => {
    const pdf = makeBasePdf();
    const prepared = preparePdf(pdf, {
      certificateChain: alice.certificateChain,
      signatureAlgorithm: alice.signatureAlgorithm,
      maxSignatureSize: alice.maxSignatureSize(),
      signingTime: new Date(),
      reserveBytes: await reserveForLevel(sources('B-T'), 'SHA-256'),
    });
    const cms = buildCms(prepared, await alice.sign(new Uint8Array(Buffer.from(prepared.signedAttributes, 'base64'))));
    const foreign = await pki.timestamper.timestamp(new Uint8Array(randomBytes(32)), 'SHA-256');
    const file = Buffer.concat([pdf, embedCms(prepared, addUnsignedAttribute(cms, cmsOids.id_aa_signatureTimeStampToken, foreign))]);
    const sig = verifyPdfLongTerm(new Uint8Array(file), { trustAnchors: anchors }).signatures[0];
    assert.equal(sig?.timestamps?.[0]?.isValid, false);
    assert.match(sig?.timestamps?.[0]?.problems.join() ?? '', /messageImprint/);
    assert.equal(sig?.level, 'B-B');
  });

  it('V15: a signer revoked before the first timestamp is REVOKED; revoked after it, only a warning', async () => {
    const { signer: early, serialHex: earlySerial } = await pki.newSigner('Early Revoked');
    const bb = await signPdf(makeBasePdf(), early, { signingTime: new Date() });
    await pki.ca.revoke(earlySerial, 'keyCompromise');
    const lt = await extendPdf(bb, sources('B-LT'));
    const failed = verifyPdfLongTerm(lt, { trustAnchors: anchors }).signatures.find((s) => !s.isDocumentTimestamp);
    assert.equal(failed?.revocation?.status, 'revoked');
    assert.equal(failed?.indication, 'TOTAL-FAILED');
    assert.equal(failed?.subIndication, 'REVOKED');

    const { signer: late, serialHex: lateSerial } = await pki.newSigner('Late Revoked');
    const bt = await signPdf(makeBasePdf(), late, { signingTime: new Date(), ...sources('B-T') });
    pki.advanceClock(5_000); // revocation times have one-second resolution: revoke clearly after the timestamp
    await pki.ca.revoke(lateSerial, 'superseded');
    const lt2 = await extendPdf(bt, sources('B-LT'));
    const ok = verifyPdfLongTerm(lt2, { trustAnchors: anchors }).signatures[0];
    assert.equal(ok?.revocation?.status, 'revoked');
    assert.notEqual(ok?.indication, 'TOTAL-FAILED');
    assert.match(ok?.warnings.join() ?? '', /revoked on .* after the signature's timestamp/);
  });
});

describe('docs/security.md PDF-34: agreement with pdfsig', () => {
  it('on the B-B, B-T, B-LT and B-LTA controls: pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
