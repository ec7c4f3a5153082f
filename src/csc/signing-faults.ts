/**
 * Test-only fault hooks at the four points of docs/security.md §3.10's fault table, on the idempotent
 * signing path only. Absent in production: the path checks one optional field and calls nothing.
 * `signet serve` refuses to start with hooks configured unless it is explicitly in test mode.
 */

/**
 * Where a fault can be injected:
 * - `afterReserve`: the SAD slots are reserved and the request row committed, before the key operation;
 * - `afterKeyOperation`: the signatures exist in this process, before the completing transaction;
 * - `auditInsert`: inside the completing transaction, just before its audit entry is inserted;
 * - `afterCommit`: the completion is committed, before the response is sent.
 */
export type SigningFaultPoint = 'afterReserve' | 'afterKeyOperation' | 'auditInsert' | 'afterCommit';

/** Every fault point, in protocol order. */
export const signingFaultPoints: readonly SigningFaultPoint[] = [
  'afterReserve',
  'afterKeyOperation',
  'auditInsert',
  'afterCommit',
];

/** Which request reached the point. */
export interface SigningFaultContext {
  readonly requestId: string;
  readonly attempt: number;
}

/** Called at each point: throwing (or never settling) simulates the fault there. */
export interface SigningFaultHooks {
  reach(point: SigningFaultPoint, request: SigningFaultContext): void | Promise<void>;
}
