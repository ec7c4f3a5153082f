/** The validation report (ETSI EN 319 102-1 §5.1.3 indications and sub-indications). */
import type { RevocationLookup } from './online-revocation.js';
import type { QcStatementsInfo } from '../cms/index.js';

/** Main indication (EN 319 102-1 Table 1). */
export type Indication = 'TOTAL-PASSED' | 'TOTAL-FAILED' | 'INDETERMINATE';

/** Sub-indications used so far (EN 319 102-1 Tables 2–3). */
export type SubIndication =
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'SIG_CONSTRAINTS_FAILURE'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'REVOKED'
  | 'REVOKED_NO_POE'
  | 'CRYPTO_CONSTRAINTS_FAILURE'
  | 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'
  | 'TRY_LATER'
  | 'REVOCATION_OUT_OF_BOUNDS_NO_POE'
  | 'REVOKED_CA_NO_POE';

/**
 * The EN 319 102-1 building block (§5.2) or the process (§5.5, §5.6) that produced a finding;
 * `document` is about the file as a whole, `modification` about the revisions after a signature.
 */
export type ValidationCheck =
  | 'document'
  | 'format-checking'
  | 'identification-of-the-signing-certificate'
  | 'cryptographic-verification'
  | 'x509-certificate-validation'
  | 'signature-acceptance'
  | 'modification'
  | 'time-stamp'
  | 'revocation';

/** How a finding weighs: `error` decides the indication, `warning` and `info` inform. */
export type FindingSeverity = 'error' | 'warning' | 'info';

/** One typed finding; `code` is listed in docs/errors/validation.md. */
export interface Finding {
  readonly code: ValidationFindingCode;
  readonly check: ValidationCheck;
  readonly severity: FindingSeverity;
  readonly message: string;
}

/** Stable codes of validation findings (docs/errors/validation.md). */
export type ValidationFindingCode =
  | 'ERR_VALIDATION_FILE_UNREADABLE'
  | 'ERR_VALIDATION_SIGNATURE_UNREADABLE'
  | 'ERR_VALIDATION_SUBFILTER'
  | 'ERR_VALIDATION_BYTE_RANGE'
  | 'ERR_VALIDATION_CONTENTS'
  | 'ERR_VALIDATION_CMS_BER'
  | 'ERR_VALIDATION_CMS_STRUCTURE'
  | 'ERR_VALIDATION_ENCAPSULATED_CONTENT'
  | 'ERR_VALIDATION_CERTIFICATION'
  | 'ERR_VALIDATION_COLLISION'
  | 'ERR_VALIDATION_SIGNER_CERTIFICATE'
  | 'ERR_VALIDATION_DIGEST_MISMATCH'
  | 'ERR_VALIDATION_SIGNATURE_INVALID'
  | 'ERR_VALIDATION_SIGNED_ATTRIBUTES'
  | 'ERR_VALIDATION_WEAK_ALGORITHM'
  | 'ERR_VALIDATION_CHAIN'
  | 'ERR_VALIDATION_MODIFIED'
  | 'ERR_VALIDATION_LATER_REVISION'
  | 'ERR_VALIDATION_SIGNATURE_TIMESTAMP'
  | 'ERR_VALIDATION_DOCUMENT_TIMESTAMP'
  | 'ERR_VALIDATION_REVOKED'
  | 'ERR_VALIDATION_NO_REVOCATION'
  | 'ERR_VALIDATION_REVOCATION_NOT_FRESH'
  | 'ERR_VALIDATION_INCOMPLETE';

/** How the signer's certificate relates to the trust anchors given. */
export type ChainStatus = 'trusted' | 'untrusted' | 'expired' | 'invalid';

/** The report of one signature field. */
export interface SignatureReport {
  readonly fieldName: string;
  readonly indication: Indication;
  readonly subIndication: SubIndication | undefined;
  readonly subFilter: string | undefined;
  /** Signer name from the certificate subject (never from /Name, which anyone can write). */
  readonly signerSubject: string | undefined;
  /**
   * The signer certificate's ETSI EN 319 412-5 statements (QcCompliance, QcSSCD, QcType esign…),
   * when it carries any: what the certificate claims, not a trusted-list check.
   */
  readonly qcStatements?: QcStatementsInfo;
  /** Claimed signing time from /M. */
  readonly claimedSigningTime: Date | undefined;
  readonly byteRange: readonly number[] | undefined;
  /** True when the ByteRange covers the whole file except /Contents. */
  readonly coversWholeDocument: boolean;
  /** True when the CMS signature and message digest verified. */
  readonly isIntact: boolean;
  readonly chainStatus: ChainStatus | undefined;
  /** Subjects of the path found, leaf first. */
  readonly chain: readonly string[];
  /** Human-readable reasons for the verdict. */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  /** The same reasons typed (code, building block, severity), plus informational facts. */
  readonly findings?: readonly Finding[];
  /** True for a document timestamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161). */
  readonly isDocumentTimestamp?: boolean;
  /** The PAdES baseline level reached (EN 319 142-1 §6); undefined for failed signatures and document timestamps. */
  readonly level?: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
  /** The signature's own timestamps (signature-time-stamps; for a document timestamp, its token). */
  readonly timestamps?: readonly TimestampReport[];
  /** The signer certificate's status from the DSS. */
  readonly revocation?: RevocationFinding;
}

/** The report of a document. */
export interface DocumentReport {
  readonly signatures: readonly SignatureReport[];
  /** Findings about the file as a whole (e.g. it cannot be read: then there are no signatures). */
  readonly findings?: readonly Finding[];
  /** The online revocation lookups made for this validation (what was asked, what came back). */
  readonly revocationLookups?: readonly RevocationLookup[];
  /** Set when the file itself cannot be validated (EN 319 102-1: TOTAL-FAILED/FORMAT_FAILURE). */
  readonly indication?: Indication;
  readonly subIndication?: SubIndication;
  /** Warnings of the PDF reader (recovery and the like). */
  readonly warnings: readonly string[];
}

/** A signature-time-stamp or document timestamp (RFC 3161) as verified. */
export interface TimestampReport {
  /** `signature`: id-aa-signatureTimeStampToken of a CMS signature; `document`: a /DocTimeStamp. */
  readonly kind: 'signature' | 'document';
  /** Imprint, token signature, TSA EKU and TSA path all verified. */
  readonly isValid: boolean;
  readonly genTime: Date | undefined;
  readonly tsaSubject: string | undefined;
  readonly chainStatus: ChainStatus | undefined;
  readonly problems: readonly string[];
}

/** Revocation status of the signer's certificate according to the DSS (EN 319 142-1 §5.4.2). */
export interface RevocationFinding {
  readonly status: 'good' | 'revoked' | 'unknown' | 'none';
  readonly source: 'ocsp' | 'crl' | undefined;
  /** Where the evidence was found: the document's DSS or an online lookup at validation time. */
  readonly origin?: 'dss' | 'online';
  readonly revocationTime?: Date;
  /** OCSP responses in the DSS about this certificate (or malformed) that are not authentic evidence (V15). */
  readonly rejectedOcspResponses?: number;
  /** The authentic pieces of evidence about this certificate, with their issuance times (EN 319 102-1 §5.2.5). */
  readonly evidence?: readonly RevocationEvidence[];
  /**
   * Set once the evidence was judged against the best-signature-time (revocation-freshness.ts):
   * false when none of it is fresh — it then counts as no evidence.
   */
  readonly fresh?: boolean;
}

/** One authentic OCSP response or CRL about a certificate, as the freshness check weighs it. */
export interface RevocationEvidence {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly source: 'ocsp' | 'crl';
  /** When the status was known to be correct: the OCSP SingleResponse's or the CRL's thisUpdate. */
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}
