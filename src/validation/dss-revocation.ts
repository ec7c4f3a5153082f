/**
 * Revocation status of a certificate from the evidence stored in a DSS (ETSI EN 319 142-1
 * §5.4.2; docs/security.md V15): OCSP responses count only when signed by the issuer or its
 * authorised responder, CRLs only when signed by the issuer. Freshness against "now" is not
 * asked: archived evidence is judged at the time it speaks about; but an OCSP response speaking
 * about a time after the validation time (beyond the skew) is no evidence (docs/security.md ASN-11).
 */
import { createHash } from 'node:crypto';
import { fixedClock } from '../core/clock.js';
import type { ValidationMaterial } from '../pades/index.js';
import { defaultOcspMaxSkewMs, parseCertificate, serialToHex, verifyCrl, verifyOcspEvidence } from '../cms/pki-verification.js';
import type { RevocationEvidence, RevocationFinding } from './types.js';

const rank = { none: 0, unknown: 1, good: 2, revoked: 3 } as const;

type OcspVerdict = ReturnType<typeof verifyOcspEvidence> | 'rejected';

/**
 * Verdicts of OCSP responses already verified for the same (certificate, issuer): the level
 * analysis asks the DSS of several revisions, which repeat the same responses, and a server
 * validates documents that carry the same responses (bench/validation: most of a B-LTA report's
 * time went to re-verifying them). A pure function of its key — the validation time is applied
 * after it (see {@link speaksAfter}) — and bounded.
 */
const ocspVerdicts = new Map<string, OcspVerdict>();
const MAX_OCSP_VERDICTS = 512;

function ocspVerdict(response: Uint8Array, subject: string, verify: () => ReturnType<typeof verifyOcspEvidence>): OcspVerdict {
  const key = `${subject}:${createHash('sha256').update(response).digest('hex')}`;
  const known = ocspVerdicts.get(key);
  if (known !== undefined || ocspVerdicts.has(key)) return known;
  let verdict: OcspVerdict;
  try {
    verdict = verify();
  } catch {
    verdict = 'rejected';
  }
  if (ocspVerdicts.size >= MAX_OCSP_VERDICTS) ocspVerdicts.clear();
  ocspVerdicts.set(key, verdict);
  return verdict;
}

/**
 * True when an authentic response speaks about a time after `at`, the validation time, beyond the
 * tolerated skew (docs/security.md ASN-11): it is no evidence then, as verifyOcspEvidence's `at`.
 */
function speaksAfter(e: NonNullable<ReturnType<typeof verifyOcspEvidence>>, at: Date): boolean {
  return e.thisUpdate.getTime() > at.getTime() + defaultOcspMaxSkewMs;
}

/** Serial numbers by certificate fingerprint (bounded; each DSS question would parse the certificate again). */
const serials = new Map<string, string | undefined>();

function serialOf(certificate: Uint8Array): string | undefined {
  const key = createHash('sha256').update(certificate).digest('hex');
  if (serials.has(key)) return serials.get(key);
  let serialHex: string | undefined;
  try {
    serialHex = serialToHex(parseCertificate(certificate).tbsCertificate.serialNumber);
  } catch {
    serialHex = undefined;
  }
  if (serials.size >= MAX_OCSP_VERDICTS) serials.clear();
  serials.set(key, serialHex);
  return serialHex;
}

/**
 * What the DSS says about `certificate` issued by `issuer`: `revoked` wins over `good` (a later
 * response may not undo a revocation), `none` when no authentic evidence speaks about it.
 *
 * @example
 * ```ts
 * const finding = revocationFromDss(signerDer, issuerDer, readDss(doc), new Date());
 * ```
 */
export function revocationFromDss(
  certificate: Uint8Array,
  issuer: Uint8Array,
  dss: ValidationMaterial,
  at?: Date,
): RevocationFinding {
  let finding: RevocationFinding = { status: 'none', source: undefined };
  const evidence: RevocationEvidence[] = [];
  const consider = (next: RevocationFinding, times: { thisUpdate: Date; nextUpdate?: Date | undefined }): void => {
    if (next.status !== 'none' && next.source !== undefined) {
      evidence.push({
        status: next.status,
        source: next.source,
        thisUpdate: times.thisUpdate,
        ...(times.nextUpdate ? { nextUpdate: times.nextUpdate } : {}),
      });
    }
    if (rank[next.status] > rank[finding.status]) finding = { ...next, ...(finding.rejectedOcspResponses ? { rejectedOcspResponses: finding.rejectedOcspResponses } : {}) };
  };
  const withEvidence = (): RevocationFinding => (evidence.length > 0 ? { ...finding, evidence } : finding);
  let rejected = 0;
  const subject = createHash('sha256').update(certificate).update(issuer).digest('hex');
  for (const response of dss.ocspResponses) {
    const e = ocspVerdict(response, subject, () => verifyOcspEvidence(response, certificate, issuer));
    if (e === 'rejected' || (e !== undefined && at !== undefined && speaksAfter(e, at))) {
      // Not authentic evidence (malformed, or about this certificate from a responder the issuer
      // did not authorise): it never counts (a forged "good", PDF-32), but it is reported.
      rejected++;
    } else if (e) consider({ status: e.status, source: 'ocsp', ...(e.revocationTime ? { revocationTime: e.revocationTime } : {}) }, e);
  }
  if (rejected > 0) finding = { ...finding, rejectedOcspResponses: rejected };
  const serialHex = serialOf(certificate);
  if (serialHex === undefined) return withEvidence();
  for (const crl of dss.crls) {
    try {
      // Epoch clock: a CRL's staleness is not the question for archived evidence.
      const result = verifyCrl(crl, issuer, fixedClock(new Date(0)));
      const entry = result.revocationOf(serialHex);
      const times = { thisUpdate: result.thisUpdate, nextUpdate: result.nextUpdate };
      consider(entry ? { status: 'revoked', source: 'crl', revocationTime: entry.time } : { status: 'good', source: 'crl' }, times);
    } catch {
      // a CRL of another issuer, or not authentic
    }
  }
  return withEvidence();
}

/**
 * revocationFromDss, remembered per evidence set and (certificate, issuer): the level analysis asks
 * the same question of the same DSS for every time-stamp and revision, and each answer verifies
 * every OCSP response and CRL in it (measured: most of a B-LTA report's time, bench/validation).
 * The validation time is fixed for one report, so it is not part of the key.
 */
const revocationMemo = new WeakMap<ValidationMaterial, Map<string, RevocationFinding>>();
export function revocationInDss(
  cert: Uint8Array,
  issuer: Uint8Array,
  material: ValidationMaterial,
  at: Date,
): RevocationFinding {
  let memo = revocationMemo.get(material);
  if (memo === undefined) {
    memo = new Map();
    revocationMemo.set(material, memo);
  }
  const key = `${at.getTime()}:${createHash('sha256').update(cert).update(issuer).digest('hex')}`;
  let finding = memo.get(key);
  if (finding === undefined) {
    finding = revocationFromDss(cert, issuer, material, at);
    memo.set(key, finding);
  }
  return finding;
}
