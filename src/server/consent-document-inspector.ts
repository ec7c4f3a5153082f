/**
 * The ConsentDocumentInspector of the authorization server (docs/decisions/0001 contract 3), built
 * from the PDF and validation libraries: ByteRange and message-digest checks, the DTBS/R hash and
 * the pre-signing findings, under tight parser limits so a hostile PDF (a decompression bomb, an
 * object or revision flood, a slow parse) ends in a clear refusal in bounded time and memory.
 */
import { isSignetError } from '../core/errors.js';
import type { ParseLimits } from '../core/limits.js';
import { digestByOid } from '../cms/index.js';
import { isPdfLimitError } from '../pdf/index.js';
import { PadesError } from '../pades/index.js';
import { checkPreparedDocument, preSigningFindings } from '../validation/index.js';
import type { ConsentDocumentInspector, DocumentInspection } from '../auth/oauth2/index.js';

/** Limits for documents pushed at consent: far below the library defaults (SECURITY.md INV-7). */
export const consentDocumentLimits: Partial<ParseLimits> = {
  maxDecodedStreamBytes: 32 * 1024 * 1024,
  maxObjects: 500_000,
  maxRevisions: 1_000,
  maxMillis: 10_000,
};

/**
 * Builds the inspector.
 *
 * @example
 * ```ts
 * const documents = { inspector: createConsentDocumentInspector(), secretBox };
 * ```
 */
export function createConsentDocumentInspector(limits: Partial<ParseLimits> = consentDocumentLimits): ConsentDocumentInspector {
  return {
    inspect({ pdf, signedAttributes, hashAlgorithmOid }): DocumentInspection {
      const digest = digestByOid(hashAlgorithmOid);
      if (digest === undefined) {
        return { kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_MISMATCH', message: 'the hash algorithm is not supported' };
      }
      try {
        const r = checkPreparedDocument({ pdf, signedAttributes, digestAlgorithm: digest.name, limits });
        if (r.kind === 'refused') return { kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_MISMATCH', message: r.message };
        const findings = preSigningFindings({ doc: r.doc, pdf, fieldName: r.fieldName, limits });
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
    },
  };
}
