/**
 * The PAdES baseline level a signature reaches with the data in its document (ETSI EN 319 142-1
 * §6): B-B, B-T (a time-stamp gives proof of existence), B-LT (the DSS holds the validation data
 * of the signer's whole path and of the path of a time-stamping authority that gives B-T, §5.4.2
 * and §6.3, fresh for the times they speak about), B-LTA (a document timestamp covers a revision whose DSS already held all of that).
 */
import type { ValidationMaterial } from '../pades/index.js';
import { buildCertificatePath, type PathResult } from './certificate-path.js';
import { revocationInDss } from './dss-revocation.js';
import { certificatesNeedingRevocation, uncheckedByPolicy } from './path-revocation.js';
import { freshRevocation } from './revocation-freshness.js';
import type { VerifiedTimestamp } from './timestamp-token.js';
import type { SignatureReport } from './types.js';
import type { ValidationPolicy } from './validation-policy.js';

/** A certificate of a path and its issuer, whose revocation evidence a B-LT DSS must hold. */
interface EvidenceLink {
  readonly certificate: Uint8Array;
  readonly issuer: Uint8Array;
}

/**
 * The links of `path` whose validation data a B-LT DSS must hold (EN 319 142-1 §5.4.2 and §6.3:
 * the DSS carries the revocation data of the whole path, not the signer's alone): every
 * certificate but the trust anchor, without id-pkix-ocsp-nocheck, and without the CA
 * certificates the policy lets pass unchecked; for a path without an anchor, every link found.
 * Undefined when not even the first certificate's issuer is known.
 */
function evidenceNeeded(
  path: PathResult,
  policy: ValidationPolicy,
): readonly EvidenceLink[] | undefined {
  // A path that reached an anchor but has expired since is what B-LTA is for: the same links.
  if (path.status === 'trusted' || path.status === 'expired') {
    return certificatesNeedingRevocation({ ...path, status: 'trusted' }, 0).filter(
      (c) => !uncheckedByPolicy(c, policy),
    );
  }
  if (path.chain.length < 2) return undefined;
  return path.chain.slice(0, -1).map((c, i) => ({
    certificate: new Uint8Array(c.raw),
    issuer: new Uint8Array((path.chain[i + 1] as (typeof path.chain)[number]).raw),
  }));
}

/** What {@link padesLevel} weighs. */
export interface LevelFacts {
  /** The signer's path (built at validation time). */
  readonly signerPath: PathResult | undefined;
  /** The time-stamps that give proof of existence: signature-time-stamps and later document timestamps. */
  readonly poe: readonly VerifiedTimestamp[];
  /** The byte offsets where the revisions covered by later valid document timestamps end. */
  readonly laterDocumentTimestampEnds: readonly number[];
  /** The document's DSS, and the DSS of the revision ending at an offset. */
  readonly dss: ValidationMaterial;
  readonly dssCoveredBy: (end: number) => ValidationMaterial;
  /** Certificates to build the time-stamping authorities' paths with (CMS and DSS). */
  readonly pool: readonly Uint8Array[];
  readonly trustAnchors: readonly Uint8Array[];
  readonly now: Date;
  readonly policy: ValidationPolicy;
}

/** The baseline level of a CAdES-detached signature that did not fail (see the module header). */
export function padesLevel(facts: LevelFacts): NonNullable<SignatureReport['level']> {
  const { poe, policy, now } = facts;
  if (poe.length === 0) return 'B-B';
  const signerNeeds = facts.signerPath ? evidenceNeeded(facts.signerPath, policy) : undefined;
  const tsaNeeds = poe.map((t) =>
    t.tsaCertificate
      ? evidenceNeeded(
          buildCertificatePath(
            t.tsaCertificate,
            [...t.certificates, ...facts.pool],
            facts.trustAnchors,
            t.report.genTime ?? now,
          ),
          policy,
        )
      : undefined,
  );
  // EN 319 102-1 §5.2.5: evidence is held only when fresh for the time it speaks about — the
  // signer's path for the best-signature-time (the first proof of existence), a time-stamping
  // authority's path for its token's genTime.
  const genTimes = poe.map((t) => t.report.genTime ?? now);
  const bestSignatureTime = new Date(Math.min(...genTimes.map((d) => d.getTime())));
  const held = (
    needs: readonly EvidenceLink[] | undefined,
    dssState: ValidationMaterial,
    at: Date,
  ): boolean =>
    needs !== undefined &&
    needs.every(
      (c) => freshRevocation(revocationInDss(c.certificate, c.issuer, dssState, now), at, policy).status !== 'none',
    );
  const lt = (dssState: ValidationMaterial): boolean =>
    held(signerNeeds, dssState, bestSignatureTime) &&
    tsaNeeds.some((needs, i) => held(needs, dssState, genTimes[i] as Date));
  if (!lt(facts.dss)) return 'B-T';
  return facts.laterDocumentTimestampEnds.some((end) => lt(facts.dssCoveredBy(end)))
    ? 'B-LTA'
    : 'B-LT';
}
