/** Errors of the PDF engine (ISO 32000-1 reading and incremental writing), with stable codes. */
import { SignetError, type SignetErrorOptions } from '../core/errors.js';

/** Every code the PDF engine throws (listed in docs/errors/pdf.md). */
export type PdfErrorCode =
  | 'ERR_PDF_NOT_PDF'
  | 'ERR_PDF_SYNTAX'
  | 'ERR_PDF_XREF'
  | 'ERR_PDF_XREF_LOOP'
  | 'ERR_PDF_OBJSTM'
  | 'ERR_PDF_ENCRYPTED'
  | 'ERR_PDF_PASSWORD'
  | 'ERR_PDF_FILTER_UNSUPPORTED'
  | 'ERR_PDF_FILTER_DATA'
  | 'ERR_PDF_PAGE_TREE'
  | 'ERR_PDF_AMBIGUOUS'
  | 'ERR_PDF_WRITER'
  | 'ERR_PDF_IO'
  | 'ERR_PDF_LIMIT_DEPTH'
  | 'ERR_PDF_LIMIT_OBJECTS'
  | 'ERR_PDF_LIMIT_DECOMPRESSED'
  | 'ERR_PDF_LIMIT_REVISIONS'
  | 'ERR_PDF_LIMIT_TIME'
  | 'ERR_PDF_LIMIT_TOKEN'
  | 'ERR_PDF_LIMIT_MEMORY'
  | 'ERR_PDF_CONFIG';

/**
 * An error reading or writing a PDF. `code` is stable; `message` is safe to show.
 *
 * @example
 * ```ts
 * throw new PdfError('ERR_PDF_SYNTAX', 'expected "obj" at offset 120');
 * ```
 */
export class PdfError extends SignetError<PdfErrorCode> {
  constructor(code: PdfErrorCode, message: string, options?: SignetErrorOptions) {
    super(code, message, options);
  }
}

const limitCodes: ReadonlySet<string> = new Set<PdfErrorCode>([
  'ERR_PDF_LIMIT_DEPTH',
  'ERR_PDF_LIMIT_OBJECTS',
  'ERR_PDF_LIMIT_DECOMPRESSED',
  'ERR_PDF_LIMIT_REVISIONS',
  'ERR_PDF_LIMIT_TIME',
  'ERR_PDF_LIMIT_TOKEN',
  'ERR_PDF_LIMIT_MEMORY',
]);

/** True for a resource-limit refusal (docs/security.md INV-7): the input is hostile or too large, not merely malformed. */
export function isPdfLimitError(err: unknown): err is PdfError {
  return err instanceof PdfError && limitCodes.has(err.code);
}
