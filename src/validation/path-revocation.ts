/**
 * Revocation of a whole certification path (ETSI EN 319 102-1 §5.2.6 X.509 certificate
 * validation, RFC 5280 §6.1.3 (a)(3)): every certificate of the path but the trust anchor needs
 * revocation evidence — the signer's intermediate CA certificates as much as the signer's, and a
 * time-stamping authority's certificate with its CA certificates. A certificate carrying
 * id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) needs none.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  id_ad_ocsp,
  id_ce_cRLDistributionPoints,
  id_ce_freshestCRL,
  id_pe_authorityInfoAccess,
  type Certificate,
} from '@peculiar/asn1-x509';
import { parseCertificate } from '../cms/pki-verification.js';
import type { PathResult } from './certificate-path.js';
import type { RevocationFinding } from './types.js';
import type { ValidationPolicy } from './validation-policy.js';

/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). */
const ocspNoCheck = '1.3.6.1.5.5.7.48.1.5';

/** A certificate of a path that needs revocation evidence, with its issuer in the path. */
export interface CertificateNeedingRevocation {
  /** Common name (or whole subject) of the certificate. */
  readonly subject: string;
  readonly certificate: Uint8Array;
  readonly issuer: Uint8Array;
  /** A CA certificate of the path (not the path's first certificate). */
  readonly isCa: boolean;
  /**
   * It names where its status is published: a CRL distribution point or freshest CRL (RFC 5280
   * §4.2.1.13, §4.2.1.15) or an OCSP responder in its AIA (§4.2.2.1).
   */
  readonly namesRevocationSource: boolean;
}

/** The status of one certificate of a path, with who asked about it. */
export interface CertificateRevocation extends CertificateNeedingRevocation {
  readonly finding: RevocationFinding;
}

/** Answers the status of `certificate` issued by `issuer` from the evidence at hand. */
export type RevocationLookupFn = (certificate: Uint8Array, issuer: Uint8Array) => RevocationFinding;

export function subjectName(cert: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? cert.subject.replace(/\n/g, ', ');
}

function parsed(der: Uint8Array): Certificate | undefined {
  try {
    return parseCertificate(der);
  } catch {
    return undefined;
  }
}

/** What a certificate says about its own revocation, remembered by fingerprint (bounded; a pure function of the bytes). */
interface RevocationFacts {
  readonly noCheck: boolean;
  readonly namesRevocationSource: boolean;
}
const factsMemo = new Map<string, RevocationFacts>();
const MAX_FACTS = 1024;

function revocationFacts(der: Uint8Array): RevocationFacts {
  const key = createHash('sha256').update(der).digest('hex');
  let facts = factsMemo.get(key);
  if (facts === undefined) {
    const asn = parsed(der);
    facts = { noCheck: exempt(asn), namesRevocationSource: namesRevocationSource(asn) };
    if (factsMemo.size >= MAX_FACTS) factsMemo.clear();
    factsMemo.set(key, facts);
  }
  return facts;
}

function exempt(cert: Certificate | undefined): boolean {
  return cert?.tbsCertificate.extensions?.some((e) => e.extnID === ocspNoCheck) ?? false;
}

function namesRevocationSource(cert: Certificate | undefined): boolean {
  // An unreadable certificate is not given the benefit of the doubt.
  if (cert === undefined) return true;
  const extensions = cert.tbsCertificate.extensions ?? [];
  if (extensions.some((e) => e.extnID === id_ce_cRLDistributionPoints || e.extnID === id_ce_freshestCRL)) return true;
  const aia = extensions.find((e) => e.extnID === id_pe_authorityInfoAccess);
  if (aia === undefined) return false;
  try {
    return AsnConvert.parse(aia.extnValue, AuthorityInfoAccessSyntax).some((d) => d.accessMethod === id_ad_ocsp);
  } catch {
    return true;
  }
}

/**
 * The certificates of a trusted `path` that need revocation evidence, each with its issuer:
 * from index `from` (0 = the leaf, 1 = its first CA) up to, not including, the trust anchor.
 */
export function certificatesNeedingRevocation(
  path: PathResult,
  from: number,
): CertificateNeedingRevocation[] {
  if (path.status !== 'trusted') return [];
  const out: CertificateNeedingRevocation[] = [];
  // The last certificate of a trusted path is the anchor: its status is not asked (RFC 5280 §6.1).
  for (let i = from; i < path.chain.length - 1; i++) {
    const cert = path.chain[i] as X509Certificate;
    const issuer = path.chain[i + 1] as X509Certificate;
    const der = new Uint8Array(cert.raw);
    const facts = revocationFacts(der);
    if (facts.noCheck) continue;
    out.push({
      certificate: der,
      issuer: new Uint8Array(issuer.raw),
      subject: subjectName(cert),
      isCa: i > 0,
      namesRevocationSource: facts.namesRevocationSource,
    });
  }
  return out;
}

/**
 * True when `policy` lets `c` go without revocation evidence: a CA certificate that names no CRL
 * distribution point and no OCSP responder, under `revocation.caWithoutRevocationSource:
 * "warning"` (EN 319 102-1 §5.2.4 and §5.2.6: the X.509 validation constraints say for which
 * certificates of the chain revocation is checked; TS 119 172-1's CA revocation requirement
 * "noCheck"). Its status stays unknown, and the report says so in a warning.
 */
export function uncheckedByPolicy(c: CertificateNeedingRevocation, policy: ValidationPolicy): boolean {
  return c.isCa && !c.namesRevocationSource && policy.revocation.caWithoutRevocationSource === 'warning';
}

/**
 * The certificates of `status` without revocation evidence, split by `policy`: those whose
 * missing evidence decides the indication (INDETERMINATE / TRY_LATER), and the CA certificates
 * it lets pass unchecked ({@link uncheckedByPolicy}).
 */
export function missingEvidence(
  status: readonly CertificateRevocation[],
  policy: ValidationPolicy,
): { readonly required: CertificateRevocation[]; readonly unchecked: CertificateRevocation[] } {
  const missing = status.filter((c) => lacksEvidence(c.finding));
  const unchecked = missing.filter((c) => c.finding.status === 'none' && uncheckedByPolicy(c, policy));
  return { required: missing.filter((c) => !unchecked.includes(c)), unchecked };
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
