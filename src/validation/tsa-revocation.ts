/**
 * The revocation status of a time-stamping authority's path (EN 319 102-1 §5.4 time-stamp
 * validation with §5.2.6 X.509 validation): a certificate revoked at or before the token's
 * genTime makes the token prove nothing; one revoked later is a warning; certificates without
 * evidence are split by the policy into those it requires and CA certificates it lets pass
 * unchecked. Evidence counts only when fresh for the token's genTime (§5.2.5: the time the token
 * speaks about; evidence whose validity ended before it says nothing of it). Also the words of
 * those verdicts, shared with the signer's.
 */
import { buildCertificatePath } from './certificate-path.js';
import {
  missingEvidence,
  pathRevocation,
  type CertificateRevocation,
  type RevocationLookupFn,
} from './path-revocation.js';
import { notFreshMessage, type FreshnessTime } from './revocation-freshness.js';
import type { VerifiedTimestamp } from './timestamp-token.js';
import type { Finding, ValidationCheck } from './types.js';
import type { ValidationPolicy } from './validation-policy.js';

/** What the revocation evidence says about a time-stamping authority's path. */
export interface TsaRevocation {
  /** The token's genTime, which the evidence was judged fresh or not for. */
  readonly genTime?: Date;
  /** A certificate of the path revoked at or before genTime: the token proves nothing. */
  readonly revokedBefore?: CertificateRevocation;
  readonly revokedAfter: readonly CertificateRevocation[];
  /** Certificates of the path without revocation evidence the policy requires. */
  readonly missing: readonly CertificateRevocation[];
  /** CA certificates without evidence or any revocation source, which the policy lets pass unchecked. */
  readonly unchecked: readonly CertificateRevocation[];
}

/** The revocation status of the TSA certificate and its CA certificates (EN 319 102-1 §5.4, §5.2.6). */
export function tsaRevocation(
  t: VerifiedTimestamp,
  pool: readonly Uint8Array[],
  anchors: readonly Uint8Array[],
  /** The lookup (DSS, then online) that keeps only evidence fresh for a time. */
  freshLookupAt: (time: Date) => RevocationLookupFn,
  policy: ValidationPolicy,
): TsaRevocation {
  if (t.tsaCertificate === undefined) return { missing: [], unchecked: [], revokedAfter: [] };
  const genTime = t.report.genTime ?? new Date(0);
  const path = buildCertificatePath(
    t.tsaCertificate,
    [...t.certificates, ...pool],
    anchors,
    genTime,
  );
  const status = pathRevocation(path, 0, freshLookupAt(genTime));
  const revoked = status.filter((c) => c.finding.status === 'revoked');
  const { required, unchecked } = missingEvidence(status, policy);
  const before = revoked.find(
    (c) => (c.finding.revocationTime?.getTime() ?? -Infinity) <= genTime.getTime(),
  );
  return {
    genTime,
    ...(before ? { revokedBefore: before } : {}),
    revokedAfter: revoked.filter((c) => c !== before),
    missing: required,
    unchecked,
  };
}

/**
 * The warning that a CA certificate's status was not checked, as the policy allows: no evidence
 * is at hand, or what is at hand is not fresh for `judged.time` (§5.2.5; then it says why).
 */
export function uncheckedMessage(
  c: CertificateRevocation,
  policy: ValidationPolicy,
  judged: { readonly time: Date; readonly at: FreshnessTime },
): string {
  const evidence =
    c.finding.fresh === false
      ? notFreshMessage('it', c.finding, judged.time, policy, judged.at)
      : 'no evidence is at hand';
  return `the revocation status of the CA certificate ${c.subject} was not checked: it names no CRL distribution point and no OCSP responder, and ${evidence} (validation policy ${policy.name}: caWithoutRevocationSource warning)`;
}

export function uncheckedFinding(message: string, check: ValidationCheck): Finding {
  return { code: 'ERR_VALIDATION_NO_REVOCATION', check, severity: 'warning', message };
}

export function revokedMessage(c: CertificateRevocation, when: string): string {
  const said = c.finding.origin === 'online' ? 'an online lookup says' : 'the DSS says';
  const at = c.finding.revocationTime ? ` (${c.finding.revocationTime.toISOString()})` : '';
  return `${said} ${c.subject} was revoked${at} ${when}`;
}

/**
 * The error for a certificate of a time-stamping authority's path without usable evidence: its
 * evidence is not fresh for the token's genTime (§5.2.5), or there is none (`whyNone` says why).
 */
export function tsaMissingEvidence(
  c: CertificateRevocation,
  genTime: Date | undefined,
  policy: ValidationPolicy,
  whyNone: string,
): { readonly code: 'ERR_VALIDATION_REVOCATION_NOT_FRESH' | 'ERR_VALIDATION_NO_REVOCATION'; readonly message: string } {
  const what = `${c.subject} in the time-stamping authority's path`;
  return c.finding.fresh === false && genTime !== undefined
    ? { code: 'ERR_VALIDATION_REVOCATION_NOT_FRESH', message: notFreshMessage(what, c.finding, genTime, policy, 'gen-time') }
    : { code: 'ERR_VALIDATION_NO_REVOCATION', message: `no revocation evidence for ${what}: none in the document, and ${whyNone}` };
}
