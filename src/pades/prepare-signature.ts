/**
 * Phase one of staged signing: writes the incremental update with placeholders, digests the
 * ByteRange and builds the CAdES signed attributes (ETSI EN 319 142-1 §5.3, PAdES-B-B).
 */
import { ambiguousInputError } from './ambiguous-input.js';
import { createHash } from 'node:crypto';
import { digestAlgorithms } from '../cms/algorithms.js';
import { buildSignedAttributes } from '../cms/signed-attributes.js';
import { IncrementalWriter, PdfDocument, PdfRef, bytesSource, type ByteSource } from '../pdf/index.js';
import { buildEmptyAppearance, buildSignatureAppearance } from './appearance.js';
import { digestByteRange, fillByteRange, locatePlaceholders } from './byte-range.js';
import { estimateContentsCapacity } from './contents-capacity.js';
import { certificationPermission } from './docmdp.js';
import { readDss } from './document-security-store.js';
import { levelAtLeast } from './extend-pdf.js';
import { PadesError } from './errors.js';
import { buildSignatureDictionary, setDocMdpPermission } from './signature-dictionary.js';
import { chooseField, listSignatureFields, placeSignatureField } from './signature-field.js';
import { requireSigningPermission } from './signing-permission.js';
import { signerDisplayName } from './signer-name.js';
import { baselinePlan } from './level-plan.js';
import { preparedToJson } from './prepared-json.js';
import type { LevelPlan, PrepareOptions, PreparedDocument, PreparedSignature } from './types.js';

function checkRect(rect: readonly number[]): [number, number, number, number] {
  const [x1, y1, x2, y2] = rect;
  if (
    rect.length !== 4 ||
    ![x1, y1, x2, y2].every((v) => typeof v === 'number' && Number.isFinite(v)) ||
    (x1 as number) >= (x2 as number) ||
    (y1 as number) >= (y2 as number)
  ) {
    throw new PadesError('ERR_PADES_RECT', 'the visible rectangle must be x1,y1,x2,y2 with x1<x2 and y1<y2');
  }
  return [x1, y1, x2, y2] as [number, number, number, number];
}

/**
 * Phase one of staged signing on `input` (the original document; it is only read, and never
 * loaded whole when it is a file source): writes the update with placeholders — /Contents sized
 * for the CMS, `reserveBytes` and the plan's signature-time-stamp reserve — digests the ByteRange
 * and builds the signed attributes. The result, bytes-valued, goes to `finishSignature` with the
 * signature value. Without a plan the signature is finished at B-B. From B-LT on the document's
 * DSS is read too, so one phase two could not read is refused here (its coded error).
 *
 * @example
 * ```ts
 * const plan = await planLevel({ level: 'B-T', timestamper }, signer.signatureAlgorithm.digest);
 * const prepared = prepareSignature(pdfBytes, {
 *   certificateChain: signer.certificateChain,
 *   signatureAlgorithm: signer.signatureAlgorithm,
 *   maxSignatureSize: signer.maxSignatureSize(),
 *   signingTime: clock.now(),
 * }, plan);
 * ```
 */
export function prepareSignature(input: ByteSource | Uint8Array, options: PrepareOptions, plan: LevelPlan = baselinePlan): PreparedDocument {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const doc = PdfDocument.open(source, options.password === undefined ? {} : { password: options.password });
  if (doc.ambiguities.length > 0) {
    // docs/security.md PDF-27/28: never sign a file two readers could read differently.
    throw ambiguousInputError(doc);
  }
  if (levelAtLeast(plan.level, 'B-LT')) {
    // Issue 15: phase two merges the new evidence into the DSS (EN 319 142-1 §5.4.2), decoding every
    // stream of it; read it here, within this document's decode budget, so a DSS that cannot be read
    // (a decompression bomb: ERR_PDF_LIMIT_DECOMPRESSED) is refused before the signature is authorised
    // or made, not after.
    readDss(doc);
  }
  const leaf = options.certificateChain[0];
  if (!leaf) throw new PadesError('ERR_PADES_CERTIFICATE', 'the certificate chain is empty');

  const permission = certificationPermission(doc);
  if (permission === 1) {
    throw new PadesError('ERR_PADES_DOCMDP_LOCKED', 'the document is certified with no changes permitted (DocMDP P=1)');
  }
  if (options.certify !== undefined && (permission !== undefined || listSignatureFields(doc).some((f) => f.dict.has('V')))) {
    // ISO 32000-1 §12.8.1: a certification signature must be the first signature in the document.
    throw new PadesError('ERR_PADES_CERTIFY_NOT_FIRST', 'a certification signature must be the first signature');
  }

  const digestAlgorithm = options.signatureAlgorithm.digest;
  const contentsCapacity = estimateContentsCapacity({ ...options, reserveBytes: (options.reserveBytes ?? 0) + plan.timestampReserve });
  const signerName = options.name ?? signerDisplayName(leaf);
  const target = chooseField(doc, options.fieldName);
  const fieldName = target.kind === 'new' ? target.name : target.field.fullName;
  requireSigningPermission(doc, target.kind);

  const rect: [number, number, number, number] =
    target.kind === 'existing'
      ? (target.widgetRect.slice(0, 4) as [number, number, number, number])
      : options.visible
        ? checkRect(options.visible.rect)
        : [0, 0, 0, 0];
  if (options.visible && target.kind === 'new') {
    const pages = doc.pages().length;
    if (!Number.isInteger(options.visible.page) || options.visible.page < 1 || options.visible.page > pages) {
      throw new PadesError('ERR_PADES_PAGE_RANGE', `page ${options.visible.page} does not exist (${pages} pages)`);
    }
  }
  const width = Math.abs(rect[2] - rect[0]);
  const height = Math.abs(rect[3] - rect[1]);

  const writer = new IncrementalWriter(doc);
  const signatureRef = writer.allocate();
  writer.set(
    signatureRef,
    buildSignatureDictionary({
      signingTime: options.signingTime,
      contentsCapacity,
      name: signerName,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(options.location === undefined ? {} : { location: options.location }),
      ...(options.contactInfo === undefined ? {} : { contactInfo: options.contactInfo }),
      ...(options.certify === undefined ? {} : { certify: options.certify }),
    }),
  );
  const appearanceRef = writer.allocate();
  writer.set(
    appearanceRef,
    width > 0 && height > 0
      ? buildSignatureAppearance(width, height, {
          signerName,
          signingTime: options.signingTime,
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.location === undefined ? {} : { location: options.location }),
        })
      : buildEmptyAppearance(),
  );

  const rootRef = doc.trailer.get('Root');
  if (!(rootRef instanceof PdfRef)) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the trailer has no indirect /Root');
  }
  const catalog = doc.catalog.clone();
  let catalogChanged = placeSignatureField(doc, writer, {
    target,
    signatureRef,
    appearanceRef,
    pageIndex: options.visible && target.kind === 'new' ? options.visible.page - 1 : 0,
    rect,
    catalog,
  });
  if (options.certify !== undefined) {
    setDocMdpPermission(catalog, signatureRef, doc.resolveDict(catalog.get('Perms')));
    catalogChanged = true;
  }
  if (catalogChanged) writer.set(rootRef, catalog);

  const built = writer.build();
  const update = built.bytes.slice();
  const objectOffset = built.offsets.get(signatureRef.num);
  if (objectOffset === undefined) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the signature dictionary was not written');
  }
  const offsets = locatePlaceholders(update, doc.length, objectOffset, contentsCapacity);
  const byteRange = fillByteRange(update, doc.length, offsets);
  const documentDigest = digestByteRange(source, update, byteRange, digestAlgorithm);

  const signedAttributes = buildSignedAttributes({
    messageDigest: documentDigest,
    digestAlgorithm,
    signingCertificate: leaf,
  });
  const dtbsDigest = createHash(digestAlgorithms[digestAlgorithm].nodeName).update(signedAttributes).digest();

  return {
    documentLength: doc.length,
    update,
    byteRange,
    contentsCapacity,
    digestAlgorithm,
    documentDigest,
    signedAttributes,
    dataToBeSignedDigest: new Uint8Array(dtbsDigest),
    signatureAlgorithm: options.signatureAlgorithm,
    certificateChain: options.certificateChain,
    signingTime: options.signingTime,
    fieldName,
    plan,
    source,
    ...(options.password === undefined ? {} : { password: options.password }),
  };
}

/**
 * Phase one in its JSON form ({@link prepareSignature} then `preparedToJson`), for a caller that
 * hands the prepared signature to another process; finish it with `embedSignature`.
 *
 * @example
 * ```ts
 * const prepared = preparePdf(pdfBytes, {
 *   certificateChain: signer.certificateChain,
 *   signatureAlgorithm: signer.signatureAlgorithm,
 *   maxSignatureSize: signer.maxSignatureSize(),
 *   signingTime: clock.now(),
 * });
 * ```
 */
export function preparePdf(input: ByteSource | Uint8Array, options: PrepareOptions): PreparedSignature {
  return preparedToJson(prepareSignature(input, options));
}
