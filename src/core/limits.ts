/** Resource limits shared by parsers (INV-7: every parser has size, depth, count and time limits). */

/** Limits applied while reading untrusted input. All fields are upper bounds. */
export interface ParseLimits {
  /** Maximum nesting depth of arrays/dictionaries (or ASN.1 constructed values). */
  readonly maxDepth: number;
  /** Maximum number of objects a document may declare. */
  readonly maxObjects: number;
  /** Maximum bytes produced by decoding one stream (all filters of the chain together). */
  readonly maxDecodedStreamBytes: number;
  /**
   * Maximum bytes decoded for one document in total, by every reader of it (object streams,
   * cross-reference streams, the DSS, page contents, appearances), across the documents opened
   * over the same file that share its budget (the signed revision of a validation). A stream is
   * decoded once and cached; a stream decoded again after eviction is counted again.
   */
  readonly maxDecodedBytes: number;
  /**
   * Most decoded bytes a document keeps cached (least recently used streams are dropped first). A
   * quarter of it is "large": a large buffer is dropped before another large decode, and a large
   * object stream is kept only from its second use (src/pdf/decoded-stream-cache.ts).
   */
  readonly maxCachedDecodedBytes: number;
  /** Maximum number of revisions (xref sections) followed. */
  readonly maxRevisions: number;
  /**
   * Maximum wall time in ms spent reading one document: the sum of its operations (opening,
   * recovery scans, object and stream reads), shared like the decode budget.
   */
  readonly maxMillis: number;
}

/**
 * Defaults sized for real documents while refusing bombs. With them a hostile file costs at most
 * 32 MiB per decode attempt (a refused one leaves that much garbage until the next collection; a
 * validation opens the file more than once), 32 MiB of cached decoded data and 512 MiB of
 * inflation work per document, so `signet sign`/`verify` stay under 256 MiB peak RSS (issue 15:
 * twenty form fields in object streams of 30 MiB each peaked at 196–285 MiB with 64 MiB cached,
 * about 130 MiB now).
 */
export const defaultParseLimits: ParseLimits = {
  maxDepth: 256,
  maxObjects: 10_000_000,
  maxDecodedStreamBytes: 32 * 1024 * 1024,
  maxDecodedBytes: 512 * 1024 * 1024,
  maxCachedDecodedBytes: 32 * 1024 * 1024,
  maxRevisions: 10_000,
  maxMillis: 60_000,
};
