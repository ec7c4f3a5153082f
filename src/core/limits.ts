/** Resource limits shared by parsers (INV-7: every parser has size, depth, count and time limits). */

/** Limits applied while reading untrusted input. All fields are upper bounds. */
export interface ParseLimits {
  /** Maximum nesting depth of arrays/dictionaries (or ASN.1 constructed values). */
  readonly maxDepth: number;
  /** Maximum number of objects a document may declare. */
  readonly maxObjects: number;
  /** Maximum bytes produced by decoding one stream (all filters of the chain together). */
  readonly maxDecodedStreamBytes: number;
  /** Maximum number of revisions (xref sections) followed. */
  readonly maxRevisions: number;
  /** Maximum wall time in ms for one whole-document operation (recovery scans, validation). */
  readonly maxMillis: number;
}

/** Defaults sized for real documents while refusing bombs. */
export const defaultParseLimits: ParseLimits = {
  maxDepth: 256,
  maxObjects: 10_000_000,
  maxDecodedStreamBytes: 256 * 1024 * 1024,
  maxRevisions: 10_000,
  maxMillis: 60_000,
};
