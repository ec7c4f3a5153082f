/**
 * The proof of existence of a signature (ETSI EN 319 102-1 §5.6.2.1 past signature validation):
 * its signature-time-stamps and the document timestamps over a later revision that validate
 * (§5.4). A signature-time-stamp that is there but broken — unreadable, its imprint not over this
 * signature value, its own signature invalid, or its authority revoked before its genTime — is a
 * claim that fails (the signature's constraints are not met); one whose authority's path has no
 * usable revocation evidence proves nothing, and the evidence it lacks is reported with the
 * signer's.
 */
import type { DocTimestamp } from './document-timestamp.js';
import type { CertificateRevocation } from './path-revocation.js';
import type { VerifiedTimestamp } from './timestamp-token.js';
import { revokedMessage, uncheckedMessage, type TsaRevocation } from './tsa-revocation.js';
import type { ValidationPolicy } from './validation-policy.js';
import type { VerdictDraft } from './verdict-draft.js';

/** A certificate of a time-stamping authority's path without usable evidence, and its token's genTime. */
export interface MissingTsaEvidence {
  readonly c: CertificateRevocation;
  readonly genTime?: Date;
}

/** What gives a signature proof of existence, and what kept other time-stamps from giving it. */
export interface ProofOfExistence {
  /** The valid time-stamps: signature-time-stamps, then later document timestamps. */
  readonly poe: readonly VerifiedTimestamp[];
  /** The later document timestamps among them. */
  readonly later: readonly DocTimestamp[];
  /** The earliest genTime among them, ms; Infinity without one. */
  readonly poeTime: number;
  /** A signature-time-stamp failed as a claim (EN 319 102-1 §5.4). */
  readonly brokenTimestamp: boolean;
  readonly missingTsaEvidence: readonly MissingTsaEvidence[];
}

/**
 * Weighs `own` (the signature's signature-time-stamps) and the document's timestamps over a
 * revision ending after `end` (where the signature's revision ends), each authority's path judged
 * by `tsaStateOf`; errors and warnings go to `draft`.
 */
export function proofOfExistence(
  own: readonly VerifiedTimestamp[],
  docTimestamps: readonly DocTimestamp[],
  end: number,
  tsaStateOf: (t: VerifiedTimestamp) => TsaRevocation,
  policy: ValidationPolicy,
  draft: VerdictDraft,
): ProofOfExistence {
  let brokenTimestamp = false;
  for (const t of own.filter((o) => !o.report.isValid)) {
    brokenTimestamp ||= t.report.problems.some(
      (p) => p.startsWith('the token cannot') || p.startsWith('the messageImprint') || p.startsWith('token signature'),
    );
    draft.error('ERR_VALIDATION_SIGNATURE_TIMESTAMP', 'time-stamp', `signature timestamp: ${t.report.problems.join('; ')}`);
  }
  const missingTsaEvidence: MissingTsaEvidence[] = [];
  const usable = own.filter((t) => {
    if (!t.report.isValid) return false;
    const state = tsaStateOf(t);
    if (state.revokedBefore !== undefined) {
      brokenTimestamp = true;
      draft.error(
        'ERR_VALIDATION_REVOKED',
        'time-stamp',
        `signature timestamp: ${revokedMessage(state.revokedBefore, 'before the time-stamp was issued')}`,
      );
      return false;
    }
    for (const c of state.revokedAfter)
      draft.warning('ERR_VALIDATION_REVOKED', 'time-stamp', `signature timestamp: ${revokedMessage(c, 'after the time-stamp was issued')}`);
    for (const c of state.unchecked)
      draft.warning(
        'ERR_VALIDATION_NO_REVOCATION',
        'time-stamp',
        `signature timestamp: ${uncheckedMessage(c, policy, { time: state.genTime ?? new Date(0), at: 'gen-time' })}`,
      );
    if (state.missing.length > 0) {
      for (const c of state.missing) missingTsaEvidence.push({ c, ...(state.genTime ? { genTime: state.genTime } : {}) });
      return false;
    }
    return true;
  });
  const later = docTimestamps.filter((d) => {
    if (!d.verified.report.isValid || d.end <= end) return false;
    const state = tsaStateOf(d.verified);
    // Its own report says why; here it only stops counting as proof of existence.
    return state.revokedBefore === undefined && state.missing.length === 0;
  });
  const poe = [...usable, ...later.map((d) => d.verified)];
  const poeTime = poe.map((t) => t.report.genTime?.getTime() ?? Infinity).reduce((a, b) => Math.min(a, b), Infinity);
  return { poe, later, poeTime, brokenTimestamp, missingTsaEvidence };
}
