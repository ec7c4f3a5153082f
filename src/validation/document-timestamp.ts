/**
 * The report of a document timestamp field (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161; ISO
 * 32000-2 §12.8.5, EN 319 142-1 §5.4.3): its RFC 3161 token verified over the byte range (EN 319
 * 102-1 §5.4), the changes after the revision it covers, then its time-stamping authority's path
 * judged with the revocation evidence at hand.
 */
import type { PdfSignature } from '../pades/index.js';
import { enforcedDocMdpPermission } from './certification-structure.js';
import type { LongTermInput } from './long-term.js';
import { withError } from './report-findings.js';
import { analyseLaterRevisions } from './revision-changes.js';
import type { VerifiedTimestamp } from './timestamp-token.js';
import {
  revokedMessage,
  tsaMissingEvidence,
  uncheckedFinding,
  uncheckedMessage,
  type TsaRevocation,
} from './tsa-revocation.js';
import type { Finding, SignatureReport } from './types.js';
import { defaultValidationPolicy } from './validation-policy.js';

export interface DocTimestamp {
  readonly sig: PdfSignature;
  readonly verified: VerifiedTimestamp;
  readonly end: number;
}

/** A document timestamp's report judged with its TSA path's revocation status. */
export function withTsaRevocation(
  report: SignatureReport,
  state: TsaRevocation,
  input: LongTermInput,
): SignatureReport {
  if (report.indication !== 'TOTAL-PASSED') return report;
  const policy = input.policy ?? defaultValidationPolicy;
  if (state.revokedBefore !== undefined) {
    return {
      ...report,
      indication: 'INDETERMINATE',
      subIndication: 'REVOKED_NO_POE',
      ...withError(
        report,
        'ERR_VALIDATION_REVOKED',
        'revocation',
        `document timestamp: ${revokedMessage(state.revokedBefore, 'before the time-stamp was issued')}`,
      ),
    };
  }
  let out: SignatureReport = report;
  for (const c of state.unchecked) {
    const message = `document timestamp: ${uncheckedMessage(c, policy, { time: state.genTime ?? new Date(0), at: 'gen-time' })}`;
    out = {
      ...out,
      warnings: [...out.warnings, message],
      findings: [...(out.findings ?? []), uncheckedFinding(message, 'revocation')],
    };
  }
  for (const c of state.revokedAfter) {
    const message = `document timestamp: ${revokedMessage(c, 'after the time-stamp was issued')}`;
    out = {
      ...out,
      warnings: [...out.warnings, message],
      findings: [
        ...(out.findings ?? []),
        { code: 'ERR_VALIDATION_REVOKED', check: 'revocation', severity: 'warning', message },
      ],
    };
  }
  if (state.missing.length > 0 && policy.revocation.requireEvidence) {
    const why =
      input.revocation?.mode === 'offline'
        ? 'online lookups are off'
        : 'the online lookup gave none';
    const errors = state.missing.reduce<Pick<SignatureReport, 'problems' | 'findings'>>((acc, c) => {
      const { code, message } = tsaMissingEvidence(c, state.genTime, policy, why);
      return withError(acc, code, 'revocation', `document timestamp: ${message}`);
    }, out);
    out = { ...out, indication: 'INDETERMINATE', subIndication: 'TRY_LATER', ...errors };
  }
  return out;
}

export function documentTimestampReport(
  r: SignatureReport,
  ts: DocTimestamp | undefined,
  input: LongTermInput,
): SignatureReport {
  if (!ts) return { ...r, isDocumentTimestamp: true };
  const t = ts.verified.report;
  // The basic report saw a /SubFilter it does not verify; the revision analysis is redone below.
  const problems = [
    ...r.problems.filter(
      (p) => !p.startsWith('unsupported /SubFilter') && !p.startsWith('modified after signing'),
    ),
    ...t.problems,
  ];
  const imprintBad = t.problems.some((p) => p.startsWith('the messageImprint'));
  const signatureBad = t.problems.some(
    (p) => p.startsWith('token signature') || p.startsWith('the token cannot'),
  );
  const base = {
    ...r,
    warnings: r.warnings.filter((w) => !w.startsWith('later revision')),
    isDocumentTimestamp: true,
    timestamps: [t],
    signerSubject: t.tsaSubject,
    claimedSigningTime: t.genTime,
    chainStatus: t.chainStatus,
    chain: ts.verified.chain,
    problems,
    findings: [
      ...(r.findings ?? []).filter(
        (f) =>
          f.code !== 'ERR_VALIDATION_SUBFILTER' &&
          f.code !== 'ERR_VALIDATION_MODIFIED' &&
          f.code !== 'ERR_VALIDATION_LATER_REVISION',
      ),
      ...t.problems.map((message): Finding => ({
        code: 'ERR_VALIDATION_DOCUMENT_TIMESTAMP',
        check: 'time-stamp',
        severity: 'error',
        message,
      })),
    ],
  };
  // ISO 32000-2 §12.8.5 (docs/security.md PDF-29): /Type /DocTimeStamp and /SubFilter /ETSI.RFC3161 go together.
  if (
    ts.sig.dict.getName('Type') !== 'DocTimeStamp' ||
    ts.sig.dict.getName('SubFilter') !== 'ETSI.RFC3161'
  ) {
    return {
      ...base,
      indication: 'TOTAL-FAILED',
      subIndication: 'FORMAT_FAILURE',
      isIntact: false,
      ...withError(
        base,
        'ERR_VALIDATION_SUBFILTER',
        'format-checking',
        `a document timestamp needs /Type /DocTimeStamp with /SubFilter /ETSI.RFC3161 (found /${ts.sig.dict.getName('Type') ?? '?'} with /${ts.sig.dict.getName('SubFilter') ?? '?'})`,
      ),
    };
  }
  if (imprintBad)
    return { ...base, indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE', isIntact: false };
  if (signatureBad)
    return {
      ...base,
      indication: 'TOTAL-FAILED',
      subIndication: 'SIG_CRYPTO_FAILURE',
      isIntact: false,
    };
  if (t.chainStatus !== 'trusted')
    return {
      ...base,
      indication: 'INDETERMINATE',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      isIntact: true,
    };
  if (!r.coversWholeDocument) {
    // V8/V9: what follows the timestamped revision must be an allowed change (DSS, more timestamps, signatures).
    const analysis = analyseLaterRevisions(input.source, input.doc, ts.end, {
      certification: enforcedDocMdpPermission(input.doc),
    });
    if (analysis.disallowed.length > 0) {
      return {
        ...base,
        indication: 'TOTAL-FAILED',
        subIndication: 'FORMAT_FAILURE',
        isIntact: true,
        ...analysis.disallowed.reduce<Pick<SignatureReport, 'problems' | 'findings'>>(
          (acc, d) =>
            withError(
              acc,
              'ERR_VALIDATION_MODIFIED',
              'modification',
              `modified after the timestamp: ${d}`,
            ),
          base,
        ),
      };
    }
    return {
      ...base,
      indication: problems.length === 0 ? 'TOTAL-PASSED' : 'INDETERMINATE',
      subIndication: undefined,
      isIntact: true,
      warnings: [
        ...base.warnings,
        ...analysis.changes.map((c) => `later revision (${analysis.level}): ${c}`),
      ],
    };
  }
  return {
    ...base,
    indication: problems.length === 0 ? 'TOTAL-PASSED' : 'INDETERMINATE',
    subIndication: undefined,
    isIntact: true,
  };
}
