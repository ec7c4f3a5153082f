/**
 * The signing-request sweeper (docs/security.md §3.10 fault table): requests left `in_flight` longer
 * than the bound T (their node died, or lost its connection, between reservation and completion)
 * become `abandoned`, each in its own audited transaction; rows whose `purge_at` (the SAD's expiry
 * plus T) has passed are deleted with their stored responses, audited as one `signing.purge` entry.
 * Every change is a conditional statement, so any number of nodes may sweep at once.
 */
import { appendAudit, type AuditContext } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import {
  abandonSigningRequest,
  listStaleSigningRequests,
  purgeSigningRequests,
  type Store,
} from '../store/index.js';
import { defaultAbandonAfterMs } from './idempotent-signing.js';

/** What the sweeper needs. */
export interface SweeperDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
}

/** What one sweep did. */
export interface SweepReport {
  readonly abandoned: number;
  readonly purged: number;
}

/** Rows abandoned per sweep at most (the next sweep takes the rest). */
const batchSize = 100;

/** One sweep: abandons stale `in_flight` requests and purges expired ones. */
export async function sweepSigningRequests(
  deps: SweeperDeps,
  options: { readonly abandonAfterMs?: number } = {},
): Promise<SweepReport> {
  const now = deps.clock.now().getTime();
  const cutoff = now - (options.abandonAfterMs ?? defaultAbandonAfterMs);
  let abandoned = 0;
  for (const row of await listStaleSigningRequests(deps.store.db, cutoff, batchSize)) {
    const done = await deps.store.transaction(async (trx) => {
      if (!(await abandonSigningRequest(trx, row.id, row.attempt, cutoff, now))) return false;
      await appendAudit(
        trx,
        {
          type: 'signing.abandoned',
          outcome: 'success',
          actorUserId: row.user_id,
          actorClientId: row.client_id,
          subject: `credential:${row.credential_id}`,
          details: {
            operation: row.operation,
            idempotencyKey: row.idempotency_key,
            requestId: row.id,
            attempt: row.attempt,
            reason: 'in flight past the bound',
          },
        },
        deps.audit,
      );
      return true;
    });
    if (done) abandoned++;
  }
  const purged = await deps.store.transaction(async (trx) => {
    const count = await purgeSigningRequests(trx, now);
    if (count > 0) {
      await appendAudit(trx, { type: 'signing.purge', outcome: 'success', details: { count } }, deps.audit);
    }
    return count;
  });
  return { abandoned, purged };
}

/** A running sweeper. */
export interface SigningRequestSweeper {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Sweeps every `intervalMs` (one sweep at a time; the timer does not keep the process alive).
 * A failed sweep is reported to `onError` and retried at the next tick.
 */
export function startSigningRequestSweeper(
  deps: SweeperDeps,
  options: {
    readonly abandonAfterMs?: number;
    readonly intervalMs: number;
    readonly onError: (err: unknown) => void;
  },
): SigningRequestSweeper {
  let running: Promise<void> | undefined;
  const tick = (): void => {
    if (running !== undefined) return;
    running = sweepSigningRequests(deps, options)
      .then(
        () => undefined,
        (err: unknown) => options.onError(err),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
