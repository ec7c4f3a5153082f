/** The PDF engine's public surface: lazy reading of any ISO 32000 file and incremental updates (§7.5.6). */
export { PdfError, isPdfLimitError, type PdfErrorCode } from './errors.js';
export { appendedBytes, bytesSource, FileSource, type ByteSource } from './byte-source.js';
export {
  PdfDocument,
  type ObjectLocation,
  type PdfOpenOptions,
  type PdfPage,
  type PdfRevision,
} from './pdf-document.js';
export { IncrementalWriter, type IncrementalUpdate, type TrailerExtras } from './incremental-writer.js';
export {
  type PdfArray,
  PdfDict,
  PdfName,
  type PdfObject,
  PdfRaw,
  PdfRef,
  PdfStream,
  type LazyStreamData,
  PdfString,
  isArray,
  isDict,
  isRef,
  name,
} from './objects.js';
export { formatNumber, serializeObject, writeIndirectObject, writeObject } from './serializer.js';
export { ByteWriter } from './byte-writer.js';
export { ObjectParser, parseNumberToken } from './object-parser.js';
export { decodeFilterChain, type DecodeBudget } from './stream-filters.js';
export { DocumentBudget } from './decode-budget.js';
export { configuredParseLimits, parseLimitSettings, parseLimitsFromEnvironment } from './limits-from-environment.js';
export { DocumentEncryption } from './encryption/object-encryption.js';
export type { CryptMethod } from './encryption/standard-security-handler.js';
