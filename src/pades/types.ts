/** Value types shared by the PAdES signing modules (ETSI EN 319 142-1). */
import type { DigestAlgorithm, SignatureAlgorithm } from '../cms/algorithms.js';

/** DocMDP permission levels (ISO 32000-1 §12.8.2.2, Table 254). */
export type DocMdpPermission = 1 | 2 | 3;

/** Where a visible signature appears: a 1-based page number and a rectangle in user space. */
export interface VisibleSignature {
  readonly page: number;
  /** [x1, y1, x2, y2] in default user space units (1/72 inch), lower-left origin. */
  readonly rect: readonly [number, number, number, number];
}

/** What the signature says about itself (signature dictionary entries, §12.8.1 Table 252). */
export interface SignatureMetadata {
  /** /Name — the signer's name as shown; defaults to the certificate's common name. */
  readonly name?: string;
  readonly reason?: string;
  readonly location?: string;
  readonly contactInfo?: string;
}

/** Options of `preparePdf`. */
export interface PrepareOptions extends SignatureMetadata {
  /** DER certificates, leaf first (the signer's certificate chain). */
  readonly certificateChain: readonly Uint8Array[];
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** Upper bound of the raw signature size in bytes (Signer.maxSignatureSize()). */
  readonly maxSignatureSize: number;
  /**
   * The claimed signing time, written to /M (EN 319 142-1 §5.3: no signing-time attribute in
   * PAdES baseline; the time goes in the signature dictionary). Taken from the caller's Clock.
   */
  readonly signingTime: Date;
  /** Sign into this field; an existing empty signature field of that name is used when present. */
  readonly fieldName?: string;
  /** Invisible when absent. */
  readonly visible?: VisibleSignature;
  /** Make this a certification signature with the given DocMDP permission. */
  readonly certify?: DocMdpPermission;
  /** Extra bytes reserved in /Contents for unsigned attributes added later (e.g. a timestamp). */
  readonly reserveBytes?: number;
}

/**
 * A signature prepared but not yet signed: everything `embedSignature` needs, serialisable to
 * JSON (all bytes as base64) so another process can finish it (pyHanko's PreparedByteRangeDigest).
 */
export interface PreparedSignature {
  readonly version: 1;
  /** Length of the original document; the update is appended at this offset. */
  readonly documentLength: number;
  /** The incremental update with /ByteRange filled and /Contents zeroed (base64). */
  readonly update: string;
  /** /ByteRange (absolute offsets in the signed file). */
  readonly byteRange: readonly [number, number, number, number];
  /** Capacity of /Contents in bytes (the hex string holds twice as many digits). */
  readonly contentsCapacity: number;
  readonly digestAlgorithm: DigestAlgorithm;
  /** Digest of the ByteRange bytes (base64): the CMS message-digest. */
  readonly documentDigest: string;
  /** DER of the signed attributes as signed (SET OF, base64): the data to be signed (DTBS). */
  readonly signedAttributes: string;
  /** Digest of the signed attributes (base64): what a remote signer signs (DTBS/R). */
  readonly dataToBeSignedDigest: string;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** DER certificates, leaf first (base64). */
  readonly certificateChain: readonly string[];
  /** ISO 8601 signing time, as written to /M. */
  readonly signingTime: string;
  readonly fieldName: string;
}
