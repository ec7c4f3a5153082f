/** The audit domain's public surface: append inside a transaction, verify offline, read a user's trail. */
export type { AuditEvent, AuditEntry, AuditJson } from './audit-event.js';
export { createAuditKey, type AuditKey } from './audit-key.js';
export { appendAudit, appendAuditNow, type AuditContext, type AuditObserver } from './append-audit.js';
export { AuditHealth } from './audit-health.js';
export { appendFailureAudit, failureSummaryType, type FailureAuditPolicy } from './append-failure-audit.js';
export {
  verifyAuditLog,
  verifyAuditStore,
  type AuditProblem,
  type AuditProblemKind,
  type AuditVerifyOptions,
  type AuditVerifyReport,
} from './verify-audit-log.js';
export { listUserAudit } from './list-user-audit.js';
export {
  listUserAuditExtract,
  findUserAuditEntry,
  extractDetails,
  verifyAuditExtract,
  maxAuditExtractPage,
  type AuditExtractEntry,
  type AuditExtractReport,
} from './audit-extract.js';
export { AuditError, type AuditErrorCode } from './errors.js';
export { canonicalDetails } from './canonical-json.js';
