/** A user's own audit trail (docs/security.md AUD-10, AC-03): only entries whose actor is that user. */
import { listAuditRows, type Db } from '../store/index.js';
import type { AuditEntry, AuditJson } from './audit-event.js';

/** Returns up to `limit` (≤ 500) of the user's entries after `afterSeq`, oldest first. */
export async function listUserAudit(
  db: Db,
  userId: string,
  page: { readonly afterSeq?: number; readonly limit?: number } = {},
): Promise<readonly AuditEntry[]> {
  const limit = Math.max(1, Math.min(page.limit ?? 100, 500));
  const rows = await listAuditRows(db, { afterSeq: page.afterSeq ?? 0, limit, userId });
  return rows.map((r) => ({
    seq: r.seq,
    nodeId: r.node_id,
    occurredAt: new Date(r.occurred_at),
    type: r.event_type,
    outcome: r.outcome,
    actorUserId: r.actor_user_id,
    actorClientId: r.actor_client_id,
    subject: r.subject,
    sourceAddress: r.source_address,
    traceId: r.trace_id,
    details: JSON.parse(r.details) as { readonly [key: string]: AuditJson },
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}
