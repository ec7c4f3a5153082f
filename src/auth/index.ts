/** The auth domain's public surface: SAD issue/consume, secret hashing, TOTP, factor verification with lockout. */
export {
  SadService,
  hashSadToken,
  maxSadSignatures,
  type SadServiceOptions,
  type SadBinding,
  type IssueSadRequest,
  type IssuedSad,
  type ConsumeSadRequest,
  type RequestOrigin,
} from './sad.js';
export { SadError, AuthError, type SadErrorCode, type AuthErrorCode } from './errors.js';
