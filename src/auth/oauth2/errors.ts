/** OAuth 2.0 authorization-server errors: stable Signet codes, each mapped to its RFC 6749 error and HTTP status. */
import { SignetError } from '../../core/errors.js';

/** Every code the OAuth2 service throws (docs/errors/oauth2.md lists their meaning). */
export type OAuth2ErrorCode =
  | 'ERR_OAUTH2_INVALID_REQUEST'
  | 'ERR_OAUTH2_INVALID_CLIENT'
  | 'ERR_OAUTH2_INVALID_GRANT'
  | 'ERR_OAUTH2_UNAUTHORIZED_CLIENT'
  | 'ERR_OAUTH2_UNSUPPORTED_GRANT_TYPE'
  | 'ERR_OAUTH2_UNSUPPORTED_RESPONSE_TYPE'
  | 'ERR_OAUTH2_INVALID_SCOPE'
  | 'ERR_OAUTH2_ACCESS_DENIED'
  | 'ERR_OAUTH2_INVALID_AUTHORIZATION_DETAILS'
  | 'ERR_OAUTH2_UNKNOWN_CLIENT'
  | 'ERR_OAUTH2_REDIRECT_URI'
  | 'ERR_OAUTH2_INTERACTION'
  | 'ERR_OAUTH2_CLIENT_METADATA'
  | 'ERR_OAUTH2_SERVER_ERROR'
  | 'ERR_OAUTH2_DOCUMENT_TOO_LARGE'
  | 'ERR_OAUTH2_DOCUMENT_MALFORMED'
  | 'ERR_OAUTH2_DOCUMENT_LIMIT'
  | 'ERR_OAUTH2_DOCUMENT_MISMATCH'
  | 'ERR_OAUTH2_DOCUMENT_REF'
  | 'ERR_OAUTH2_DOCUMENT_BLOCKED';

/** The wire form of each code: RFC 6749 §4.1.2.1 / §5.2 error value and HTTP status. */
export const oauth2WireErrors: Readonly<
  Record<OAuth2ErrorCode, { readonly error: string; readonly status: number }>
> = {
  ERR_OAUTH2_INVALID_REQUEST: { error: 'invalid_request', status: 400 },
  // RFC 6749 §5.2: invalid_client MAY be 401 (MUST be when the client used the Authorization header).
  ERR_OAUTH2_INVALID_CLIENT: { error: 'invalid_client', status: 401 },
  ERR_OAUTH2_INVALID_GRANT: { error: 'invalid_grant', status: 400 },
  ERR_OAUTH2_UNAUTHORIZED_CLIENT: { error: 'unauthorized_client', status: 400 },
  ERR_OAUTH2_UNSUPPORTED_GRANT_TYPE: { error: 'unsupported_grant_type', status: 400 },
  ERR_OAUTH2_UNSUPPORTED_RESPONSE_TYPE: { error: 'unsupported_response_type', status: 400 },
  ERR_OAUTH2_INVALID_SCOPE: { error: 'invalid_scope', status: 400 },
  ERR_OAUTH2_ACCESS_DENIED: { error: 'access_denied', status: 403 },
  // RFC 9396 §5.
  ERR_OAUTH2_INVALID_AUTHORIZATION_DETAILS: { error: 'invalid_authorization_details', status: 400 },
  // Shown to the user, never redirected (RFC 6749 §4.1.2.1).
  ERR_OAUTH2_UNKNOWN_CLIENT: { error: 'invalid_request', status: 400 },
  ERR_OAUTH2_REDIRECT_URI: { error: 'invalid_request', status: 400 },
  ERR_OAUTH2_INTERACTION: { error: 'invalid_request', status: 400 },
  ERR_OAUTH2_CLIENT_METADATA: { error: 'invalid_client_metadata', status: 400 },
  ERR_OAUTH2_SERVER_ERROR: { error: 'server_error', status: 500 },
  // POST /oauth2/documents (docs/decisions/0001 contract 3).
  ERR_OAUTH2_DOCUMENT_TOO_LARGE: { error: 'invalid_request', status: 413 },
  ERR_OAUTH2_DOCUMENT_MALFORMED: { error: 'invalid_request', status: 400 },
  ERR_OAUTH2_DOCUMENT_LIMIT: { error: 'invalid_request', status: 422 },
  ERR_OAUTH2_DOCUMENT_MISMATCH: { error: 'invalid_request', status: 400 },
  // document_refs of an authorization request (docs/security.md SAD-03).
  ERR_OAUTH2_DOCUMENT_REF: { error: 'invalid_request', status: 400 },
  // Consent: a document the pre-signing checks block.
  ERR_OAUTH2_DOCUMENT_BLOCKED: { error: 'access_denied', status: 403 },
};

/** An OAuth 2.0 request was refused; `error`/`status` give its RFC 6749 wire form. */
export class OAuth2Error extends SignetError<OAuth2ErrorCode> {
  /** RFC 6749 error value. */
  get error(): string {
    return oauth2WireErrors[this.code].error;
  }
  /** HTTP status for the token and revocation endpoints. */
  get status(): number {
    return oauth2WireErrors[this.code].status;
  }
}

/**
 * RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no quote, no
 * backslash, no control characters — docs/security.md OA-27).
 */
export function safeErrorDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, ' ').slice(0, 300);
}
