/**
 * Revocation freshness checker (ETSI EN 319 102-1 §5.2.5): revocation status information counts
 * for a signature only when it was issued late enough to speak about the time the signature is
 * proven to exist — the best-signature-time (the earliest usable time-stamp's genTime, else the
 * validation time; §5.6.2.1). Its issuance time is the thisUpdate of the OCSP SingleResponse or
 * of the CRL (when the status was known to be correct; an OCSP producedAt can be later for a
 * pre-produced response). It is fresh when issued at or after the best-signature-time minus the
 * maximum age: the policy's `revocation.maxAgeSeconds`, or, under `"nextUpdate"` (§5.2.5's rule
 * when the constraints give none), the evidence's own nextUpdate − thisUpdate — i.e. its validity
 * interval reaches the best-signature-time; evidence without nextUpdate then has to be issued at
 * or after it. A revocation is never made stale by age: a certificate revoked stays revoked.
 */
import type { RevocationEvidence, RevocationFinding } from './types.js';
import type { ValidationPolicy } from './validation-policy.js';

/** The policy's maximum age of revocation evidence before the best-signature-time. */
export type RevocationMaxAge = number | 'nextUpdate';

/** The policy's `revocation.maxAgeSeconds` (absent: `"nextUpdate"`). */
export function revocationMaxAge(policy: ValidationPolicy): RevocationMaxAge {
  return policy.revocation.maxAgeSeconds ?? 'nextUpdate';
}

/** Whole seconds: thisUpdate is encoded in seconds, a genTime may carry milliseconds. */
function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

/** True when `e` was issued late enough for `bestSignatureTime` under `maxAge` (EN 319 102-1 §5.2.5). */
export function isFresh(
  e: RevocationEvidence,
  bestSignatureTime: Date,
  maxAge: RevocationMaxAge,
): boolean {
  const issued = seconds(e.thisUpdate);
  const bst = seconds(bestSignatureTime);
  if (maxAge !== 'nextUpdate') return issued >= bst - maxAge;
  return e.nextUpdate === undefined ? issued >= bst : seconds(e.nextUpdate) >= bst;
}

/**
 * `finding` judged against `bestSignatureTime`: unchanged but marked `fresh: true` when a piece of
 * its evidence is fresh (its status then the strongest of the fresh pieces), status `none` and
 * `fresh: false` when it has evidence and none of it is fresh. A `revoked` or `none` finding is
 * returned as it is.
 *
 * @example
 * ```ts
 * const judged = freshRevocation(revocationInDss(signer, issuer, dss, now), genTime, policy);
 * if (judged.fresh === false) // REVOCATION_OUT_OF_BOUNDS_NO_POE (or TRY_LATER without a time-stamp)
 * ```
 */
export function freshRevocation(
  finding: RevocationFinding,
  bestSignatureTime: Date,
  policy: ValidationPolicy,
): RevocationFinding {
  const evidence = finding.evidence ?? [];
  if (finding.status === 'revoked' || finding.status === 'none' || evidence.length === 0)
    return finding;
  const maxAge = revocationMaxAge(policy);
  const fresh = evidence.filter((e) => isFresh(e, bestSignatureTime, maxAge));
  const good = fresh.find((e) => e.status === 'good');
  const best = good ?? fresh[0];
  if (best === undefined) return { ...finding, status: 'none', source: undefined, fresh: false };
  return { ...finding, status: best.status, source: best.source, fresh: true };
}

/** The latest issuance time among `finding`'s evidence (for the words of a finding). */
export function latestIssue(finding: RevocationFinding): Date | undefined {
  const times = (finding.evidence ?? []).map((e) => e.thisUpdate.getTime());
  return times.length > 0 ? new Date(Math.max(...times)) : undefined;
}

/**
 * Which time evidence was judged against: a signature's best-signature-time (its first time-stamp,
 * else the validation time), or a time-stamp token's own genTime (for its authority's path).
 */
export type FreshnessTime = 'first-time-stamp' | 'validation-time' | 'gen-time';

const timeWords: Record<FreshnessTime, string> = {
  'first-time-stamp': "the signature's best-signature-time (first time-stamp)",
  'validation-time': 'the validation time (no time-stamp)',
  'gen-time': "the time-stamp's genTime",
};

/** Why `finding`'s evidence is not fresh, in words. */
export function notFreshMessage(
  what: string,
  finding: RevocationFinding,
  bestSignatureTime: Date,
  policy: ValidationPolicy,
  judgedAt: FreshnessTime,
): string {
  const maxAge = revocationMaxAge(policy);
  const issued = latestIssue(finding)?.toISOString() ?? '?';
  const bound =
    maxAge === 'nextUpdate'
      ? 'its nextUpdate is before'
      : maxAge === 0
        ? 'it was issued before'
        : `it was issued more than ${maxAge} s before`;
  return `the revocation evidence for ${what} is not fresh (EN 319 102-1 §5.2.5): the latest was issued ${issued}, and ${bound} ${timeWords[judgedAt]} ${bestSignatureTime.toISOString()} (validation policy ${policy.name}: revocation.maxAgeSeconds ${JSON.stringify(maxAge)})`;
}
