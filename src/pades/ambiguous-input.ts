/**
 * The refusal of a document two readers could read differently (docs/security.md PDF-27/28). When
 * the ambiguity comes with damaged cross-reference data, the error says what was damaged and what a
 * repairing writer would rebuild (issue 18 §3), so the person can repair the file and sign that.
 */
import type { PdfDocument } from '../pdf/index.js';
import { PadesError } from './errors.js';

const rebuilt = 'cross-reference rebuilt by scanning the file: ';

/** ERR_PADES_AMBIGUOUS_INPUT for `doc` (which has ambiguities). */
export function ambiguousInputError(doc: PdfDocument): PadesError {
  const first = doc.ambiguities[0] ?? 'it can be read in more than one way';
  if (!doc.isRecovered)
    return new PadesError('ERR_PADES_AMBIGUOUS_INPUT', `the document is ambiguous: ${first}`);
  const reason =
    doc.warnings.find((w) => w.startsWith(rebuilt))?.slice(rebuilt.length) ??
    'the cross-reference data does not match the file';
  const objects = [
    ...new Set(doc.ambiguities.flatMap((a) => /^object (\d+)/.exec(a)?.[1] ?? [])),
  ].slice(0, 10);
  const entries =
    objects.length > 0
      ? ` (the entries of object${objects.length > 1 ? 's' : ''} ${objects.join(', ')})`
      : '';
  return new PadesError(
    'ERR_PADES_AMBIGUOUS_INPUT',
    `the document's cross-reference data is damaged (${reason}) and the file can be read in more than one way: ` +
      `${doc.ambiguities.slice(0, 3).join('; ')}. Signet does not sign bytes that readers may rebuild differently ` +
      `(ISO 32000-1 §7.5.4). A repairing writer rebuilds the cross-reference table${entries}: qpdf --check lists the damage, ` +
      `qpdf in.pdf repaired.pdf writes the repaired file — sign that`,
  );
}
