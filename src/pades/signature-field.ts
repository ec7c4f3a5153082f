/**
 * Finds or creates the signature field and its widget, and updates the AcroForm
 * (ISO 32000-1 §12.7.4.5 signature fields, §12.5.6.19 widget annotations, §12.7.2 /SigFlags).
 */
import type { IncrementalWriter, PdfDocument } from '../pdf/index.js';
import { PdfDict, PdfName, PdfRef, PdfString, type PdfArray, type PdfObject } from '../pdf/index.js';
import { PadesError } from './errors.js';

/** A terminal field of the AcroForm field tree. */
export interface FormField {
  readonly ref: PdfRef;
  readonly dict: PdfDict;
  /** Fully qualified name, partial names joined with '.' (§12.7.3.2). */
  readonly fullName: string;
  /** Field type, inherited through /Parent when absent (§12.7.3.1). */
  readonly fieldType: string | undefined;
}

/** Deepest field hierarchy read (ISO 32000-1 §12.7.3.1 /Kids). */
export const maxFieldDepth = 32;
/** Most fields read from one AcroForm. */
export const maxFields = 100_000;

/**
 * Lists the terminal fields of the document's AcroForm (cycle-safe). A tree deeper than
 * `maxFieldDepth` or with more than `maxFields` fields throws ERR_PADES_LIMIT_FIELDS: skipping
 * the rest would hide whatever signature lies beyond the limit (docs/security.md INV-8, DOS-10).
 */
export function listFormFields(doc: PdfDocument): FormField[] {
  const acroForm = doc.resolveDict(doc.catalog.get('AcroForm'));
  const roots = doc.resolveArray(acroForm?.get('Fields')) ?? [];
  const out: FormField[] = [];
  const seen = new Set<string>();
  const walk = (items: PdfArray, prefix: string, inheritedFt: string | undefined, depth: number): void => {
    if (depth > maxFieldDepth) {
      throw new PadesError('ERR_PADES_LIMIT_FIELDS', `the form field tree is deeper than ${maxFieldDepth} levels`);
    }
    for (const item of items) {
      if (!(item instanceof PdfRef) || seen.has(item.key)) continue;
      if (out.length >= maxFields) {
        throw new PadesError('ERR_PADES_LIMIT_FIELDS', `the form has more than ${maxFields} fields`);
      }
      seen.add(item.key);
      const dict = doc.resolveDict(item);
      if (!dict) continue;
      const partial = doc.resolve(dict.get('T'));
      const name = partial instanceof PdfString ? partial.toText() : undefined;
      const fullName = name === undefined ? prefix : prefix ? `${prefix}.${name}` : name;
      const ft = dict.getName('FT') ?? inheritedFt;
      const kids = doc.resolveArray(dict.get('Kids'));
      // A field whose kids are only widgets (no /T) is terminal (§12.7.3.1).
      const kidFields = kids?.filter((k) => doc.resolveDict(k)?.has('T') === true) ?? [];
      if (kids && kidFields.length > 0) walk(kidFields, fullName, ft, depth + 1);
      else out.push({ ref: item, dict, fullName, fieldType: ft });
    }
  };
  walk(roots, '', undefined, 0);
  return out;
}

/**
 * Most signed signature fields a document may carry (docs/security.md DOS-10). Each signature is
 * verified over its whole ByteRange, so n signatures cost n × the file size; real documents
 * (co-signers, approvals, archive timestamps) stay far below.
 */
export const maxSignatures = 200;

/**
 * The signature fields of the document. Throws ERR_PADES_LIMIT_SIGNATURES when more than
 * `maxSignatures` of them are signed, before any of them is examined.
 */
export function listSignatureFields(doc: PdfDocument): FormField[] {
  const fields = listFormFields(doc).filter((f) => f.fieldType === 'Sig');
  const signed = fields.filter((f) => {
    const v = f.dict.get('V');
    return v !== undefined && v !== null;
  }).length;
  if (signed > maxSignatures) {
    throw new PadesError('ERR_PADES_LIMIT_SIGNATURES', `the document has ${signed} signatures (limit ${maxSignatures})`);
  }
  return fields;
}

/** A field name not yet used: Signature1, Signature2, … */
export function uniqueFieldName(doc: PdfDocument): string {
  const names = new Set(listFormFields(doc).map((f) => f.fullName));
  for (let i = 1; ; i++) if (!names.has(`Signature${i}`)) return `Signature${i}`;
}

/** Where the new signature will live, resolved before anything is written. */
export type FieldTarget =
  | { readonly kind: 'existing'; readonly field: FormField; readonly widgetRect: readonly number[] }
  | { readonly kind: 'new'; readonly name: string };

/** Chooses the field: an existing empty signature field by name, or a new one. */
export function chooseField(doc: PdfDocument, fieldName: string | undefined): FieldTarget {
  if (fieldName === undefined) return { kind: 'new', name: uniqueFieldName(doc) };
  const field = listFormFields(doc).find((f) => f.fullName === fieldName);
  if (!field) return { kind: 'new', name: fieldName };
  if (field.fieldType !== 'Sig') {
    throw new PadesError('ERR_PADES_FIELD_NOT_SIGNATURE', `field '${fieldName}' is not a signature field`);
  }
  if (field.dict.get('V') !== undefined && field.dict.get('V') !== null) {
    throw new PadesError('ERR_PADES_FIELD_SIGNED', `field '${fieldName}' is already signed`);
  }
  const rect = doc.resolveArray(widgetOf(doc, field).dict.get('Rect')) ?? [0, 0, 0, 0];
  return {
    kind: 'existing',
    field,
    widgetRect: rect.map((v) => (typeof v === 'number' ? v : 0)),
  };
}

/** The widget of a field: the field itself when merged (§12.5.6.19), else its first kid. */
function widgetOf(doc: PdfDocument, field: FormField): { ref: PdfRef; dict: PdfDict } {
  if (field.dict.getName('Subtype') === 'Widget' || !field.dict.has('Kids')) {
    return { ref: field.ref, dict: field.dict };
  }
  const kid = doc.resolveArray(field.dict.get('Kids'))?.[0];
  const kidDict = doc.resolveDict(kid);
  if (kid instanceof PdfRef && kidDict) return { ref: kid, dict: kidDict };
  return { ref: field.ref, dict: field.dict };
}

/** Adds `item` to an array held directly in `owner[key]` or through a reference. */
function appendToArray(
  doc: PdfDocument,
  writer: IncrementalWriter,
  owner: PdfDict,
  key: string,
  item: PdfObject,
): void {
  const current = owner.get(key);
  if (current instanceof PdfRef) {
    const arr = doc.resolveArray(current);
    if (arr) {
      writer.set(current, [...arr, item]);
      return;
    }
  }
  const arr = doc.resolveArray(current) ?? [];
  owner.set(key, [...arr, item]);
}

/** Input of `placeSignatureField`. */
export interface PlaceFieldInput {
  readonly target: FieldTarget;
  readonly signatureRef: PdfRef;
  /** Appearance stream (or undefined for none). */
  readonly appearanceRef: PdfRef | undefined;
  /** 0-based page index and rectangle for a new widget. */
  readonly pageIndex: number;
  readonly rect: readonly [number, number, number, number];
  /** Catalog copy being modified (written by the caller). */
  readonly catalog: PdfDict;
}

/**
 * Writes the field/widget (new or existing) pointing at the signature dictionary, adds it to the
 * page's /Annots and the AcroForm's /Fields, and sets /SigFlags 3 (SignaturesExist | AppendOnly).
 * Returns true when the catalog copy was modified.
 */
export function placeSignatureField(
  doc: PdfDocument,
  writer: IncrementalWriter,
  input: PlaceFieldInput,
): boolean {
  const { catalog } = input;
  let catalogChanged = false;

  // AcroForm: modify the indirect object, or the catalog's direct dictionary, or create one.
  const acroEntry = catalog.get('AcroForm');
  let acroForm: PdfDict;
  let acroRef: PdfRef | undefined;
  if (acroEntry instanceof PdfRef && doc.resolveDict(acroEntry)) {
    acroRef = acroEntry;
    acroForm = (doc.resolveDict(acroEntry) as PdfDict).clone();
  } else {
    acroForm = doc.resolveDict(acroEntry)?.clone() ?? PdfDict.of({ Fields: [] });
    acroRef = writer.allocate();
    catalog.set('AcroForm', acroRef);
    catalogChanged = true;
  }

  if (input.target.kind === 'existing') {
    const { field } = input.target;
    const fieldDict = field.dict.clone();
    fieldDict.set('V', input.signatureRef);
    writer.set(field.ref, fieldDict);
    const widget = widgetOf(doc, field);
    if (input.appearanceRef) {
      const w = widget.ref.equals(field.ref) ? fieldDict : widget.dict.clone();
      w.set('AP', PdfDict.of({ N: input.appearanceRef }));
      if (!widget.ref.equals(field.ref)) writer.set(widget.ref, w);
    }
  } else {
    const pages = doc.pages();
    const page = pages[input.pageIndex];
    if (!page) {
      throw new PadesError('ERR_PADES_PAGE_RANGE', `page ${input.pageIndex + 1} does not exist (${pages.length} pages)`);
    }
    const fieldRef = writer.allocate();
    const field = PdfDict.of({
      FT: PdfName.of('Sig'),
      T: PdfString.fromText(input.target.name),
      V: input.signatureRef,
      Type: PdfName.of('Annot'),
      Subtype: PdfName.of('Widget'),
      Rect: [...input.rect],
      // §12.5.3 annotation flags: Print (4) + Locked (128).
      F: 132,
      P: page.ref,
      AP: input.appearanceRef ? PdfDict.of({ N: input.appearanceRef }) : undefined,
    });
    writer.set(fieldRef, field);
    const pageDict = page.dict.clone();
    appendToArray(doc, writer, pageDict, 'Annots', fieldRef);
    writer.set(page.ref, pageDict);
    appendToArray(doc, writer, acroForm, 'Fields', fieldRef);
  }

  acroForm.set('SigFlags', 3);
  writer.set(acroRef, acroForm);
  return catalogChanged;
}
