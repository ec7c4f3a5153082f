/** Errors of the key backends (software keystore, PKCS#11, remote token server): stable codes. */
import { SignetError } from '../core/errors.js';

/** Every code a key backend throws (docs/errors/keys.md lists their meaning). */
export type KeyErrorCode =
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_DISABLED'
  | 'ERR_KEY_EXISTS'
  | 'ERR_KEY_LABEL_INVALID'
  | 'ERR_KEY_REF_INVALID'
  | 'ERR_KEY_SPEC_UNSUPPORTED'
  | 'ERR_KEY_DIGEST_INVALID'
  | 'ERR_KEY_BACKEND_UNAVAILABLE'
  | 'ERR_KEY_BACKEND_BUSY'
  | 'ERR_KEY_BACKEND_CLOSED'
  | 'ERR_KEY_MECHANISM_UNSUPPORTED'
  | 'ERR_KEY_CAPABILITY_UNSUPPORTED'
  | 'ERR_KEY_SIGN_FAILED'
  | 'ERR_KEY_TOKEN_NOT_FOUND'
  | 'ERR_KEY_PIN'
  | 'ERR_KEY_SECRET'
  | 'ERR_KEY_URI_INVALID'
  | 'ERR_KEY_REMOTE'
  | 'ERR_KEY_REPLAYED'
  | 'ERR_KEYSTORE_KEK'
  | 'ERR_KEYSTORE_CORRUPT';

/**
 * A key backend refused or failed an operation. Messages never contain key material, PINs or
 * KEKs; token return values (CKR_*) go in `detail`.
 *
 * @example
 * ```ts
 * throw new KeyBackendError('ERR_KEY_NOT_FOUND', 'no key keystore:alice-1');
 * ```
 */
export class KeyBackendError extends SignetError<KeyErrorCode> {}
