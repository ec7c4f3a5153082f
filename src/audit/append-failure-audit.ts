/**
 * Failure auditing under a flood (docs/security.md DOS-20, §1.2: auditing rejected requests needs rate
 * limiting to avoid an audit-flood DoS). Per event type and one-minute window, the first failures
 * per source address and in all are recorded one by one; past either limit only summary entries
 * are written, at the first excess failure and whenever the excess doubles, each carrying the
 * running count. So a window holds at most totalPerMinute + log2(excess) + 1 entries per event type
 * however many sources take part, the chain stays linear and verifiable, and every suppressed
 * failure is still counted. The counters live in
 * the database (store/rate-limits-repository.ts), so every node shares them.
 */
import { hitRateLimit, type Store } from '../store/index.js';
import type { AuditEvent } from './audit-event.js';
import { appendAudit, type AuditContext } from './append-audit.js';

/** How many failures of one event type are recorded individually per minute (0: no limit). */
export interface FailureAuditPolicy {
  /** Per source address (events without one count only in the total). */
  readonly perSourcePerMinute: number;
  /** Across all sources. */
  readonly totalPerMinute: number;
}

/** The event type of a summary entry. */
export const failureSummaryType = 'audit.failures.aggregated';

const windowMs = 60_000;

/** A summary is due at the first excess failure and whenever the excess reaches a power of two. */
function isSummaryDue(count: number, limit: number): boolean {
  const excess = count - limit;
  return excess >= 1 && (excess & (excess - 1)) === 0;
}

/**
 * Appends a failure event in its own transaction, subject to `context.failures` (every failure is
 * recorded when absent). Returns the entry's sequence number, or undefined when the failure was
 * only counted.
 *
 * @example
 * ```ts
 * await appendFailureAudit(store, { type: 'auth.password', outcome: 'failure', sourceAddress }, audit);
 * ```
 */
export function appendFailureAudit(
  store: Store,
  event: AuditEvent,
  context: AuditContext,
): Promise<number | undefined> {
  const policy = context.failures;
  return store.transaction(async (trx) => {
    if (policy === undefined) return appendAudit(trx, event, context);
    const now = context.clock.now().getTime();
    const counters: { scope: 'source' | 'total'; limit: number; count: number }[] = [];
    // Counter rows first, the audit head last (append-audit.ts: one lock order).
    if (policy.perSourcePerMinute > 0 && event.sourceAddress !== undefined) {
      const count = await hitRateLimit(trx, `audit-failure:${event.type}:${event.sourceAddress}`, windowMs, now);
      counters.push({ scope: 'source', limit: policy.perSourcePerMinute, count });
    }
    if (policy.totalPerMinute > 0) {
      const count = await hitRateLimit(trx, `audit-failure:${event.type}:*`, windowMs, now);
      counters.push({ scope: 'total', limit: policy.totalPerMinute, count });
    }
    const over = counters.filter((c) => c.count > c.limit);
    if (over.length === 0) return appendAudit(trx, event, context);
    context.observer?.folded(event);
    // Past the total limit only the total's summaries are written, so the entries of one event
    // type per window stay below totalPerMinute + log2(excess) + 1 however many sources there are.
    const due = over.find((c) => c.scope === 'total') ?? over[0];
    if (due === undefined || !isSummaryDue(due.count, due.limit)) return undefined;
    return appendAudit(
      trx,
      {
        type: failureSummaryType,
        outcome: 'failure',
        ...(due.scope === 'source' && event.sourceAddress !== undefined ? { sourceAddress: event.sourceAddress } : {}),
        ...(event.traceId === undefined ? {} : { traceId: event.traceId }),
        details: {
          eventType: event.type,
          scope: due.scope,
          failuresInWindow: due.count,
          recordedIndividually: due.limit,
          windowSeconds: windowMs / 1000,
        },
      },
      context,
    );
  });
}
