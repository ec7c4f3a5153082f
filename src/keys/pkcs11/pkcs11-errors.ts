/**
 * Classifies PKCS#11 return values (PKCS#11 v2.40 §5.1) into what the session pool does next:
 * drop the session, log in again, re-initialise the module, or report a key error.
 */
import pkcs11js from 'pkcs11js';
import { KeyBackendError } from '../errors.js';

/** What a failed call means for the pool. */
export type Pkcs11Failure =
  'session-lost' | 'not-logged-in' | 'handle-stale' | 'module-lost' | 'pin' | 'other';

/** The CKR_* name of a pkcs11js error, or undefined when it is not a PKCS#11 error. */
export function ckrName(err: unknown): string | undefined {
  if (err instanceof Error) {
    const match = /(CKR_[A-Z0-9_]+)/.exec(err.message);
    return match?.[1];
  }
  return undefined;
}

/** The numeric CKR_* value of a pkcs11js error, or undefined. */
export function ckrCode(err: unknown): number | undefined {
  return err instanceof pkcs11js.Pkcs11Error ? err.code : undefined;
}

/** Classifies a failure by its CKR_* value. */
export function classifyPkcs11Failure(err: unknown): Pkcs11Failure {
  switch (ckrName(err) ?? '') {
    case 'CKR_SESSION_HANDLE_INVALID':
    case 'CKR_SESSION_CLOSED':
      return 'session-lost';
    case 'CKR_USER_NOT_LOGGED_IN':
      return 'not-logged-in';
    // Object handles of private objects may die with the login state (e.g. after the last
    // session closed): find the objects again.
    case 'CKR_OBJECT_HANDLE_INVALID':
    case 'CKR_KEY_HANDLE_INVALID':
      return 'handle-stale';
    case 'CKR_CRYPTOKI_NOT_INITIALIZED':
    case 'CKR_DEVICE_REMOVED':
    case 'CKR_DEVICE_ERROR':
    case 'CKR_TOKEN_NOT_PRESENT':
    case 'CKR_TOKEN_NOT_RECOGNIZED':
    case 'CKR_SLOT_ID_INVALID':
      return 'module-lost';
    case 'CKR_PIN_INCORRECT':
    case 'CKR_PIN_LOCKED':
    case 'CKR_PIN_EXPIRED':
    case 'CKR_PIN_INVALID':
    case 'CKR_PIN_LEN_RANGE':
      return 'pin';
    default:
      return 'other';
  }
}

/** Wraps a PKCS#11 failure in a KeyBackendError; the CKR_* name goes into `detail` and the message. */
export function toKeyError(err: unknown, what: string): KeyBackendError {
  if (err instanceof KeyBackendError) return err;
  const ckr = ckrName(err);
  const kind = classifyPkcs11Failure(err);
  const code =
    kind === 'pin'
      ? 'ERR_KEY_PIN'
      : kind === 'module-lost' || kind === 'session-lost'
        ? 'ERR_KEY_BACKEND_UNAVAILABLE'
        : ckr === 'CKR_MECHANISM_INVALID' ||
            ckr === 'CKR_MECHANISM_PARAM_INVALID' ||
            ckr === 'CKR_KEY_TYPE_INCONSISTENT'
          ? 'ERR_KEY_MECHANISM_UNSUPPORTED'
          : 'ERR_KEY_SIGN_FAILED';
  return new KeyBackendError(code, `${what} failed${ckr ? ` (${ckr})` : ''}`, {
    cause: err,
    detail: { ckr: ckr ?? null },
  });
}
