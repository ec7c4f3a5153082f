/** Errors of authentication (passwords, PINs, TOTP, lockout) and of SAD issue/consume (CSC SCAL2): stable codes. */
import { SignetError } from '../core/errors.js';

/** Every code the SAD service throws (docs/errors/auth.md lists their meaning). */
export type SadErrorCode =
  | 'ERR_SAD_NOT_FOUND'
  | 'ERR_SAD_EXPIRED'
  | 'ERR_SAD_REVOKED'
  | 'ERR_SAD_CONSUMED'
  | 'ERR_SAD_HASH_NOT_AUTHORIZED'
  | 'ERR_SAD_HASH_INVALID'
  | 'ERR_SAD_BINDING'
  | 'ERR_SAD_ALGORITHM'
  | 'ERR_SAD_CREDENTIAL_UNUSABLE'
  | 'ERR_SAD_CERTIFICATE_REVOKED'
  | 'ERR_SAD_REQUEST_INVALID'
  | 'ERR_SAD_COUNT_EXCEEDED'
  | 'ERR_SAD_BATCH_PROOF'
  | 'ERR_SAD_BATCH_PROOF_REQUIRED';

/** A SAD was refused (INV-1/INV-2). Nothing was consumed when this is thrown. */
export class SadError extends SignetError<SadErrorCode> {}

/** Every code the authentication primitives throw. */
export type AuthErrorCode =
  | 'ERR_AUTH_INVALID_CREDENTIALS'
  | 'ERR_AUTH_LOCKED'
  | 'ERR_AUTH_THROTTLED'
  | 'ERR_AUTH_OTP_INVALID'
  | 'ERR_AUTH_OTP_REPLAYED'
  | 'ERR_AUTH_TOTP_NOT_ENROLLED'
  | 'ERR_AUTH_PIN_INVALID'
  | 'ERR_AUTH_CREDENTIAL_LOCKED'
  | 'ERR_AUTH_CREDENTIAL_NOT_FOUND'
  | 'ERR_AUTH_SECRET_FORMAT'
  | 'ERR_AUTH_SECRET_BOX'
  | 'ERR_AUTH_POLICY';

/** An authentication factor was refused, or its stored form is unusable. Messages never echo secrets. */
export class AuthError extends SignetError<AuthErrorCode> {}

/** Every code of first-party web sessions and factor self-service (docs/errors/session.md). */
export type SessionErrorCode =
  | 'ERR_SESSION_INVALID'
  | 'ERR_SESSION_CSRF'
  | 'ERR_SESSION_SECOND_FACTOR_REQUIRED'
  | 'ERR_SESSION_PASSKEY_REQUIRED'
  | 'ERR_SESSION_PASSWORDLESS_DISABLED'
  | 'ERR_SESSION_STEP_UP_REQUIRED'
  | 'ERR_SESSION_LAST_FACTOR'
  | 'ERR_SESSION_FORBIDDEN';

/** A web session, sign-in or factor change was refused (the factor itself was not the problem). */
export class SessionError extends SignetError<SessionErrorCode> {}

/** Every code of the federated first factor (OpenID Connect; docs/errors/oidc.md). */
export type OidcErrorCode =
  | 'ERR_OIDC_NOT_CONFIGURED'
  | 'ERR_OIDC_DISCOVERY'
  | 'ERR_OIDC_STATE_INVALID'
  | 'ERR_OIDC_STATE_EXPIRED'
  | 'ERR_OIDC_BROWSER_MISMATCH'
  | 'ERR_OIDC_ISSUER_MISMATCH'
  | 'ERR_OIDC_PROVIDER_REFUSED'
  | 'ERR_OIDC_RESPONSE_INVALID'
  | 'ERR_OIDC_TOKEN_REQUEST'
  | 'ERR_OIDC_TOKEN_SIGNATURE'
  | 'ERR_OIDC_TOKEN_INVALID'
  | 'ERR_OIDC_TOKEN_EXPIRED'
  | 'ERR_OIDC_AUDIENCE'
  | 'ERR_OIDC_NONCE'
  | 'ERR_OIDC_USER_UNKNOWN'
  | 'ERR_OIDC_FIRST_FACTOR_INVALID';

/** A federated (OpenID Connect) first factor was refused; the second factor was not reached. */
export class OidcError extends SignetError<OidcErrorCode> {}
