/**
 * Counts audited events into the metrics. Every state change that matters is audited before it
 * is acknowledged, so the audit appends are where SADs, logins, factors, lockouts, certificates,
 * idempotent requests and rate limits are counted: one hook instead of one per domain. Label
 * values come from fixed tables below or from error codes, never from the event's subjects.
 */
import type { AuditEvent, AuditObserver } from '../../audit/index.js';
import type { SignetMetrics } from './signet-metrics.js';

/** Login events by channel. */
const loginChannels: Readonly<Record<string, string>> = {
  'csc.auth.login': 'csc',
  'auth.session.login': 'web',
  'auth.oidc.login': 'oidc',
};

/** Factor checks by factor (the credential's PIN and OTP included: CSC explicit authorisation). */
const factors: Readonly<Record<string, string>> = {
  'auth.password': 'password',
  'auth.totp': 'totp',
  'auth.otp': 'otp',
  'auth.pin': 'pin',
  'auth.passkey.use': 'passkey',
  'auth.passkey.attempt': 'passkey',
};

const idempotentEvents: Readonly<Record<string, string>> = {
  'signing.started': 'started',
  'signing.completed': 'completed',
  'signing.replayed': 'replayed',
  'signing.retry': 'retried',
  'signing.abandoned': 'abandoned',
};

const certificateOperations: Readonly<Record<string, string>> = {
  'ca.certificate.issue': 'issued',
  'ca.certificate.renew': 'renewed',
  'ca.certificate.revoke': 'revoked',
};

/** An error code as a label value: `ERR_` and capitals only, else `other` (bounded either way). */
function reasonOf(event: AuditEvent): string {
  const code = event.details?.['error'];
  return typeof code === 'string' && /^ERR_[A-Z0-9_]{1,60}$/.test(code) ? code : 'other';
}

function countEvent(metrics: SignetMetrics, event: AuditEvent): void {
  const { type, outcome } = event;
  const channel = loginChannels[type];
  if (channel !== undefined) return void metrics.logins.inc({ channel, outcome });
  const factor = factors[type];
  if (factor !== undefined) return void metrics.factorResults.inc({ factor, outcome });
  const idempotent = idempotentEvents[type];
  if (idempotent !== undefined) return void metrics.idempotentRequests.inc({ event: idempotent });
  const operation = certificateOperations[type];
  if (operation !== undefined) {
    if (outcome === 'success') metrics.certificates.inc({ operation });
    return;
  }
  switch (type) {
    case 'sad.issue':
      if (outcome === 'success') metrics.sadsIssued.inc();
      return;
    case 'sad.consume':
      if (outcome === 'success') metrics.sadsConsumed.inc();
      else metrics.sadsRefused.inc({ reason: reasonOf(event) });
      return;
    case 'user.locked':
      return void metrics.lockouts.inc({ subject: 'user' });
    case 'credential.locked':
      return void metrics.lockouts.inc({ subject: 'credential' });
    case 'server.rate_limit':
      return void metrics.rateLimited.inc();
    default:
      return;
  }
}

/**
 * The audit observer that feeds `metrics`.
 *
 * @example
 * ```ts
 * const audit: AuditContext = { key, nodeId, clock, observer: auditMetrics(metrics) };
 * ```
 */
export function auditMetrics(metrics: SignetMetrics): AuditObserver {
  return {
    appended: (event) => {
      metrics.auditAppends.inc({ outcome: event.outcome });
      countEvent(metrics, event);
    },
    failed: () => metrics.auditAppendFailures.inc(),
    folded: (event) => countEvent(metrics, event),
  };
}
