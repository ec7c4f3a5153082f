/**
 * The user access permissions of an encrypted document applied to signing (ISO 32000-2 §7.6.4.2
 * Table 22): filling an existing signature field needs bit 6 or bit 9, creating one needs bits 6
 * and 4 (as Acrobat's "Commenting, filling in form fields, and signing existing signature fields"
 * grants 6 and 9 and signs only existing fields). The owner password lifts them.
 */
import type { PdfDocument } from '../pdf/index.js';
import { PadesError } from './errors.js';
import { listSignatureFields } from './signature-field.js';

/** Throws `ERR_PADES_PERMISSION` when the document's /P forbids signing into a `target` field. */
export function requireSigningPermission(doc: PdfDocument, target: 'new' | 'existing'): void {
  const enc = doc.encryption;
  if (enc === undefined) return;
  // Table 22 bit 9 (fill existing fields, signature fields included) exists from revision 3 on.
  const canFill = enc.allows(6) || (enc.revision >= 3 && enc.allows(9));
  if (target === 'existing' && !canFill) {
    throw new PadesError(
      'ERR_PADES_PERMISSION',
      "the document's permissions forbid filling in form fields, signature fields included (/P bits 6 and 9)",
    );
  }
  // Table 22 bit 6: "if bit 4 is also set, create or modify interactive form fields (including signature fields)".
  if (target === 'new' && !(enc.allows(6) && enc.allows(4))) {
    // The permissions that forbid a new field often allow its existing empty ones: name them.
    const empty = canFill ? listSignatureFields(doc).filter((f) => (f.dict.get('V') ?? null) === null).map((f) => `'${f.fullName}'`) : [];
    throw new PadesError(
      'ERR_PADES_PERMISSION',
      `the document's permissions forbid adding a signature field (/P bits 4 and 6)${
        empty.length === 0 ? '' : `; they allow signing its empty signature field ${empty.join(', ')} (name it as the field to sign)`
      }`,
    );
  }
}
