/**
 * Low level, for attack tests: a real signature (CMS over a real ByteRange) whose signature
 * dictionary and revision carry what `preparePdf` refuses to write — a DocMDP transform on a
 * signature that is not first, two DocMDP transforms, /Perms /DocMDP naming an approval
 * signature, FieldMDP locks (ISO 32000-1 §12.8.2.2–§12.8.2.4). Prefer `signPdf` everywhere else.
 */
import { buildSignedAttributes, buildSignedData, type Signer } from '../../src/cms/index.js';
import { fillByteRange, fillContents, locatePlaceholders, digestByteRange } from '../../src/pades/byte-range.js';
import { buildSignatureDictionary, setDocMdpPermission } from '../../src/pades/signature-dictionary.js';
import { chooseField, placeSignatureField } from '../../src/pades/signature-field.js';
import { IncrementalWriter, PdfDict, PdfDocument, PdfName, bytesSource, type PdfObject, type PdfRef } from '../../src/pdf/index.js';

/** Options of {@link signCrafted}. */
export interface CraftedSignatureOptions {
  readonly signingTime: Date;
  /** An existing empty signature field, or the name of a new invisible one. */
  readonly fieldName: string;
  /** Entries set on the signature dictionary (e.g. /Reference). */
  readonly entries?: Readonly<Record<string, PdfObject>>;
  /** Points the catalog's /Perms /DocMDP at this signature dictionary. */
  readonly permsDocMdp?: boolean;
  /** More objects written in the same revision (before the signature is computed). */
  readonly alsoWrite?: (doc: PdfDocument, writer: IncrementalWriter, catalog: PdfDict) => void;
}

/** A signature reference dictionary (ISO 32000-1 §12.8.1 Table 253). */
export function sigRef(method: 'DocMDP' | 'FieldMDP', params: Readonly<Record<string, PdfObject>>): PdfDict {
  return PdfDict.of({
    Type: PdfName.of('SigRef'),
    TransformMethod: PdfName.of(method),
    TransformParams: PdfDict.of({ Type: PdfName.of('TransformParams'), V: PdfName.of('1.2'), ...params }),
  });
}

/**
 * Signs `pdf` with a hand-assembled revision (see the module note).
 *
 * @example
 * ```ts
 * const twoDocMdp = await signCrafted(pdf, signer, {
 *   signingTime, fieldName: 'Cert', permsDocMdp: true,
 *   entries: { Reference: [sigRef('DocMDP', { P: 3 }), sigRef('DocMDP', { P: 1 })] },
 * });
 * ```
 */
export async function signCrafted(pdf: Uint8Array, signer: Signer, options: CraftedSignatureOptions): Promise<Uint8Array> {
  const doc = PdfDocument.open(pdf);
  const writer = new IncrementalWriter(doc);
  const capacity = 16384;
  const signatureRef = writer.allocate();
  const dict = buildSignatureDictionary({ signingTime: options.signingTime, contentsCapacity: capacity });
  for (const [k, v] of Object.entries(options.entries ?? {})) dict.set(k, v);
  writer.set(signatureRef, dict);
  const catalog = doc.catalog.clone();
  placeSignatureField(doc, writer, {
    target: chooseField(doc, options.fieldName),
    signatureRef,
    appearanceRef: undefined,
    pageIndex: 0,
    rect: [0, 0, 0, 0],
    catalog,
  });
  if (options.permsDocMdp === true) setDocMdpPermission(catalog, signatureRef, doc.resolveDict(catalog.get('Perms')));
  options.alsoWrite?.(doc, writer, catalog);
  writer.set(doc.trailer.get('Root') as PdfRef, catalog);

  const built = writer.build();
  const update = built.bytes.slice();
  const offset = built.offsets.get(signatureRef.num);
  if (offset === undefined) throw new Error('the signature dictionary was not written');
  const placeholders = locatePlaceholders(update, doc.length, offset, capacity);
  const byteRange = fillByteRange(update, doc.length, placeholders);
  const digestAlgorithm = signer.signatureAlgorithm.digest;
  const messageDigest = digestByteRange(bytesSource(pdf), update, byteRange, digestAlgorithm);
  const leaf = signer.certificateChain[0];
  if (leaf === undefined) throw new Error('the signer has no certificate');
  const signedAttributes = buildSignedAttributes({ messageDigest, digestAlgorithm, signingCertificate: leaf });
  const cms = buildSignedData({
    signedAttributes,
    signature: await signer.sign(signedAttributes),
    signatureAlgorithm: signer.signatureAlgorithm,
    certificates: signer.certificateChain,
  });
  fillContents(update, doc.length, placeholders.contentsStart, capacity, cms);
  const out = new Uint8Array(pdf.length + update.length);
  out.set(pdf, 0);
  out.set(update, pdf.length);
  return out;
}
