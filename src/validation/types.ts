/** The validation report (ETSI EN 319 102-1 §5.1.3 indications and sub-indications). */

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
  | 'CHAIN_CONSTRAINTS_FAILURE';

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
}

/** The report of a document. */
export interface DocumentReport {
  readonly signatures: readonly SignatureReport[];
  /** Warnings of the PDF reader (recovery and the like). */
  readonly warnings: readonly string[];
}
