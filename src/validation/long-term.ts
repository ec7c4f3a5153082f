/**
 * The validation processes for signatures with time and with long-term validation material
 * (ETSI EN 319 102-1 §5.5–§5.6, simplified), run after the basic validation
 * (basic-signature-validation.ts, §5.3): signature-time-stamps and later document timestamps
 * verified (§5.4; docs/security.md V14) give the proof of existence; the revocation status of
 * every certificate of the signer's path comes from the DSS (V15) or an online lookup and is
 * weighed against that time (§5.6.2.1 past signature validation), as are the algorithms; the
 * PAdES level reached is pades-level.ts's, a document timestamp's report document-timestamp.ts's.
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
import { missingEvidence, pathRevocation, type CertificateRevocation, type RevocationLookupFn } from './path-revocation.js';
import { incomplete } from './report-findings.js';
import { verifyTimestampToken, type VerifiedTimestamp } from './timestamp-token.js';
import { freshRevocation, notFreshMessage } from './revocation-freshness.js';
import { revokedMessage, tsaMissingEvidence, tsaRevocation, uncheckedMessage, type TsaRevocation } from './tsa-revocation.js';
import type {
  DocumentReport,
  Finding,
  SignatureReport,
  TimestampReport,
  ValidationCheck,
  ValidationFindingCode,
} from './types.js';
import type { FetchedRevocation } from './online-revocation.js';
import { acceptanceRefusals, publicKeyFacts, type AlgorithmFacts } from './signature-acceptance.js';
import { defaultValidationPolicy, type ValidationPolicy } from './validation-policy.js';
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
    const problems = [...r.problems];
    const warnings = [...r.warnings];
    const findings: Finding[] = [...(r.findings ?? [])];
    const error = (code: ValidationFindingCode, check: ValidationCheck, message: string): void => {
      problems.push(message);
      findings.push({ code, check, severity: 'error', message });
    };
    const warning = (
      code: ValidationFindingCode,
      check: ValidationCheck,
      message: string,
    ): void => {
      warnings.push(message);
      findings.push({ code, check, severity: 'warning', message });
    };
    // A signature-time-stamp that is there but broken (unreadable, its imprint not over this
    // signature value, its own signature invalid) is a claim that fails: EN 319 102-1 §5.4 says
    // the time-stamp is not valid, and the signature's constraints are not met.
    let brokenTimestamp = false;
    for (const t of own.filter((o) => !o.report.isValid)) {
      const broken = t.report.problems.some(
        (p) =>
          p.startsWith('the token cannot') ||
          p.startsWith('the messageImprint') ||
          p.startsWith('token signature'),
      );
      brokenTimestamp ||= broken;
      error(
        'ERR_VALIDATION_SIGNATURE_TIMESTAMP',
        'time-stamp',
        `signature timestamp: ${t.report.problems.join('; ')}`,
      );
    }
    const end = coveredEnd(r.byteRange);
    const checked = input.revocation !== undefined;
    const whyNone = (): string =>
      input.revocation?.mode === 'offline'
        ? 'online lookups are off'
        : `the online lookup gave none${online?.lookups.length ? '' : ' (nothing to ask)'}`;
    // EN 319 102-1 §5.4 (time-stamp validation): a TSA whose path was revoked before genTime gives
    // no proof of existence; one whose path has no revocation evidence cannot be validated.
    const tsaStateOf = (t: VerifiedTimestamp): TsaRevocation =>
      checked
        ? tsaRevocation(t, [...dss.certificates, ...pool], trustAnchors, freshLookupAt, policy)
        : { missing: [], unchecked: [], revokedAfter: [] };
    let missingTsaEvidence: { readonly c: CertificateRevocation; readonly genTime?: Date }[] = [];
    const usable = own.filter((t) => {
      if (!t.report.isValid) return false;
      const state = tsaStateOf(t);
      if (state.revokedBefore !== undefined) {
        brokenTimestamp = true;
        error(
          'ERR_VALIDATION_REVOKED',
          'time-stamp',
          `signature timestamp: ${revokedMessage(state.revokedBefore, 'before the time-stamp was issued')}`,
        );
        return false;
      }
      for (const c of state.revokedAfter)
        warning(
          'ERR_VALIDATION_REVOKED',
          'time-stamp',
          `signature timestamp: ${revokedMessage(c, 'after the time-stamp was issued')}`,
        );
      for (const c of state.unchecked)
        warning('ERR_VALIDATION_NO_REVOCATION', 'time-stamp', `signature timestamp: ${uncheckedMessage(c, policy)}`);
      if (state.missing.length > 0) {
        missingTsaEvidence = [...missingTsaEvidence, ...state.missing.map((c) => ({ c, ...(state.genTime ? { genTime: state.genTime } : {}) }))];
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
    // The timestamps that give proof of existence (PoE) of the signature.
    const poe = [...usable, ...later.map((d) => d.verified)];
    const poeTime = poe
      .map((t) => t.report.genTime?.getTime() ?? Infinity)
      .reduce((a, b) => Math.min(a, b), Infinity);

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
    const said = revocation?.origin === 'online' ? 'an online lookup says' : 'the DSS says';
    let indication = r.indication;
    let subIndication = r.subIndication;
    // EN 319 102-1 §5.6.2.1 (past signature validation) with ETSI TS 119 312: an algorithm or
    // key size no longer acceptable now was acceptable at the best signature time a time-stamp
    // proves — the signature is accepted; the refusals of validation time become warnings.
    if (subIndication === 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE' && poeTime !== Infinity && algorithms) {
      const bestSignatureTime = new Date(poeTime);
      if (acceptanceRefusals(policy, algorithms, bestSignatureTime).length === 0) {
        const weak = findings.filter((f) => f.code === 'ERR_VALIDATION_WEAK_ALGORITHM' && f.severity === 'error');
        for (const f of weak) {
          findings.splice(findings.indexOf(f), 1);
          problems.splice(problems.indexOf(f.message), 1);
          warning('ERR_VALIDATION_WEAK_ALGORITHM', 'signature-acceptance', `${f.message}; accepted: a time-stamp proves the signature existed at ${bestSignatureTime.toISOString()}, when it was acceptable`);
        }
        const otherErrors = (r.findings ?? []).filter((f) => f.severity === 'error' && f.code !== 'ERR_VALIDATION_WEAK_ALGORITHM').length;
        [indication, subIndication] = otherErrors > 0 ? ['INDETERMINATE', undefined] : ['TOTAL-PASSED', undefined];
      }
    }
    if (brokenTimestamp && indication === 'TOTAL-PASSED')
      [indication, subIndication] = ['INDETERMINATE', 'SIG_CONSTRAINTS_FAILURE'];
    if (revocation?.status === 'revoked' && indication !== 'TOTAL-FAILED') {
      const at = revocation.revocationTime?.getTime() ?? -Infinity;
      const claimed = r.claimedSigningTime?.getTime();
      if (poeTime === Infinity && claimed !== undefined && at <= claimed) {
        // EN 319 102-1 §5.5.4: even the time the signer claims is after the revocation — the
        // signature was made with a revoked certificate.
        [indication, subIndication] = ['TOTAL-FAILED', 'REVOKED'];
        error(
          'ERR_VALIDATION_REVOKED',
          'revocation',
          `${said} the signer certificate was revoked (${new Date(at).toISOString()}) before the claimed signing time`,
        );
      } else if (poeTime === Infinity) {
        [indication, subIndication] = ['INDETERMINATE', 'REVOKED_NO_POE'];
        error(
          'ERR_VALIDATION_REVOKED',
          'revocation',
          `${said} the signer certificate is revoked, and no timestamp proves the signature existed before`,
        );
      } else if (at <= poeTime) {
        [indication, subIndication] = ['TOTAL-FAILED', 'REVOKED'];
        error(
          'ERR_VALIDATION_REVOKED',
          'revocation',
          `the signer certificate was revoked (${new Date(at).toISOString()}) before the signature's first timestamp`,
        );
      } else {
        warning(
          'ERR_VALIDATION_REVOKED',
          'revocation',
          `the signer certificate was revoked on ${new Date(at).toISOString()}, after the signature's timestamp`,
        );
      }
    }
    // EN 319 102-1 §5.2.6: every certificate of the path but the anchor is checked; a revoked CA
    // certificate is INDETERMINATE / REVOKED_CA_NO_POE unless a time-stamp proves the signature
    // existed before the revocation (§5.6.2.1 past signature validation).
    const caStatus = checked && signerPath ? pathRevocation(signerPath, 1, freshLookup) : [];
    for (const ca of caStatus.filter((c) => c.finding.status === 'revoked')) {
      const at = ca.finding.revocationTime?.getTime() ?? -Infinity;
      if (poeTime < at)
        warning(
          'ERR_VALIDATION_REVOKED',
          'revocation',
          revokedMessage(ca, "after the signature's first timestamp"),
        );
      else {
        if (indication !== 'TOTAL-FAILED')
          [indication, subIndication] = ['INDETERMINATE', 'REVOKED_CA_NO_POE'];
        error(
          'ERR_VALIDATION_REVOKED',
          'revocation',
          revokedMessage(
            ca,
            poeTime === Infinity
              ? 'and no timestamp proves the signature existed before'
              : "before the signature's first timestamp",
          ),
        );
      }
    }
    // EN 319 102-1 §5.2.6: without revocation evidence the status of the signer certificate is
    // not known (TRY_LATER: evidence may be obtained later), never TOTAL-PASSED.
    const noEvidence =
      revocation === undefined || revocation.status === 'none' || revocation.status === 'unknown';
    const { required: missingCa, unchecked: uncheckedCa } = missingEvidence(caStatus, policy);
    for (const c of uncheckedCa) warning('ERR_VALIDATION_NO_REVOCATION', 'revocation', uncheckedMessage(c, policy));
    if (
      checked &&
      policy.revocation.requireEvidence &&
      indication === 'TOTAL-PASSED' &&
      (noEvidence || missingCa.length > 0 || missingTsaEvidence.length > 0)
    ) {
      // §5.2.5 with §5.6.2.1: evidence that is there but not fresh for the time a time-stamp
      // proves is REVOCATION_OUT_OF_BOUNDS_NO_POE; without a time-stamp, fresher evidence may come.
      const staleSigner = revocation?.fresh === false;
      const stale =
        staleSigner ||
        missingCa.some((c) => c.finding.fresh === false) ||
        missingTsaEvidence.some(({ c }) => c.finding.fresh === false);
      const timestamped = poeTime !== Infinity;
      const judgedAt = timestamped ? 'first-time-stamp' : 'validation-time';
      [indication, subIndication] = ['INDETERMINATE', stale && timestamped ? 'REVOCATION_OUT_OF_BOUNDS_NO_POE' : 'TRY_LATER'];
      if (noEvidence && staleSigner && revocation)
        error('ERR_VALIDATION_REVOCATION_NOT_FRESH', 'revocation', notFreshMessage('the signer certificate', revocation, bestTime, policy, judgedAt));
      else if (noEvidence)
        error(
          'ERR_VALIDATION_NO_REVOCATION',
          'revocation',
          `no revocation evidence for the signer certificate: none in the document, and ${whyNone()}`,
        );
      for (const c of missingCa)
        if (c.finding.fresh === false)
          error('ERR_VALIDATION_REVOCATION_NOT_FRESH', 'revocation', notFreshMessage(`the CA certificate ${c.subject}`, c.finding, bestTime, policy, judgedAt));
        else
          error(
            'ERR_VALIDATION_NO_REVOCATION',
            'revocation',
            `no revocation evidence for the CA certificate ${c.subject}: none in the document, and ${whyNone()}`,
          );
      for (const { c, genTime } of missingTsaEvidence) {
        const { code, message } = tsaMissingEvidence(c, genTime, policy, whyNone());
        error(code, 'time-stamp', `signature timestamp: ${message}`);
      }
    } else if (noEvidence && input.revocation === undefined && indication === 'TOTAL-PASSED') {
      findings.push({
        code: 'ERR_VALIDATION_NO_REVOCATION',
        check: 'revocation',
        severity: 'info',
        message:
          revocation?.fresh === false
            ? 'the revocation status of the signer certificate was not checked (the evidence in the document is not fresh for the best-signature-time, none asked for)'
            : 'the revocation status of the signer certificate was not checked (no revocation evidence in the document, none asked for)',
      });
    }

    // V15 (PDF-32): revocation data about the signer that is not authentic is a planted answer,
    // not evidence; with no authentic status the signature cannot be TOTAL-PASSED.
    const rejected = revocation?.rejectedOcspResponses ?? 0;
    if (
      rejected > 0 &&
      (revocation?.status === 'none' || revocation?.status === 'unknown') &&
      indication === 'TOTAL-PASSED'
    ) {
      [indication, subIndication] = ['INDETERMINATE', undefined];
      error(
        'ERR_VALIDATION_NO_REVOCATION',
        'revocation',
        `the DSS holds ${rejected} OCSP response(s) about the signer certificate that are not authentic evidence; its revocation status is unknown`,
      );
    }

    let level: SignatureReport['level'];
    // EN 319 142-1 §6: the baseline levels are PAdES (ETSI.CAdES.detached) levels; an
    // adbe.pkcs7.detached or adbe.pkcs7.sha1 signature is a PDF signature without one.
    if (indication !== 'TOTAL-FAILED' && sig.dict.getName('SubFilter') === 'ETSI.CAdES.detached') {
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
      indication,
      subIndication,
      problems,
      warnings,
      findings,
      timestamps,
      ...(level ? { level } : {}),
      ...(revocation ? { revocation } : {}),
    };
  }
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
