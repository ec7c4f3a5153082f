/**
 * docs/security.md §3.1 shadow attacks (NDSS 2021; RUB-NDS pdf-attacker `shadow-attack/…`): the signed
 * file already carries the hidden content, an update after signing only switches it on. Replace
 * via overwrite (PDF-15), hide-and-replace by references (PDF-16) and by object usage (PDF-17,
 * pyHanko's multi-path rule) must all fail the signature (V8).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../src/cms/index.js';
import { signPdf } from '../../src/pades/index.js';
import { IncrementalWriter, PdfDict, PdfDocument, PdfRef, PdfStream, name, type PdfObject } from '../../src/pdf/index.js';
import { verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';
import { leafSigner } from '../support/leaf-signer.js';

const latin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const signingTime = new Date('2026-11-23T10:00:00Z');
const corpus = pdfsigCorpus('shadow-attacks');

let pki: TestPki<'rsa'>;
let alice: Signer;

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa'] });
  alice = await leafSigner(pki, 'rsa');
});

/** Appends one revision to `pdf`; `fn` sets objects and may return trailer extras. */
function update(pdf: Uint8Array, fn: (doc: PdfDocument, w: IncrementalWriter) => Record<string, PdfObject> | void): Uint8Array {
  const doc = PdfDocument.open(pdf);
  const w = new IncrementalWriter(doc);
  const extras = fn(doc, w);
  const { bytes } = w.build(extras ?? undefined);
  const out = new Uint8Array(pdf.length + bytes.length);
  out.set(pdf, 0);
  out.set(bytes, pdf.length);
  return out;
}

const stream = (text: string, dict: Record<string, PdfObject> = {}): PdfStream => new PdfStream(PdfDict.of(dict), latin(text));

function firstPage(doc: PdfDocument): { ref: PdfRef; dict: PdfDict } {
  const page = doc.pages()[0];
  assert.ok(page);
  return page;
}

function report(bytes: Uint8Array, what: string): SignatureReport {
  corpus.add(what, bytes);
  const sig = verifyPdfSignatures(bytes, { trustAnchors: [pki.root.der] }).signatures[0];
  assert.ok(sig, `${what}: the signature is reported`);
  return sig;
}

function assertPassed(bytes: Uint8Array, what: string): SignatureReport {
  const sig = report(bytes, what);
  assert.equal(sig.indication, 'TOTAL-PASSED', `${what}: ${sig.problems.join('; ')}`);
  return sig;
}

function assertFailed(bytes: Uint8Array, what: string, reason: RegExp): void {
  const sig = report(bytes, what);
  assert.equal(sig.indication, 'TOTAL-FAILED', `${what}: ${sig.indication} ${sig.problems.join('; ')}`);
  assert.ok(sig.problems.some((p) => reason.test(p)), `${what}: the problems name the change: ${sig.problems.join('; ')}`);
}

describe('docs/security.md PDF-15: shadow replace via overwrite of a font used by a signed page (V8)', () => {
  it('overwriting the font dictionary, its /Widths, its /ToUnicode CMap or its embedded FontFile2 → FAILED', async () => {
    // Before signing: font 3 becomes a TrueType font with indirect Widths, ToUnicode and FontFile2.
    const refs: Record<'font' | 'widths' | 'toUnicode' | 'fontFile', PdfRef> = {} as never;
    const prepared = update(makeBasePdf({ text: 'Pay 100 EUR' }), (doc, w) => {
      const fontRef = doc.resolveDict(doc.resolveDict(doc.inheritedPageAttribute(firstPage(doc).dict, 'Resources'))?.get('Font'))?.get('F1');
      assert.ok(fontRef instanceof PdfRef);
      refs.font = fontRef;
      refs.widths = w.allocate();
      refs.toUnicode = w.allocate();
      refs.fontFile = w.allocate();
      const descriptor = w.allocate();
      w.set(refs.widths, Array.from({ length: 224 }, () => 556));
      w.set(refs.toUnicode, stream('/CIDInit /ProcSet findresource begin 12 dict begin begincmap endcmap end end'));
      w.set(refs.fontFile, stream('signed glyph programs', { Length1: 21 }));
      w.set(descriptor, PdfDict.of({ Type: name('FontDescriptor'), FontName: name('SignetSans'), FontFile2: refs.fontFile, Flags: 32 }));
      w.set(
        fontRef,
        PdfDict.of({
          Type: name('Font'),
          Subtype: name('TrueType'),
          BaseFont: name('SignetSans'),
          FirstChar: 32,
          LastChar: 255,
          Widths: refs.widths,
          FontDescriptor: descriptor,
          ToUnicode: refs.toUnicode,
        }),
      );
    });
    const signed = await signPdf(prepared, alice, { signingTime });
    assertPassed(signed, 'PDF-15 control');
    const overwrite = (what: keyof typeof refs, obj: PdfObject): Uint8Array => update(signed, (_doc, w) => w.set(refs[what], obj));
    const fontDict = PdfDocument.open(signed).resolveDict(refs.font);
    assert.ok(fontDict);
    const swappedFont = new PdfDict(fontDict.entries());
    swappedFont.set('BaseFont', name('SignetSans-Lookalike'));
    assertFailed(overwrite('font', swappedFont), 'PDF-15 font dictionary', new RegExp(`object ${refs.font.num} \\(/Font\\) of the signed revision was changed`));
    assertFailed(overwrite('widths', Array.from({ length: 224 }, () => 0)), 'PDF-15 Widths', new RegExp(`object ${refs.widths.num} of the signed revision was changed`));
    // A CMap mapping the glyphs of "100" to "900": copy-paste and search see another amount.
    assertFailed(overwrite('toUnicode', stream('/CIDInit /ProcSet findresource begin bfchar <31> <0039> endbfchar')), 'PDF-15 ToUnicode', new RegExp(`object ${refs.toUnicode.num} of the signed revision was changed`));
    assertFailed(overwrite('fontFile', stream('other glyph programs!', { Length1: 21 })), 'PDF-15 FontFile2', new RegExp(`object ${refs.fontFile.num} of the signed revision was changed`));
  });
});

describe('docs/security.md PDF-16: hide-and-replace by changing object references (V8)', () => {
  it('two content streams signed, an update points the page (or its /Contents array object) at the other → FAILED', async () => {
    let shadow = new PdfRef(0, 0);
    let contentsArray = new PdfRef(0, 0);
    let original: PdfObject = null;
    // Before signing: a second, unused content stream, and the page's /Contents behind an indirect array.
    const prepared = update(makeBasePdf({ text: 'Pay 100 EUR' }), (doc, w) => {
      const page = firstPage(doc);
      original = page.dict.get('Contents') ?? null;
      shadow = w.allocate();
      contentsArray = w.allocate();
      w.set(shadow, stream('BT /F1 24 Tf 72 720 Td (Pay 1,000,000 EUR) Tj ET'));
      w.set(contentsArray, [original]);
      const dict = new PdfDict(page.dict.entries());
      dict.set('Contents', contentsArray);
      w.set(page.ref, dict);
    });
    const signed = await signPdf(prepared, alice, { signingTime });
    assertPassed(signed, 'PDF-16 control');

    const repointed = update(signed, (doc, w) => {
      const page = firstPage(doc);
      const dict = new PdfDict(page.dict.entries());
      dict.set('Contents', shadow);
      w.set(page.ref, dict);
    });
    assertFailed(repointed, 'PDF-16 page /Contents', /page object \d+: \/Contents changed/);
    const arraySwapped = update(signed, (_doc, w) => w.set(contentsArray, [shadow]));
    assertFailed(arraySwapped, 'PDF-16 /Contents array object', new RegExp(`object ${contentsArray.num} of the signed revision was changed`));
    // The same array written again unchanged is not a change.
    assertPassed(update(signed, (_doc, w) => w.set(contentsArray, [original])), 'PDF-16 rewrite unchanged');
  });
});

describe('docs/security.md PDF-17: hide-and-replace by object usage — an override must be cleared on every path (V8)', () => {
  it('the /Info dictionary doubles as the page /Resources: replacing "the document information" swaps the font → FAILED', async () => {
    let infoRef = new PdfRef(0, 0);
    const prepared = update(makeBasePdf({ text: 'Pay 100 EUR' }), (doc, w) => {
      const info = doc.trailer.get('Info');
      assert.ok(info instanceof PdfRef);
      infoRef = info;
      const resources = doc.resolveDict(doc.inheritedPageAttribute(firstPage(doc).dict, 'Resources'));
      assert.ok(resources);
      const merged = new PdfDict([...(doc.resolveDict(info)?.entries() ?? []), ...resources.entries()]);
      w.set(info, merged);
      const page = firstPage(doc);
      w.set(page.ref, new PdfDict([...page.dict.entries(), ['Resources', info]]));
    });
    const signed = await signPdf(prepared, alice, { signingTime });
    assertPassed(signed, 'PDF-17 Info control');
    // An honest /Info update is allowed when /Info has no other use…
    const plain = await signPdf(makeBasePdf(), alice, { signingTime });
    const plainInfo = PdfDocument.open(plain).trailer.get('Info');
    assert.ok(plainInfo instanceof PdfRef);
    assertPassed(update(plain, (_d, w) => w.set(plainInfo, PdfDict.of({ Title: name('Renamed') }))), 'PDF-17 honest Info update');
    // …but here it is the page's resource dictionary too.
    const attacked = update(signed, (doc, w) => {
      const info = new PdfDict(doc.resolveDict(infoRef)?.entries());
      const evilFont = w.allocate();
      w.set(evilFont, PdfDict.of({ Type: name('Font'), Subtype: name('Type1'), BaseFont: name('Symbol') }));
      info.set('Font', PdfDict.of({ F1: evilFont }));
      w.set(infoRef, info);
    });
    assertFailed(attacked, 'PDF-17 Info as Resources', /document information dictionary, was changed but is also used by object \d+ \/Resources/);
  });

  it('the catalog /Metadata stream doubles as the page content: replacing "the metadata" rewrites the page → FAILED', async () => {
    let metadata = new PdfRef(0, 0);
    const prepared = update(makeBasePdf({ text: 'Pay 100 EUR' }), (doc, w) => {
      metadata = w.allocate();
      w.set(metadata, stream('BT /F1 24 Tf 72 720 Td (Pay 100 EUR) Tj ET', { Type: name('Metadata'), Subtype: name('XML') }));
      w.set(doc.trailer.get('Root') as PdfRef, new PdfDict([...doc.catalog.entries(), ['Metadata', metadata]]));
      const page = firstPage(doc);
      w.set(page.ref, new PdfDict([...page.dict.entries(), ['Contents', metadata]]));
    });
    const signed = await signPdf(prepared, alice, { signingTime });
    assertPassed(signed, 'PDF-17 Metadata control');
    const attacked = update(signed, (_doc, w) =>
      w.set(metadata, stream('BT /F1 24 Tf 72 720 Td (Pay 1,000,000 EUR) Tj ET', { Type: name('Metadata'), Subtype: name('XML') })),
    );
    assertFailed(attacked, 'PDF-17 Metadata as Contents', /document metadata, was changed but is also used by object \d+ \/Contents/);
  });

  it('a later trailer names the page font as its /Info, then overwrites it → FAILED (the signed revision decides the roles)', async () => {
    const signed = await signPdf(makeBasePdf({ text: 'Pay 100 EUR' }), alice, { signingTime });
    const attacked = update(signed, (doc, w) => {
      const fontRef = doc.resolveDict(doc.resolveDict(doc.inheritedPageAttribute(firstPage(doc).dict, 'Resources'))?.get('Font'))?.get('F1');
      assert.ok(fontRef instanceof PdfRef);
      w.set(fontRef, PdfDict.of({ Type: name('Font'), Subtype: name('Type1'), BaseFont: name('Symbol'), Title: name('Info') }));
      return { Info: fontRef };
    });
    assertFailed(attacked, 'PDF-17 trailer Info repointed', /\(\/Font\) of the signed revision was changed/);
  });
});

describe('docs/security.md PDF-34: agreement with pdfsig', () => {
  it('on every control and attacked file above: pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
