/**
 * What happened to a document after a signature's revision (docs/security.md V4, V5, V8, V9): the
 * signed bytes must end a revision of the /Prev chain, nothing may follow the last revision, and
 * every object a later revision adds, changes or frees must be explained by a whitelist — DSS and
 * document timestamps (ETSI EN 319 142-1 §5.4), new signature fields and the filling of empty ones,
 * form filling, annotations, /Info and /Metadata — at a level the certification permission allows
 * (ISO 32000-1 §12.8.2.2.2 Table 254: P = 1 none, 2 form filling and signing, 3 also annotations).
 * Anything else (page content, resources, fonts, the page tree, /OpenAction, /Names, freeing an
 * object, redefining the signature dictionary…) is a disallowed change.
 */
import {
  PdfDict,
  PdfDocument,
  PdfName,
  PdfRef,
  PdfStream,
  PdfString,
  serializeObject,
  type ByteSource,
  type ObjectLocation,
  type PdfObject,
} from '../pdf/index.js';
import { listFormFields } from '../pades/index.js';
import { indexReferrers, type Referrer } from './object-referrers.js';
import { boxesOverlap, pageContentBoxes, rectOf, type Box } from './page-content-extent.js';


/** Says, in a change's note, that a page's content could not be read within the reader's limits. */
export const pageContentOverLimit = "the page content cannot be read within the reader's limits";

/** How far later revisions went, in increasing order of what they may change. */
export type ModificationLevel = 'none' | 'lta-updates' | 'signing' | 'form-filling' | 'annotations';

const levelRank: Readonly<Record<ModificationLevel, number>> = {
  none: 0,
  'lta-updates': 1,
  signing: 2,
  'form-filling': 3,
  annotations: 4,
};

/** The verdict on the revisions after one signature. */
export interface RevisionAnalysis {
  /** The highest kind of allowed change found. */
  readonly level: ModificationLevel;
  /** Allowed changes, described for the report. */
  readonly changes: readonly string[];
  /** Disallowed changes or structural faults; non-empty means the signature must fail. */
  readonly disallowed: readonly string[];
}

/** Options of `analyseLaterRevisions`. */
export interface RevisionAnalysisOptions {
  /** The DocMDP permission of the document's certification signature, when there is one. */
  readonly certification?: 1 | 2 | 3 | undefined;
  /** The fields the signature locks (FieldMDP, ISO 32000-1 §12.8.2.4): any change to them is disallowed. */
  readonly isLocked?: (fullName: string) => boolean;
  /** The /P of the signature's field lock (ISO 32000-2 §12.7.5.5): DocMDP permissions from this signature on. */
  readonly lockPermission?: 1 | 2 | 3 | undefined;
}

/** Whitespace a writer may leave after `%%EOF` (ISO 32000-1 §7.5.5: an EOL marker). */
function onlyWhitespace(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x0c || b === 0x00);
}

function prefixSource(source: ByteSource, end: number): ByteSource {
  return { length: end, read: (offset, length) => source.read(offset, Math.max(0, Math.min(length, end - offset))) };
}

function sameLocation(a: ObjectLocation, b: ObjectLocation): boolean {
  if (a.kind === 'offset' && b.kind === 'offset') return a.offset === b.offset && a.gen === b.gen;
  if (a.kind === 'compressed' && b.kind === 'compressed') return a.streamNum === b.streamNum && a.index === b.index;
  return false;
}

function bytesOf(obj: PdfObject | undefined): string {
  if (obj === undefined) return '';
  if (obj instanceof PdfStream) return `stream:${Buffer.from(serializeObject(obj.dict)).toString('latin1')}`;
  return Buffer.from(serializeObject(obj)).toString('latin1');
}

/** Keys whose values differ between two dictionaries. */
function changedKeys(before: PdfDict, after: PdfDict): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => bytesOf(before.get(k)) !== bytesOf(after.get(k))).sort();
}

function refNums(doc: PdfDocument, value: PdfObject | undefined): number[] {
  const arr = doc.resolveArray(value) ?? [];
  return arr.filter((v): v is PdfRef => v instanceof PdfRef).map((r) => r.num);
}

/** True when every element of `before` is still in `after` (additions only). */
function onlyAdded(before: readonly number[], after: readonly number[]): boolean {
  const set = new Set(after);
  return before.every((n) => set.has(n));
}

/** A field value for the report: text strings and names as text (cut at 80 characters), else its type. */
function describeValue(doc: PdfDocument, value: PdfObject | undefined): string {
  const v = doc.resolve(value);
  if (v === undefined || v === null) return '(empty)';
  const text =
    v instanceof PdfString ? v.toText() : v instanceof PdfName ? `/${v.name}` : Array.isArray(v) ? `[${v.length} values]` : typeof v === 'object' ? 'a dictionary' : String(v);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function hasArea(doc: PdfDocument, widget: PdfDict): boolean {
  const rect = doc.resolveArray(widget.get('Rect'));
  if (!rect || rect.length !== 4) return false;
  const [x1, y1, x2, y2] = rect.map((v) => (typeof v === 'number' ? v : 0));
  return Math.abs((x2 ?? 0) - (x1 ?? 0)) > 0 && Math.abs((y2 ?? 0) - (y1 ?? 0)) > 0;
}

/** Analyses everything after the first `signedEnd` bytes of `source` (the signature's c + d). */
export function analyseLaterRevisions(
  source: ByteSource,
  doc: PdfDocument,
  signedEnd: number,
  options: RevisionAnalysisOptions = {},
): RevisionAnalysis {
  const changes: string[] = [];
  const disallowed: string[] = [];
  let level: ModificationLevel = 'none';
  const need = (l: ModificationLevel, what: string): void => {
    changes.push(what);
    if (levelRank[l] > levelRank[level]) level = l;
  };

  // V4: the signed bytes end one revision of the chain (plus at most its EOL).
  const revision = doc.revisions.find(
    (r) => r.endOffset <= signedEnd && signedEnd - r.endOffset <= 2 && onlyWhitespace(source.read(r.endOffset, signedEnd - r.endOffset)),
  );
  if (revision === undefined) return { level, changes, disallowed: ['the signed bytes do not end a revision of the document'] };
  // V5: nothing but whitespace after the last revision; V11: no rebuilt cross-reference data.
  const last = doc.revisions[0];
  if (last && !onlyWhitespace(source.read(last.endOffset, source.length - last.endOffset))) {
    disallowed.push(`${source.length - last.endOffset} bytes after the last revision belong to no revision`);
  }
  if (doc.isRecovered) disallowed.push('the cross-reference data had to be rebuilt');
  if (doc.revisions.some((r) => r.startxref < signedEnd && r.startxref > revision.startxref)) {
    disallowed.push('a later cross-reference section lies inside the signed bytes');
  }

  let signed: PdfDocument;
  try {
    // The signed revision draws from the whole file's decompression budget (issue 15).
    signed = PdfDocument.open(prefixSource(source, signedEnd), doc.openOptions);
  } catch {
    return { level, changes, disallowed: [...disallowed, 'the signed revision cannot be read on its own'] };
  }
  if (signed.isRecovered) disallowed.push('the signed revision needed cross-reference recovery');

  const before = signed.objectLocations();
  const after = doc.objectLocations();
  for (const num of before.keys()) {
    if (!after.has(num)) disallowed.push(`object ${num} of the signed revision was freed`);
  }
  const changed: number[] = [];
  const added = new Set<number>();
  for (const [num, loc] of after) {
    const old = before.get(num);
    if (old === undefined) added.add(num);
    else if (!sameLocation(old, loc)) changed.push(num);
  }
  if (changed.length === 0 && added.size === 0 && disallowed.length === 0) return { level, changes, disallowed };

  const ref = (num: number, loc: ObjectLocation | undefined): PdfRef => new PdfRef(num, loc?.kind === 'offset' ? loc.gen : 0);
  const oldObject = (num: number): PdfObject | undefined => signed.getObject(ref(num, before.get(num)));
  const newObject = (num: number): PdfObject | undefined => doc.getObject(ref(num, after.get(num)));

  // Roles of the objects of the signed revision that later revisions may touch.
  const rootRef = signed.trailer.get('Root');
  // The signed revision's /Info: a later trailer naming another existing object does not make it replaceable.
  const infoRef = signed.trailer.get('Info');
  const catalogNum = rootRef instanceof PdfRef ? rootRef.num : -1;
  const acroFormRef = signed.catalog.get('AcroForm');
  const metadataRef = signed.catalog.get('Metadata');
  const dssRef = signed.catalog.get('DSS');
  const signedPages = signed.pages();
  const pageNums = new Set(signedPages.map((p) => p.ref.num));
  // V10: where each signed page draws, computed once per page on demand; and which page holds each annotation.
  const contentBoxes = new Map<number, Box[] | undefined>();
  // Pages whose content a reader limit stopped (a decompression bomb): the overlap check could not finish.
  const limitedPages = new Map<number, string>();
  let limitSeen: string | undefined;
  const annotPage = new Map<number, PdfDict>();
  for (const p of signedPages) for (const a of refNums(signed, p.dict.get('Annots'))) annotPage.set(a, p.dict);
  /** Whether `annotation` (as in the final revision) sits over content of the signed `page`; undefined when unknown. */
  const overContent = (page: PdfDict | undefined, pageNum: number, annotation: PdfDict | undefined): boolean | undefined => {
    const rect = annotation && rectOf(doc, annotation);
    if (page === undefined || rect === undefined) return undefined;
    if (!contentBoxes.has(pageNum)) contentBoxes.set(pageNum, pageContentBoxes(signed, page, (why) => limitedPages.set(pageNum, why)));
    const boxes = contentBoxes.get(pageNum);
    if (boxes === undefined) limitSeen = limitedPages.get(pageNum) ?? limitSeen;
    return boxes === undefined ? undefined : boxes.some((b) => boxesOverlap(b, rect));
  };
  const overlapNote = (over: boolean | undefined): string => {
    if (over !== undefined) return over ? '; it lies over page content' : '';
    const why = limitSeen;
    limitSeen = undefined;
    return `; whether it lies over page content is unknown${why === undefined ? '' : ` (${pageContentOverLimit}: ${why})`}`;
  };
  const fields = new Map(listFormFields(signed).map((f) => [f.ref.num, f]));
  const widgetOf = new Map<number, number>(); // widget object → its field object
  for (const f of fields.values()) for (const k of refNums(signed, f.dict.get('Kids'))) widgetOf.set(k, f.ref.num);

  // V8 multi-path rule (pyHanko's DiffAnalyzer): an object replaceable as a whole in one role must
  // have no other use in the signed revision, else the replacement changes that other path too.
  let referrers: ReadonlyMap<number, readonly Referrer[]> | undefined;
  const soleUse = (num: number, isRole: (r: Referrer) => boolean, role: string): boolean => {
    referrers ??= indexReferrers(signed);
    const others = (referrers.get(num) ?? []).filter((r) => !isRole(r));
    if (others.length === 0) return true;
    const where = others.map((r) => (r.from === 'trailer' ? `trailer /${r.key}` : `object ${r.from} /${r.key}`)).join(', ');
    disallowed.push(`object ${num}, ${role}, was changed but is also used by ${where}: the change is not cleared on every path`);
    return false;
  };

  /** PDF-13: the overlap note of a changed field's widget (the object itself when it has a /Rect, else its kids). */
  const widgetNote = (num: number, dict: PdfDict): string => {
    const widgets = dict.has('Rect') ? [num] : refNums(doc, dict.get('Kids'));
    const over = widgets.map((w) => {
      const page = annotPage.get(w);
      const pageNum = signedPages.find((p) => p.dict === page)?.ref.num ?? -1;
      return overContent(page, pageNum, w === num ? dict : doc.resolveDict(newObject(w)));
    });
    return overlapNote(over.some((o) => o === true) ? true : over.some((o) => o === undefined) ? undefined : false);
  };

  const classifyNewAnnotation = (num: number, page: PdfDict, pageNum: number): void => {
    const annot = doc.resolveDict(newObject(num));
    if (!added.has(num) || annot === undefined) {
      disallowed.push(`page annotation ${num} is not a new annotation`);
      return;
    }
    if (annot.getName('Subtype') !== 'Widget') {
      const over = overContent(page, pageNum, annot);
      need('annotations', `annotation /${annot.getName('Subtype') ?? '?'} added${overlapNote(over)}`);
      // PDF-19 Evil Annotation: after certification, even P=3 does not let an annotation cover
      // signed content (pyHanko and EU DSS flag the same); unknown counts as covering (INV-6).
      if (options.certification !== undefined && over !== false) {
        disallowed.push(`an annotation /${annot.getName('Subtype') ?? '?'} over page content was added after the certification signature`);
      }
      return;
    }
    const parent = doc.resolveDict(annot.get('Parent')) ?? annot;
    const fieldType = parent.getName('FT') ?? annot.getName('FT');
    if (fieldType !== 'Sig') {
      disallowed.push(`a new ${fieldType ?? 'untyped'} form field widget was added`);
      return;
    }
    const value = doc.resolveDict(parent.get('V'));
    if (value?.getName('Type') === 'DocTimeStamp') need('lta-updates', 'document timestamp added');
    else need('signing', 'signature field added');
    // PDF-21: after certification a new signature field must not draw on the page.
    if (options.certification !== undefined && hasArea(doc, annot)) {
      disallowed.push('a visible signature field was added after the certification signature');
    }
  };

  for (const num of changed) {
    const oldObj = oldObject(num);
    const newObj = newObject(num);
    if (bytesOf(oldObj) === bytesOf(newObj) && !(oldObj instanceof PdfStream)) continue; // rewritten unchanged
    const oldDict = oldObj instanceof PdfDict ? oldObj : undefined;
    const newDict = newObj instanceof PdfDict ? newObj : undefined;
    if (num === catalogNum && oldDict && newDict) {
      for (const key of changedKeys(oldDict, newDict)) {
        if (key === 'DSS' || key === 'Extensions') need('lta-updates', `catalog /${key} updated`);
        else if (key === 'AcroForm') need('signing', 'catalog /AcroForm updated');
        else if (key === 'Metadata') need('lta-updates', 'document metadata updated');
        else disallowed.push(`catalog entry /${key} changed`);
      }
    } else if (acroFormRef instanceof PdfRef && num === acroFormRef.num && oldDict && newDict) {
      for (const key of changedKeys(oldDict, newDict)) {
        if (key === 'Fields' && onlyAdded(refNums(signed, oldDict.get('Fields')), refNums(doc, newDict.get('Fields')))) {
          // EN 319 142-1 §5.4.3: a field holding a document timestamp is an LTA update, not a signature.
          const oldFields = refNums(signed, oldDict.get('Fields'));
          const addedFields = refNums(doc, newDict.get('Fields')).filter((n) => !oldFields.includes(n));
          const onlyTimestamps = addedFields.every(
            (n) => doc.resolveDict(doc.resolveDict(newObject(n))?.get('V'))?.getName('Type') === 'DocTimeStamp',
          );
          if (onlyTimestamps) need('lta-updates', 'document timestamp fields added');
          else need('signing', 'form fields added');
        } else if (key === 'SigFlags') need('signing', 'AcroForm /SigFlags updated');
        else disallowed.push(`AcroForm entry /${key} changed`);
      }
    } else if (pageNums.has(num) && oldDict && newDict) {
      for (const key of changedKeys(oldDict, newDict)) {
        const oldAnnots = refNums(signed, oldDict.get('Annots'));
        const newAnnots = refNums(doc, newDict.get('Annots'));
        if (key === 'Annots' && onlyAdded(oldAnnots, newAnnots)) {
          for (const a of newAnnots.filter((n) => !oldAnnots.includes(n))) classifyNewAnnotation(a, oldDict, num);
        } else disallowed.push(`page object ${num}: /${key} changed (page content, resources or structure)`);
      }
    } else if ((fields.has(num) || widgetOf.has(num)) && oldDict && newDict) {
      const field = fields.get(num) ?? fields.get(widgetOf.get(num) ?? -1);
      const isSig = field?.fieldType === 'Sig';
      // V9 (PDF-25): a field this signature locks may not change at all, not even be filled.
      if (field !== undefined && options.isLocked?.(field.fullName) === true) {
        disallowed.push(`field ${field.fullName} is locked by this signature (FieldMDP) and was changed`);
        continue;
      }
      for (const key of changedKeys(oldDict, newDict)) {
        if (isSig && key === 'V' && oldDict.get('V') === undefined) {
          const value = doc.resolveDict(newDict.get('V'));
          if (value?.getName('Type') === 'DocTimeStamp') need('lta-updates', `document timestamp in field ${field?.fullName}`);
          else need('signing', `empty signature field ${field?.fullName ?? num} signed`);
        } else if (key === 'AP' || key === 'AS' || (key === 'MK' && !isSig)) {
          need(isSig ? 'signing' : 'form-filling', `appearance of field ${field?.fullName ?? num} updated${widgetNote(num, newDict)}`);
        } else if (!isSig && key === 'V') {
          // PDF-14: the report shows what the field said when signed and what it says now.
          need('form-filling', `field ${field?.fullName ?? num} filled: ${describeValue(doc, oldDict.get('V'))} → ${describeValue(doc, newDict.get('V'))}${widgetNote(num, newDict)}`);
        }
        else disallowed.push(`field ${field?.fullName ?? num}: /${key} changed`);
      }
    } else if (infoRef instanceof PdfRef && num === infoRef.num) {
      if (soleUse(num, (r) => r.from === 'trailer' && r.key === 'Info', 'the document information dictionary')) {
        need('lta-updates', 'document information dictionary updated');
      }
    } else if (metadataRef instanceof PdfRef && num === metadataRef.num) {
      if (soleUse(num, (r) => r.from === catalogNum && r.key === 'Metadata', 'the document metadata')) {
        need('lta-updates', 'document metadata updated');
      }
    } else if (dssRef instanceof PdfRef && num === dssRef.num) {
      if (soleUse(num, (r) => r.from === catalogNum && r.key === 'DSS', 'the DSS')) need('lta-updates', 'DSS updated');
    } else {
      const type = (newDict ?? (newObj instanceof PdfStream ? newObj.dict : undefined))?.get('Type');
      disallowed.push(`object ${num}${type instanceof PdfName ? ` (/${type.name})` : ''} of the signed revision was changed`);
    }
  }
  if (added.size > 0 && changes.length === 0 && disallowed.length === 0) {
    changes.push(`${added.size} unreferenced objects added`);
  }
  // V9: what the certification signature permits.
  const permitted: ModificationLevel | undefined =
    options.certification === 1 ? 'lta-updates' : options.certification === 2 ? 'form-filling' : undefined;
  if (permitted !== undefined && levelRank[level] > levelRank[permitted]) {
    disallowed.push(`changes of kind "${level}" are not permitted by the certification signature (P=${options.certification})`);
  }
  // ISO 32000-2 §12.7.5.5 (Table 236 /P) and §12.8.2.4 (Table 257 /P): a signature's field lock
  // grants the document the DocMDP permissions of Table 254 once this signature is applied.
  const locked: ModificationLevel | undefined =
    options.lockPermission === 1 ? 'lta-updates' : options.lockPermission === 2 ? 'form-filling' : undefined;
  if (locked !== undefined && levelRank[level] > levelRank[locked]) {
    disallowed.push(`changes of kind "${level}" are not permitted by this signature's field lock (/P ${options.lockPermission}, ISO 32000-2 §12.7.5.5)`);
  }
  return { level, changes, disallowed };
}
