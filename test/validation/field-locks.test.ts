/**
 * docs/security.md PDF-25: FieldMDP (ISO 32000-1 §12.8.2.4). A signature that locks fields A and B
 * fails when a later revision fills A, and stays TOTAL-PASSED, with the change reported, when it
 * fills C (V9).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../src/cms/index.js';
import { signPdf } from '../../src/pades/index.js';
import { PdfString, name, type PdfObject } from '../../src/pdf/index.js';
import { verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';
import { sigRef, signCrafted } from '../support/crafted-signature.js';
import { addTextFields, fillTextField } from '../support/form-fixtures.js';
import { leafSigner } from '../support/leaf-signer.js';

const signingTime = new Date('2026-11-23T10:00:00Z');
const corpus = pdfsigCorpus('field-locks');

let pki: TestPki<'rsa'>;
let alice: Signer;
let form: Uint8Array;

function report(bytes: Uint8Array, what: string): SignatureReport {
  corpus.add(what, bytes);
  const sig = verifyPdfSignatures(bytes, { trustAnchors: [pki.root.der] }).signatures.find((s) => s.fieldName === 'Sig');
  assert.ok(sig, `${what}: reported`);
  return sig;
}

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa'] });
  alice = await leafSigner(pki, 'rsa');
  // A one-page form with empty text fields A, B and C.
  form = addTextFields(makeBasePdf({ text: 'Order form' }), [
    { name: 'A', rect: [72, 600, 300, 620] },
    { name: 'B', rect: [72, 560, 300, 580] },
    { name: 'C', rect: [72, 520, 300, 540] },
  ]);
});

describe('docs/security.md PDF-25: FieldMDP lock (V9)', () => {
  const locks: [string, Record<string, PdfObject>][] = [
    ['/Action /Include [(A) (B)]', { Action: name('Include'), Fields: [PdfString.fromText('A'), PdfString.fromText('B')] }],
    ['/Action /Exclude [(C)]', { Action: name('Exclude'), Fields: [PdfString.fromText('C')] }],
  ];
  for (const [label, params] of locks) {
    it(`${label}: filling A → FAILED for the locking signature; filling C → TOTAL-PASSED, reported`, async () => {
      const signed = await signCrafted(form, alice, { signingTime, fieldName: 'Sig', entries: { Reference: [sigRef('FieldMDP', params)] } });
      assert.equal(report(signed, `${label} control`).indication, 'TOTAL-PASSED');

      const filledA = report(fillTextField(signed, 'A', '1,000,000 EUR'), `${label} fill A`);
      assert.equal(filledA.indication, 'TOTAL-FAILED', filledA.problems.join('; '));
      assert.ok(filledA.problems.some((p) => /field A is locked by this signature \(FieldMDP\)/.test(p)), filledA.problems.join('; '));

      const filledC = report(fillTextField(signed, 'C', 'a note'), `${label} fill C`);
      assert.equal(filledC.indication, 'TOTAL-PASSED', filledC.problems.join('; '));
      assert.ok(filledC.warnings.some((w) => /field C filled/.test(w)), filledC.warnings.join('; '));
    });
  }

  it('control: without a lock, filling A is allowed form filling and reported', async () => {
    const signed = await signPdf(form, alice, { signingTime, fieldName: 'Sig' });
    const filledA = report(fillTextField(signed, 'A', '1,000,000 EUR'), 'no lock fill A');
    assert.equal(filledA.indication, 'TOTAL-PASSED', filledA.problems.join('; '));
    assert.ok(filledA.warnings.some((w) => /field A filled/.test(w)), filledA.warnings.join('; '));
  });
});

describe('ISO 32000-2 §12.7.5.5 and §12.8.2.4: a field lock with /P grants DocMDP permissions after its signature', () => {
  it('/P 1: filling the unlocked field C fails the locking signature, naming the lock; /P 2: the same filling passes, reported', async () => {
    const lock = (p: number): Record<string, PdfObject> => ({ Action: name('Include'), Fields: [PdfString.fromText('A')], P: p });
    const strict = await signCrafted(form, alice, { signingTime, fieldName: 'Sig', entries: { Reference: [sigRef('FieldMDP', lock(1))] } });
    assert.equal(report(strict, 'FieldMDP /P 1 control').indication, 'TOTAL-PASSED');
    const filled = report(fillTextField(strict, 'C', 'a note'), 'FieldMDP /P 1 fill C');
    assert.equal(filled.indication, 'TOTAL-FAILED', filled.problems.join('; '));
    assert.equal(filled.subIndication, 'SIG_CONSTRAINTS_FAILURE');
    const finding = filled.findings?.find((f) => f.code === 'ERR_VALIDATION_MODIFIED');
    assert.equal(finding?.check, 'modification');
    assert.match(finding?.message ?? '', /changes of kind "form-filling" are not permitted by this signature's field lock \(\/P 1, ISO 32000-2 §12\.7\.5\.5\)/);
    const lenient = await signCrafted(form, alice, { signingTime, fieldName: 'Sig', entries: { Reference: [sigRef('FieldMDP', lock(2))] } });
    const filledLenient = report(fillTextField(lenient, 'C', 'a note'), 'FieldMDP /P 2 fill C');
    assert.equal(filledLenient.indication, 'TOTAL-PASSED', filledLenient.problems.join('; '));
    assert.ok(filledLenient.warnings.some((w) => /field C filled/.test(w)), filledLenient.warnings.join('; '));
  });
});

describe('docs/security.md PDF-34: agreement with pdfsig', () => {
  it('on every PDF-25 file: pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
