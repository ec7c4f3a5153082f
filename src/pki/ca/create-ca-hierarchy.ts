/**
 * Bootstraps a complete trust chain in a key backend: root CA → issuing CA → {TSA, OCSP signer}
 * (RFC 5280 profiles from profiles.ts; RFC 3161 §2.3 TSA and RFC 6960 §4.2.2.2 delegated
 * responder certificates). Keys are generated inside the backend and never leave it.
 */
import { digestForCurve, type SignatureAlgorithm } from '../../cms/algorithms.js';
import type { Clock } from '../../core/clock.js';
import type { KeyBackend, KeyRef, KeySpec } from '../../keys/key-backend.js';
import type { CaKey } from '../ca-key.js';
import type { CaStore } from '../store/ca-store.js';
import { CertificateAuthority } from './certificate-authority.js';
import { issueCertificate } from './issue-certificate.js';
import { profiles, type PkiUrls } from './profiles.js';
import { generateSerialNumber } from './serial-number.js';
import { buildSubject, type SubjectInput } from './subject.js';

/** The signature algorithm used with a key of this spec. */
export function signatureAlgorithmForKey(spec: KeySpec): SignatureAlgorithm {
  return spec.type === 'RSA'
    ? { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' }
    : { scheme: 'ECDSA', digest: digestForCurve(spec.curve) };
}

/** Inputs of createCaHierarchy. */
export interface CreateCaHierarchyOptions {
  readonly backend: KeyBackend;
  readonly store: CaStore;
  readonly clock: Clock;
  /** URLs written into the certificates the issuing CA issues. */
  readonly urls: PkiUrls;
  /** The root's URLs (its certificate and CRL) written into the issuing CA certificate. */
  readonly rootUrls?: PkiUrls;
  readonly keySpec?: KeySpec;
  /** Organisation / country put into every subject. */
  readonly organization?: string;
  readonly country?: string;
  readonly policyOids?: readonly string[];
  /** Prefix for key labels in the backend. */
  readonly labelPrefix?: string;
}

/** One party of the hierarchy: its key and certificate. */
export interface HierarchyMember {
  readonly keyRef: KeyRef;
  readonly certificate: Uint8Array;
}

/** The bootstrapped hierarchy. */
export interface CaHierarchy {
  readonly algorithm: SignatureAlgorithm;
  readonly root: HierarchyMember;
  readonly issuing: HierarchyMember;
  readonly tsa: HierarchyMember;
  readonly ocsp: HierarchyMember;
}

/**
 * Creates root, issuing CA, TSA and OCSP-signer keys and certificates.
 *
 * @example
 * ```ts
 * const h = await createCaHierarchy({ backend, store, clock: systemClock, urls });
 * ```
 */
export async function createCaHierarchy(options: CreateCaHierarchyOptions): Promise<CaHierarchy> {
  const spec: KeySpec = options.keySpec ?? { type: 'EC', curve: 'P-256' };
  const algorithm = signatureAlgorithmForKey(spec);
  const prefix = options.labelPrefix ?? 'signet-ca';
  const subject = (commonName: string): SubjectInput => ({
    commonName,
    ...(options.organization !== undefined ? { organization: options.organization } : {}),
    ...(options.country !== undefined ? { country: options.country } : {}),
  });
  const org = options.organization ?? 'Signet';

  const rootKey = await options.backend.generateKey(spec, `${prefix}-root`);
  const rootCaKey: CaKey = { backend: options.backend, ref: rootKey.ref, algorithm };
  const root = await issueCertificate({
    issuer: { kind: 'self', key: rootCaKey },
    subject: buildSubject(subject(`${org} Root CA`)),
    subjectPublicKey: rootKey.publicKey,
    profile: profiles['root-ca'],
    serialNumber: generateSerialNumber(),
    clock: options.clock,
  });

  const issuingKey = await options.backend.generateKey(spec, `${prefix}-issuing`);
  const issuing = await issueCertificate({
    issuer: { kind: 'ca', key: rootCaKey, certificate: root.der },
    subject: buildSubject(subject(`${org} Issuing CA`)),
    subjectPublicKey: issuingKey.publicKey,
    profile: profiles['issuing-ca'],
    serialNumber: generateSerialNumber(),
    clock: options.clock,
    ...(options.rootUrls ? { urls: options.rootUrls } : {}),
  });

  const ca = new CertificateAuthority({
    id: 'issuing',
    key: { backend: options.backend, ref: issuingKey.ref, algorithm },
    certificate: issuing.der,
    store: options.store,
    clock: options.clock,
    urls: options.urls,
    policyOids: options.policyOids ?? [],
  });
  const tsaKey = await options.backend.generateKey(spec, `${prefix}-tsa`);
  const tsa = await ca.issue({
    subject: subject(`${org} Timestamp Authority`),
    subjectPublicKey: tsaKey.publicKey,
    profile: 'tsa',
    keyRef: tsaKey.ref,
  });
  const ocspKey = await options.backend.generateKey(spec, `${prefix}-ocsp`);
  const ocsp = await ca.issue({
    subject: subject(`${org} OCSP Responder`),
    subjectPublicKey: ocspKey.publicKey,
    profile: 'ocsp-signer',
    keyRef: ocspKey.ref,
  });
  return {
    algorithm,
    root: { keyRef: rootKey.ref, certificate: root.der },
    issuing: { keyRef: issuingKey.ref, certificate: issuing.der },
    tsa: { keyRef: tsaKey.ref, certificate: tsa.der },
    ocsp: { keyRef: ocspKey.ref, certificate: ocsp.der },
  };
}
