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
import {
  certificateProfileOf,
  defaultCredentialProfiles,
  profilePolicyOids,
  profileSubject,
  type CredentialProfileDefinition,
  type CredentialProfiles,
} from './credential-profiles.js';
import { issueCertificate } from './issue-certificate.js';
import { profileByName, type CertificateProfile, type PkiUrls, type ProfileName } from './profiles.js';
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
  /** Credential profiles (certificate-profiles file); default: the built-in `signing` alone. */
  readonly credentialProfiles?: CredentialProfiles;
}

/** A profile name resolved to what issueCertificate takes. */
interface ResolvedProfile {
  readonly profile: CertificateProfile;
  readonly policyOids: readonly string[];
  readonly qcStatements: QcStatementsOptions | undefined;
  /** The credential profile, when the name is one. */
  readonly definition: CredentialProfileDefinition | undefined;
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
  /** The PKCS#10 request (DER) the key holder sent, kept so renewal can re-check it (external keys). */
  readonly csr?: Uint8Array;
}

/** Options of enroll(). */
export interface EnrollOptions {
  readonly profile: ProfileName;
  /** Subject from user data; when absent, the CSR subject is validated and rebuilt. */
  readonly subject?: SubjectInput;
  readonly qcStatements?: QcStatementsOptions;
  /** Keep the CSR with the certificate record (a key held elsewhere: renewal reuses it). */
  readonly keepCsr?: boolean;
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

  /** The credential profiles this CA issues under. */
  get credentialProfiles(): CredentialProfiles {
    return this.#options.credentialProfiles ?? defaultCredentialProfiles();
  }

  /**
   * A credential profile (its policies, the CA's own policy when it asks for it, its statements),
   * else a service profile with the CA's policies and the request's statements.
   */
  #resolve(name: string, qcStatements: QcStatementsOptions | undefined): ResolvedProfile {
    const caPolicies = this.#options.policyOids ?? [];
    const def = this.credentialProfiles.get(name);
    if (def !== undefined) {
      return {
        profile: certificateProfileOf(def),
        policyOids: profilePolicyOids(def, caPolicies),
        qcStatements: def.qcStatements ?? qcStatements,
        definition: def,
      };
    }
    return { profile: profileByName(name), policyOids: caPolicies, qcStatements, definition: undefined };
  }

  /** Issues and records one certificate. */
  async issue(request: IssueRequest): Promise<CertificateRecord> {
    const resolved = this.#resolve(request.profile, request.qcStatements);
    const def = resolved.definition;
    const subject = isName(request.subject)
      ? request.subject
      : buildSubject(def !== undefined ? profileSubject(def, request.subject) : request.subject);
    const { profile, qcStatements } = resolved;
    for (let attempt = 0; ; attempt++) {
      const issued = await issueCertificate({
        issuer: { kind: 'ca', key: this.#options.key, certificate: this.certificate },
        subject,
        subjectPublicKey: request.subjectPublicKey,
        profile,
        serialNumber: generateSerialNumber(),
        clock: this.#options.clock,
        urls: this.#options.urls,
        policyOids: resolved.policyOids,
        ...(qcStatements ? { qcStatements } : {}),
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
        ...(qcStatements ? { qcStatements } : {}),
        ...(request.csr !== undefined ? { csr: request.csr } : {}),
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
    return this.issue({
      subject: options.subject ?? subjectFromName(verified.subject),
      subjectPublicKey: verified.subjectPublicKey,
      profile: options.profile,
      ...(options.qcStatements ? { qcStatements: options.qcStatements } : {}),
      ...(options.keepCsr === true ? { csr: verified.der } : {}),
    });
  }

  /**
   * Issues (but does not store) the successor of `old`: same subject and profile (as configured
   * now: its policies, statements and validity), the given key. Used by the renewal job, which
   * stores it atomically.
   */
  async prepareSuccessor(
    old: CertificateRecord,
    subjectPublicKey: Uint8Array,
    keyRef?: KeyRef,
  ): Promise<CertificateRecord> {
    const subject = parseCertificate(old.der).tbsCertificate.subject;
    const resolved = this.#resolve(old.profile, old.qcStatements);
    const { qcStatements } = resolved;
    const issued = await issueCertificate({
      issuer: { kind: 'ca', key: this.#options.key, certificate: this.certificate },
      subject,
      subjectPublicKey,
      profile: resolved.profile,
      serialNumber: generateSerialNumber(),
      clock: this.#options.clock,
      urls: this.#options.urls,
      policyOids: resolved.policyOids,
      ...(qcStatements ? { qcStatements } : {}),
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
      ...(qcStatements ? { qcStatements } : {}),
      ...(old.csr !== undefined ? { csr: old.csr } : {}),
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
