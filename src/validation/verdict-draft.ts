/**
 * A signature's verdict while the validation processes with time and long-term material (ETSI EN
 * 319 102-1 §5.5–§5.6) change it: the indication and sub-indication (§5.1.3), and the findings —
 * each error or warning also kept in the report's older `problems` or `warnings`.
 */
import type {
  Finding,
  Indication,
  SignatureReport,
  SubIndication,
  ValidationCheck,
  ValidationFindingCode,
} from './types.js';

export class VerdictDraft {
  indication: Indication;
  subIndication: SubIndication | undefined;
  readonly problems: string[];
  readonly warnings: string[];
  readonly findings: Finding[];

  constructor(report: SignatureReport) {
    this.indication = report.indication;
    this.subIndication = report.subIndication;
    this.problems = [...report.problems];
    this.warnings = [...report.warnings];
    this.findings = [...(report.findings ?? [])];
  }

  get passed(): boolean {
    return this.indication === 'TOTAL-PASSED';
  }

  set(indication: Indication, subIndication: SubIndication | undefined): void {
    this.indication = indication;
    this.subIndication = subIndication;
  }

  error(code: ValidationFindingCode, check: ValidationCheck, message: string): void {
    this.problems.push(message);
    this.findings.push({ code, check, severity: 'error', message });
  }

  warning(code: ValidationFindingCode, check: ValidationCheck, message: string): void {
    this.warnings.push(message);
    this.findings.push({ code, check, severity: 'warning', message });
  }

  note(code: ValidationFindingCode, check: ValidationCheck, message: string): void {
    this.findings.push({ code, check, severity: 'info', message });
  }

  /** `f`, an error, becomes a warning saying `message` instead. */
  demote(f: Finding, message: string): void {
    this.findings.splice(this.findings.indexOf(f), 1);
    this.problems.splice(this.problems.indexOf(f.message), 1);
    this.warning(f.code, f.check, message);
  }
}
