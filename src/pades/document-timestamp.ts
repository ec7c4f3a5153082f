/**
 * Document timestamps (ISO 32000-2 §12.8.5; ETSI EN 319 142-1 §5.4.3, the archive timestamp of
 * PAdES B-LTA): a signature field whose dictionary is /Type /DocTimeStamp, /SubFilter
 * /ETSI.RFC3161, and whose /Contents is an RFC 3161 TimeStampToken over the ByteRange bytes.
 */
import { ambiguousInputError } from './ambiguous-input.js';
import type { DigestAlgorithm } from '../cms/algorithms.js';
import { IncrementalWriter, PdfDict, PdfDocument, PdfName, PdfRaw, PdfRef, PdfString, type ByteSource } from '../pdf/index.js';
import { digestByteRange, fillByteRange, fillContents, locatePlaceholders } from './byte-range.js';
import { requireSigningPermission } from './signing-permission.js';
import { PadesError } from './errors.js';
import { BYTE_RANGE_PLACEHOLDER } from './signature-dictionary.js';
import { chooseField, placeSignatureField } from './signature-field.js';
import { documentTimestampCapacity, measureTimestampToken } from './timestamp-reserve.js';
import type { Timestamper } from './types.js';

/** Options of {@link addDocumentTimestamp}. */
export interface DocumentTimestampOptions {
  readonly timestamper: Timestamper;
  /** Default SHA-256. */
  readonly digestAlgorithm?: DigestAlgorithm;
  /** Field name (default: a fresh `Signature<n>`). */
  readonly fieldName?: string;
  /** The user (or owner) password of an encrypted document; the empty user password is tried when absent. */
  readonly password?: string;
  /**
   * /Contents capacity for the token, as a level plan measured it (`documentTimestampCapacity`);
   * when absent one token is requested to measure it.
   */
  readonly capacity?: number;
}

/** Options of {@link prepareDocumentTimestamp}: the room the token gets, measured beforehand (`documentTimestampCapacity`). */
export interface DocumentTimestampRoom {
  /** /Contents capacity in bytes. */
  readonly capacity: number;
  readonly digestAlgorithm: DigestAlgorithm;
  readonly fieldName?: string;
  readonly password?: string;
}

/**
 * A document timestamp waiting for its token (structured-clonable): the update with /ByteRange
 * filled and /Contents zeroed, and the digest of the ByteRange bytes the token's messageImprint
 * must carry (RFC 3161 §2.4.1).
 */
export interface PreparedDocumentTimestamp {
  /** Length of the document the update is appended to. */
  readonly documentLength: number;
  readonly update: Uint8Array;
  /** Absolute offset of the '<' of /Contents. */
  readonly contentsStart: number;
  readonly capacity: number;
  readonly digestAlgorithm: DigestAlgorithm;
  readonly digest: Uint8Array;
}

/**
 * The document part of a document timestamp: parses `source`, writes the update with
 * placeholders and digests the ByteRange — no timestamper, so it runs where the document is parsed
 * (a worker thread in `signet serve`). Low level: prefer {@link addDocumentTimestamp}.
 *
 * @example
 * ```ts
 * const prepared = prepareDocumentTimestamp(bytesSource(pdf), { capacity: 6000, digestAlgorithm: 'SHA-256' });
 * ```
 */
export function prepareDocumentTimestamp(source: ByteSource, options: DocumentTimestampRoom): PreparedDocumentTimestamp {
  return prepareDocumentTimestampOn(PdfDocument.open(source, options.password === undefined ? {} : { password: options.password }), options);
}

/**
 * {@link prepareDocumentTimestamp} on a document already open (`options.password` is the one it
 * was opened with; the digest covers `doc.source`). Low level: prefer `extendSource`.
 *
 * @example
 * ```ts
 * const prepared = prepareDocumentTimestampOn(doc.afterUpdate(dss), { capacity: 6000, digestAlgorithm: 'SHA-256' });
 * ```
 */
export function prepareDocumentTimestampOn(doc: PdfDocument, options: DocumentTimestampRoom): PreparedDocumentTimestamp {
  const source = doc.source;
  if (doc.ambiguities.length > 0) {
    throw ambiguousInputError(doc);
  }
  const { capacity, digestAlgorithm } = options;
  const target = chooseField(doc, options.fieldName);
  requireSigningPermission(doc, target.kind);

  const writer = new IncrementalWriter(doc);
  const sigRef = writer.allocate();
  writer.set(
    sigRef,
    PdfDict.of({
      // ISO 32000-2 §12.8.5 Table 260: a document timestamp dictionary.
      Type: PdfName.of('DocTimeStamp'),
      Filter: PdfName.of('Adobe.PPKLite'),
      SubFilter: PdfName.of('ETSI.RFC3161'),
      ByteRange: new PdfRaw(BYTE_RANGE_PLACEHOLDER),
      Contents: new PdfString(new Uint8Array(capacity), true),
    }),
  );
  const rootRef = doc.trailer.get('Root');
  if (!(rootRef instanceof PdfRef)) throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the trailer has no indirect /Root');
  const catalog = doc.catalog.clone();
  const rect: [number, number, number, number] =
    target.kind === 'existing' ? (target.widgetRect.slice(0, 4) as [number, number, number, number]) : [0, 0, 0, 0];
  // No appearance stream: the new widget's /Rect is [0 0 0 0], and ISO 32000-2 §12.5.5 requires
  // /AP only for annotations of non-zero size. A B-LTA update that writes an appearance looks
  // like form filling to validators that classify incremental updates (pyHanko), instead of
  // the DSS + document timestamp update EN 319 142-1 §5.4.3 describes.
  if (placeSignatureField(doc, writer, { target, signatureRef: sigRef, appearanceRef: undefined, pageIndex: 0, rect, catalog })) {
    writer.set(rootRef, catalog);
  }

  const built = writer.build();
  const update = built.bytes.slice();
  const objectOffset = built.offsets.get(sigRef.num);
  if (objectOffset === undefined) throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the timestamp dictionary was not written');
  const offsets = locatePlaceholders(update, doc.length, objectOffset, capacity);
  const byteRange = fillByteRange(update, doc.length, offsets);
  const digest = digestByteRange(source, update, byteRange, digestAlgorithm);
  return { documentLength: doc.length, update, contentsStart: offsets.contentsStart, capacity, digestAlgorithm, digest };
}

/**
 * Asks `timestamper` for the token of `prepared` and returns the finished update (a copy: the
 * prepared update is not written to). A token larger than the room is
 * `ERR_PADES_CONTENTS_OVERFLOW` (the next plan measures the timestamper again).
 *
 * @example
 * ```ts
 * const update = await stampDocumentTimestamp(prepared, timestamper);
 * ```
 */
export async function stampDocumentTimestamp(prepared: PreparedDocumentTimestamp, timestamper: Timestamper): Promise<Uint8Array> {
  const token = await timestamper.timestamp(prepared.digest, prepared.digestAlgorithm);
  const update = prepared.update.slice();
  fillContents(update, prepared.documentLength, prepared.contentsStart, prepared.capacity, token);
  return update;
}

/**
 * Appends a document timestamp to `source` and returns the update (the timestamped file is
 * `source ‖ update`). Allowed under DocMDP P=1 (EN 319 142-1 §5.4.3: DSS and document timestamp
 * updates do not count as changes).
 *
 * @example
 * ```ts
 * const update = await addDocumentTimestamp(bytesSource(pdf), { timestamper });
 * ```
 */
export async function addDocumentTimestamp(source: ByteSource, options: DocumentTimestampOptions): Promise<Uint8Array> {
  const digestAlgorithm = options.digestAlgorithm ?? 'SHA-256';
  const capacity = options.capacity ?? documentTimestampCapacity(await measureTimestampToken(options.timestamper, digestAlgorithm));
  const prepared = prepareDocumentTimestamp(source, {
    capacity,
    digestAlgorithm,
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.fieldName === undefined ? {} : { fieldName: options.fieldName }),
  });
  return stampDocumentTimestamp(prepared, options.timestamper);
}
