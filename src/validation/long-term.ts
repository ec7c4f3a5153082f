/**
 * The validation processes for signatures with time and with long-term validation material
 * (ETSI EN 319 102-1 §5.5–§5.6, simplified), run after the basic validation
 * (basic-signature-validation.ts, §5.3): signature-time-stamps and later document timestamps
 * verified (§5.4; docs/security.md V14) give the proof of existence (proof-of-existence.ts); the
 * revocation status of every certificate of the signer's path comes from the DSS (V15) or an
 * online lookup and is weighed against that time (§5.6.2.1 past signature validation;
 * signer-revocation.ts), as are the algorithms; the PAdES level reached is pades-level.ts's, a
 * document timestamp's report document-timestamp.ts's.
 */
import { cmsOids, digestOf, findSignerCertificate, parseSignedData } from '../cms/index.js';
import { systemClock, type Clock } from '../core/clock.js';
import { isSignetError } from '../core/errors.js';
import {
  PdfDocument as Pdf,
  bytesSource,
  type ByteSource,
  type PdfDocument,
} from '../pdf/index.js';
import {
  digestByteRange,
  listPdfSignatures,
  readDss,
  type ValidationMaterial,
} from '../pades/index.js';
import { buildCertificatePath } from './certificate-path.js';
import { documentTimestampReport, withTsaRevocation, type DocTimestamp } from './document-timestamp.js';
import { revocationInDss } from './dss-revocation.js';
import { padesLevel } from './pades-level.js';
import type { RevocationLookupFn } from './path-revocation.js';
import { proofOfExistence } from './proof-of-existence.js';
import { incomplete } from './report-findings.js';
import { verifyTimestampToken, type VerifiedTimestamp } from './timestamp-token.js';
import { freshRevocation } from './revocation-freshness.js';
import { judgeSignerRevocation } from './signer-revocation.js';
import { tsaRevocation, type TsaRevocation } from './tsa-revocation.js';
import type { DocumentReport, SignatureReport, TimestampReport } from './types.js';
import type { FetchedRevocation } from './online-revocation.js';
import { acceptanceRefusals, publicKeyFacts, type AlgorithmFacts } from './signature-acceptance.js';
import { defaultValidationPolicy, type ValidationPolicy } from './validation-policy.js';
import { VerdictDraft } from './verdict-draft.js';
import { verifyPdfSignatures } from './verify-pdf-signatures.js';

/** Inputs of {@link addLongTermFacts}. */
export interface LongTermInput {
  readonly source: ByteSource;
  readonly doc: PdfDocument;
  readonly trustAnchors: readonly Uint8Array[];
  readonly now: Date;
  /** How revocation is checked beyond the DSS (see {@link LongTermOptions.revocation}). */
  readonly revocation?: RevocationMode;
  readonly policy?: ValidationPolicy;
}

/**
 * Revocation checking asked by the caller: `online` with the evidence fetched for this document
 * (fetchRevocationEvidence), or `offline` (none may be fetched). Either way the policy's
 * `revocation.requireEvidence` applies: no evidence, no TOTAL-PASSED.
 */
export type RevocationMode = FetchedRevocation | { readonly mode: 'offline' };

function prefix(source: ByteSource, end: number): ByteSource {
  return {
    length: end,
    read: (offset, count) => source.read(offset, Math.max(0, Math.min(count, end - offset))),
  };
}

function coveredEnd(br: readonly number[] | undefined): number {
  return br && br.length === 4 ? (br[2] as number) + (br[3] as number) : 0;
}

/**
 * Completes the basic reports of `verifyPdfSignatures` with timestamps, DSS revocation and the
 * PAdES level; document timestamps get their own verdict (their /SubFilter is not a CMS one).
 */
export function addLongTermFacts(
  reports: readonly SignatureReport[],
  input: LongTermInput,
): SignatureReport[] {
  const { source, doc, trustAnchors } = input;
  const signatures = listPdfSignatures(doc);
  // A /DSS the reader cannot read within its limits (a decompression bomb, issue 15) is no
  // evidence; every signature says that check could not finish instead of the whole report failing.
  let dss: ValidationMaterial;
  let dssUnreadable: string | undefined;
  try {
    dss = readDss(doc);
  } catch (err) {
    if (!isSignetError(err)) throw err;
    dss = { certificates: [], ocspResponses: [], crls: [] };
    dssUnreadable = `${err.code}: ${err.message}`;
  }
  const byName = new Map(signatures.map((s) => [s.fieldName, s]));
  const dssAt = new Map<number, ValidationMaterial>();
  const dssCoveredBy = (end: number): ValidationMaterial => {
    let d = dssAt.get(end);
    if (!d) {
      try {
        d = readDss(Pdf.open(prefix(source, end), doc.openOptions));
      } catch {
        d = { certificates: [], ocspResponses: [], crls: [] };
      }
      dssAt.set(end, d);
    }
    return d;
  };

  // EN 319 142-1 §5.4.2: the document's DSS first, then what was fetched online for it.
  const online = input.revocation?.mode === 'online' ? input.revocation : undefined;
  const policy = input.policy ?? defaultValidationPolicy;
  // EN 319 102-1 §5.2.5: evidence counts only when fresh for the time it must speak about — a
  // signature's best-signature-time, a time-stamp's genTime; stale DSS evidence gives way to a
  // fresh online answer.
  const freshLookupAt = (time: Date): RevocationLookupFn => (cert, issuer) => {
    const inDss = freshRevocation({ ...revocationInDss(cert, issuer, dss, input.now), origin: 'dss' }, time, policy);
    if (inDss.status === 'none' && online) {
      const fetched = freshRevocation(revocationInDss(cert, issuer, online.material, input.now), time, policy);
      if (fetched.status !== 'none') return { ...fetched, origin: 'online' };
    }
    return inDss;
  };

  // Document timestamps first: signatures before them use them for B-T and B-LTA.
  const docTimestamps: DocTimestamp[] = [];
  for (const r of reports) {
    const sig = byName.get(r.fieldName);
    const br = r.byteRange;
    if (!sig?.isDocumentTimestamp || !sig.container || !br) continue;
    const verified = verifyTimestampToken(sig.container, {
      kind: 'document',
      digestOfCovered: (alg) =>
        digestByteRange(source, new Uint8Array(0), br as [number, number, number, number], alg),
      trustAnchors,
      pool: dss.certificates,
      now: input.now,
    });
    docTimestamps.push({ sig, verified, end: coveredEnd(br) });
  }

  return reports.map((r): SignatureReport => {
    let report: SignatureReport;
    try {
      report = longTermReport(r);
    } catch (err) {
      // V16: a reader limit inside one signature's long-term checks leaves that signature open.
      if (!isSignetError(err)) throw err;
      report = incomplete(
        r,
        'time-stamp',
        `the long-term checks (time-stamps, revocation, later revisions) could not finish: ${err.code}: ${err.message}`,
      );
    }
    return dssUnreadable === undefined
      ? report
      : incomplete(
          report,
          'revocation',
          `the document's DSS cannot be read (${dssUnreadable}); the validation data in it was not used`,
        );
  });

  function longTermReport(r: SignatureReport): SignatureReport {
    const sig = byName.get(r.fieldName);
    if (!sig) return r;
    if (sig.isDocumentTimestamp) {
      const ts = docTimestamps.find((d) => d.sig === sig);
      const report = documentTimestampReport(r, ts, input);
      return ts && input.revocation !== undefined
        ? withTsaRevocation(
            report,
            tsaRevocation(ts.verified, dss.certificates, trustAnchors, freshLookupAt, policy),
            input,
          )
        : report;
    }
    if (!sig.container) return r;

    let signer: Uint8Array | undefined;
    let pool: Uint8Array[] = [...dss.certificates];
    const own: VerifiedTimestamp[] = [];
    let algorithms: AlgorithmFacts | undefined;
    try {
      const sd = parseSignedData(sig.container, undefined, { algorithms: 'verifiable' });
      const si = sd.signerInfos[0];
      pool = [...sd.certificates, ...pool];
      signer = si ? findSignerCertificate(sd, si) : undefined;
      if (si && signer) {
        const sha1 = sig.dict.getName('SubFilter') === 'adbe.pkcs7.sha1' ? (['SHA-1'] as const) : [];
        algorithms = { digests: [si.digestAlgorithm, si.signatureAlgorithm.digest, ...sha1], publicKey: publicKeyFacts(signer) };
      }
      for (const attr of si?.unsignedAttributes ?? []) {
        if (attr.oid !== cmsOids.id_aa_signatureTimeStampToken) continue;
        for (const token of attr.values) {
          own.push(
            // EN 319 122-1 §5.3: the imprint covers the SignerInfo's signature value.
            verifyTimestampToken(token, {
              kind: 'signature',
              digestOfCovered: (alg) => digestOf(alg, si?.signature ?? new Uint8Array(0)),
              trustAnchors,
              pool,
              now: input.now,
            }),
          );
        }
      }
    } catch {
      return r;
    }
    const timestamps: TimestampReport[] = own.map((t) => t.report);
    const draft = new VerdictDraft(r);
    const checked = input.revocation !== undefined;
    // EN 319 102-1 §5.4 (time-stamp validation): a TSA whose path was revoked before genTime gives
    // no proof of existence; one whose path has no revocation evidence cannot be validated.
    const tsaStateOf = (t: VerifiedTimestamp): TsaRevocation =>
      checked
        ? tsaRevocation(t, [...dss.certificates, ...pool], trustAnchors, freshLookupAt, policy)
        : { missing: [], unchecked: [], revokedAfter: [] };
    const { poe, later, poeTime, brokenTimestamp, missingTsaEvidence } = proofOfExistence(
      own,
      docTimestamps,
      coveredEnd(r.byteRange),
      tsaStateOf,
      policy,
      draft,
    );
    const signerPath = signer
      ? buildCertificatePath(signer, pool, trustAnchors, input.now)
      : undefined;
    const issuerCert = signerPath?.chain[1];
    const issuer = issuerCert ? new Uint8Array(issuerCert.raw) : undefined;
    // EN 319 102-1 §5.2.5: the evidence about the signer's path counts only when fresh for the
    // best-signature-time (the first usable time-stamp, else the validation time).
    const bestTime = poeTime === Infinity ? input.now : new Date(poeTime);
    const freshLookup = freshLookupAt(bestTime);
    const revocation = signer && issuer ? freshLookup(signer, issuer) : undefined;
    if (poeTime !== Infinity && algorithms) acceptAtProofOfExistence(draft, r, new Date(poeTime), algorithms, policy);
    if (brokenTimestamp && draft.passed) draft.set('INDETERMINATE', 'SIG_CONSTRAINTS_FAILURE');
    judgeSignerRevocation(draft, {
      revocation,
      signerPath,
      freshLookup,
      poeTime,
      bestTime,
      claimedSigningTime: r.claimedSigningTime,
      missingTsaEvidence,
      checked,
      whyNone:
        input.revocation?.mode === 'offline'
          ? 'online lookups are off'
          : `the online lookup gave none${online?.lookups.length ? '' : ' (nothing to ask)'}`,
      policy,
    });

    let level: SignatureReport['level'];
    // EN 319 142-1 §6: the baseline levels are PAdES (ETSI.CAdES.detached) levels; an
    // adbe.pkcs7.detached or adbe.pkcs7.sha1 signature is a PDF signature without one.
    if (draft.indication !== 'TOTAL-FAILED' && sig.dict.getName('SubFilter') === 'ETSI.CAdES.detached') {
      level = padesLevel({
        signerPath,
        poe,
        laterDocumentTimestampEnds: later.map((d) => d.end),
        dss,
        dssCoveredBy,
        pool,
        trustAnchors,
        now: input.now,
        policy,
      });
    }
    return {
      ...r,
      indication: draft.indication,
      subIndication: draft.subIndication,
      problems: draft.problems,
      warnings: draft.warnings,
      findings: draft.findings,
      timestamps,
      ...(level ? { level } : {}),
      ...(revocation ? { revocation } : {}),
    };
  }
}

/**
 * EN 319 102-1 §5.6.2.1 (past signature validation) with ETSI TS 119 312: an algorithm or key
 * size no longer acceptable now was acceptable at the best-signature-time a time-stamp proves —
 * the signature is accepted; the refusals of the validation time become warnings.
 */
function acceptAtProofOfExistence(
  draft: VerdictDraft,
  r: SignatureReport,
  bestSignatureTime: Date,
  algorithms: AlgorithmFacts,
  policy: ValidationPolicy,
): void {
  if (draft.subIndication !== 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE') return;
  if (acceptanceRefusals(policy, algorithms, bestSignatureTime).length > 0) return;
  const weak = draft.findings.filter((f) => f.code === 'ERR_VALIDATION_WEAK_ALGORITHM' && f.severity === 'error');
  for (const f of weak)
    draft.demote(f, `${f.message}; accepted: a time-stamp proves the signature existed at ${bestSignatureTime.toISOString()}, when it was acceptable`);
  const otherErrors = (r.findings ?? []).filter((f) => f.severity === 'error' && f.code !== 'ERR_VALIDATION_WEAK_ALGORITHM').length;
  draft.set(otherErrors > 0 ? 'INDETERMINATE' : 'TOTAL-PASSED', undefined);
}

/** Options of {@link verifyPdfLongTerm}. */
export interface LongTermOptions {
  /** DER trust anchors for signers and TSAs. */
  readonly trustAnchors?: readonly Uint8Array[];
  readonly clock?: Clock;
  /**
   * Revocation checking beyond the DSS: `online` evidence (fetchRevocationEvidence) or `offline`.
   * Absent: not checked, and the report says so in an info finding.
   */
  readonly revocation?: RevocationMode;
  /** The validation policy (default: default-policy.json). */
  readonly policy?: ValidationPolicy;
  /** A file the reader cannot open: `report` (default) or `throw` (as in `verifyPdfSignatures`). */
  readonly unreadable?: 'report' | 'throw';
  /** The user (or owner) password of an encrypted document; the empty user password is tried when absent. */
  readonly password?: string;
}

/**
 * Validates every signature like `verifyPdfSignatures`, then with its long-term data: the
 * timestamps, the DSS revocation evidence and the PAdES level reached (EN 319 102-1 §5.5, §5.6).
 *
 * @example
 * ```ts
 * const report = verifyPdfLongTerm(bytes, { trustAnchors: [rootDer] });
 * report.signatures[0]?.level; // 'B-LTA'
 * ```
 */
export function verifyPdfLongTerm(
  input: ByteSource | Uint8Array | Pdf,
  options: LongTermOptions = {},
): DocumentReport {
  const opened = input instanceof Pdf ? input : undefined;
  const source = opened?.source ?? (input instanceof Uint8Array ? bytesSource(input) : (input as ByteSource));
  const clock = options.clock ?? systemClock;
  const basic = verifyPdfSignatures(opened ?? source, {
    clock,
    ...(options.trustAnchors ? { trustAnchors: options.trustAnchors } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.unreadable ? { unreadable: options.unreadable } : {}),
    ...(options.password === undefined ? {} : { password: options.password }),
  });
  if (basic.indication !== undefined) return basic; // the file itself could not be read
  const doc = opened ?? Pdf.open(source, options.password === undefined ? {} : { password: options.password });
  return {
    ...basic,
    signatures: addLongTermFacts(basic.signatures, {
      source,
      doc,
      trustAnchors: options.trustAnchors ?? [],
      now: clock.now(),
      ...(options.revocation === undefined ? {} : { revocation: options.revocation }),
      ...(options.policy === undefined ? {} : { policy: options.policy }),
    }),
    ...(options.revocation?.mode === 'online'
      ? { revocationLookups: options.revocation.lookups }
      : {}),
  };
}
