/**
 * Appends one event to the hash-chained audit log inside the caller's transaction, so the change
 * and its audit row commit together (INV-5, docs/security.md AUD-06/07).
 */
import type { Clock } from '../core/clock.js';
import {
  afterCommit,
  insertAuditRowWithHead,
  reserveAuditSequence,
  type Db,
  type Store,
} from '../store/index.js';
import type { AuditEvent } from './audit-event.js';
import { hashAuditEntry, macAuditEntry, macAuditHead, type AuditKey } from './audit-key.js';
import { canonicalDetails } from './canonical-json.js';
import type { FailureAuditPolicy } from './append-failure-audit.js';
import type { AuditHealth } from './audit-health.js';

/** What every append needs from the server: the MAC key, this node's id, and the clock. */
export interface AuditContext {
  readonly key: AuditKey;
  readonly nodeId: string;
  readonly clock: Clock;
  /** How failures are aggregated under a flood (appendFailureAudit); every failure recorded when absent. */
  readonly failures?: FailureAuditPolicy;
  /** Told of every append's outcome (the server's readiness goes red on a failure, docs/security.md §3.10). */
  readonly health?: AuditHealth;
  /** Told of every appended event and every failed append (the server's metrics count them). */
  readonly observer?: AuditObserver;
}

/** Watches appends: counting only, it must not throw. */
export interface AuditObserver {
  /** `event` was written and its transaction committed (told after the COMMIT, never on rollback). */
  appended(event: AuditEvent): void;
  /** Writing `event` failed. */
  failed(event: AuditEvent): void;
  /** A failure event counted into a summary entry instead of being written (appendFailureAudit). */
  folded(event: AuditEvent): void;
}

/**
 * Appends `event` within `trx` (a `Store.transaction()` handle) and returns its sequence number.
 * Throws (so the caller's transaction rolls back) when the event is invalid or the insert fails.
 * Call it LAST in the transaction: it locks the chain head until commit, so every writer takes
 * its own rows first and the head last (one lock order, no deadlocks, shortest head hold time).
 *
 * @example
 * ```ts
 * await store.transaction(async (trx) => {
 *   // … the change …
 *   await appendAudit(trx, { type: 'user.create', outcome: 'success', subject: 'user:42' }, audit);
 * });
 * ```
 */
export async function appendAudit(
  trx: Db,
  event: AuditEvent,
  context: AuditContext,
): Promise<number> {
  if (context.health === undefined && context.observer === undefined)
    return appendAuditRow(trx, event, context);
  try {
    const seq = await appendAuditRow(trx, event, context);
    context.health?.succeeded();
    const { observer } = context;
    // Counted once the change is durable: a rolled-back signature or login is not one.
    if (observer !== undefined) afterCommit(trx, () => observer.appended(event));
    return seq;
  } catch (err) {
    context.health?.failed(err);
    context.observer?.failed(event);
    throw err;
  }
}

async function appendAuditRow(trx: Db, event: AuditEvent, context: AuditContext): Promise<number> {
  const details = canonicalDetails(event.details);
  const { seq, prevHash } = await reserveAuditSequence(trx);
  const row = {
    seq,
    nodeId: context.nodeId,
    occurredAt: context.clock.now().getTime(),
    type: event.type,
    outcome: event.outcome,
    actorUserId: event.actorUserId ?? null,
    actorClientId: event.actorClientId ?? null,
    subject: event.subject ?? null,
    sourceAddress: event.sourceAddress ?? null,
    traceId: event.traceId ?? null,
    details,
    prevHash,
  };
  const hash = hashAuditEntry(row);
  await insertAuditRowWithHead(trx, {
    seq,
    node_id: row.nodeId,
    occurred_at: row.occurredAt,
    event_type: row.type,
    outcome: row.outcome,
    actor_user_id: row.actorUserId,
    actor_client_id: row.actorClientId,
    subject: row.subject,
    source_address: row.sourceAddress,
    trace_id: row.traceId,
    details,
    prev_hash: prevHash,
    hash,
    mac: macAuditEntry(context.key, hash),
  }, { seq, headHash: hash, mac: macAuditHead(context.key, seq, hash) });
  return seq;
}

/** Appends an event in its own transaction (for failures recorded after the change rolled back). */
export function appendAuditNow(
  store: Store,
  event: AuditEvent,
  context: AuditContext,
): Promise<number> {
  return store.transaction((trx) => appendAudit(trx, event, context));
}
