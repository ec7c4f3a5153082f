/**
 * The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): /Certs, /OCSPs
 * and /CRLs arrays of streams plus per-signature /VRI entries, written in an incremental update
 * and merged into an existing DSS (existing streams are reused by content, never duplicated).
 */
import { createHash } from 'node:crypto';
import {
  IncrementalWriter,
  PdfDict,
  PdfDocument,
  PdfName,
  PdfRef,
  PdfStream,
  type ByteSource,
  type PdfObject,
} from '../pdf/index.js';
import { PadesError } from './errors.js';
import type { SignatureMaterial, ValidationMaterial } from './validation-data.js';

type Kind = 'certificates' | 'ocspResponses' | 'crls';

/** DSS array names and the matching VRI keys (§12.8.4.3 Table 261, §12.8.4.4 Table 262). */
const NAMES: Readonly<Record<Kind, { dss: string; vri: string }>> = {
  certificates: { dss: 'Certs', vri: 'Cert' },
  ocspResponses: { dss: 'OCSPs', vri: 'OCSP' },
  crls: { dss: 'CRLs', vri: 'CRL' },
};
const KINDS: readonly Kind[] = ['certificates', 'ocspResponses', 'crls'];

const hashOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The content of an existing DSS, decoded (for merging and for validation). */
export interface DssContent extends ValidationMaterial {
  /** VRI keys present. */
  readonly vriKeys: readonly string[];
}

function streamsOf(doc: PdfDocument, arr: PdfObject | undefined): { ref: PdfRef | undefined; data: Uint8Array }[] {
  const items = doc.resolveArray(arr) ?? [];
  const out: { ref: PdfRef | undefined; data: Uint8Array }[] = [];
  for (const item of items) {
    const s = doc.resolve(item);
    if (s instanceof PdfStream) out.push({ ref: item instanceof PdfRef ? item : undefined, data: doc.decodeStream(s) });
  }
  return out;
}

/**
 * The streams of an existing DSS held by reference, by content: for each, its array (`kind`), its
 * object and the SHA-256 of its decoded data — what {@link buildDssUpdate} reuses instead of
 * writing a value again. Structured-clonable, so a reader that decoded the DSS can hand it on
 * and the writer need not decode it a second time.
 */
export type DssIndex = readonly { readonly kind: Kind; readonly num: number; readonly gen: number; readonly sha256: string }[];

/**
 * Reads the DSS of a document (empty content when there is none).
 *
 * @example
 * ```ts
 * const { ocspResponses } = readDss(PdfDocument.open(bytes));
 * ```
 */
export function readDss(doc: PdfDocument): DssContent {
  return readIndexedDss(doc).content;
}

/**
 * Reads the DSS of a document, each stream decoded once, with its {@link DssIndex}.
 *
 * @example
 * ```ts
 * const { content, index } = readIndexedDss(PdfDocument.open(bytes));
 * const update = buildDssUpdate(bytesSource(bytes), materials, undefined, index);
 * ```
 */
export function readIndexedDss(doc: PdfDocument): { readonly content: DssContent; readonly index: DssIndex } {
  const dss = doc.resolveDict(doc.catalog.get('DSS'));
  const vri = doc.resolveDict(dss?.get('VRI'));
  const index: DssIndex[number][] = [];
  const read = (kind: Kind): Uint8Array[] =>
    streamsOf(doc, dss?.get(NAMES[kind].dss)).map(({ ref, data }) => {
      if (ref !== undefined) index.push({ kind, num: ref.num, gen: ref.gen, sha256: hashOf(data) });
      return data;
    });
  const content: DssContent = {
    certificates: read('certificates'),
    ocspResponses: read('ocspResponses'),
    crls: read('crls'),
    vriKeys: vri ? [...vri.keys()] : [],
  };
  return { content, index };
}

/**
 * Writes (or extends) the DSS with `material` and one VRI entry per signature, returning the
 * incremental update to append to `source`. With `existing` (the {@link DssIndex} of the same
 * DSS, read before) its streams are not decoded again; an entry naming a stream the DSS no longer
 * lists is ignored.
 *
 * @example
 * ```ts
 * const update = buildDssUpdate(bytesSource(pdf), [await collector.collect(signature)]);
 * ```
 */
export function buildDssUpdate(source: ByteSource, signatures: readonly SignatureMaterial[], password?: string, existing?: DssIndex): Uint8Array {
  return writeDssUpdate(PdfDocument.open(source, password === undefined ? {} : { password }), signatures, existing);
}

/**
 * {@link buildDssUpdate} on a document already open (a writer that goes on over the result opens
 * it once: `doc.afterUpdate(update)`). Low level: prefer `extendSource`.
 *
 * @example
 * ```ts
 * const update = writeDssUpdate(PdfDocument.open(pdf), materials);
 * ```
 */
export function writeDssUpdate(doc: PdfDocument, signatures: readonly SignatureMaterial[], existing?: DssIndex): Uint8Array {
  const rootRef = doc.trailer.get('Root');
  if (!(rootRef instanceof PdfRef)) throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the trailer has no indirect /Root');
  const writer = new IncrementalWriter(doc);
  const catalog = doc.catalog.clone();
  const dssEntry = catalog.get('DSS');
  const oldDss = doc.resolveDict(dssEntry);
  const dss = oldDss?.clone() ?? PdfDict.of({ Type: PdfName.of('DSS') });

  // Existing streams by content: a value already stored is referenced again, not duplicated.
  const known = new Map<string, PdfRef>();
  const arrays = new Map<Kind, PdfObject[]>();
  for (const kind of KINDS) {
    const arr: PdfObject[] = [...(doc.resolveArray(oldDss?.get(NAMES[kind].dss)) ?? [])];
    if (existing === undefined) {
      for (const s of streamsOf(doc, arr)) if (s.ref) known.set(`${kind}:${hashOf(s.data)}`, s.ref);
    } else {
      const listed = new Map(arr.filter((o) => o instanceof PdfRef).map((r) => [`${r.num} ${r.gen}`, r]));
      for (const e of existing) {
        const ref = e.kind === kind ? listed.get(`${e.num} ${e.gen}`) : undefined;
        if (ref !== undefined) known.set(`${kind}:${e.sha256}`, ref);
      }
    }
    arrays.set(kind, arr);
  }
  const refFor = (kind: Kind, der: Uint8Array): PdfRef => {
    const key = `${kind}:${hashOf(der)}`;
    let ref = known.get(key);
    if (!ref) {
      ref = writer.allocate();
      writer.set(ref, new PdfStream(new PdfDict(), der));
      known.set(key, ref);
      arrays.get(kind)?.push(ref);
    }
    return ref;
  };

  const vri = doc.resolveDict(oldDss?.get('VRI'))?.clone() ?? new PdfDict();
  for (const sig of signatures) {
    const entry = doc.resolveDict(vri.get(sig.vriKey))?.clone() ?? new PdfDict();
    for (const kind of KINDS) {
      const refs = sig[kind].map((der) => refFor(kind, der));
      if (refs.length === 0) continue;
      const old = doc.resolveArray(entry.get(NAMES[kind].vri)) ?? [];
      const merged: PdfObject[] = [...old];
      for (const r of refs) if (!merged.some((o) => o instanceof PdfRef && o.equals(r))) merged.push(r);
      entry.set(NAMES[kind].vri, merged);
    }
    vri.set(sig.vriKey, entry);
  }
  for (const kind of KINDS) {
    const arr = arrays.get(kind) ?? [];
    if (arr.length > 0) dss.set(NAMES[kind].dss, arr);
  }
  if (vri.size > 0) dss.set('VRI', vri);

  if (dssEntry instanceof PdfRef && oldDss) {
    writer.set(dssEntry, dss);
  } else {
    const dssRef = writer.allocate();
    writer.set(dssRef, dss);
    catalog.set('DSS', dssRef);
  }
  // EN 319 142-1 §5.4.1 / ISO 32000-2 §7.12: announce the ESIC extension in a pre-2.0 document.
  if (Number(doc.header) < 2 && catalog.get('Extensions') === undefined) {
    catalog.set('Extensions', PdfDict.of({ ESIC: PdfDict.of({ BaseVersion: PdfName.of('1.7'), ExtensionLevel: 1 }) }));
  }
  writer.set(rootRef, catalog);
  return writer.build().bytes;
}
