/**
 * Form fixtures for modification tests: text fields on page 1 (merged field/widget dictionaries,
 * ISO 32000-1 §12.7.3.3), filling them with a value and an appearance stream, and adding
 * annotations with opaque appearances (§12.5) — each as one incremental update.
 */
import assert from 'node:assert/strict';
import { IncrementalWriter, PdfDict, PdfDocument, PdfRef, PdfStream, PdfString, name, type PdfObject } from '../../src/pdf/index.js';

const latin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Appends one revision to `pdf`; `fn` sets objects and may return trailer extras. */
export function appendRevision(pdf: Uint8Array, fn: (doc: PdfDocument, w: IncrementalWriter) => Record<string, PdfObject> | void): Uint8Array {
  const doc = PdfDocument.open(pdf);
  const w = new IncrementalWriter(doc);
  const extras = fn(doc, w);
  const { bytes } = w.build(extras ?? undefined);
  const out = new Uint8Array(pdf.length + bytes.length);
  out.set(pdf, 0);
  out.set(bytes, pdf.length);
  return out;
}

/** One text field to create. */
export interface TextFieldSpec {
  readonly name: string;
  readonly rect: readonly [number, number, number, number];
  /** A value set before signing, drawn by an appearance stream. */
  readonly value?: string;
}

/** An appearance stream: an opaque white box with `text` on it (what a shadow attack shows). */
export function opaqueAppearance(w: IncrementalWriter, width: number, height: number, text: string): PdfRef {
  const ref = w.allocate();
  const escaped = text.replace(/[\\()]/g, (m) => `\\${m}`);
  w.set(
    ref,
    new PdfStream(
      PdfDict.of({ Type: name('XObject'), Subtype: name('Form'), BBox: [0, 0, width, height] }),
      latin(`1 1 1 rg 0 0 ${width} ${height} re f 0 g BT /Helv 18 Tf 4 ${Math.max(2, height / 2 - 6)} Td (${escaped}) Tj ET`),
    ),
  );
  return ref;
}

/** `pdf` plus an AcroForm with the given text fields, their widgets on page 1. */
export function addTextFields(pdf: Uint8Array, specs: readonly TextFieldSpec[]): Uint8Array {
  return appendRevision(pdf, (doc, w) => {
    const page = doc.pages()[0];
    assert.ok(page);
    const fields = specs.map((spec) => {
      const ref = w.allocate();
      const [x1, y1, x2, y2] = spec.rect;
      const dict = PdfDict.of({
        FT: name('Tx'),
        T: PdfString.fromText(spec.name),
        Type: name('Annot'),
        Subtype: name('Widget'),
        Rect: [...spec.rect],
        F: 4,
        P: page.ref,
        DA: new PdfString(latin('/Helv 12 Tf 0 g')),
      });
      if (spec.value !== undefined) {
        dict.set('V', PdfString.fromText(spec.value));
        dict.set('AP', PdfDict.of({ N: opaqueAppearance(w, x2 - x1, y2 - y1, spec.value) }));
      }
      w.set(ref, dict);
      return ref;
    });
    const acroForm = w.allocate();
    w.set(acroForm, PdfDict.of({ Fields: fields, DA: new PdfString(latin('/Helv 12 Tf 0 g')) }));
    w.set(doc.trailer.get('Root') as PdfRef, new PdfDict([...doc.catalog.entries(), ['AcroForm', acroForm]]));
    w.set(page.ref, new PdfDict([...page.dict.entries(), ['Annots', [...(doc.resolveArray(page.dict.get('Annots')) ?? []), ...fields]]]));
  });
}

/** Fills text field `fieldName` with `value` and an opaque appearance (§12.7.3.3). */
export function fillTextField(pdf: Uint8Array, fieldName: string, value: string): Uint8Array {
  return appendRevision(pdf, (doc, w) => {
    const fieldRef = (doc.resolveArray(doc.resolveDict(doc.catalog.get('AcroForm'))?.get('Fields')) ?? []).find((r) => {
      const t = doc.resolveDict(r)?.get('T');
      return r instanceof PdfRef && t instanceof PdfString && t.toText() === fieldName;
    });
    assert.ok(fieldRef instanceof PdfRef, `field ${fieldName}`);
    const field = new PdfDict(doc.resolveDict(fieldRef)?.entries());
    const rect = (doc.resolveArray(field.get('Rect')) ?? [0, 0, 100, 20]).map((v) => (typeof v === 'number' ? v : 0));
    field.set('V', PdfString.fromText(value));
    field.set('AP', PdfDict.of({ N: opaqueAppearance(w, (rect[2] ?? 0) - (rect[0] ?? 0), (rect[3] ?? 0) - (rect[1] ?? 0), value) }));
    w.set(fieldRef, field);
  });
}

/** Adds an annotation of `subtype` with an opaque appearance at `rect` on page 1 (§12.5.5). */
export function addAnnotation(pdf: Uint8Array, subtype: string, rect: readonly [number, number, number, number], text: string): Uint8Array {
  return appendRevision(pdf, (doc, w) => {
    const page = doc.pages()[0];
    assert.ok(page);
    const annot = w.allocate();
    w.set(
      annot,
      PdfDict.of({
        Type: name('Annot'),
        Subtype: name(subtype),
        Rect: [...rect],
        Contents: PdfString.fromText(text),
        F: 4,
        AP: PdfDict.of({ N: opaqueAppearance(w, rect[2] - rect[0], rect[3] - rect[1], text) }),
      }),
    );
    w.set(page.ref, new PdfDict([...page.dict.entries(), ['Annots', [...(doc.resolveArray(page.dict.get('Annots')) ?? []), annot]]]));
  });
}
