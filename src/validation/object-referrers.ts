/**
 * Who refers to each object of a revision, and under which key: the index behind the multi-path
 * rule of the difference analysis (docs/security.md V8, PDF-17). An object that a later revision may
 * replace in one role (the /Info dictionary, the catalog's /Metadata stream, the DSS) is cleared
 * only when that role is its only use; the same object reached from a page's /Resources or
 * /Contents would change what the page shows (ISO 32000-1 §7.3.10: one indirect object may be
 * referenced from any number of places).
 */
import { PdfDict, PdfRef, PdfStream, type PdfDocument, type PdfObject } from '../pdf/index.js';

/** One reference to an object: from the trailer or another object, under that holder's top-level key. */
export interface Referrer {
  /** The referring object's number, or `trailer` (the trailer dictionary or a cross-reference stream's dictionary). */
  readonly from: number | 'trailer';
  /** The top-level key of the holder under which the reference sits (`[]` inside a top-level array). */
  readonly key: string;
}

/** Calls `visit` for every reference inside `value` (not following references). */
function forEachRef(value: PdfObject | undefined, visit: (ref: PdfRef) => void, depth = 0): void {
  if (depth > 64 || value === undefined || value === null) return;
  if (value instanceof PdfRef) visit(value);
  else if (Array.isArray(value)) for (const v of value) forEachRef(v, visit, depth + 1);
  else if (value instanceof PdfStream) forEachRef(value.dict, visit, depth + 1);
  else if (value instanceof PdfDict) for (const k of value.keys()) forEachRef(value.get(k), visit, depth + 1);
}

/**
 * Indexes every reference in the trailer and in every object of `doc` (stream data is not
 * read; objects that cannot be parsed are skipped — their faults are V11's business).
 *
 * @example
 * ```ts
 * const referrers = indexReferrers(signedRevision);
 * referrers.get(infoNum); // → [{ from: 'trailer', key: 'Info' }]
 * ```
 */
export function indexReferrers(doc: PdfDocument): ReadonlyMap<number, readonly Referrer[]> {
  const index = new Map<number, Referrer[]>();
  const record = (holder: PdfObject, from: number | 'trailer'): void => {
    const dict = holder instanceof PdfStream ? holder.dict : holder;
    const entries: [string, PdfObject | undefined][] =
      dict instanceof PdfDict ? [...dict.keys()].map((k) => [k, dict.get(k)]) : Array.isArray(holder) ? [['[]', holder]] : [];
    for (const [key, value] of entries) {
      forEachRef(value, (ref) => {
        const list = index.get(ref.num) ?? [];
        list.push({ from, key });
        index.set(ref.num, list);
      });
    }
  };
  record(doc.trailer, 'trailer');
  for (const [num, loc] of doc.objectLocations()) {
    let obj: PdfObject;
    try {
      obj = doc.getObject(new PdfRef(num, loc.kind === 'offset' ? loc.gen : 0));
    } catch {
      continue;
    }
    // A cross-reference stream's dictionary is that section's trailer (ISO 32000-1 §7.5.8.2).
    const isXref = obj instanceof PdfStream && obj.dict.getName('Type') === 'XRef';
    record(obj, isXref ? 'trailer' : num);
  }
  return index;
}
