/** Errors of local key files (PEM keys, PKCS#12 / RFC 7292 containers). Messages never carry key material. */
import { SignetError } from '../../core/errors.js';

/** Stable codes of {@link LocalKeyError} (listed in docs/errors/keys-local.md). */
export type LocalKeyErrorCode =
  | 'ERR_KEY_FILE_FORMAT'
  | 'ERR_KEY_FILE_PASSPHRASE'
  | 'ERR_KEY_FILE_UNSUPPORTED'
  | 'ERR_KEY_FILE_LIMIT'
  | 'ERR_KEY_CERT_MISMATCH'
  | 'ERR_KEY_CERT_FORMAT'
  | 'ERR_KEY_SCHEME_MISMATCH'
  | 'ERR_KEY_FILE_SIGN_FAILED';

/**
 * A local key file or its certificates cannot be used.
 *
 * @example
 * ```ts
 * throw new LocalKeyError('ERR_KEY_FILE_PASSPHRASE', 'wrong passphrase for the key file');
 * ```
 */
export class LocalKeyError extends SignetError<LocalKeyErrorCode> {}
