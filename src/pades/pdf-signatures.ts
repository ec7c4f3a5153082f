/**
 * The signatures of a document as the LTV steps need them: each signed field's signature
 * dictionary, its /Contents value and the DER container inside it (ISO 32000-1 §12.8.1;
 * document timestamps per ISO 32000-2 §12.8.5).
 */
import { readContainer } from '../cms/ber.js';
import { defaultCmsLimits } from '../cms/parse-signed-data.js';
import { PdfString, type PdfDict, type PdfDocument } from '../pdf/index.js';
import { listSignatureFields } from './signature-field.js';

/** One signature or document timestamp found in a document. */
export interface PdfSignature {
  readonly fieldName: string;
  readonly dict: PdfDict;
  /** /Type /DocTimeStamp with /SubFilter /ETSI.RFC3161. */
  readonly isDocumentTimestamp: boolean;
  /** The whole /Contents value, padding included (what a VRI key hashes, ISO 32000-2 §12.8.4.4). */
  readonly contents: Uint8Array;
  /** The DER container (CMS SignedData, or the TimeStampToken of a document timestamp); BER is re-encoded as DER. */
  readonly container: Uint8Array | undefined;
  readonly byteRange: readonly number[] | undefined;
}

/** Lists signed signature fields with their containers (unparseable containers have `container` undefined). */
export function listPdfSignatures(doc: PdfDocument): PdfSignature[] {
  const out: PdfSignature[] = [];
  for (const field of listSignatureFields(doc)) {
    const dict = doc.resolveDict(field.dict.get('V'));
    if (!dict) continue;
    const contentsObj = dict.get('Contents');
    const contents = contentsObj instanceof PdfString ? contentsObj.bytes : new Uint8Array(0);
    let container: Uint8Array | undefined;
    try {
      container = readContainer(contents, defaultCmsLimits).der;
    } catch {
      container = undefined;
    }
    // The array and its numbers may be indirect objects (as the validators read them).
    const array = doc.resolve(dict.get('ByteRange'));
    const br = Array.isArray(array) ? array.map((v) => doc.resolve(v)) : undefined;
    out.push({
      fieldName: field.fullName,
      dict,
      isDocumentTimestamp: dict.getName('Type') === 'DocTimeStamp' || dict.getName('SubFilter') === 'ETSI.RFC3161',
      contents,
      container,
      byteRange: Array.isArray(br) && br.every((n) => typeof n === 'number') ? (br as number[]) : undefined,
    });
  }
  return out;
}
