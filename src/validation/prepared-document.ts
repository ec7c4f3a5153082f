/**
 * Checks a document prepared for signing (phase one of staged signing) against the signed
 * attributes a signature application will have signed, and computes the DTBS/R digest from them —
 * what a remote authorization server needs before it shows the document at consent (ISO 32000-1
 * §12.8.1 ByteRange; RFC 5652 §5.4 message digest and signed attributes; ETSI EN 319 142-1 §5.1).
 * The hash the signer approves is then derived from the very bytes shown, never taken on trust.
 * Refusals are data (`kind: 'refused'` with a stable reason); parser limits throw PdfError.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ParseLimits } from '../core/limits.js';
import { isSignetError } from '../core/errors.js';
import {
  cmsOids,
  contentOf,
  digestOf,
  parseSignedAttributes,
  readElement,
  tags,
  type CmsAttribute,
  type DigestAlgorithm,
} from '../cms/index.js';
import { PdfDocument, PdfRef, bytesSource, type PdfDict } from '../pdf/index.js';
import { digestByteRange, listPdfSignatures, listSignatureFields } from '../pades/index.js';
import { checkByteRange, holeInOwnObject } from './verify-pdf-signatures.js';

/** What to check. */
export interface PreparedDocumentInput {
  /** The prepared PDF: ByteRange filled, /Contents a zeroed placeholder. */
  readonly pdf: Uint8Array;
  /** DER SET OF Attribute (tag 0x31) as signed. */
  readonly signedAttributes: Uint8Array;
  readonly digestAlgorithm: DigestAlgorithm;
  readonly limits?: Partial<ParseLimits>;
}

/** Why a prepared document was refused. */
export type PreparedDocumentProblem =
  | 'no-placeholder'
  | 'byte-range'
  | 'signed-attributes'
  | 'message-digest';

/** Where the visible appearance goes (PDF user space of the page, 0-based page index). */
export interface SignaturePlacement {
  readonly page: number;
  readonly rect: readonly [number, number, number, number];
}

/** The outcome. */
export type PreparedDocumentCheck =
  | {
      readonly kind: 'ok';
      readonly doc: PdfDocument;
      readonly fieldName: string;
      readonly byteRange: readonly [number, number, number, number];
      readonly pages: number;
      /** Digest of the ByteRange bytes (the message-digest attribute). */
      readonly documentDigest: Uint8Array;
      /** Digest of the DER signed attributes: what signHash signs. */
      readonly dtbsrDigest: Uint8Array;
      /** Undefined for an invisible signature. */
      readonly placement: SignaturePlacement | undefined;
    }
  | { readonly kind: 'refused'; readonly problem: PreparedDocumentProblem; readonly message: string };

function refused(problem: PreparedDocumentProblem, message: string): PreparedDocumentCheck {
  return { kind: 'refused', problem, message };
}

/** RFC 5652 §11.1/§11.2: exactly one attribute of the type, with exactly one value. */
function singleValue(attrs: readonly CmsAttribute[], oid: string): Uint8Array | undefined {
  const found = attrs.filter((a) => a.oid === oid);
  return found.length === 1 && found[0]?.values.length === 1 ? found[0].values[0] : undefined;
}

function octetString(der: Uint8Array): Uint8Array | undefined {
  try {
    const el = readElement(der, 0);
    return el.tag === tags.octetString && el.end === der.length ? contentOf(der, el) : undefined;
  } catch {
    return undefined;
  }
}

function placementOf(doc: PdfDocument, field: PdfDict): SignaturePlacement | undefined {
  // A signature field with one widget is usually merged with it (ISO 32000-1 §12.5.6.19).
  const widget = field.has('Rect') ? field : doc.resolveDict(doc.resolveArray(field.get('Kids'))?.[0]);
  const rect = doc.resolveArray(widget?.get('Rect'));
  if (rect?.length !== 4 || !rect.every((n) => typeof n === 'number')) return undefined;
  const [x1, y1, x2, y2] = rect as [number, number, number, number];
  if (Math.abs(x2 - x1) < 1e-6 || Math.abs(y2 - y1) < 1e-6) return undefined;
  const p = widget?.get('P');
  const pages = doc.pages();
  let page = p instanceof PdfRef ? pages.findIndex((pg) => pg.ref.num === p.num && pg.ref.gen === p.gen) : -1;
  if (page < 0) {
    // No /P: find the page whose /Annots lists the widget.
    page = pages.findIndex((pg) =>
      (doc.resolveArray(pg.dict.get('Annots')) ?? []).some((a) => doc.resolveDict(a) === widget),
    );
  }
  return page < 0 ? undefined : { page, rect: [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)] };
}

/**
 * Checks that exactly one signature field holds an unfilled placeholder, that its /ByteRange
 * covers the whole file but that /Contents hole, that the message-digest attribute is the digest
 * of those bytes, and returns the DTBS/R digest of the signed attributes.
 *
 * @example
 * ```ts
 * const r = checkPreparedDocument({ pdf, signedAttributes, digestAlgorithm: 'SHA-256' });
 * if (r.kind === 'ok') hashes.push(Buffer.from(r.dtbsrDigest).toString('base64'));
 * ```
 */
export function checkPreparedDocument(input: PreparedDocumentInput): PreparedDocumentCheck {
  const source = bytesSource(input.pdf);
  const doc = PdfDocument.open(source, input.limits === undefined ? {} : { limits: input.limits });
  // The placeholder: a signed field whose /Contents is all zero bytes (nothing embedded yet).
  const placeholders = listPdfSignatures(doc).filter((s) => s.contents.length > 0 && s.contents.every((b) => b === 0));
  if (placeholders.length !== 1) {
    return refused('no-placeholder', `the document must hold exactly one unsigned signature placeholder (found ${placeholders.length})`);
  }
  const sig = placeholders[0]!;
  const problems: string[] = [];
  const byteRange = checkByteRange(source, sig.dict, problems);
  if (byteRange === undefined) return refused('byte-range', problems.join('; '));
  const field = listSignatureFields(doc).find((f) => f.fullName === sig.fieldName);
  const value = field?.dict.get('V');
  const location = field === undefined ? undefined : doc.objectLocation(value instanceof PdfRef ? value : field.ref);
  if (!holeInOwnObject(source, location, byteRange[1])) {
    return refused('byte-range', "the /ByteRange hole is not inside the placeholder's own signature dictionary");
  }
  // ISO 32000-1 §12.8.1: the range covers the entire file except the /Contents string.
  if (byteRange[2] + byteRange[3] !== source.length) {
    return refused('byte-range', '/ByteRange does not reach the end of the file');
  }
  let attrs: CmsAttribute[];
  try {
    attrs = parseSignedAttributes(input.signedAttributes);
  } catch (err) {
    if (!isSignetError(err)) throw err;
    return refused('signed-attributes', `the signed attributes cannot be read: ${err.message}`);
  }
  // RFC 5652 §5.3: content-type and message-digest are required; PAdES signs id-data content.
  const contentType = singleValue(attrs, cmsOids.id_contentType);
  const md = singleValue(attrs, cmsOids.id_messageDigest);
  if (contentType === undefined || md === undefined) {
    return refused('signed-attributes', 'the signed attributes need one content-type and one message-digest');
  }
  const claimed = octetString(md);
  if (claimed === undefined) {
    return refused('signed-attributes', 'the message-digest attribute is not an OCTET STRING');
  }
  const documentDigest = digestByteRange(source, new Uint8Array(0), byteRange, input.digestAlgorithm);
  if (claimed.length !== documentDigest.length || !timingSafeEqual(claimed, documentDigest)) {
    return refused('message-digest', 'the message-digest attribute is not the digest of the bytes the /ByteRange covers');
  }
  return {
    kind: 'ok',
    doc,
    fieldName: sig.fieldName,
    byteRange,
    pages: doc.pages().length,
    documentDigest,
    dtbsrDigest: digestOf(input.digestAlgorithm, input.signedAttributes),
    placement: field === undefined ? undefined : placementOf(doc, field.dict),
  };
}
