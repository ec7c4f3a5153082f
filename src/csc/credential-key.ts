/**
 * The credential's key, found before its SAD is consumed (issue 16 §1): a key that is missing,
 * does not decrypt under the configured KEKs, or sits on a token or token server that does not
 * answer is refused as ERR_CSC_KEY_UNAVAILABLE while the SAD is still unused, so the person's
 * authorization survives an operator's mistake and signs once the key is back.
 */
import { KeyBackendError, prepareKey, type PreparedKey } from '../keys/index.js';
import { retriableStoreError, type CredentialRow } from '../store/index.js';
import type { CscDeps } from './csc-deps.js';
import { CscError } from './errors.js';

/** A prepared key and the backend kind it lives in (for logs). */
export interface CredentialKey extends PreparedKey {
  readonly backendKind: string;
}

/**
 * Finds and prepares `row`'s key; throws ERR_CSC_KEY_UNAVAILABLE (503, nothing consumed) when it
 * cannot. A database outage while reading a key stays ERR_CSC_BACKEND_UNAVAILABLE.
 *
 * @example
 * ```ts
 * const key = await prepareCredentialKey(deps, row);
 * await deps.sads.consume(reservation);
 * const signature = await key.sign({ scheme, digestAlgorithm, digest });
 * ```
 */
export async function prepareCredentialKey(deps: CscDeps, row: CredentialRow): Promise<CredentialKey> {
  const backend = deps.keyBackends.get(row.backend_kind);
  const unavailable = (cause?: unknown): CscError =>
    new CscError('ERR_CSC_KEY_UNAVAILABLE', 'The signing key is not available; the authorization was not used', {
      ...(cause === undefined ? {} : { cause }),
      detail: {
        credential: row.id,
        backend: row.backend_kind,
        ...(cause instanceof KeyBackendError ? { keyError: cause.code } : {}),
      },
    });
  if (backend === undefined) throw unavailable();
  try {
    const key = await prepareKey(backend, row.key_ref);
    return { backendKind: backend.kind, sign: (request) => key.sign(request) };
  } catch (err) {
    const store = retriableStoreError(err);
    if (store !== undefined) {
      throw new CscError('ERR_CSC_BACKEND_UNAVAILABLE', 'The signing service is temporarily unavailable', { cause: store });
    }
    throw unavailable(err);
  }
}
