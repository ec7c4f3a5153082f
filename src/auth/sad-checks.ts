/** The use-time binding checks a SAD row must pass before it is consumed or extended. */
import { SadError } from './errors.js';

/** The row fields the checks read (sads joined as for use or for extension). */
export interface SadBindingRow {
  readonly user_id: string;
  readonly credential_id: string;
  readonly client_id: string;
  readonly hash_algorithm_oid: string;
  readonly revoked: number;
  readonly expires_at: number;
}

/**
 * Throws the refusal when `row` is not a live SAD of this user, credential, client and hash
 * algorithm at `now` (docs/security.md SAD-08…15, SAD-17).
 */
export function checkSadBinding<R extends SadBindingRow>(
  row: R | undefined,
  request: { readonly userId: string; readonly credentialId: string; readonly clientId: string; readonly hashAlgorithmOid: string },
  now: number,
): asserts row is R {
  // docs/security.md SAD-09: another user's SAD is answered like an unknown one.
  if (row === undefined || row.user_id !== request.userId) {
    throw new SadError('ERR_SAD_NOT_FOUND', 'the SAD is not valid');
  }
  if (row.credential_id !== request.credentialId || row.client_id !== request.clientId) {
    throw new SadError('ERR_SAD_BINDING', 'the SAD was not issued for this credential and client');
  }
  if (row.hash_algorithm_oid !== request.hashAlgorithmOid) {
    throw new SadError('ERR_SAD_ALGORITHM', 'the SAD was issued for another hash algorithm');
  }
  if (row.revoked !== 0) throw new SadError('ERR_SAD_REVOKED', 'the SAD has been revoked');
  if (row.expires_at <= now) throw new SadError('ERR_SAD_EXPIRED', 'the SAD has expired');
}
