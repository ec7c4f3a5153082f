/**
 * The form fields a signature locks (docs/security.md V9, PDF-25): the FieldMDP transforms of its
 * signature dictionary (ISO 32000-1 §12.8.2.4, Table 256) and the /Lock dictionary of its
 * signature field (§12.7.4.5, Table 233), which state the same thing. /Action /All locks every
 * field, /Include the /Fields listed, /Exclude all but those; an action we do not know locks all
 * (default-deny).
 */
import { PdfString, type PdfDict, type PdfDocument } from '../pdf/index.js';

/** True when the named (fully qualified) field is locked. */
export type FieldLock = (fullName: string) => boolean;

function lockOf(doc: PdfDocument, params: PdfDict): FieldLock {
  const action = params.getName('Action');
  const names = new Set(
    (doc.resolveArray(params.get('Fields')) ?? []).filter((v): v is PdfString => v instanceof PdfString).map((s) => s.toText()),
  );
  if (action === 'Include') return (name) => names.has(name);
  if (action === 'Exclude') return (name) => !names.has(name);
  return () => true;
}

/**
 * The lock of one signature, or undefined when it locks nothing.
 *
 * @example
 * ```ts
 * const isLocked = fieldLocksOf(doc, signatureDict, signatureFieldDict);
 * isLocked?.('Amount'); // → true when a FieldMDP transform includes "Amount"
 * ```
 */
export function fieldLocksOf(doc: PdfDocument, signature: PdfDict, field: PdfDict | undefined): FieldLock | undefined {
  const locks: FieldLock[] = [];
  for (const r of doc.resolveArray(signature.get('Reference')) ?? []) {
    const ref = doc.resolveDict(r);
    if (ref?.getName('TransformMethod') !== 'FieldMDP') continue;
    locks.push(lockOf(doc, doc.resolveDict(ref.get('TransformParams')) ?? ref));
  }
  const lock = doc.resolveDict(field?.get('Lock'));
  if (lock !== undefined) locks.push(lockOf(doc, lock));
  if (locks.length === 0) return undefined;
  return (name) => locks.some((l) => l(name));
}
