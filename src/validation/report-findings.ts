/**
 * Small edits of a signature report (EN 319 102-1 §5.1.3): findings collected with their prose
 * (FindingList), one more error finding kept in `problems` and `findings` alike, a check that could
 * not finish.
 */
import type { Finding, SignatureReport, ValidationCheck, ValidationFindingCode } from './types.js';

/** Collects the prose problems and warnings of a report together with their typed findings. */
export class FindingList {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  readonly findings: Finding[] = [];

  /** An error: it decides the indication. */
  error(code: ValidationFindingCode, check: ValidationCheck, message: string): void {
    this.problems.push(message);
    this.findings.push({ code, check, severity: 'error', message });
  }

  warning(code: ValidationFindingCode, check: ValidationCheck, message: string): void {
    this.warnings.push(message);
    this.findings.push({ code, check, severity: 'warning', message });
  }

  /** A fact worth knowing that is neither a problem nor a warning in the prose lists. */
  info(code: ValidationFindingCode, check: ValidationCheck, message: string): void {
    this.findings.push({ code, check, severity: 'info', message });
  }
}

/** `report`'s problems and findings with one more error. */
export function withError(
  report: Pick<SignatureReport, 'problems' | 'findings'>,
  code: ValidationFindingCode,
  check: ValidationCheck,
  message: string,
): Pick<SignatureReport, 'problems' | 'findings'> {
  return {
    problems: [...report.problems, message],
    findings: [...(report.findings ?? []), { code, check, severity: 'error', message }],
  };
}

/**
 * `report` with a check that could not finish (a reader limit stopped it): an error finding
 * ERR_VALIDATION_INCOMPLETE naming the check, and no TOTAL-PASSED (EN 319 102-1 §5.1.3: the
 * result is not known, INDETERMINATE).
 */
export function incomplete(
  report: SignatureReport,
  check: ValidationCheck,
  message: string,
): SignatureReport {
  const passed = report.indication === 'TOTAL-PASSED';
  return {
    ...report,
    ...(passed ? { indication: 'INDETERMINATE' as const, subIndication: undefined } : {}),
    ...withError(report, 'ERR_VALIDATION_INCOMPLETE', check, message),
  };
}
