/**
 * docs/security.md V4/V5/V8/V9 through the attacks of §3.1: incremental saving (PDF-02…05), shadow
 * updates of resources and optional content (PDF-12, PDF-18), annotations and signatures after
 * certification (PDF-20, PDF-21), object freeing (PDF-26) — and the allowed updates that must
 * keep a signature TOTAL-PASSED (a later approval signature, signing an empty field).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../src/cms/index.js';
import { signPdf } from '../../src/pades/index.js';
import { IncrementalWriter, PdfDict, PdfDocument, PdfRef, PdfStream, PdfString, name } from '../../src/pdf/index.js';
import { verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';
import { leafSigner } from '../support/leaf-signer.js';

const latin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const signingTime = new Date('2026-11-23T10:00:00Z');

let pki: TestPki<'rsa' | 'ec-p256'>;
let alice: Signer;
let bob: Signer;
const corpus = pdfsigCorpus('modification-attacks');

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
  alice = await leafSigner(pki, 'rsa');
  bob = await leafSigner(pki, 'ec-p256');
});

function first(bytes: Uint8Array, what = 'file'): SignatureReport {
  corpus.add(what, bytes);
  const report = verifyPdfSignatures(bytes, { trustAnchors: [pki.root.der] });
  const sig = report.signatures[0];
  assert.ok(sig, 'the first signature is reported');
  return sig;
}

function assertFailed(bytes: Uint8Array, what: string, reason: RegExp): void {
  const sig = first(bytes, what);
  assert.equal(sig.indication, 'TOTAL-FAILED', `${what}: ${sig.indication} ${sig.problems.join('; ')}`);
  assert.ok(sig.problems.some((p) => reason.test(p)), `${what}: problems name the change: ${sig.problems.join('; ')}`);
}

/** Appends one revision that sets `objects` (existing or new) on top of `pdf`. */
function update(pdf: Uint8Array, fn: (doc: PdfDocument, w: IncrementalWriter) => void): Uint8Array {
  const doc = PdfDocument.open(pdf);
  const w = new IncrementalWriter(doc);
  fn(doc, w);
  const { bytes } = w.build();
  const out = new Uint8Array(pdf.length + bytes.length);
  out.set(pdf, 0);
  out.set(bytes, pdf.length);
  return out;
}

const stream = (text: string): PdfStream => new PdfStream(new PdfDict(), latin(text));

describe('allowed updates keep the signature TOTAL-PASSED', () => {
  it('a later approval signature (new field, widget, AcroForm update) is reported as "signing"', async () => {
    const once = await signPdf(makeBasePdf(), alice, { signingTime });
    const twice = await signPdf(once, bob, { signingTime, visible: { page: 1, rect: [50, 50, 200, 100] } });
    const sig = first(twice, 'control: second approval signature');
    assert.equal(sig.indication, 'TOTAL-PASSED', sig.problems.join('; '));
    assert.ok(sig.warnings.some((w) => /signing/.test(w)), sig.warnings.join('; '));
  });
});

describe('disallowed updates fail the signature', () => {
  let signed: Uint8Array;
  before(async () => {
    signed = await signPdf(makeBasePdf({ pages: 2 }), alice, { signingTime });
  });

  it('PDF-02 ISA: a revision replacing page 1 /Contents → FAILED', () => {
    const attacked = update(signed, (doc, w) => {
      const page = doc.pages()[0];
      assert.ok(page);
      const content = w.allocate();
      w.set(content, stream('BT /F1 24 Tf 72 700 Td (PAY 1,000,000) Tj ET'));
      const dict = new PdfDict(page.dict.entries());
      dict.set('Contents', content);
      w.set(page.ref, dict);
    });
    assertFailed(attacked, 'PDF-02', /page object \d+: \/Contents changed/);
  });

  it('PDF-03 ISA without xref: appended objects after the last %%EOF → FAILED', () => {
    const tail = latin('\n4 0 obj\n<< /Length 20 >>\nstream\nBT (evil) Tj ET\nendstream\nendobj\n');
    const attacked = new Uint8Array(signed.length + tail.length);
    attacked.set(signed, 0);
    attacked.set(tail, signed.length);
    const sig = first(attacked, 'PDF-03');
    assert.notEqual(sig.indication, 'TOTAL-PASSED', sig.problems.join('; '));
  });

  it('PDF-04 ISA with a broken chain: a revision whose trailer has no /Prev → never PASSED', () => {
    const doc = PdfDocument.open(signed);
    const root = doc.trailer.get('Root') as PdfRef;
    const body = `\n${root.num} 0 obj\n<< /Type /Catalog /Pages 999 0 R >>\nendobj\n`;
    const xrefAt = signed.length + body.length;
    const rev = `${body}xref\n0 1\n0000000000 65535 f\r\n${root.num} 1\n${String(signed.length + 1).padStart(10, '0')} 00000 n\r\ntrailer\n<< /Size ${doc.size} /Root ${root.num} 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    const attacked = new Uint8Array(signed.length + rev.length);
    attacked.set(signed, 0);
    attacked.set(latin(rev), signed.length);
    corpus.add('PDF-04', attacked);
    let report;
    try {
      report = verifyPdfSignatures(attacked, { trustAnchors: [pki.root.der] });
    } catch {
      return; // a typed refusal of the whole file is acceptable
    }
    for (const s of report.signatures) assert.notEqual(s.indication, 'TOTAL-PASSED', s.problems.join('; '));
  });

  it('PDF-05: a revision redefining the signature dictionary (/M, /Name) → FAILED', () => {
    const attacked = update(signed, (doc, w) => {
      const field = doc.resolveDict(doc.resolveArray(doc.resolveDict(doc.catalog.get('AcroForm'))?.get('Fields'))?.[0]);
      const sigRef = field?.get('V');
      assert.ok(sigRef instanceof PdfRef);
      const sig = new PdfDict(doc.resolveDict(sigRef)?.entries());
      sig.set('Name', new PdfString(latin('Mallory')));
      sig.set('M', name('Never'));
      w.set(sigRef, sig);
    });
    const sig = first(attacked, 'PDF-05');
    assert.notEqual(sig.indication, 'TOTAL-PASSED', sig.problems.join('; '));
  });

  it('PDF-12 shadow hide: page /Resources and /Contents changed to draw an XObject → FAILED', () => {
    const attacked = update(signed, (doc, w) => {
      const page = doc.pages()[0];
      assert.ok(page);
      const dict = new PdfDict(page.dict.entries());
      dict.set('Resources', PdfDict.of({ XObject: PdfDict.of({ Im0: new PdfRef(1, 0) }) }));
      w.set(page.ref, dict);
    });
    assertFailed(attacked, 'PDF-12', /\/Resources changed/);
  });

  it('PDF-18: the catalog gains /OCProperties → FAILED', () => {
    const attacked = update(signed, (doc, w) => {
      const cat = new PdfDict(doc.catalog.entries());
      cat.set('OCProperties', PdfDict.of({ OCGs: [] }));
      w.set(doc.trailer.get('Root') as PdfRef, cat);
    });
    assertFailed(attacked, 'PDF-18', /catalog entry \/OCProperties changed/);
  });

  it('PDF-26: an object of the signed revision marked free → FAILED', () => {
    const doc = PdfDocument.open(signed);
    const victim = doc.pages()[1]?.ref;
    assert.ok(victim);
    const xrefAt = signed.length + 1;
    const rev = `\nxref\n0 1\n0000000000 65535 f\r\n${victim.num} 1\n0000000000 00001 f\r\ntrailer\n<< /Size ${doc.size} /Root ${(doc.trailer.get('Root') as PdfRef).num} 0 R /Prev ${doc.startxref} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    const attacked = new Uint8Array(signed.length + rev.length);
    attacked.set(signed, 0);
    attacked.set(latin(rev), signed.length);
    const sig = first(attacked, 'PDF-26');
    assert.equal(sig.indication, 'TOTAL-FAILED', sig.problems.join('; '));
  });
});

describe('certification (DocMDP)', () => {
  const annotate = (pdf: Uint8Array, rect = [50, 600, 400, 700]): Uint8Array =>
    update(pdf, (doc, w) => {
      const page = doc.pages()[0];
      assert.ok(page);
      const annot = w.allocate();
      w.set(annot, PdfDict.of({ Type: name('Annot'), Subtype: name('FreeText'), Rect: rect, Contents: new PdfString(latin('Overlay')) }));
      const dict = new PdfDict(page.dict.entries());
      dict.set('Annots', [...(doc.resolveArray(page.dict.get('Annots')) ?? []), annot]);
      w.set(page.ref, dict);
    });

  it('PDF-20: an annotation added to a P=2 or P=1 certified document → FAILED', async () => {
    for (const p of [1, 2] as const) {
      const certified = await signPdf(makeBasePdf(), alice, { signingTime, certify: p });
      assertFailed(annotate(certified), `PDF-20 P=${p}`, /not permitted by the certification signature/);
    }
  });

  it('P=3 allows an annotation away from the page content (reported), an approval-signed document too', async () => {
    const certified = await signPdf(makeBasePdf(), alice, { signingTime, certify: 3 });
    // A blank corner of the page: PDF-19 (overlay-attacks.test.ts) covers annotations over content.
    const sig = first(annotate(certified, [400, 50, 550, 100]), 'control: P=3 annotation');
    assert.equal(sig.indication, 'TOTAL-PASSED', sig.problems.join('; '));
    assert.ok(sig.warnings.some((w) => /annotations/.test(w)));
    const approval = first(annotate(await signPdf(makeBasePdf(), alice, { signingTime })), 'control: annotation after approval');
    assert.equal(approval.indication, 'TOTAL-PASSED', approval.problems.join('; '));
  });

  it('PDF-21 sneaky signature: a visible signature field added after a P=2 certification → the certification fails', async () => {
    const certified = await signPdf(makeBasePdf(), alice, { signingTime, certify: 2 });
    const invisible = await signPdf(certified, bob, { signingTime });
    const invisibleReport = first(invisible, 'control: invisible signature after P=2');
    assert.equal(invisibleReport.indication, 'TOTAL-PASSED', invisibleReport.problems.join('; '));
    const visible = await signPdf(certified, bob, { signingTime, visible: { page: 1, rect: [72, 600, 400, 700] } });
    assertFailed(visible, 'PDF-21', /visible signature field was added after the certification/);
  });
});

describe('docs/security.md PDF-34: agreement with pdfsig', () => {
  it('on every control and attacked file above: pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
