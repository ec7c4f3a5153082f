/** Errors of WebAuthn ceremonies (passkeys and security keys): stable codes, one per check that refused. */
import { SignetError } from '../../core/errors.js';

/** Every code the PasskeyService throws (docs/errors/webauthn.md lists their meaning). */
export type WebAuthnErrorCode =
  | 'ERR_WEBAUTHN_CONFIG'
  | 'ERR_WEBAUTHN_TICKET_INVALID'
  | 'ERR_WEBAUTHN_TICKET_EXPIRED'
  | 'ERR_WEBAUTHN_CEREMONY_MISMATCH'
  | 'ERR_WEBAUTHN_RESPONSE_INVALID'
  | 'ERR_WEBAUTHN_TYPE'
  | 'ERR_WEBAUTHN_CHALLENGE'
  | 'ERR_WEBAUTHN_ORIGIN'
  | 'ERR_WEBAUTHN_CROSS_ORIGIN'
  | 'ERR_WEBAUTHN_RP_ID'
  | 'ERR_WEBAUTHN_USER_PRESENCE'
  | 'ERR_WEBAUTHN_USER_VERIFICATION'
  | 'ERR_WEBAUTHN_SIGNATURE'
  | 'ERR_WEBAUTHN_COUNTER'
  | 'ERR_WEBAUTHN_CREDENTIAL_UNKNOWN'
  | 'ERR_WEBAUTHN_USER_HANDLE'
  | 'ERR_WEBAUTHN_CREDENTIAL_EXISTS'
  | 'ERR_WEBAUTHN_CREDENTIAL_ID_TOO_LONG'
  | 'ERR_WEBAUTHN_ALGORITHM'
  | 'ERR_WEBAUTHN_NO_PASSKEY'
  | 'ERR_WEBAUTHN_PASSKEY_NOT_FOUND'
  | 'ERR_WEBAUTHN_NAME_INVALID'
  | 'ERR_WEBAUTHN_TOO_MANY';

/** A WebAuthn ceremony or passkey operation was refused. Nothing was registered or accepted when this is thrown. */
export class WebAuthnError extends SignetError<WebAuthnErrorCode> {}
