/**
 * One inspection of a document pushed for consent (docs/decisions/0001 contract 3), from the PDF
 * and validation libraries: ByteRange and message-digest checks, the DTBS/R hash and the
 * pre-signing findings, under the given parser limits. Pure and synchronous: the inspector runs
 * it in a worker thread (consent-document-worker.ts), off the server's event loop.
 */
import { isSignetError } from '../core/errors.js';
import type { ParseLimits } from '../core/limits.js';
import { digestByOid } from '../cms/index.js';
import { PadesError } from '../pades/index.js';
import { isPdfLimitError } from '../pdf/index.js';
import { checkPreparedDocument, preSigningFindings } from '../validation/index.js';
import type { DocumentInspection } from '../auth/oauth2/index.js';

/** What one inspection takes. */
export interface InspectionInput {
  readonly pdf: Uint8Array;
  readonly signedAttributes: Uint8Array;
  readonly hashAlgorithmOid: string;
}

/** Checks the prepared document and lists the findings; parser limits become a refusal. */
export function inspectConsentDocument(input: InspectionInput, limits: Partial<ParseLimits>): DocumentInspection {
  const digest = digestByOid(input.hashAlgorithmOid);
  if (digest === undefined) {
    return { kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_MISMATCH', message: 'the hash algorithm is not supported' };
  }
  try {
    const r = checkPreparedDocument({ pdf: input.pdf, signedAttributes: input.signedAttributes, digestAlgorithm: digest.name, limits });
    if (r.kind === 'refused') return { kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_MISMATCH', message: r.message };
    const findings = preSigningFindings({ doc: r.doc, pdf: input.pdf, fieldName: r.fieldName, limits });
    return {
      kind: 'ok',
      hash: r.dtbsrDigest,
      pages: r.pages,
      fieldName: r.fieldName,
      ...(r.placement === undefined ? {} : { placement: r.placement }),
      findings,
    };
  } catch (err) {
    if (!isSignetError(err)) throw err;
    if (isPdfLimitError(err) || (err instanceof PadesError && err.code === 'ERR_PADES_LIMIT_SIGNATURES')) {
      return { kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_LIMIT', message: `the PDF exceeds a reading limit (${err.code})` };
    }
    return { kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_MALFORMED', message: `the document is not a readable PDF (${err.code})` };
  }
}
