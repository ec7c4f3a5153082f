/**
 * An issuing CA bound to its key, certificate, store and clock: issuance under a profile,
 * CSR enrollment, immediate revocation (RFC 5280 §5.3.1) and CRL generation (§5.2.3). The
 * unique-key rule and serial uniqueness are enforced atomically by the CaStore.
 */
import type { Name } from '@peculiar/asn1-x509';
import type { Clock } from '../../core/clock.js';
import type { KeyBackend, KeyRef, KeySpec } from '../../keys/key-backend.js';
import type { CaKey } from '../ca-key.js';
import { nameToString, parseCertificate, spkiFingerprint } from '../certificate.js';
import { buildCrl } from '../crl/build-crl.js';
import { verifyCsr } from '../enrollment/verify-csr.js';
import { PkiError } from '../errors.js';
import type { RevocationReason } from '../revocation-reason.js';
import type { CaStore, CertificateRecord } from '../store/ca-store.js';
import { issueCertificate } from './issue-certificate.js';
import { profileByName, type PkiUrls, type ProfileName } from './profiles.js';
import type { QcStatementsOptions } from './qc-statements.js';
import { generateSerialNumber } from './serial-number.js';
import { buildSubject, subjectFromName, type SubjectInput } from './subject.js';

/** Configuration of an issuing CA. */
export interface CertificateAuthorityOptions {
  /** Stable id of this CA in the store (several issuing CAs may share one). */
  readonly id: string;
  readonly key: CaKey;
  /** This CA's certificate (DER). */
  readonly certificate: Uint8Array;
  readonly store: CaStore;
  readonly clock: Clock;
  /** URLs written into issued certificates' AIA and CDP. */
  readonly urls: PkiUrls;
  readonly policyOids?: readonly string[];
  /** CRL validity (nextUpdate - thisUpdate), hours. Default 24. */
  readonly crlValidityHours?: number;
}

/** What to certify. */
export interface IssueRequest {
  readonly subject: SubjectInput | Name;
  /** SubjectPublicKeyInfo DER. */
  readonly subjectPublicKey: Uint8Array;
  readonly profile: ProfileName;
  readonly qcStatements?: QcStatementsOptions;
  /** Reference of a server-generated key (enables rekey on renewal). */
  readonly keyRef?: KeyRef;
  readonly validityDays?: number;
}

/** Options of enroll(). */
export interface EnrollOptions {
  readonly profile: ProfileName;
  /** Subject from user data; when absent, the CSR subject is validated and rebuilt. */
  readonly subject?: SubjectInput;
  readonly qcStatements?: QcStatementsOptions;
}

function isName(subject: SubjectInput | Name): subject is Name {
  return Array.isArray(subject);
}

/**
 * An issuing CA.
 *
 * @example
 * ```ts
 * const ca = new CertificateAuthority({ id: 'issuing', key, certificate, store, clock, urls });
 * const record = await ca.enroll(csrPem, { profile: 'signing' });
 * ```
 */
export class CertificateAuthority {
  readonly id: string;
  readonly certificate: Uint8Array;
  readonly #options: CertificateAuthorityOptions;

  constructor(options: CertificateAuthorityOptions) {
    this.id = options.id;
    this.certificate = options.certificate;
    this.#options = options;
  }

  /** The store this CA writes to. */
  get store(): CaStore {
    return this.#options.store;
  }

  /** The CA's clock. */
  get clock(): Clock {
    return this.#options.clock;
  }

  /** Issues and records one certificate. */
  async issue(request: IssueRequest): Promise<CertificateRecord> {
    const subject = isName(request.subject) ? request.subject : buildSubject(request.subject);
    const profile = profileByName(request.profile);
    for (let attempt = 0; ; attempt++) {
      const issued = await issueCertificate({
        issuer: { kind: 'ca', key: this.#options.key, certificate: this.certificate },
        subject,
        subjectPublicKey: request.subjectPublicKey,
        profile,
        serialNumber: generateSerialNumber(),
        clock: this.#options.clock,
        urls: this.#options.urls,
        policyOids: this.#options.policyOids ?? [],
        ...(request.qcStatements ? { qcStatements: request.qcStatements } : {}),
        ...(request.validityDays !== undefined ? { validityDays: request.validityDays } : {}),
      });
      const record: CertificateRecord = {
        serialHex: issued.serialHex,
        issuerId: this.id,
        profile: profile.name,
        subject: nameToString(subject),
        spkiSha256: spkiFingerprint(request.subjectPublicKey),
        der: issued.der,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        ...(request.keyRef !== undefined ? { keyRef: request.keyRef } : {}),
        ...(request.qcStatements ? { qcStatements: request.qcStatements } : {}),
      };
      try {
        await this.#options.store.insertCertificate(record);
        return record;
      } catch (err) {
        // 126 random bits: a collision means a broken RNG or a replayed store; retry once.
        if (err instanceof PkiError && err.code === 'ERR_PKI_SERIAL_COLLISION' && attempt === 0) continue;
        throw err;
      }
    }
  }

  /**
   * Server-side key enrollment: generates the key inside `backend` (it never leaves it) and
   * certifies it; the record keeps the key reference so renewal can rekey.
   */
  async issueWithNewKey(
    backend: KeyBackend,
    spec: KeySpec,
    request: Omit<IssueRequest, 'subjectPublicKey' | 'keyRef'>,
    label?: string,
  ): Promise<CertificateRecord> {
    const key = await backend.generateKey(spec, label);
    try {
      return await this.issue({ ...request, subjectPublicKey: key.publicKey, keyRef: key.ref });
    } catch (err) {
      // Do not leave an uncertified key behind.
      await backend.destroyKey(key.ref).catch(() => undefined);
      throw err;
    }
  }

  /** Verifies a PKCS#10 request (PoP, key policy, subject) and issues under `options.profile`. */
  async enroll(csr: Uint8Array | string, options: EnrollOptions): Promise<CertificateRecord> {
    const verified = verifyCsr(csr);
    const subject = buildSubject(options.subject ?? subjectFromName(verified.subject));
    return this.issue({
      subject,
      subjectPublicKey: verified.subjectPublicKey,
      profile: options.profile,
      ...(options.qcStatements ? { qcStatements: options.qcStatements } : {}),
    });
  }

  /**
   * Issues (but does not store) the successor of `old`: same subject, profile and QC
   * statements, the given key. Used by the renewal job, which stores it atomically.
   */
  async prepareSuccessor(
    old: CertificateRecord,
    subjectPublicKey: Uint8Array,
    keyRef?: KeyRef,
  ): Promise<CertificateRecord> {
    const subject = parseCertificate(old.der).tbsCertificate.subject;
    const issued = await issueCertificate({
      issuer: { kind: 'ca', key: this.#options.key, certificate: this.certificate },
      subject,
      subjectPublicKey,
      profile: profileByName(old.profile),
      serialNumber: generateSerialNumber(),
      clock: this.#options.clock,
      urls: this.#options.urls,
      policyOids: this.#options.policyOids ?? [],
      ...(old.qcStatements ? { qcStatements: old.qcStatements } : {}),
    });
    return {
      serialHex: issued.serialHex,
      issuerId: this.id,
      profile: old.profile,
      subject: nameToString(subject),
      spkiSha256: spkiFingerprint(subjectPublicKey),
      der: issued.der,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      ...(keyRef !== undefined ? { keyRef } : {}),
      ...(old.qcStatements ? { qcStatements: old.qcStatements } : {}),
    };
  }

  /** Revokes at once (the store is the source of truth for OCSP and CRLs). */
  async revoke(serialHex: string, reason: RevocationReason): Promise<CertificateRecord> {
    const record = await this.#options.store.getCertificate(serialHex);
    if (!record || record.issuerId !== this.id) {
      throw new PkiError('ERR_PKI_CERT_NOT_FOUND', 'no certificate with this serial number from this CA');
    }
    return this.#options.store.revoke(serialHex, { time: this.#options.clock.now(), reason });
  }

  /** A fresh CRL with the next cRLNumber (RFC 5280 §5.2.3: monotonically increasing). */
  async generateCrl(): Promise<Uint8Array> {
    const now = this.#options.clock.now();
    const crlNumber = await this.#options.store.nextCounter(`crl:${this.id}`);
    const revoked = await this.#options.store.listRevoked(this.id);
    const hours = this.#options.crlValidityHours ?? 24;
    return buildCrl({
      issuerKey: this.#options.key,
      issuerCertificate: this.certificate,
      entries: revoked.flatMap((r) => (r.revocation ? [{ serialHex: r.serialHex, revocation: r.revocation }] : [])),
      crlNumber,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + hours * 3_600_000),
    });
  }
}
