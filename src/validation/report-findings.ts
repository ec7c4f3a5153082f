/**
 * Small edits of a signature report (EN 319 102-1 §5.1.3): one more error finding, kept in
 * `problems` and `findings` alike; a check that could not finish.
 */
import type { SignatureReport, ValidationCheck, ValidationFindingCode } from './types.js';

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
