/**
 * SECURITY.md PDF-25: FieldMDP (ISO 32000-1 §12.8.2.4). A signature that locks fields A and B
 * fails when a later revision fills A, and stays TOTAL-PASSED, with the change reported, when it
 * fills C (V9).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../src/cms/index.js';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { signPdf } from '../../src/pades/index.js';
import { IncrementalWriter, PdfDict, PdfDocument, PdfRef, PdfStream, PdfString, name, type PdfObject } from '../../src/pdf/index.js';
import { verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';
import { sigRef, signCrafted } from '../support/crafted-signature.js';

const latin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const signingTime = new Date('2026-11-23T10:00:00Z');
const corpus = pdfsigCorpus('field-locks');

let pki: TestPki<'rsa'>;
let alice: Signer;
let form: Uint8Array;

function append(pdf: Uint8Array, fn: (doc: PdfDocument, w: IncrementalWriter) => void): Uint8Array {
  const doc = PdfDocument.open(pdf);
  const w = new IncrementalWriter(doc);
  fn(doc, w);
  const { bytes } = w.build();
  const out = new Uint8Array(pdf.length + bytes.length);
  out.set(pdf, 0);
  out.set(bytes, pdf.length);
  return out;
}

/** A one-page form with empty text fields A, B and C (merged field/widget dictionaries). */
function makeForm(): Uint8Array {
  return append(makeBasePdf({ text: 'Order form' }), (doc, w) => {
    const page = doc.pages()[0];
    assert.ok(page);
    const fields = ['A', 'B', 'C'].map((t, i) => {
      const ref = w.allocate();
      w.set(
        ref,
        PdfDict.of({
          FT: name('Tx'),
          T: PdfString.fromText(t),
          Type: name('Annot'),
          Subtype: name('Widget'),
          Rect: [72, 600 - 40 * i, 300, 620 - 40 * i],
          F: 4,
          P: page.ref,
          DA: new PdfString(latin('/Helv 12 Tf 0 g')),
        }),
      );
      return ref;
    });
    const acroForm = w.allocate();
    w.set(acroForm, PdfDict.of({ Fields: fields }));
    w.set(doc.trailer.get('Root') as PdfRef, new PdfDict([...doc.catalog.entries(), ['AcroForm', acroForm]]));
    w.set(page.ref, new PdfDict([...page.dict.entries(), ['Annots', fields]]));
  });
}

/** Fills text field `t` with a value and an appearance stream (ISO 32000-1 §12.7.3.3). */
function fill(pdf: Uint8Array, t: string, value: string): Uint8Array {
  return append(pdf, (doc, w) => {
    const fieldRef = (doc.resolveArray(doc.resolveDict(doc.catalog.get('AcroForm'))?.get('Fields')) ?? []).find(
      (r) => r instanceof PdfRef && doc.resolveDict(r)?.get('T') instanceof PdfString && (doc.resolveDict(r)?.get('T') as PdfString).toText() === t,
    );
    assert.ok(fieldRef instanceof PdfRef, `field ${t}`);
    const ap = w.allocate();
    w.set(ap, new PdfStream(PdfDict.of({ Type: name('XObject'), Subtype: name('Form'), BBox: [0, 0, 228, 20] }), latin(`BT /Helv 12 Tf 2 5 Td (${value}) Tj ET`)));
    const field = new PdfDict(doc.resolveDict(fieldRef)?.entries());
    field.set('V', PdfString.fromText(value));
    field.set('AP', PdfDict.of({ N: ap }));
    w.set(fieldRef, field);
  });
}

function report(bytes: Uint8Array, what: string): SignatureReport {
  corpus.add(what, bytes);
  const sig = verifyPdfSignatures(bytes, { trustAnchors: [pki.root.der] }).signatures.find((s) => s.fieldName === 'Sig');
  assert.ok(sig, `${what}: reported`);
  return sig;
}

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa'] });
  const leaf = pki.leaves.rsa;
  alice = await loadLocalSigner({ kind: 'pem', key: leaf.privateKeyPem, certificate: leaf.der, chain: [pki.intermediate.der, pki.root.der] });
  form = makeForm();
});

describe('SECURITY.md PDF-25: FieldMDP lock (V9)', () => {
  const locks: [string, Record<string, PdfObject>][] = [
    ['/Action /Include [(A) (B)]', { Action: name('Include'), Fields: [PdfString.fromText('A'), PdfString.fromText('B')] }],
    ['/Action /Exclude [(C)]', { Action: name('Exclude'), Fields: [PdfString.fromText('C')] }],
  ];
  for (const [label, params] of locks) {
    it(`${label}: filling A → FAILED for the locking signature; filling C → TOTAL-PASSED, reported`, async () => {
      const signed = await signCrafted(form, alice, { signingTime, fieldName: 'Sig', entries: { Reference: [sigRef('FieldMDP', params)] } });
      assert.equal(report(signed, `${label} control`).indication, 'TOTAL-PASSED');

      const filledA = report(fill(signed, 'A', '1,000,000 EUR'), `${label} fill A`);
      assert.equal(filledA.indication, 'TOTAL-FAILED', filledA.problems.join('; '));
      assert.ok(filledA.problems.some((p) => /field A is locked by this signature \(FieldMDP\)/.test(p)), filledA.problems.join('; '));

      const filledC = report(fill(signed, 'C', 'a note'), `${label} fill C`);
      assert.equal(filledC.indication, 'TOTAL-PASSED', filledC.problems.join('; '));
      assert.ok(filledC.warnings.some((w) => /field C filled/.test(w)), filledC.warnings.join('; '));
    });
  }

  it('control: without a lock, filling A is allowed form filling and reported', async () => {
    const signed = await signPdf(form, alice, { signingTime, fieldName: 'Sig' });
    const filledA = report(fill(signed, 'A', '1,000,000 EUR'), 'no lock fill A');
    assert.equal(filledA.indication, 'TOTAL-PASSED', filledA.problems.join('; '));
    assert.ok(filledA.warnings.some((w) => /field A filled/.test(w)), filledA.warnings.join('; '));
  });
});

describe('SECURITY.md PDF-34: agreement with pdfsig', () => {
  it('on every PDF-25 file: pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
