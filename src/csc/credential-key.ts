/**
 * The credential's key, found before its SAD is consumed (issue 16 §1): a key that is missing,
 * does not decrypt under the configured KEKs, or sits on a token or token server that does not
 * answer is refused as ERR_CSC_KEY_UNAVAILABLE while the SAD is still unused, so the person's
 * authorization survives an operator's mistake and signs once the key is back.
 *
 * A credential may hold several keys on different tokens (issue 16 §2, credential-keys.ts): the
 * key is then chosen from the candidates of the request's `signet_key` by the node's KeyPool.
 */
import { KeyBackendError, prepareKey, type PreparedKey } from '../keys/index.js';
import { retriableStoreError, type CredentialRow } from '../store/index.js';
import type { CscDeps } from './csc-deps.js';
import type { CredentialKeyEntry } from './credential-keys.js';
import { CscError } from './errors.js';
import { KeyPool, type PoolKey } from './key-pool.js';

/** A prepared key and the backend kind it lives in (for logs). */
export interface CredentialKey extends PreparedKey {
  readonly backendKind: string;
}

/**
 * Finds and prepares `row`'s key (or `key`, one of its further keys); throws
 * ERR_CSC_KEY_UNAVAILABLE (503, nothing consumed) when it cannot. A database outage while reading
 * a key stays ERR_CSC_BACKEND_UNAVAILABLE.
 *
 * @example
 * ```ts
 * const key = await prepareCredentialKey(deps, row);
 * await deps.sads.consume(reservation);
 * const signature = await key.sign({ scheme, digestAlgorithm, digest });
 * ```
 */
export async function prepareCredentialKey(
  deps: CscDeps,
  row: CredentialRow,
  key: PoolKey = { backendKind: row.backend_kind, keyRef: row.key_ref },
): Promise<CredentialKey> {
  const backend = deps.keyBackends.get(key.backendKind);
  const unavailable = (cause?: unknown): CscError =>
    new CscError(
      'ERR_CSC_KEY_UNAVAILABLE',
      'The signing key is not available; the authorization was not used',
      {
        ...(cause === undefined ? {} : { cause }),
        detail: {
          credential: row.id,
          backend: key.backendKind,
          ...(cause instanceof KeyBackendError ? { keyError: cause.code } : {}),
        },
      },
    );
  if (backend === undefined) throw unavailable();
  try {
    const prepared = await prepareKey(backend, key.keyRef);
    const { signChecked } = prepared;
    return {
      backendKind: backend.kind,
      sign: (request) => prepared.sign(request),
      // SAD-24's output self-check made by the signer, where the backend offers it (sign-hash.ts).
      ...(signChecked === undefined ? {} : { signChecked: (request, publicKey) => signChecked.call(prepared, request, publicKey) }),
    };
  } catch (err) {
    const store = retriableStoreError(err);
    if (store !== undefined) {
      throw new CscError(
        'ERR_CSC_BACKEND_UNAVAILABLE',
        'The signing service is temporarily unavailable',
        { cause: store },
      );
    }
    throw unavailable(err);
  }
}

/**
 * A key chosen from a credential's candidates and made ready to sign; its signatures count as in
 * flight from the choice until `release()` (idempotent), so concurrent requests spread at once.
 */
export interface ChosenKey {
  readonly entry: CredentialKeyEntry;
  readonly key: CredentialKey;
  release(): void;
}

const fallbackPools = new WeakMap<ReadonlyMap<string, unknown>, KeyPool>();

/** The node's KeyPool: the one wired in by server/, else one per set of key backends. */
export function keyPoolOf(deps: CscDeps): KeyPool {
  if (deps.keyPool !== undefined) return deps.keyPool;
  let pool = fallbackPools.get(deps.keyBackends);
  if (pool === undefined) {
    pool = new KeyPool(deps.clock);
    fallbackPools.set(deps.keyBackends, pool);
  }
  return pool;
}

/**
 * Prepares the first candidate that answers, in the pool's order (least busy healthy first); a
 * candidate whose token fails is taken out for its back-off. None: the last ERR_CSC_KEY_UNAVAILABLE,
 * before anything was consumed.
 */
export async function chooseCredentialKey(
  deps: CscDeps,
  row: CredentialRow,
  candidates: readonly CredentialKeyEntry[],
  signatures: number,
  tried: ReadonlySet<CredentialKeyEntry> = new Set(),
): Promise<ChosenKey> {
  const pool = keyPoolOf(deps);
  // Made only when every candidate failed: an error captures its stack when it is constructed,
  // which every signHash paid for here (issue 19).
  let last: unknown;
  for (const entry of pool.order(candidates.filter((c) => !tried.has(c)))) {
    const release = pool.acquire(entry, signatures);
    try {
      const key = await prepareCredentialKey(deps, row, entry);
      pool.succeeded(entry);
      return { entry, key, release };
    } catch (err) {
      release();
      if (!(err instanceof CscError && err.code === 'ERR_CSC_KEY_UNAVAILABLE')) throw err;
      pool.failed(entry);
      last = err;
    }
  }
  throw last ??
    new CscError('ERR_CSC_KEY_UNAVAILABLE', 'The signing key is not available; the authorization was not used', {
      detail: { credential: row.id, reason: 'no further key to try' },
    });
}

/** Key errors that say the token (or the path to it) failed, not the request. */
const tokenFailures: ReadonlySet<string> = new Set([
  'ERR_KEY_BACKEND_UNAVAILABLE',
  'ERR_KEY_BACKEND_BUSY',
  'ERR_KEY_BACKEND_CLOSED',
  'ERR_KEY_REMOTE',
  'ERR_KEY_SIGN_FAILED',
  'ERR_KEY_NOT_FOUND',
  'ERR_KEY_TOKEN_NOT_FOUND',
  'ERR_KEY_PIN',
]);

/** True when `err` is a token failure after which another key of the credential may sign. */
export function isTokenFailure(err: unknown): boolean {
  // A key error may reach here wrapped (a PAdES signer's failure carries it as its cause).
  for (
    let e = err, depth = 0;
    e !== undefined && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if (e instanceof KeyBackendError) return tokenFailures.has(e.code);
    if (typeof e !== 'object' || e === null) return false;
  }
  return false;
}

/**
 * Runs `sign` with the chosen key (released at the end, as every key chosen here); when the
 * key's token fails and `failover` holds, the key is taken out and the whole request is signed again with the next
 * candidate (the failed key's results are never released: every signature of an answer comes from
 * one key, the one the answer names). Without another candidate the failure stands.
 */
export async function signWithFailover<T>(
  deps: CscDeps,
  row: CredentialRow,
  first: ChosenKey,
  candidates: readonly CredentialKeyEntry[],
  signatures: number,
  failover: boolean,
  sign: (chosen: ChosenKey) => Promise<T>,
): Promise<{ readonly chosen: ChosenKey; readonly result: T }> {
  const pool = keyPoolOf(deps);
  const tried = new Set<CredentialKeyEntry>();
  let chosen = first;
  for (;;) {
    const current = chosen;
    tried.add(current.entry);
    try {
      const result = await sign(current);
      pool.succeeded(current.entry);
      return { chosen: current, result };
    } catch (err) {
      if (!isTokenFailure(err)) throw err;
      pool.failed(current.entry);
      if (!failover) throw err;
      let next: ChosenKey;
      try {
        next = await chooseCredentialKey(deps, row, candidates, signatures, tried);
      } catch {
        throw err;
      }
      chosen = next;
    } finally {
      current.release();
    }
  }
}
