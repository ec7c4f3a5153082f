/**
 * Revocation of a whole certification path (ETSI EN 319 102-1 §5.2.6 X.509 certificate
 * validation, RFC 5280 §6.1.3 (a)(3)): every certificate of the path but the trust anchor needs
 * revocation evidence — the signer's intermediate CA certificates as much as the signer's, and a
 * time-stamping authority's certificate with its CA certificates. A certificate carrying
 * id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) needs none.
 */
import type { X509Certificate } from 'node:crypto';
import { parseCertificate } from '../cms/pki-verification.js';
import type { PathResult } from './certificate-path.js';
import type { RevocationFinding } from './types.js';

/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). */
const ocspNoCheck = '1.3.6.1.5.5.7.48.1.5';

/** The status of one certificate of a path, with who asked about it. */
export interface CertificateRevocation {
  /** Common name (or whole subject) of the certificate. */
  readonly subject: string;
  /** The certificate and its issuer in the path (DER). */
  readonly certificate: Uint8Array;
  readonly issuer: Uint8Array;
  readonly finding: RevocationFinding;
}

/** Answers the status of `certificate` issued by `issuer` from the evidence at hand. */
export type RevocationLookupFn = (certificate: Uint8Array, issuer: Uint8Array) => RevocationFinding;

export function subjectName(cert: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? cert.subject.replace(/\n/g, ', ');
}

function exempt(der: Uint8Array): boolean {
  try {
    return (
      parseCertificate(der).tbsCertificate.extensions?.some((e) => e.extnID === ocspNoCheck) ??
      false
    );
  } catch {
    return false;
  }
}

/**
 * The certificates of a trusted `path` that need revocation evidence, each with its issuer:
 * from index `from` (0 = the leaf, 1 = its first CA) up to, not including, the trust anchor.
 */
export function certificatesNeedingRevocation(
  path: PathResult,
  from: number,
): { certificate: Uint8Array; issuer: Uint8Array; subject: string }[] {
  if (path.status !== 'trusted') return [];
  const out: { certificate: Uint8Array; issuer: Uint8Array; subject: string }[] = [];
  // The last certificate of a trusted path is the anchor: its status is not asked (RFC 5280 §6.1).
  for (let i = from; i < path.chain.length - 1; i++) {
    const cert = path.chain[i] as X509Certificate;
    const issuer = path.chain[i + 1] as X509Certificate;
    const der = new Uint8Array(cert.raw);
    if (exempt(der)) continue;
    out.push({ certificate: der, issuer: new Uint8Array(issuer.raw), subject: subjectName(cert) });
  }
  return out;
}

/** The revocation status of each certificate of `path` from index `from`, by `lookup`. */
export function pathRevocation(
  path: PathResult,
  from: number,
  lookup: RevocationLookupFn,
): CertificateRevocation[] {
  return certificatesNeedingRevocation(path, from).map((c) => ({
    ...c,
    finding: lookup(c.certificate, c.issuer),
  }));
}

/** True when the finding carries no usable status (nothing authentic, or `unknown`). */
export function lacksEvidence(finding: RevocationFinding): boolean {
  return finding.status === 'none' || finding.status === 'unknown';
}
