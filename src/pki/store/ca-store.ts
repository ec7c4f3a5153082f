/**
 * The CA's storage seam: issued certificates with their status, revocations, counters (CRL
 * number, TSA serial) and renewal claims. Narrow and async so that a database implementation
 * can replace the file-backed one; every method is atomic on its own.
 */
import type { KeyRef } from '../../keys/key-backend.js';
import type { ProfileName } from '../ca/profiles.js';
import type { QcStatementsOptions } from '../ca/qc-statements.js';
import type { RevocationReason } from '../revocation-reason.js';

/** A revocation (RFC 5280 §5.3.1 reason, §5.1.2.6 revocationDate). */
export interface Revocation {
  readonly time: Date;
  readonly reason: RevocationReason;
}

/** One issued certificate as stored. */
export interface CertificateRecord {
  /** Canonical lower-case hex (see serialToHex). */
  readonly serialHex: string;
  /** The issuing CA's id (several issuing CAs may share a store). */
  readonly issuerId: string;
  readonly profile: ProfileName;
  /** Display form of the subject. */
  readonly subject: string;
  /** SHA-256 hex of the SubjectPublicKeyInfo (unique-key rule). */
  readonly spkiSha256: string;
  readonly der: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly revocation?: Revocation;
  /** The key reference when the key was generated server-side (rekey possible). */
  readonly keyRef?: KeyRef;
  readonly qcStatements?: QcStatementsOptions;
  /** The PKCS#10 request (DER) of a key held elsewhere, re-checked and reused by renewal. */
  readonly csr?: Uint8Array;
  /** Serial of the certificate that renewed this one. */
  readonly renewedBy?: string;
}

/** What an OCSP answer needs of a certificate: its issuer and its revocation, if any. */
export interface CertificateStatus {
  readonly issuerId: string;
  readonly revocation?: Revocation;
}

/** Who a reserved block of counter values belongs to. */
export interface CounterBlockOwner {
  /** The node (or process) that will hand the values out. */
  readonly reservedBy: string;
}

/** Storage for the CA. Implementations: FileCaStore (CLI), a database store (server). */
export interface CaStore {
  /**
   * Inserts a new certificate. Throws ERR_PKI_SERIAL_COLLISION when the serial exists and
   * ERR_PKI_KEY_ALREADY_CERTIFIED when an unrevoked certificate of another subject has the
   * same public key (unique key constraint).
   */
  insertCertificate(record: CertificateRecord): Promise<void>;
  getCertificate(serialHex: string): Promise<CertificateRecord | undefined>;
  /**
   * Optional: the issuer and revocation of `serialHex`, as getCertificate would give them, read
   * without the rest of the record (the OCSP responder reads one per request).
   */
  certificateStatus?(serialHex: string): Promise<CertificateStatus | undefined>;
  /** Unrevoked, not yet renewed certificates of `issuerId` whose notAfter ≤ `before`. */
  listExpiring(issuerId: string, before: Date): Promise<readonly CertificateRecord[]>;
  /** Every revoked certificate of `issuerId`. */
  listRevoked(issuerId: string): Promise<readonly CertificateRecord[]>;
  /** Marks a certificate revoked at once; ERR_PKI_CERT_NOT_FOUND / ERR_PKI_ALREADY_REVOKED. */
  revoke(serialHex: string, revocation: Revocation): Promise<CertificateRecord>;
  /**
   * Atomically reserves `count` values of a counter (starting at 1); returns the first. With
   * `block`, the reservation is a block handed to `block.reservedBy` (a TSA node's serial
   * numbers): a store that audits its changes records the block in the same transaction.
   */
  nextCounter(name: string, count?: number, block?: CounterBlockOwner): Promise<bigint>;
  /**
   * The reference time shared by every process using this store (the database's clock), when
   * there is one: the TSA refuses to stamp when its own clock disagrees (docs/security.md FLT-17).
   */
  referenceTime?(): Promise<Date>;
  /**
   * Atomically claims the renewal of `serialHex` for `claimant` until `until`. False when it is
   * already renewed or another claimant holds an unexpired claim.
   */
  claimRenewal(serialHex: string, claimant: string, until: Date, now: Date): Promise<boolean>;
  /** Inserts `successor` and links it as the renewal of `serialHex`, in one atomic step. */
  completeRenewal(serialHex: string, claimant: string, successor: CertificateRecord): Promise<void>;
  close(): Promise<void>;
}
