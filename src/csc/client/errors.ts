/** Errors of the CSC API client: the provider's own `error` / `error_description` kept verbatim. */
import { SignetError, type SignetErrorOptions } from '../../core/errors.js';

export type CscClientErrorCode =
  | 'ERR_CSC_CLIENT_REMOTE'
  | 'ERR_CSC_CLIENT_TIMEOUT'
  | 'ERR_CSC_CLIENT_NETWORK'
  | 'ERR_CSC_CLIENT_RESPONSE'
  | 'ERR_CSC_CLIENT_CONFIG'
  | 'ERR_CSC_CLIENT_ALGORITHM'
  | 'ERR_CSC_CLIENT_CREDENTIAL'
  | 'ERR_CSC_CLIENT_SIGNATURE_INVALID';

/** What the provider said when it refused a request (CSC v2 §10.2: `error`, `error_description`). */
export interface CscRemoteError {
  /** HTTP status of the reply. */
  readonly status: number;
  /** The CSC/OAuth `error` value, e.g. `invalid_request`, `invalid_token`. */
  readonly error: string;
  readonly errorDescription: string | undefined;
  /** The CSC method called, e.g. `signatures/signHash`. */
  readonly method: string;
}

/**
 * A CSC call failed. For `ERR_CSC_CLIENT_REMOTE`, `remote` carries the provider's answer, so
 * callers can `switch (err.remote?.error)` on the specified codes.
 */
export class CscClientError extends SignetError<CscClientErrorCode> {
  readonly remote: CscRemoteError | undefined;

  constructor(code: CscClientErrorCode, message: string, options: SignetErrorOptions & { readonly remote?: CscRemoteError } = {}) {
    super(code, message, options);
    this.remote = options.remote;
  }
}
