/**
 * The certification structure of a document (docs/security.md V9, PDF-24): ISO 32000-1 §12.8.2.2.1
 * allows one signature with a DocMDP transform, and it "shall be the first signed field in the
 * document"; §12.8.4 Table 258 says the catalog's /Perms /DocMDP names that signature
 * dictionary. A signature that breaks these rules is reported with the reason, and the permission
 * enforced on the others is the strictest one any DocMDP transform claims, so a second
 * transform can never loosen the first.
 */
import { listSignatureFields } from '../pades/index.js';
import { PdfRef, type PdfDict, type PdfDocument } from '../pdf/index.js';

/** One signed signature field, as the structure check needs it. */
export interface SignedField {
  readonly fieldName: string;
  /** The field's /V: an indirect signature dictionary, or a direct one. */
  readonly value: PdfRef | PdfDict;
  readonly dict: PdfDict;
}

/** The verdict on the document's certification. */
export interface CertificationStructure {
  /** The DocMDP permission P to enforce, or undefined when the document is not certified. */
  readonly permission: 1 | 2 | 3 | undefined;
  /** Structural faults, per field name; a field listed here must not pass. */
  readonly problems: ReadonlyMap<string, readonly string[]>;
}

/** The P of each DocMDP signature reference of a signature dictionary (Table 254: missing or invalid P is 2). */
function docMdpPermissions(doc: PdfDocument, dict: PdfDict): (1 | 2 | 3)[] {
  const out: (1 | 2 | 3)[] = [];
  for (const r of doc.resolveArray(dict.get('Reference')) ?? []) {
    const ref = doc.resolveDict(r);
    if (ref?.getName('TransformMethod') !== 'DocMDP') continue;
    const p = doc.resolveDict(ref.get('TransformParams'))?.get('P');
    out.push(p === 1 || p === 3 ? p : 2);
  }
  return out;
}

/** Where a signature's signed bytes end (c + d), the order in which signatures were applied. */
function signedEnd(doc: PdfDocument, dict: PdfDict): number {
  const br = doc.resolveArray(dict.get('ByteRange'));
  const c = br?.[2];
  const d = br?.[3];
  return typeof c === 'number' && typeof d === 'number' ? c + d : Number.POSITIVE_INFINITY;
}

/**
 * Checks the certification structure of `fields` (the document's signed signature fields).
 *
 * @example
 * ```ts
 * const { permission, problems } = checkCertificationStructure(doc, signedFields);
 * ```
 */
export function checkCertificationStructure(doc: PdfDocument, fields: readonly SignedField[]): CertificationStructure {
  const problems = new Map<string, string[]>();
  const report = (field: string, problem: string): void => {
    problems.set(field, [...(problems.get(field) ?? []), problem]);
  };
  const perms = doc.resolveDict(doc.catalog.get('Perms'));
  const named = perms?.get('DocMDP');
  const ordered = [...fields].sort((a, b) => signedEnd(doc, a.dict) - signedEnd(doc, b.dict));
  const firstField = ordered[0]?.fieldName;
  const claimed: (1 | 2 | 3)[] = [];
  let certifiers = 0;

  for (const f of ordered) {
    const ps = docMdpPermissions(doc, f.dict);
    const isNamed = named instanceof PdfRef && f.value instanceof PdfRef && f.value.num === named.num;
    claimed.push(...ps);
    if (ps.length > 1) report(f.fieldName, `the signature has ${ps.length} DocMDP transforms (ISO 32000-1 §12.8.2.2.1 allows one)`);
    if (ps.length > 0) {
      certifiers++;
      if (certifiers > 1) report(f.fieldName, 'a second signature with a DocMDP transform (only one certification signature is allowed)');
      if (f.fieldName !== firstField) report(f.fieldName, 'the certification (DocMDP) signature is not the first signature of the document');
      if (!isNamed) report(f.fieldName, 'the signature carries a DocMDP transform but the catalog /Perms /DocMDP does not name it');
    } else if (isNamed) {
      report(f.fieldName, 'the catalog /Perms /DocMDP names this signature, which has no DocMDP transform (an approval signature)');
    }
  }
  if (named !== undefined && !fields.some((f) => f.value instanceof PdfRef && named instanceof PdfRef && f.value.num === named.num)) {
    // Table 258: /DocMDP shall be an indirect reference to a signature dictionary of a signed field.
    for (const f of ordered) report(f.fieldName, 'the catalog /Perms /DocMDP names no signature of this document');
  }
  const permission: 1 | 2 | 3 | undefined =
    claimed.length > 0 ? (Math.min(...claimed) as 1 | 2 | 3) : named !== undefined ? 2 : undefined;
  return { permission, problems };
}

/**
 * The DocMDP permission to enforce on `doc` (the strictest any signature claims), reading its
 * signed signature fields itself; unreadable fields are skipped (they fail on their own, V16).
 *
 * @example
 * ```ts
 * analyseLaterRevisions(source, doc, end, { certification: enforcedDocMdpPermission(doc) });
 * ```
 */
export function enforcedDocMdpPermission(doc: PdfDocument): 1 | 2 | 3 | undefined {
  const fields: SignedField[] = [];
  for (const f of listSignatureFields(doc)) {
    try {
      const value = f.dict.get('V');
      const dict = doc.resolveDict(value);
      if (dict !== undefined) fields.push({ fieldName: f.fullName, value: value instanceof PdfRef ? value : dict, dict });
    } catch {
      // an unreadable signature dictionary claims nothing
    }
  }
  return checkCertificationStructure(doc, fields).permission;
}
