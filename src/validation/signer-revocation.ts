/**
 * The revocation verdict of a signature (ETSI EN 319 102-1 §5.2.6 X.509 validation, weighed by
 * §5.5.4 and §5.6.2.1 against the proof of existence): the signer's certificate and every CA
 * certificate of its path but the anchor, from the DSS (docs/security.md V15) or an online
 * lookup, fresh for the best-signature-time (§5.2.5).
 */
import type { PathResult } from './certificate-path.js';
import { missingEvidence, pathRevocation, type RevocationLookupFn } from './path-revocation.js';
import type { MissingTsaEvidence } from './proof-of-existence.js';
import { notFreshMessage } from './revocation-freshness.js';
import { revokedMessage, tsaMissingEvidence, uncheckedMessage } from './tsa-revocation.js';
import type { RevocationFinding } from './types.js';
import type { ValidationPolicy } from './validation-policy.js';
import type { VerdictDraft } from './verdict-draft.js';

/** What {@link judgeSignerRevocation} weighs. */
export interface SignerRevocationFacts {
  /** The signer certificate's status, fresh for `bestTime` (undefined without a signer and issuer). */
  readonly revocation: RevocationFinding | undefined;
  readonly signerPath: PathResult | undefined;
  /** The lookup (DSS, then online) keeping evidence fresh for `bestTime`. */
  readonly freshLookup: RevocationLookupFn;
  /** The earliest proof of existence, ms; Infinity without one. */
  readonly poeTime: number;
  readonly bestTime: Date;
  readonly claimedSigningTime: Date | undefined;
  readonly missingTsaEvidence: readonly MissingTsaEvidence[];
  /** The caller asked for revocation checking (online or offline). */
  readonly checked: boolean;
  /** Why no evidence was found online, in words. */
  readonly whyNone: string;
  readonly policy: ValidationPolicy;
}

/** Adds the revocation verdict to `draft` (see the module header). */
export function judgeSignerRevocation(draft: VerdictDraft, facts: SignerRevocationFacts): void {
  const { revocation, poeTime, policy, whyNone } = facts;
  const said = revocation?.origin === 'online' ? 'an online lookup says' : 'the DSS says';
  if (revocation?.status === 'revoked' && draft.indication !== 'TOTAL-FAILED') {
    const at = revocation.revocationTime?.getTime() ?? -Infinity;
    const claimed = facts.claimedSigningTime?.getTime();
    if (poeTime === Infinity && claimed !== undefined && at <= claimed) {
      // EN 319 102-1 §5.5.4: even the time the signer claims is after the revocation — the
      // signature was made with a revoked certificate.
      draft.set('TOTAL-FAILED', 'REVOKED');
      draft.error('ERR_VALIDATION_REVOKED', 'revocation', `${said} the signer certificate was revoked (${new Date(at).toISOString()}) before the claimed signing time`);
    } else if (poeTime === Infinity) {
      draft.set('INDETERMINATE', 'REVOKED_NO_POE');
      draft.error('ERR_VALIDATION_REVOKED', 'revocation', `${said} the signer certificate is revoked, and no timestamp proves the signature existed before`);
    } else if (at <= poeTime) {
      draft.set('TOTAL-FAILED', 'REVOKED');
      draft.error('ERR_VALIDATION_REVOKED', 'revocation', `the signer certificate was revoked (${new Date(at).toISOString()}) before the signature's first timestamp`);
    } else {
      draft.warning('ERR_VALIDATION_REVOKED', 'revocation', `the signer certificate was revoked on ${new Date(at).toISOString()}, after the signature's timestamp`);
    }
  }
  // EN 319 102-1 §5.2.6: every certificate of the path but the anchor is checked; a revoked CA
  // certificate is INDETERMINATE / REVOKED_CA_NO_POE unless a time-stamp proves the signature
  // existed before the revocation (§5.6.2.1 past signature validation).
  const caStatus = facts.checked && facts.signerPath ? pathRevocation(facts.signerPath, 1, facts.freshLookup) : [];
  for (const ca of caStatus.filter((c) => c.finding.status === 'revoked')) {
    const at = ca.finding.revocationTime?.getTime() ?? -Infinity;
    if (poeTime < at) {
      draft.warning('ERR_VALIDATION_REVOKED', 'revocation', revokedMessage(ca, "after the signature's first timestamp"));
      continue;
    }
    if (draft.indication !== 'TOTAL-FAILED') draft.set('INDETERMINATE', 'REVOKED_CA_NO_POE');
    const when = poeTime === Infinity ? 'and no timestamp proves the signature existed before' : "before the signature's first timestamp";
    draft.error('ERR_VALIDATION_REVOKED', 'revocation', revokedMessage(ca, when));
  }
  // EN 319 102-1 §5.2.6: without revocation evidence the status of the signer certificate is
  // not known (TRY_LATER: evidence may be obtained later), never TOTAL-PASSED.
  const noEvidence = revocation === undefined || revocation.status === 'none' || revocation.status === 'unknown';
  const { required: missingCa, unchecked: uncheckedCa } = missingEvidence(caStatus, policy);
  const timestamped = poeTime !== Infinity;
  const judgedAt = timestamped ? 'first-time-stamp' : 'validation-time';
  for (const c of uncheckedCa)
    draft.warning('ERR_VALIDATION_NO_REVOCATION', 'revocation', uncheckedMessage(c, policy, { time: facts.bestTime, at: judgedAt }));
  const missingTsa = facts.missingTsaEvidence;
  if (facts.checked && policy.revocation.requireEvidence && draft.passed && (noEvidence || missingCa.length > 0 || missingTsa.length > 0)) {
    // §5.2.5 with §5.6.2.1: evidence that is there but not fresh for the time a time-stamp
    // proves is REVOCATION_OUT_OF_BOUNDS_NO_POE; without a time-stamp, fresher evidence may come.
    const staleSigner = revocation?.fresh === false;
    const stale = staleSigner || missingCa.some((c) => c.finding.fresh === false) || missingTsa.some(({ c }) => c.finding.fresh === false);
    draft.set('INDETERMINATE', stale && timestamped ? 'REVOCATION_OUT_OF_BOUNDS_NO_POE' : 'TRY_LATER');
    if (noEvidence && staleSigner && revocation)
      draft.error('ERR_VALIDATION_REVOCATION_NOT_FRESH', 'revocation', notFreshMessage('the signer certificate', revocation, facts.bestTime, policy, judgedAt));
    else if (noEvidence)
      draft.error('ERR_VALIDATION_NO_REVOCATION', 'revocation', `no revocation evidence for the signer certificate: none in the document, and ${whyNone}`);
    for (const c of missingCa)
      if (c.finding.fresh === false)
        draft.error('ERR_VALIDATION_REVOCATION_NOT_FRESH', 'revocation', notFreshMessage(`the CA certificate ${c.subject}`, c.finding, facts.bestTime, policy, judgedAt));
      else
        draft.error('ERR_VALIDATION_NO_REVOCATION', 'revocation', `no revocation evidence for the CA certificate ${c.subject}: none in the document, and ${whyNone}`);
    for (const { c, genTime } of missingTsa) {
      const { code, message } = tsaMissingEvidence(c, genTime, policy, whyNone);
      draft.error(code, 'time-stamp', `signature timestamp: ${message}`);
    }
  } else if (noEvidence && !facts.checked && draft.passed) {
    draft.info(
      'ERR_VALIDATION_NO_REVOCATION',
      'revocation',
      revocation?.fresh === false
        ? 'the revocation status of the signer certificate was not checked (the evidence in the document is not fresh for the best-signature-time, none asked for)'
        : 'the revocation status of the signer certificate was not checked (no revocation evidence in the document, none asked for)',
    );
  }
  // V15 (PDF-32): revocation data about the signer that is not authentic is a planted answer,
  // not evidence; with no authentic status the signature cannot be TOTAL-PASSED.
  const rejected = revocation?.rejectedOcspResponses ?? 0;
  if (rejected > 0 && (revocation?.status === 'none' || revocation?.status === 'unknown') && draft.passed) {
    draft.set('INDETERMINATE', undefined);
    draft.error(
      'ERR_VALIDATION_NO_REVOCATION',
      'revocation',
      `the DSS holds ${rejected} OCSP response(s) about the signer certificate that are not authentic evidence; its revocation status is unknown`,
    );
  }
}
