/**
 * Documents prepared for consent, as a signature application would push them to
 * POST /oauth2/documents: a fixture PDF prepared with the PAdES library (phase one), the whole
 * prepared file, its signed attributes and the DTBS/R hash the AS must compute.
 */
import { deflateSync } from 'node:zlib';
import type { SignatureAlgorithm } from '../../src/cms/index.js';
import { preparePdf, type PreparedSignature, type VisibleSignature } from '../../src/pades/index.js';
import { makeBasePdf, makeRawPdf } from './pdf-fixtures.js';
import { buildTestPki } from './pki.js';

export const SHA256_OID = '2.16.840.1.101.3.4.2.1';

/** One prepared document. */
export interface PreparedDocument {
  readonly name: string;
  /** The prepared file (original ‖ update with the zeroed /Contents). */
  readonly pdf: Uint8Array;
  readonly prepared: PreparedSignature;
  /** Base64 DER of the signed attributes. */
  readonly signedAttributes: string;
  /** Base64 DTBS/R hash. */
  readonly hash: string;
}

/** Prepares `source` (default: a one-page fixture saying `text`) for a signature by `chain`. */
export async function prepareDocument(options: {
  readonly name?: string;
  readonly text?: string;
  readonly pages?: number;
  readonly source?: Uint8Array;
  readonly chain?: readonly Uint8Array[];
  readonly visible?: VisibleSignature;
  readonly signingTime?: Date;
  readonly signatureAlgorithm?: SignatureAlgorithm;
}): Promise<PreparedDocument> {
  const chain = options.chain ?? (await buildTestPki()).chain('rsa');
  const source = options.source ?? makeBasePdf({ text: options.text ?? 'Signet contract', pages: options.pages ?? 1 });
  const prepared = preparePdf(source, {
    certificateChain: chain,
    signatureAlgorithm: options.signatureAlgorithm ?? { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
    maxSignatureSize: 512,
    signingTime: options.signingTime ?? new Date('2026-06-01T08:00:00Z'),
    ...(options.visible === undefined ? {} : { visible: options.visible }),
  });
  const pdf = new Uint8Array(Buffer.concat([source.subarray(0, prepared.documentLength), Buffer.from(prepared.update, 'base64')]));
  return {
    name: options.name ?? 'contract.pdf',
    pdf,
    prepared,
    signedAttributes: prepared.signedAttributes,
    hash: prepared.dataToBeSignedDigest,
  };
}

/** The JSON body of POST /oauth2/documents for a prepared document. */
export function documentBody(d: PreparedDocument): Record<string, string> {
  return {
    name: d.name,
    document: Buffer.from(d.pdf).toString('base64'),
    signedAttributes: d.signedAttributes,
    hashAlgorithmOID: SHA256_OID,
  };
}

/** A one-page PDF whose content stream inflates to `bytes` zero bytes (a decompression bomb). */
export function makeBombPdf(bytes: number): Uint8Array {
  const bomb = deflateSync(Buffer.alloc(bytes), { level: 9 }).toString('latin1');
  return makeRawPdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>',
      `<< /Length ${bomb.length} /Filter /FlateDecode >>\nstream\n${bomb}\nendstream`,
    ],
    '<< /Size 5 /Root 1 0 R >>',
  );
}

/**
 * A one-page PDF with what the pre-signing checks look for: a launch action as /OpenAction
 * (ISO 32000-1 §12.6.4.5), document JavaScript (§12.6.4.16) and text in rendering mode 3
 * (invisible, §9.3.6).
 */
export function makeActivePdf(): Uint8Array {
  const content = 'BT /F1 18 Tf 72 720 Td (Visible text) Tj ET\nBT 3 Tr /F1 12 Tf 72 700 Td (Invisible text) Tj ET';
  return makeRawPdf(
    [
      '<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /Names << /JavaScript << /Names [(run) 6 0 R] >> >> >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 7 0 R >> >> >>',
      `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
      '<< /S /Launch /F (calc.exe) >>',
      '<< /S /JavaScript /JS (app.alert(1)) >>',
      '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ],
    '<< /Size 8 /Root 1 0 R >>',
  );
}
