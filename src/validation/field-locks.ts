/**
 * The form fields a signature locks (docs/security.md V9, PDF-25): the FieldMDP transforms of its
 * signature dictionary (ISO 32000-1 §12.8.2.4, Table 256) and the /Lock dictionary of its
 * signature field (§12.7.4.5, Table 233), which state the same thing. /Action /All locks every
 * field, /Include the /Fields listed, /Exclude all but those; an action we do not know locks all
 * (default-deny). PDF 2.0 adds /P to both (ISO 32000-2 §12.7.5.5 Table 236, §12.8.2.4 Table 257):
 * the DocMDP access permissions (1, 2, 3) granted for the document once this signature is applied.
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

/** A DocMDP-style permission: 1 no changes, 2 form filling and signing, 3 also annotations (ISO 32000-1 Table 254). */
export type LockPermission = 1 | 2 | 3;

/**
 * The /P of a signature's field locks (its /Lock dictionary and its FieldMDP transform
 * parameters), the strictest when several say one, or undefined when none does. A /P other than
 * 1, 2 or 3 is read as 1 (default-deny).
 *
 * @example
 * ```ts
 * lockPermissionOf(doc, signatureDict, signatureFieldDict); // → 1 for /Lock << /Action /All /P 1 >>
 * ```
 */
export function lockPermissionOf(doc: PdfDocument, signature: PdfDict, field: PdfDict | undefined): LockPermission | undefined {
  const params: PdfDict[] = [];
  for (const r of doc.resolveArray(signature.get('Reference')) ?? []) {
    const ref = doc.resolveDict(r);
    if (ref?.getName('TransformMethod') !== 'FieldMDP') continue;
    params.push(doc.resolveDict(ref.get('TransformParams')) ?? ref);
  }
  const lock = doc.resolveDict(field?.get('Lock'));
  if (lock !== undefined) params.push(lock);
  let strictest: LockPermission | undefined;
  for (const p of params) {
    const value = doc.resolve(p.get('P'));
    if (value === undefined) continue;
    const permission: LockPermission = value === 2 || value === 3 ? value : 1;
    strictest = strictest === undefined ? permission : (Math.min(strictest, permission) as LockPermission);
  }
  return strictest;
}
