/** Errors of the audit log (hash-chained, HMAC'd; INV-5): stable codes. */
import { SignetError } from '../core/errors.js';

/** Every code the audit domain throws (docs/errors/audit.md lists their meaning). */
export type AuditErrorCode = 'ERR_AUDIT_KEY' | 'ERR_AUDIT_EVENT_INVALID' | 'ERR_AUDIT_SECRET_FIELD';

/** An audit event could not be recorded; the caller's transaction must roll back (INV-5). */
export class AuditError extends SignetError<AuditErrorCode> {}
