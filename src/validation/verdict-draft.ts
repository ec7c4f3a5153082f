/**
 * A signature's verdict while the validation processes with time and long-term material (ETSI EN
 * 319 102-1 §5.5–§5.6) change it: the indication and sub-indication (§5.1.3), and the findings —
 * each error or warning also kept in the report's older `problems` or `warnings`.
 */
import { FindingList } from './report-findings.js';
import type { Finding, Indication, SignatureReport, SubIndication } from './types.js';

export class VerdictDraft extends FindingList {
  indication: Indication;
  subIndication: SubIndication | undefined;

  constructor(report: SignatureReport) {
    super();
    this.indication = report.indication;
    this.subIndication = report.subIndication;
    this.problems.push(...report.problems);
    this.warnings.push(...report.warnings);
    this.findings.push(...(report.findings ?? []));
  }

  get passed(): boolean {
    return this.indication === 'TOTAL-PASSED';
  }

  set(indication: Indication, subIndication: SubIndication | undefined): void {
    this.indication = indication;
    this.subIndication = subIndication;
  }

  /** `f`, an error, becomes a warning saying `message` instead. */
  demote(f: Finding, message: string): void {
    this.findings.splice(this.findings.indexOf(f), 1);
    this.problems.splice(this.problems.indexOf(f.message), 1);
    this.warning(f.code, f.check, message);
  }
}
