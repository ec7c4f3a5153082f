/**
 * CSC credentials/extendTransaction (CSC API v2 §11.9; sole control per EN 419 241-1): a live SAD
 * is exchanged for a NEW SAD for the next hashes of the same transaction. In one database
 * transaction the old SAD is retired by a row-count-checked conditional UPDATE and its successor
 * inserted, so two racing calls yield at most one live successor (INV-2).
 *
 * What the successor inherits, and the decisions Signet takes where the spec is silent:
 * - count: exactly the predecessor's REMAINING count (never more; `numSignatures` cannot be raised);
 * - binding and authentication context: user, credential, client and hash algorithm, and the time
 *   of the original authorisation (`authorized_at`), which no extension moves;
 * - hashes: the hashes named in the request (at most the remaining count); without hashes (SCAL1
 *   only; the caller enforces CSC's "REQUIRED for SCAL2") the predecessor's unused hashes. Hashes
 *   already signed in the transaction are carried over as used, so no hash is signed twice;
 * - expiry ceiling: min(now + lifetime, original authorisation + maxLifetimeSeconds). A transaction
 *   never outlives the longest lifetime one authorisation may have, however often it is extended.
 */
import { appendAudit, appendAuditNow, type AuditContext } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import { toHex } from '../core/bytes.js';
import { digestByOid } from '../cms/index.js';
import {
  findSadForExtension,
  insertSuccessorSad,
  listSadHashes,
  retireSad,
  type Store,
} from '../store/index.js';
import { SadError } from './errors.js';
import { checkSadBinding } from './sad-checks.js';
import { generateOpaqueToken, hashOpaqueToken } from './opaque-token.js';

/** A request to extend a SAD's transaction (CSC credentials/extendTransaction). */
export interface ExtendSadRequest {
  readonly sad: string;
  readonly userId: string;
  readonly credentialId: string;
  readonly clientId: string;
  /** The hash algorithm the caller expects; must equal the SAD's. */
  readonly hashAlgorithmOid: string;
  /** The next hashes (required by the caller for SCAL2); undefined keeps the unused ones. */
  readonly hashes?: readonly Uint8Array[];
  /** Lifetime of the successor in seconds (capped by the transaction's ceiling). */
  readonly lifetimeSeconds: number;
  readonly sourceAddress?: string;
  readonly traceId?: string;
}

/** The successor SAD: the token is returned once and never stored. */
export interface ExtendedSad {
  readonly sad: string;
  readonly expiresAt: Date;
  /** Signatures the successor authorises (the predecessor's remaining count). */
  readonly numSignatures: number;
}

/** What the extension needs from the SadService. */
export interface SadExtensionDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly maxLifetimeSeconds: number;
}

const key = (h: Uint8Array): string => toHex(h);

function checkNextHashes(hashes: readonly Uint8Array[], hashAlgorithmOid: string): void {
  const digest = digestByOid(hashAlgorithmOid);
  if (digest === undefined) {
    throw new SadError('ERR_SAD_ALGORITHM', 'the hash algorithm is not supported');
  }
  if (hashes.length === 0) throw new SadError('ERR_SAD_HASH_INVALID', 'no hashes were given');
  const seen = new Set<string>();
  for (const h of hashes) {
    if (h.length !== digest.length) {
      throw new SadError(
        'ERR_SAD_HASH_INVALID',
        `a hash has ${h.length} bytes; ${digest.name} hashes have ${digest.length}`,
      );
    }
    if (seen.has(key(h))) {
      throw new SadError('ERR_SAD_HASH_INVALID', 'the hash list contains duplicates');
    }
    seen.add(key(h));
  }
}

/**
 * Retires `request.sad` and issues its successor, or refuses with a SadError (audited as
 * `sad.extend:failure`; nothing changed). Success is audited with both SAD references in the
 * same transaction.
 */
export async function extendSadTransaction(
  deps: SadExtensionDeps,
  request: ExtendSadRequest,
): Promise<ExtendedSad> {
  const idHash = hashOpaqueToken(request.sad);
  const ref = toHex(idHash.subarray(0, 8));
  try {
    const lifetime = request.lifetimeSeconds;
    if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > deps.maxLifetimeSeconds) {
      throw new SadError(
        'ERR_SAD_REQUEST_INVALID',
        `the SAD lifetime must be between 1 and ${deps.maxLifetimeSeconds} seconds`,
      );
    }
    if (request.hashes !== undefined) checkNextHashes(request.hashes, request.hashAlgorithmOid);
    return await deps.store.transaction(async (trx) => {
      const now = deps.clock.now().getTime();
      const row = await findSadForExtension(trx, idHash);
      // docs/security.md SAD-17: only the user, client and credential the SAD was issued to may extend it.
      checkSadBinding(row, request, now);
      if (
        row.credential_status !== 'active' ||
        row.credential_locked !== 0 ||
        row.user_status !== 'active'
      ) {
        throw new SadError('ERR_SAD_CREDENTIAL_UNUSABLE', 'the credential cannot sign at present');
      }
      // The ceiling is measured from the original authorisation, never from an extension.
      const ceiling = row.transaction_authorized_at + deps.maxLifetimeSeconds * 1000;
      if (ceiling <= now) {
        throw new SadError('ERR_SAD_EXPIRED', 'the transaction has reached its maximum lifetime');
      }
      // INV-2: the conditional UPDATE decides under the row lock; a racing extend, consume or
      // revoke that committed first leaves nothing to retire.
      const remaining = await retireSad(trx, idHash, now);
      if (remaining === undefined) {
        throw new SadError('ERR_SAD_CONSUMED', 'the SAD does not authorise signatures any more');
      }
      const history = await listSadHashes(trx, idHash);
      const used = history.filter((h) => h.used);
      const usedKeys = new Set(used.map((h) => key(h.hash)));
      let next: readonly Uint8Array[];
      if (request.hashes === undefined) {
        next = history.filter((h) => !h.used).map((h) => h.hash);
        if (next.length === 0) {
          throw new SadError('ERR_SAD_HASH_INVALID', 'no unused hashes to carry over; name the next hashes');
        }
      } else {
        if (request.hashes.length > remaining) {
          throw new SadError(
            'ERR_SAD_COUNT_EXCEEDED',
            `${request.hashes.length} hashes named; the SAD authorises ${remaining} more signatures`,
          );
        }
        // docs/security.md SAD-06: each hash at most once in the whole transaction.
        if (request.hashes.some((h) => usedKeys.has(key(h)))) {
          throw new SadError('ERR_SAD_CONSUMED', 'a hash was already signed in this transaction');
        }
        next = request.hashes;
      }
      const { token, hash: successorId } = generateOpaqueToken();
      const expiresAt = Math.min(now + lifetime * 1000, ceiling);
      const nextKeys = new Set(next.map(key));
      await insertSuccessorSad(
        trx,
        {
          id_hash: successorId,
          user_id: row.user_id,
          credential_id: row.credential_id,
          client_id: row.client_id,
          hash_algorithm_oid: row.hash_algorithm_oid,
          num_signatures: remaining,
          remaining,
          expires_at: expiresAt,
          revoked: 0,
          created_at: now,
          authorized_at: row.transaction_authorized_at,
          predecessor_id: idHash,
        },
        [
          ...[...next]
            .sort((a, b) => Buffer.compare(a, b))
            .map((hash) => ({ hash: new Uint8Array(hash), used: false })),
          ...used.filter((h) => !nextKeys.has(key(h.hash))),
        ],
      );
      await appendAudit(
        trx,
        event(request, 'success', {
          sadRef: ref,
          successorRef: toHex(successorId.subarray(0, 8)),
          numSignatures: remaining,
          hashes: next.map((h) => Buffer.from(h).toString('base64')),
          expiresAt: new Date(expiresAt).toISOString(),
        }),
        deps.audit,
      );
      return { sad: token, expiresAt: new Date(expiresAt), numSignatures: remaining };
    });
  } catch (err) {
    if (err instanceof SadError) {
      await appendAuditNow(
        deps.store,
        event(request, 'failure', { sadRef: ref, error: err.code }),
        deps.audit,
      );
    }
    throw err;
  }
}

function event(
  request: ExtendSadRequest,
  outcome: 'success' | 'failure',
  details: { readonly [key: string]: string | number | readonly string[] },
) {
  return {
    type: 'sad.extend',
    outcome,
    actorUserId: request.userId,
    actorClientId: request.clientId,
    subject: `credential:${request.credentialId}`,
    details,
    ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
    ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
  } as const;
}
