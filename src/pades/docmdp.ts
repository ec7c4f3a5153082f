/** Reads an existing certification's DocMDP permission (ISO 32000-1 §12.8.2.2, §12.8.4). */
import type { PdfDocument } from '../pdf/index.js';

/** The /P of the document's certification signature, or undefined when not certified. */
export function certificationPermission(doc: PdfDocument): 1 | 2 | 3 | undefined {
  const perms = doc.resolveDict(doc.catalog.get('Perms'));
  const sig = doc.resolveDict(perms?.get('DocMDP'));
  const refs = doc.resolveArray(sig?.get('Reference')) ?? [];
  for (const r of refs) {
    const ref = doc.resolveDict(r);
    if (ref?.getName('TransformMethod') !== 'DocMDP') continue;
    const p = doc.resolveDict(ref.get('TransformParams'))?.getNumber('P');
    // §12.8.2.2 Table 254: a missing or invalid /P is treated as 2.
    return p === 1 || p === 3 ? p : 2;
  }
  return undefined;
}
