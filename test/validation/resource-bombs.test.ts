/**
 * Issue 14 (and issue 15): a decompression bomb in the /DSS, in the form's field tree or in the page
 * content gives a report that says which check could not finish — an ERR_VALIDATION_INCOMPLETE
 * finding naming the check, INDETERMINATE — never only an error, and never TOTAL-PASSED.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import type { Signer } from '../../src/cms/index.js';
import { PdfDict, PdfName, PdfStream } from '../../src/pdf/index.js';
import { verifyPdfLongTerm } from '../../src/validation/index.js';
import { signCrafted } from '../support/crafted-signature.js';
import { appendRevision } from '../support/form-fixtures.js';
import { acroFormFieldBombs, deflateBomb } from '../support/pdf-bombs.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { buildTestPki } from '../support/pki.js';

describe('issue 14: a bomb gives a report naming the check that could not finish', () => {
  let signer: Signer;
  let anchors: Uint8Array[];
  const z = deflateBomb();

  before(async () => {
    const pki = await buildTestPki({ leaves: ['ec-p256'] });
    const leaf = pki.leaves['ec-p256'];
    signer = await loadLocalSigner({
      kind: 'pem',
      key: leaf.privateKeyPem,
      certificate: leaf.der,
      chain: [pki.intermediate.der, pki.root.der],
    });
    anchors = [pki.root.der];
  });

  it('a /DSS whose /Certs name a 200 MiB-inflating stream: the signature is INDETERMINATE with a revocation finding, integrity still reported', async () => {
    const signed = await signCrafted(makeBasePdf(), signer, {
      signingTime: new Date(),
      fieldName: 'Signature1',
      alsoWrite: (_doc, w, catalog) => {
        const b = w.allocate();
        w.set(b, new PdfStream(PdfDict.of({ Filter: PdfName.of('FlateDecode') }), z));
        const d = w.allocate();
        w.set(
          d,
          PdfDict.of({ Type: PdfName.of('DSS'), Certs: Array.from({ length: 8 }, () => b) }),
        );
        catalog.set('DSS', d);
      },
    });
    // Without the DSS the signature would pass (no revocation judgement asked): the unread DSS stops that.
    const report = verifyPdfLongTerm(signed, { trustAnchors: anchors });
    assert.equal(report.indication, undefined, 'the file itself is read');
    const s = report.signatures[0];
    assert.equal(report.signatures.length, 1);
    assert.equal(s?.indication, 'INDETERMINATE', JSON.stringify(s?.findings));
    assert.equal(s?.isIntact, true);
    const f = s?.findings?.find((x) => x.code === 'ERR_VALIDATION_INCOMPLETE');
    assert.equal(f?.check, 'revocation');
    assert.equal(f?.severity, 'error');
    assert.match(f?.message ?? '', /DSS cannot be read \(ERR_PDF_LIMIT_DECOMPRESSED/);
    assert.ok(s?.problems.includes(f?.message ?? ''), 'an error finding is also a problem');
    // Offline, the signature is INDETERMINATE for the missing evidence as well, and still says why.
    const offline = verifyPdfLongTerm(signed, {
      trustAnchors: anchors,
      revocation: { mode: 'offline' },
    }).signatures[0];
    assert.equal(offline?.indication, 'INDETERMINATE');
    assert.ok(offline?.findings?.some((x) => x.code === 'ERR_VALIDATION_INCOMPLETE'));
  });

  it('a form whose 20 fields sit in object streams inflating 30 MiB each: a file-level INDETERMINATE naming the field listing', async () => {
    const signed = await signCrafted(makeBasePdf(), signer, {
      signingTime: new Date(),
      fieldName: 'Signature1',
    });
    const bombed = acroFormFieldBombs(signed);
    for (const unreadable of ['report', 'throw'] as const) {
      const report = verifyPdfLongTerm(bombed, { trustAnchors: anchors, unreadable });
      assert.equal(report.indication, 'INDETERMINATE', JSON.stringify(report.findings));
      assert.deepEqual(report.signatures, []);
      const f = report.findings?.[0];
      assert.equal(f?.code, 'ERR_VALIDATION_INCOMPLETE');
      assert.equal(f?.check, 'document');
      assert.match(
        f?.message ?? '',
        /^listing the signature fields could not finish within the reader's limits: ERR_PDF_LIMIT_/,
      );
    }
  });

  it('40 pages sharing a 200 MiB content stream, annotated after signing: INDETERMINATE, the overlap check (modification) could not finish', async () => {
    const shared = await signCrafted(makeBasePdf({ pages: 40 }), signer, {
      signingTime: new Date(),
      fieldName: 'Signature1',
      alsoWrite: (doc, w) => {
        const b = w.allocate();
        w.set(b, new PdfStream(PdfDict.of({ Filter: PdfName.of('FlateDecode') }), z));
        for (const page of doc.pages())
          w.set(page.ref, new PdfDict([...page.dict.entries(), ['Contents', b]]));
      },
    });
    const annotated = appendRevision(shared, (doc, w) => {
      for (const page of doc.pages()) {
        const a = w.allocate();
        w.set(
          a,
          PdfDict.of({
            Type: PdfName.of('Annot'),
            Subtype: PdfName.of('Square'),
            Rect: [10, 10, 60, 60],
            F: 4,
          }),
        );
        w.set(page.ref, new PdfDict([...page.dict.entries(), ['Annots', [a]]]));
      }
    });
    const s = verifyPdfLongTerm(annotated, { trustAnchors: anchors }).signatures[0];
    assert.equal(s?.isIntact, true);
    assert.equal(s?.indication, 'INDETERMINATE', JSON.stringify(s?.findings?.slice(-2)));
    const f = s?.findings?.find((x) => x.code === 'ERR_VALIDATION_INCOMPLETE');
    assert.equal(f?.check, 'modification');
    assert.match(
      f?.message ?? '',
      /^whether 40 change\(s\) after signing lie over signed page content could not be checked: the page content cannot be read within the reader's limits/,
    );
    // The 40 identical changes are folded into one warning with its count.
    const later = s?.findings?.filter((x) => x.code === 'ERR_VALIDATION_LATER_REVISION') ?? [];
    assert.equal(later.length, 1, JSON.stringify(later));
    assert.match(
      later[0]?.message ?? '',
      /whether it lies over page content is unknown \(the page content cannot be read within the reader's limits: ERR_PDF_LIMIT_DECOMPRESSED\) \(40 times\)$/,
    );
  });
});
