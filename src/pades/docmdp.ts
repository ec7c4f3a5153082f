/** Reads an existing certification's DocMDP permission (ISO 32000-1 §12.8.2.2, §12.8.4). */
import type { PdfDict, PdfDocument } from '../pdf/index.js';
import { listSignatureFields } from './signature-field.js';

/** The /P of each DocMDP transform in a signature dictionary's /Reference array. */
function docMdpPermissions(doc: PdfDocument, signature: PdfDict | undefined): Array<1 | 2 | 3> {
  const found: Array<1 | 2 | 3> = [];
  for (const r of doc.resolveArray(signature?.get('Reference')) ?? []) {
    const ref = doc.resolveDict(r);
    if (ref?.getName('TransformMethod') !== 'DocMDP') continue;
    const p = doc.resolveDict(ref.get('TransformParams'))?.getNumber('P');
    // §12.8.2.2 Table 254: a missing or invalid /P is treated as 2.
    found.push(p === 1 || p === 3 ? p : 2);
  }
  return found;
}

/**
 * The DocMDP permission the document is under, or undefined when not certified: the strictest /P
 * of any DocMDP transform, whether in the signature /Perms /DocMDP names or in another signature's
 * dictionary. A file claiming two permissions is malformed (§12.8.1 allows one certification
 * signature; docs/security.md PDF-24), and signing it under the looser one would break the stricter.
 */
export function certificationPermission(doc: PdfDocument): 1 | 2 | 3 | undefined {
  const perms = doc.resolveDict(doc.catalog.get('Perms'));
  const signatures = [doc.resolveDict(perms?.get('DocMDP')), ...listSignatureFields(doc).map((f) => doc.resolveDict(f.dict.get('V')))];
  const all = signatures.flatMap((s) => docMdpPermissions(doc, s));
  return all.length === 0 ? undefined : (Math.min(...all) as 1 | 2 | 3);
}
