/** Value types shared by the PAdES signing modules (ETSI EN 319 142-1). */
import type { DigestAlgorithm, SignatureAlgorithm } from '../cms/algorithms.js';
import type { ByteSource } from '../pdf/index.js';

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
  /** The user (or owner) password of an encrypted document; the empty user password is tried when absent. */
  readonly password?: string;
}

/**
 * The JSON form of a {@link PreparedDocument} (all bytes as base64), for the process edge only:
 * another process finishes it after `preparedFromJson` (pyHanko's PreparedByteRangeDigest
 * serialised). Its level plan and original document are given again when it is read back.
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

/** PAdES baseline levels (ETSI EN 319 142-1 §6). */
export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

/**
 * Obtains RFC 3161 timestamp tokens. The library never speaks HTTP: an adapter (e.g. over pki's
 * TimestampClient) is passed in.
 */
export interface Timestamper {
  /** A TimeStampToken (DER ContentInfo, RFC 3161 §2.4.2) whose messageImprint is `digest`. */
  timestamp(digest: Uint8Array, digestAlgorithm: DigestAlgorithm): Promise<Uint8Array>;
}

/** Revocation evidence for one certificate, as it goes into a DSS (ETSI EN 319 142-1 §5.4.2). */
export interface RevocationData {
  /** DER OCSPResponse values (RFC 6960 §4.2.1). */
  readonly ocspResponses: readonly Uint8Array[];
  /** DER CertificateList values (RFC 5280 §5.1). */
  readonly crls: readonly Uint8Array[];
  /** Certificates needed to validate the evidence (e.g. a delegated OCSP responder's). */
  readonly certificates: readonly Uint8Array[];
}

/**
 * Fetches revocation evidence (an adapter over OCSP/CRL clients). Returns empty data for a
 * certificate that needs none or names no source (no AIA/CDP, id-pkix-ocsp-nocheck); throws when
 * a named source fails.
 */
export interface RevocationSource {
  fetch(certificate: Uint8Array, issuer: Uint8Array): Promise<RevocationData>;
}

/** What the levels beyond B-B need. */
export interface LevelOptions {
  /** Default B-B. */
  readonly level?: PadesLevel;
  /** Required from B-T on. */
  readonly timestamper?: Timestamper;
  /** Required from B-LT on. */
  readonly revocation?: RevocationSource;
  /** Extra certificates for path building (e.g. intermediates a CMS does not carry). */
  readonly certificates?: readonly Uint8Array[];
  /** Digest of document timestamps (default SHA-256). */
  readonly timestampDigestAlgorithm?: DigestAlgorithm;
}

/**
 * The level a prepared signature is finished at, with the /Contents room it needs already
 * measured (a signature-time-stamp token from `timestamper`, ETSI EN 319 122-1 §5.3, and for
 * B-LTA the document timestamp's) and the sources phase two uses. Made once by `planLevel` and
 * shared by every document signed with it: the measure lives in the plan, nowhere else.
 */
export interface LevelPlan {
  readonly level: PadesLevel;
  /** Bytes of /Contents reserved for the signature-time-stamp (0 below B-T). */
  readonly timestampReserve: number;
  /**
   * /Contents capacity of the B-LTA document timestamp, measured with the plan; absent below
   * B-LTA (a document timestamp then measures one token itself).
   */
  readonly documentTimestampCapacity?: number;
  readonly timestamper?: Timestamper;
  readonly revocation?: RevocationSource;
  readonly certificates?: readonly Uint8Array[];
  readonly timestampDigestAlgorithm?: DigestAlgorithm;
}

/**
 * Phase one's result (pyHanko's PreparedByteRangeDigest), bytes-valued: the incremental update
 * with /ByteRange filled and /Contents zeroed, the ByteRange digest, the signed attributes (the
 * DTBS) and their digest (the DTBS/R), the level plan whose reserve /Contents already holds, and
 * the signing time written to /M. `finishSignature` does all of phase two with it.
 */
export interface PreparedDocument {
  /** Length of the original document; the update is appended at this offset. */
  readonly documentLength: number;
  /** The update with /ByteRange filled and /Contents zeroed (never written to by phase two). */
  readonly update: Uint8Array;
  /** /ByteRange (absolute offsets in the signed file). */
  readonly byteRange: readonly [number, number, number, number];
  /** Capacity of /Contents in bytes (the hex string holds twice as many digits). */
  readonly contentsCapacity: number;
  readonly digestAlgorithm: DigestAlgorithm;
  /** Digest of the ByteRange bytes: the CMS message-digest. */
  readonly documentDigest: Uint8Array;
  /** DER of the signed attributes as signed (SET OF): the data to be signed (DTBS). */
  readonly signedAttributes: Uint8Array;
  /** Digest of the signed attributes: what a remote signer signs (DTBS/R). */
  readonly dataToBeSignedDigest: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** DER certificates, leaf first. */
  readonly certificateChain: readonly Uint8Array[];
  /** As written to /M. */
  readonly signingTime: Date;
  readonly fieldName: string;
  readonly plan: LevelPlan;
  /** The original document (phase two appends to it); absent once it was spooled or serialised. */
  readonly source?: ByteSource;
  /** The document's password, to reopen it for B-LT (never serialised). */
  readonly password?: string;
}

/** What phase two receives: the raw signature value over the signed attributes, or a finished CMS. */
export type SignatureValue =
  | { readonly kind: 'signature'; readonly signature: Uint8Array }
  | { readonly kind: 'cms'; readonly cms: Uint8Array };
