/**
 * Pre-signing findings (issue 12 "Consent that shows the documents"): the validation library run
 * on a document prepared for one more signature says in plain words what an earlier signature
 * will suffer — nothing when it stays intact, "already broken" when its bytes were changed,
 * "changed after the signature" when a later revision made a change its certification forbids
 * (ISO 32000-1 §12.8.2.2 DocMDP) — and checkPreparedDocument derives the same DTBS/R hash as
 * phase one of staged signing did.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../src/cms/index.js';
import { signPdf } from '../../src/pades/index.js';
import { checkPreparedDocument, preSigningFindings, type PreSigningFinding } from '../../src/validation/index.js';
import { prepareDocument } from '../support/consent-documents.js';
import { addAnnotation } from '../support/form-fixtures.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { leafSigner } from '../support/leaf-signer.js';

const signingTime = new Date('2026-11-23T10:00:00Z');
let pki: TestPki<'rsa'>;
let alice: Signer;

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa'] });
  alice = await leafSigner(pki, 'rsa');
});

async function findingsFor(source: Uint8Array): Promise<PreSigningFinding[]> {
  const d = await prepareDocument({ source, chain: pki.chain('rsa') });
  const r = checkPreparedDocument({ pdf: d.pdf, signedAttributes: new Uint8Array(Buffer.from(d.signedAttributes, 'base64')), digestAlgorithm: 'SHA-256' });
  assert.equal(r.kind, 'ok', r.kind === 'refused' ? r.message : '');
  if (r.kind !== 'ok') return [];
  assert.equal(Buffer.from(r.dtbsrDigest).toString('base64'), d.hash, 'the same DTBS/R hash as phase one');
  return preSigningFindings({ doc: r.doc, pdf: d.pdf, fieldName: r.fieldName });
}

describe('pre-signing findings on earlier signatures', () => {
  it('an intact earlier approval signature: nothing to report', async () => {
    const signed = await signPdf(makeBasePdf({ text: 'Signed once' }), alice, { signingTime, fieldName: 'Alice' });
    assert.deepEqual(await findingsFor(signed), []);
  });

  it('an earlier signature whose bytes were changed: "already broken", not blocking', async () => {
    const signed = await signPdf(makeBasePdf({ text: 'Signed once' }), alice, { signingTime, fieldName: 'Alice' });
    const at = Buffer.from(signed).indexOf('Signet fixture');
    assert.ok(at > 0);
    const tampered = new Uint8Array(signed);
    tampered[at] = 0x73;
    const f = await findingsFor(tampered);
    assert.deepEqual(f.map((x) => [x.code, x.blocksSigning]), [['signature-broken', false]]);
    assert.match(f[0]?.message ?? '', /already broken/);
  });

  it('a certification (DocMDP P=2) followed by an annotation it forbids: "changed after the signature"', async () => {
    const certified = await signPdf(makeBasePdf({ text: 'Certified' }), alice, { signingTime, fieldName: 'Author', certify: 2 });
    const annotated = addAnnotation(certified, 'Text', [100, 100, 120, 120], 'a note');
    const f = await findingsFor(annotated);
    assert.ok(f.some((x) => x.code === 'modified-after-signature' && !x.blocksSigning), JSON.stringify(f));
  });
});
