/**
 * docs/security.md §3.1 overlay attacks: shadow hide via a form field (PDF-13), shadow replace via a
 * field value (PDF-14), Evil Annotations on a P=3 certified document (PDF-19) and a Sneaky
 * Signature with a look-alike appearance (PDF-22). What an update draws over signed page content
 * is reported (V10); where DocMDP, a FieldMDP lock or certification forbids it, the signature
 * fails (V9); identity comes from certificates only (V13).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../src/cms/index.js';
import { signPdf } from '../../src/pades/index.js';
import { PdfString, name } from '../../src/pdf/index.js';
import { verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';
import { sigRef, signCrafted } from '../support/crafted-signature.js';
import { addAnnotation, addTextFields, fillTextField } from '../support/form-fixtures.js';
import { leafSigner } from '../support/leaf-signer.js';

const signingTime = new Date('2026-11-23T10:00:00Z');
const corpus = pdfsigCorpus('overlay-attacks');
// makeBasePdf draws "Pay 100 EUR" at (72, 720) in 24 pt and "Page 1 of 1" at (72, 690) in 12 pt.
const overText = [60, 684, 400, 760] as const;
const blankCorner = [400, 40, 560, 100] as const;

let pki: TestPki<'rsa' | 'ec-p256'>;
let alice: Signer;
let bob: Signer;

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
  alice = await leafSigner(pki, 'rsa');
  bob = await leafSigner(pki, 'ec-p256');
});

function reportOf(bytes: Uint8Array, what: string, field = 'Sig'): SignatureReport {
  corpus.add(what, bytes);
  const sig = verifyPdfSignatures(bytes, { trustAnchors: [pki.root.der] }).signatures.find((s) => s.fieldName === field);
  assert.ok(sig, `${what}: ${field} reported`);
  return sig;
}

function passedWith(bytes: Uint8Array, what: string, warning: RegExp): SignatureReport {
  const sig = reportOf(bytes, what);
  assert.equal(sig.indication, 'TOTAL-PASSED', `${what}: ${sig.problems.join('; ')}`);
  assert.ok(sig.warnings.some((w) => warning.test(w)), `${what}: warnings ${sig.warnings.join('; ')}`);
  return sig;
}

function failedWith(bytes: Uint8Array, what: string, reason: RegExp, field = 'Sig'): void {
  const sig = reportOf(bytes, what, field);
  assert.equal(sig.indication, 'TOTAL-FAILED', `${what}: ${sig.indication} ${sig.problems.join('; ')}`);
  assert.ok(sig.problems.some((p) => reason.test(p)), `${what}: problems ${sig.problems.join('; ')}`);
}

describe('docs/security.md PDF-13: shadow hide via a form field (V9, V10)', () => {
  it('an empty text field over the text, filled after signing with an opaque appearance: allowed under approval and P=2, reported as lying over page content', async () => {
    const form = addTextFields(makeBasePdf({ text: 'Pay 100 EUR' }), [
      { name: 'Amount', rect: overText },
      { name: 'Note', rect: blankCorner },
    ]);
    for (const [label, certify] of [['approval', undefined], ['P=2', 2]] as const) {
      const signed = await signPdf(form, alice, { signingTime, fieldName: 'Sig', ...(certify ? { certify } : {}) });
      passedWith(fillTextField(signed, 'Amount', 'PAID IN FULL'), `PDF-13 ${label} over text`, /field Amount filled: .*lies over page content/);
      const aside = passedWith(fillTextField(signed, 'Note', 'ok'), `PDF-13 ${label} blank corner`, /field Note filled/);
      assert.ok(!aside.warnings.some((w) => /over page content/.test(w)), `the blank corner is not reported as an overlay: ${aside.warnings.join('; ')}`);
    }
    const p1 = await signPdf(form, alice, { signingTime, fieldName: 'Sig', certify: 1 });
    failedWith(fillTextField(p1, 'Amount', 'PAID IN FULL'), 'PDF-13 P=1', /not permitted by the certification signature \(P=1\)/);
  });
});

describe('docs/security.md PDF-14: shadow replace via a field value (V8, V9)', () => {
  it('a value pre-set over the text and changed after signing: reported old → new; FAILED under P=1 or a FieldMDP lock', async () => {
    const form = addTextFields(makeBasePdf({ text: 'Invoice' }), [{ name: 'Amount', rect: overText, value: '100 EUR' }]);
    const approval = await signPdf(form, alice, { signingTime, fieldName: 'Sig' });
    passedWith(fillTextField(approval, 'Amount', '1,000,000 EUR'), 'PDF-14 approval', /field Amount filled: "100 EUR" → "1,000,000 EUR"/);
    const p1 = await signPdf(form, alice, { signingTime, fieldName: 'Sig', certify: 1 });
    failedWith(fillTextField(p1, 'Amount', '1,000,000 EUR'), 'PDF-14 P=1', /not permitted by the certification signature \(P=1\)/);
    const locked = await signCrafted(form, alice, {
      signingTime,
      fieldName: 'Sig',
      entries: { Reference: [sigRef('FieldMDP', { Action: name('Include'), Fields: [PdfString.fromText('Amount')] })] },
    });
    failedWith(fillTextField(locked, 'Amount', '1,000,000 EUR'), 'PDF-14 locked', /field Amount is locked by this signature/);
  });
});

describe('docs/security.md PDF-19: Evil Annotation on a P=3 certified document (V9, V10)', () => {
  it('FreeText, Stamp, Square and Redact with opaque appearances over the text → FAILED; the same in a blank corner → allowed, reported', async () => {
    const certified = await signPdf(makeBasePdf({ text: 'Pay 100 EUR' }), alice, { signingTime, fieldName: 'Sig', certify: 3 });
    for (const subtype of ['FreeText', 'Stamp', 'Square', 'Redact']) {
      failedWith(addAnnotation(certified, subtype, overText, 'Pay 1,000,000 EUR'), `PDF-19 ${subtype} over text`, new RegExp(`annotation /${subtype} over page content was added after the certification`));
      passedWith(addAnnotation(certified, subtype, blankCorner, 'Reviewed'), `PDF-19 ${subtype} blank corner`, new RegExp(`later revision \\(annotations\\): annotation /${subtype} added$`));
    }
    // An approval signature allows comments; one over the text is reported as such.
    const approval = await signPdf(makeBasePdf({ text: 'Pay 100 EUR' }), alice, { signingTime, fieldName: 'Sig' });
    passedWith(addAnnotation(approval, 'FreeText', overText, 'Pay 1,000,000 EUR'), 'PDF-19 approval', /annotation \/FreeText added; it lies over page content/);
  });
});

describe('docs/security.md PDF-22: Sneaky Signature with a look-alike appearance (V8, V9, V13)', () => {
  it("a visible signature imitating the certifier's name over the text → the certification FAILED; the attacker's signature names the attacker's certificate", async () => {
    const certified = await signPdf(makeBasePdf({ text: 'Pay 100 EUR' }), alice, { signingTime, fieldName: 'Sig', certify: 2 });
    const aliceName = 'Signet Test Signer rsa';
    const sneaky = await signPdf(certified, bob, {
      signingTime,
      fieldName: 'Sneaky',
      name: aliceName,
      reason: 'Certified by Alice',
      visible: { page: 1, rect: [60, 684, 400, 760] },
    });
    failedWith(sneaky, 'PDF-22', /visible signature field was added after the certification/);
    const attacker = reportOf(sneaky, 'PDF-22 attacker', 'Sneaky');
    assert.equal(attacker.signerSubject, 'Signet Test Signer ec-p256', 'identity from the certificate, not /Name or the appearance');
    assert.notEqual(attacker.signerSubject, aliceName);
  });
});

describe('docs/security.md PDF-34: agreement with pdfsig', () => {
  it('on every overlay file above: pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
