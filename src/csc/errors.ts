/**
 * CSC API errors (CSC API v2 §10.2, Table 3; v1.0.4 §10): each stable code maps to exactly one
 * HTTP status and one wire `error` name; `message` is the public `error_description`.
 */
import { SignetError, type SignetErrorOptions } from '../core/errors.js';

/** The wire `error` values Signet answers with (CSC v2 §10.2; v1 adds invalid_pin / invalid_otp). */
export type CscWireError =
  | 'invalid_request'
  | 'invalid_token'
  | 'expired_token'
  | 'access_denied'
  | 'authentication_error'
  | 'invalid_authentication_data'
  | 'invalid_pin'
  | 'invalid_otp'
  | 'invalid_hash'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'not_implemented';

/** Every code the CSC service throws (docs/errors/csc.md lists their meaning). */
export type CscErrorCode =
  | 'ERR_CSC_INVALID_REQUEST'
  | 'ERR_CSC_INVALID_TOKEN'
  | 'ERR_CSC_ACCESS_DENIED'
  | 'ERR_CSC_AUTHENTICATION'
  | 'ERR_CSC_INVALID_AUTH_DATA'
  | 'ERR_CSC_INVALID_PIN'
  | 'ERR_CSC_INVALID_OTP'
  | 'ERR_CSC_INVALID_HASH'
  | 'ERR_CSC_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_CSC_BODY_TOO_LARGE'
  | 'ERR_CSC_THROTTLED'
  | 'ERR_CSC_IDEMPOTENCY_KEY_INVALID'
  | 'ERR_CSC_IDEMPOTENCY_KEY_REUSED'
  | 'ERR_CSC_REQUEST_IN_PROGRESS'
  | 'ERR_CSC_BACKEND_UNAVAILABLE'
  | 'ERR_CSC_KEY_UNAVAILABLE'
  | 'ERR_CSC_EXTERNAL_KEY'
  | 'ERR_CSC_EXTERNAL_SIGNATURE'
  | 'ERR_CSC_SERVER'
  | 'ERR_CSC_NOT_IMPLEMENTED';

/** The (HTTP status, wire error) each code maps to: one row per code, checked by a test. */
export const cscErrorWire: Readonly<
  Record<CscErrorCode, { readonly status: number; readonly error: CscWireError }>
> = {
  ERR_CSC_INVALID_REQUEST: { status: 400, error: 'invalid_request' },
  // RFC 6750 §3.1: a missing, malformed, expired or revoked bearer token is 401 invalid_token.
  ERR_CSC_INVALID_TOKEN: { status: 401, error: 'invalid_token' },
  ERR_CSC_ACCESS_DENIED: { status: 401, error: 'access_denied' },
  ERR_CSC_AUTHENTICATION: { status: 400, error: 'authentication_error' },
  ERR_CSC_INVALID_AUTH_DATA: { status: 400, error: 'invalid_authentication_data' },
  ERR_CSC_INVALID_PIN: { status: 400, error: 'invalid_pin' },
  ERR_CSC_INVALID_OTP: { status: 400, error: 'invalid_otp' },
  // CSC v2 §11.11: a document or digest that does not match the authorised hash is 403.
  ERR_CSC_INVALID_HASH: { status: 403, error: 'invalid_hash' },
  ERR_CSC_UNSUPPORTED_MEDIA_TYPE: { status: 415, error: 'invalid_request' },
  ERR_CSC_BODY_TOO_LARGE: { status: 413, error: 'invalid_request' },
  ERR_CSC_THROTTLED: { status: 429, error: 'temporarily_unavailable' },
  ERR_CSC_IDEMPOTENCY_KEY_INVALID: { status: 400, error: 'invalid_request' },
  // draft-ietf-httpapi-idempotency-key-header §2.7: a key reused for another payload is 422, a
  // request whose first instance is still being processed is 409 (retriable, with Retry-After).
  ERR_CSC_IDEMPOTENCY_KEY_REUSED: { status: 422, error: 'invalid_request' },
  ERR_CSC_REQUEST_IN_PROGRESS: { status: 409, error: 'temporarily_unavailable' },
  ERR_CSC_BACKEND_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  // Found before the SAD was consumed (issue 16): the authorization stays usable once it is fixed.
  ERR_CSC_KEY_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  // Issue 16 §3: a credential in external mode has no key on the server (refused before any SAD use).
  ERR_CSC_EXTERNAL_KEY: { status: 400, error: 'invalid_request' },
  ERR_CSC_EXTERNAL_SIGNATURE: { status: 400, error: 'invalid_request' },
  ERR_CSC_SERVER: { status: 500, error: 'server_error' },
  ERR_CSC_NOT_IMPLEMENTED: { status: 501, error: 'not_implemented' },
};

/** A CSC error: `message` is sent as `error_description`, `detail` only logged. */
export class CscError extends SignetError<CscErrorCode> {
  /** RFC 9110 §10.2.3 `Retry-After` delay-seconds sent with a retriable answer (409, 429, 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: CscErrorCode, message: string, options: SignetErrorOptions & { readonly retryAfterSeconds?: number } = {}) {
    super(code, message, options);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The HTTP status of the answer. */
  get status(): number {
    return cscErrorWire[this.code].status;
  }

  /** The wire `error` value. */
  get error(): CscWireError {
    return cscErrorWire[this.code].error;
  }

  /** The error body (CSC v2 §10.2 errorResponse). */
  toBody(): { readonly error: CscWireError; readonly error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

/** `Missing (or invalid type) <type> parameter <name>` (the v2 text's canonical description). */
export function missingParameter(type: string, name: string): CscError {
  return new CscError('ERR_CSC_INVALID_REQUEST', `Missing (or invalid type) ${type} parameter ${name}`);
}

/** `Invalid parameter <name>`. */
export function invalidParameter(name: string): CscError {
  return new CscError('ERR_CSC_INVALID_REQUEST', `Invalid parameter ${name}`);
}
