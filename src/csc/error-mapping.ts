/**
 * Domain errors → CSC errors (CSC API v2 §10.2 and the v2 text's canonical descriptions). One
 * row per code; nothing internal reaches `error_description` (docs/security.md: never leak internals).
 */
import { AuthError, SadError, type AuthErrorCode, type SadErrorCode } from '../auth/index.js';
import { KeyBackendError } from '../keys/index.js';
import { PadesError } from '../pades/index.js';
import { PdfError } from '../pdf/index.js';
import { retriableStoreError } from '../store/index.js';
import { CscError, type CscErrorCode } from './errors.js';
import type { CscVersion } from './csc-deps.js';

const sadErrors: Readonly<Record<SadErrorCode, readonly [CscErrorCode, string]>> = {
  // docs/security.md SAD-09: another user's SAD answers like an unknown one.
  ERR_SAD_NOT_FOUND: ['ERR_CSC_INVALID_REQUEST', 'Invalid parameter SAD'],
  ERR_SAD_EXPIRED: ['ERR_CSC_INVALID_REQUEST', 'SAD expired'],
  ERR_SAD_REVOKED: ['ERR_CSC_INVALID_REQUEST', 'Invalid parameter SAD'],
  ERR_SAD_CONSUMED: ['ERR_CSC_INVALID_REQUEST', 'The SAD does not authorize these signatures any more'],
  ERR_SAD_HASH_NOT_AUTHORIZED: ['ERR_CSC_INVALID_REQUEST', 'Hash is not authorized by the SAD'],
  // Length is checked before the SAD service runs; what remains is duplicates or too many.
  ERR_SAD_HASH_INVALID: ['ERR_CSC_INVALID_REQUEST', 'Invalid parameter hashes'],
  ERR_SAD_BINDING: ['ERR_CSC_INVALID_REQUEST', 'Invalid parameter SAD'],
  ERR_SAD_ALGORITHM: ['ERR_CSC_INVALID_REQUEST', 'Invalid parameter hashAlgorithmOID'],
  ERR_SAD_CREDENTIAL_UNUSABLE: [
    'ERR_CSC_INVALID_REQUEST',
    'The credential identified by credentialID is disabled',
  ],
  // The same answer as a revoked credential at signHash (request-scope.ts requireUsableCredential).
  ERR_SAD_CERTIFICATE_REVOKED: ['ERR_CSC_INVALID_REQUEST', 'Signing certificate is revoked'],
  ERR_SAD_REQUEST_INVALID: ['ERR_CSC_INVALID_REQUEST', 'Invalid value for parameter numSignatures'],
  // CSC v2 §11.9: a successor SAD never authorises more than the remaining count.
  ERR_SAD_COUNT_EXCEEDED: ['ERR_CSC_INVALID_REQUEST', 'Numbers of signatures is too high'],
  // Issue 21: the Signet extension parameter signet_batchProofs (docs/csc.md).
  ERR_SAD_BATCH_PROOF: ['ERR_CSC_INVALID_REQUEST', 'Hash is not authorized by the SAD: its inclusion proof does not verify'],
  ERR_SAD_BATCH_PROOF_REQUIRED: ['ERR_CSC_INVALID_REQUEST', 'Missing (or invalid type) array parameter signet_batchProofs'],
};

function authError(code: AuthErrorCode, version: CscVersion): readonly [CscErrorCode, string] {
  switch (code) {
    case 'ERR_AUTH_PIN_INVALID':
      return version === 'v1'
        ? ['ERR_CSC_INVALID_PIN', 'The PIN is invalid']
        : ['ERR_CSC_INVALID_AUTH_DATA', 'The authentication data is invalid'];
    case 'ERR_AUTH_OTP_INVALID':
    case 'ERR_AUTH_OTP_REPLAYED':
    case 'ERR_AUTH_TOTP_NOT_ENROLLED':
      return version === 'v1'
        ? ['ERR_CSC_INVALID_OTP', 'The OTP is invalid']
        : ['ERR_CSC_INVALID_AUTH_DATA', 'The authentication data is invalid'];
    case 'ERR_AUTH_CREDENTIAL_LOCKED':
      return ['ERR_CSC_INVALID_REQUEST', 'Credential locked'];
    case 'ERR_AUTH_CREDENTIAL_NOT_FOUND':
      return ['ERR_CSC_INVALID_REQUEST', 'Invalid parameter credentialID'];
    case 'ERR_AUTH_INVALID_CREDENTIALS':
    case 'ERR_AUTH_LOCKED':
      return ['ERR_CSC_AUTHENTICATION', 'Authentication failed'];
    case 'ERR_AUTH_THROTTLED':
      return ['ERR_CSC_THROTTLED', 'Too many attempts; try again later'];
    case 'ERR_AUTH_SECRET_FORMAT':
    case 'ERR_AUTH_SECRET_BOX':
    case 'ERR_AUTH_POLICY':
      return ['ERR_CSC_SERVER', 'Internal error'];
  }
}

/** Maps any thrown value to a CscError (unknown errors become server_error with the cause kept). */
export function toCscError(err: unknown, version: CscVersion): CscError {
  if (err instanceof CscError) return err;
  if (err instanceof SadError) {
    const [code, message] = sadErrors[err.code];
    return new CscError(code, message, { cause: err });
  }
  if (err instanceof AuthError) {
    const [code, message] = authError(err.code, version);
    return new CscError(code, message, { cause: err });
  }
  if (err instanceof KeyBackendError) {
    const busy =
      err.code === 'ERR_KEY_BACKEND_BUSY' ||
      err.code === 'ERR_KEY_BACKEND_UNAVAILABLE' ||
      err.code === 'ERR_KEY_BACKEND_CLOSED';
    return busy
      ? new CscError('ERR_CSC_BACKEND_UNAVAILABLE', 'The signing service is temporarily unavailable', { cause: err })
      : new CscError('ERR_CSC_SERVER', 'The signature could not be created', { cause: err });
  }
  // Issue 15: a document the PDF engine or the PAdES layer refuses (malformed, ambiguous,
  // encrypted, over a resource limit) is the caller's input, not a server failure: 400, code named.
  if (err instanceof PdfError || err instanceof PadesError) {
    return new CscError('ERR_CSC_INVALID_REQUEST', `Invalid document: ${err.code}`, { cause: err });
  }
  // docs/security.md FLT-06/08/09: a lost database connection, a lock wait or a full disk is
  // retriable (503 + Retry-After), never a 500; nothing was delivered.
  const store = retriableStoreError(err);
  if (store !== undefined) {
    return new CscError('ERR_CSC_BACKEND_UNAVAILABLE', 'The signing service is temporarily unavailable', { cause: store });
  }
  return new CscError('ERR_CSC_SERVER', 'Internal error', { cause: err });
}
