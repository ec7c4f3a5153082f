/**
 * The signature dictionary with its placeholders (ISO 32000-1 §12.8.1 Table 252; ETSI EN 319 142-1
 * §5.3 for /SubFilter ETSI.CAdES.detached) and the DocMDP reference (§12.8.2.2).
 */
import { PdfDict, PdfName, PdfRaw, PdfString, type PdfRef } from '../pdf/index.js';
import { formatPdfDate } from './pdf-date.js';
import type { DocMdpPermission, SignatureMetadata } from './types.js';

/** Width reserved for `/ByteRange [0 a b c]`; offsets up to 10^15 fit. */
export const BYTE_RANGE_PLACEHOLDER = `[0 0 0 0${' '.repeat(48)}]`;

/** Input of `buildSignatureDictionary`. */
export interface SignatureDictionaryInput extends SignatureMetadata {
  readonly signingTime: Date;
  /** Bytes reserved for the CMS in /Contents. */
  readonly contentsCapacity: number;
  readonly certify?: DocMdpPermission;
}

/**
 * Builds `/Type /Sig` with a fixed-width /ByteRange placeholder and a zeroed hexadecimal /Contents
 * of exactly `contentsCapacity` bytes; both are patched in place once offsets are known.
 */
export function buildSignatureDictionary(input: SignatureDictionaryInput): PdfDict {
  const dict = PdfDict.of({
    Type: PdfName.of('Sig'),
    // EN 319 142-1 §5.3 (SPO: signature dictionary): Filter and SubFilter for CAdES-based PAdES.
    Filter: PdfName.of('Adobe.PPKLite'),
    SubFilter: PdfName.of('ETSI.CAdES.detached'),
    ByteRange: new PdfRaw(BYTE_RANGE_PLACEHOLDER),
    Contents: new PdfString(new Uint8Array(input.contentsCapacity), true),
    // EN 319 142-1 §5.3: the claimed signing time is /M (no signing-time attribute in the CMS).
    M: new PdfString(new Uint8Array(Buffer.from(formatPdfDate(input.signingTime), 'latin1'))),
    Name: input.name === undefined ? undefined : PdfString.fromText(input.name),
    Reason: input.reason === undefined ? undefined : PdfString.fromText(input.reason),
    Location: input.location === undefined ? undefined : PdfString.fromText(input.location),
    ContactInfo: input.contactInfo === undefined ? undefined : PdfString.fromText(input.contactInfo),
  });
  if (input.certify !== undefined) {
    // §12.8.2.2: a certification signature carries a DocMDP signature reference.
    dict.set('Reference', [
      PdfDict.of({
        Type: PdfName.of('SigRef'),
        TransformMethod: PdfName.of('DocMDP'),
        TransformParams: PdfDict.of({
          Type: PdfName.of('TransformParams'),
          P: input.certify,
          V: PdfName.of('1.2'),
        }),
      }),
    ]);
  }
  return dict;
}

/** Sets catalog /Perms /DocMDP to the certification signature (§12.8.4, Table 258). */
export function setDocMdpPermission(catalog: PdfDict, signatureRef: PdfRef, perms: PdfDict | undefined): void {
  const next = perms?.clone() ?? new PdfDict();
  next.set('DocMDP', signatureRef);
  catalog.set('Perms', next);
}
