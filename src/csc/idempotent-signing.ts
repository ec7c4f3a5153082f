/**
 * Idempotent signHash/signDoc (docs/security.md SAD-07 and the §3.10 fault table; the request
 * semantics of draft-ietf-httpapi-idempotency-key-header): a request sent with an
 * `Idempotency-Key` runs in two transactions around the key operation.
 *
 * 1. Reserve: the SAD slots are consumed (as without a key) and a `signing_requests` row
 *    (`in_flight`, request fingerprint) is inserted, audited `signing.started`.
 * 2. The key operation, in this process only.
 * 3. Complete: the response is stored and the row marked `completed` by a conditional UPDATE on
 *    (state, attempt), audited `signing.completed`; only then is the response sent.
 *
 * A retry with the same (user, client, key) and fingerprint gets the stored response without a
 * key operation (`signing.replayed`); a different request under the key is refused (422); while the
 * first is `in_flight` the retry gets 409 + Retry-After. The sweeper abandons rows left
 * `in_flight` longer than T (their signatures never left the process: completion needs the row);
 * an abandoned request is taken over only by a retry with the same fingerprint, i.e. the same
 * SAD, hashes and key, which re-checks the SAD (INV-1), signs again and completes
 * (`signing.retry`). INV-2 holds: slots are consumed once, and a response leaves only after the
 * single successful completion of its row.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendAudit, appendAuditNow, type AuditEvent } from '../audit/index.js';
import { SadError, hashSadToken, type ConsumeSadRequest, type ReservedSad } from '../auth/index.js';
import { toHex } from '../core/bytes.js';
import {
  completeSigningRequest,
  findSigningRequest,
  insertSigningRequest,
  isUniqueViolation,
  resumeSigningRequest,
  abandonSigningRequest,
  type Db,
  type SigningRequestRow,
} from '../store/index.js';
import type { CscDeps } from './csc-deps.js';
import { CscError } from './errors.js';
import type { CscBody } from './request-params.js';

/** The default bound T after which an `in_flight` request is abandoned (ms). */
export const defaultAbandonAfterMs = 60_000;

/** The signing operations that accept an `Idempotency-Key`. */
export type IdempotentOperation = 'signatures/signHash' | 'signatures/signDoc';

/** One idempotent call: its key, what it reserves, and the request it must match on a retry. */
export interface IdempotentCall {
  readonly key: string;
  readonly operation: IdempotentOperation;
  /** The (v2) request body, fingerprinted with the operation and the SAD. */
  readonly body: CscBody;
  readonly reservation: ConsumeSadRequest;
  /**
   * Runs before the SAD is consumed (a new reservation or the takeover of an abandoned one), not
   * for a replay: finds the key, so a key that cannot be reached leaves the SAD usable.
   */
  readonly prepare?: () => Promise<void>;
}

/** The response of a signing operation, stored as JSON until the row is purged. */
export type SigningResponse = Record<string, unknown>;

const maxFingerprintDepth = 16;

/** Canonical JSON (sorted keys; `null` members dropped, CSC v2 §7.1 "omitted ≡ null"), depth-bounded. */
function canonical(value: unknown, depth: number): unknown {
  if (depth > maxFingerprintDepth) throw new CscError('ERR_CSC_INVALID_REQUEST', 'The request body is nested too deeply');
  if (Array.isArray(value)) return value.map((v) => canonical(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== null && v !== undefined) out[key] = canonical(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** SHA-256 over the operation, the SAD's hash and the canonical body: equal only for the same request. */
export function requestFingerprint(operation: IdempotentOperation, body: CscBody, sadIdHash: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update(`${operation}\n${toHex(sadIdHash)}\n`)
      .update(JSON.stringify(canonical(body, 0)))
      .digest(),
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function abandonAfter(deps: CscDeps): number {
  return deps.signing?.abandonAfterMs ?? defaultAbandonAfterMs;
}

/** An attempt that owns a row in state `in_flight`. */
interface Attempt {
  readonly requestId: string;
  readonly attempt: number;
  /** Issue 21: the batch receipts of the reserved hashes (stored with the reservation), for the answer. */
  readonly receipts?: ReservedSad['receipts'];
}

/** What `sign` is given: the reserved hashes' batch receipts, when the SAD binds a root. */
export type SignWithReceipts = (receipts: ReservedSad['receipts']) => Promise<SigningResponse>;

function event(
  call: IdempotentCall,
  type: string,
  details: { readonly [key: string]: string | number | readonly string[] },
): AuditEvent {
  const r = call.reservation;
  return {
    type,
    outcome: 'success',
    actorUserId: r.userId,
    actorClientId: r.clientId,
    subject: `credential:${r.credentialId}`,
    details: { operation: call.operation, idempotencyKey: call.key, ...details },
    ...(r.sourceAddress === undefined ? {} : { sourceAddress: r.sourceAddress }),
    ...(r.traceId === undefined ? {} : { traceId: r.traceId }),
  };
}

function sortedBase64(hashes: readonly Uint8Array[]): string[] {
  return hashes.map((h) => Buffer.from(h).toString('base64')).sort();
}

/**
 * Runs `sign` (the key operation and the response it yields) under the idempotency protocol.
 * `sign` runs only after this request's reservation (or takeover) committed; it is given the
 * reservation's batch receipts, so the stored response — what every replay answers — holds them.
 */
export async function signIdempotently(
  deps: CscDeps,
  call: IdempotentCall,
  sign: SignWithReceipts,
): Promise<SigningResponse> {
  const r = call.reservation;
  const sadIdHash = hashSadToken(r.sad);
  const fingerprint = requestFingerprint(call.operation, call.body, sadIdHash);
  const existing = await findSigningRequest(deps.store.db, r.userId, r.clientId, call.key);
  if (existing !== undefined) return answerRetry(deps, call, existing, fingerprint, sign);
  await call.prepare?.();
  let started: Attempt;
  try {
    started = await deps.sads.reserve(r, async (trx, sad) => {
      const now = deps.clock.now().getTime();
      const requestId = randomUUID();
      const hashes = sortedBase64(r.hashes);
      await insertSigningRequest(trx, {
        id: requestId,
        user_id: r.userId,
        client_id: r.clientId,
        idempotency_key: call.key,
        fingerprint,
        sad_id: sad.idHash,
        credential_id: r.credentialId,
        operation: call.operation,
        hashes: JSON.stringify(hashes),
        state: 'in_flight',
        attempt: 1,
        result: null,
        created_at: now,
        updated_at: now,
        // Kept while a retry could still use it: past the SAD's expiry no retry can sign, and a
        // completed result is no longer needed once the SAD could not have been used any more.
        purge_at: sad.expiresAt + abandonAfter(deps),
      });
      await appendAudit(
        trx,
        event(call, 'signing.started', { requestId, attempt: 1, sadRef: toHex(sad.idHash.subarray(0, 8)), hashes }),
        deps.audit,
      );
      return { requestId, attempt: 1, ...(sad.receipts === undefined ? {} : { receipts: sad.receipts }) };
    });
  } catch (err) {
    // Another instance of this key reserved first (its row collided, or it used the slots):
    // answer as a retry of that one.
    if (isUniqueViolation(err) || (err instanceof SadError && err.code === 'ERR_SAD_CONSUMED')) {
      const winner = await findSigningRequest(deps.store.db, r.userId, r.clientId, call.key);
      if (winner !== undefined) return answerRetry(deps, call, winner, fingerprint, sign);
    }
    throw err;
  }
  return run(deps, call, started, sign);
}

/** The second and later requests with a key. */
async function answerRetry(
  deps: CscDeps,
  call: IdempotentCall,
  row: SigningRequestRow,
  fingerprint: Uint8Array,
  sign: SignWithReceipts,
): Promise<SigningResponse> {
  if (!sameBytes(row.fingerprint, fingerprint)) {
    throw new CscError('ERR_CSC_IDEMPOTENCY_KEY_REUSED', 'The Idempotency-Key was used for a different request', {
      detail: { requestId: row.id },
    });
  }
  switch (row.state) {
    case 'completed': {
      // SAD-07: the stored response, no key operation.
      await appendAuditNow(deps.store, event(call, 'signing.replayed', { requestId: row.id, attempt: row.attempt }), deps.audit);
      return JSON.parse(row.result ?? 'null') as SigningResponse;
    }
    case 'in_flight':
      throw inProgress(deps, row);
    case 'abandoned': {
      await call.prepare?.();
      const resumed = await deps.sads.recheck(call.reservation, async (trx, sad) => {
        const now = deps.clock.now().getTime();
        const attempt = await resumeSigningRequest(trx, row.id, now);
        if (attempt === undefined) return undefined;
        await appendAudit(trx, event(call, 'signing.retry', { requestId: row.id, attempt }), deps.audit);
        // The receipts the first attempt's reservation stored: the same ones a replay answers.
        return { requestId: row.id, attempt, ...(sad.receipts === undefined ? {} : { receipts: sad.receipts }) };
      });
      if (resumed === undefined) {
        // Another retry took it over first.
        const now = await findSigningRequest(deps.store.db, row.user_id, row.client_id, row.idempotency_key);
        if (now?.state === 'completed') return answerRetry(deps, call, now, fingerprint, sign);
        throw inProgress(deps, now ?? row);
      }
      return run(deps, call, resumed, sign);
    }
  }
}

function inProgress(deps: CscDeps, row: SigningRequestRow): CscError {
  // Until the sweeper may abandon it, at least 1 s (RFC 9110 §10.2.3 delay-seconds).
  const wait = row.updated_at + abandonAfter(deps) - deps.clock.now().getTime();
  return new CscError('ERR_CSC_REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is in progress', {
    retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)),
    detail: { requestId: row.id, attempt: row.attempt },
  });
}

/** The key operation and the completing transaction of an attempt that owns its row. */
async function run(
  deps: CscDeps,
  call: IdempotentCall,
  owned: Attempt,
  sign: SignWithReceipts,
): Promise<SigningResponse> {
  const faults = deps.signing?.faults;
  if (faults !== undefined) await faults.reach('afterReserve', owned);
  let response: SigningResponse;
  try {
    response = await sign(owned.receipts);
  } catch (err) {
    // A definite failure in this process: nothing left it, so the request can be retried at
    // once instead of after T (the sweeper's job when the process itself is gone).
    await abandonNow(deps, call, owned).catch(() => undefined);
    throw err;
  }
  if (faults !== undefined) await faults.reach('afterKeyOperation', owned);
  const completed = await deps.store.transaction(async (trx: Db) => {
    const now = deps.clock.now().getTime();
    if (!(await completeSigningRequest(trx, owned.requestId, owned.attempt, JSON.stringify(response), now))) return false;
    if (faults !== undefined) await faults.reach('auditInsert', owned);
    await appendAudit(
      trx,
      event(call, 'signing.completed', {
        requestId: owned.requestId,
        attempt: owned.attempt,
        hashes: sortedBase64(call.reservation.hashes),
      }),
      deps.audit,
    );
    return true;
  });
  if (!completed) {
    // The sweeper abandoned this attempt (or a retry took it over): its signatures are dropped.
    throw new CscError('ERR_CSC_SERVER', 'The signature could not be created', {
      detail: { reason: 'signing request no longer owned by this attempt', requestId: owned.requestId, attempt: owned.attempt },
    });
  }
  if (faults !== undefined) await faults.reach('afterCommit', owned);
  return response;
}

async function abandonNow(deps: CscDeps, call: IdempotentCall, owned: Attempt): Promise<void> {
  await deps.store.transaction(async (trx) => {
    const now = deps.clock.now().getTime();
    if (await abandonSigningRequest(trx, owned.requestId, owned.attempt, now, now)) {
      await appendAudit(
        trx,
        event(call, 'signing.abandoned', { requestId: owned.requestId, attempt: owned.attempt, reason: 'key operation failed' }),
        deps.audit,
      );
    }
  });
}
