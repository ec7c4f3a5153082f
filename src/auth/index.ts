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
  type ReservedSad,
} from './sad.js';
export type { ExtendSadRequest, ExtendedSad } from './sad-extension.js';
export {
  SadError,
  AuthError,
  SessionError,
  OidcError,
  type SadErrorCode,
  type AuthErrorCode,
  type SessionErrorCode,
  type OidcErrorCode,
} from './errors.js';
export { OidcLogin, firstFactorBinding, type OidcSettings, type OidcLoginOptions, type OidcFirstFactor, type StartedOidcLogin } from './oidc-login.js';
export {
  createScryptHasher,
  defaultScryptParams,
  type ScryptParams,
  type SecretHasher,
} from './secret-hasher.js';
export { createAesGcmSecretBox, type SecretBox } from './secret-box.js';
export {
  hotp,
  totpStep,
  generateTotp,
  matchTotp,
  generateTotpSecret,
  encodeBase32,
  decodeBase32,
  totpUri,
  defaultTotpParams,
  defaultTotpWindow,
  type TotpParams,
  type TotpWindow,
} from './totp.js';
export {
  Authenticator,
  type AuthenticatorOptions,
  type LockoutPolicy,
  type TotpEnrollment,
} from './authenticator.js';
export { generateOpaqueToken, hashOpaqueToken, type OpaqueToken } from './opaque-token.js';
export {
  issueAccessToken,
  verifyAccessToken,
  accessTokenInfo,
  isAccessTokenValueShape,
  revokeAccessToken,
  maxAccessTokenTtlSeconds,
  type AccessTokenScope,
  type AccessTokenInfo,
  type IssueAccessTokenRequest,
  type IssuedAccessToken,
} from './access-token.js';
export {
  WebSessionService,
  type WebSession,
  type WebSessionOptions,
  type CreatedWebSession,
  type SessionFactor,
} from './web-session.js';
export {
  WebLogin,
  sessionBinding,
  stepUpFreshMs,
  type WebLoginOptions,
  type StepUpProof,
  type EnrolledFactors,
} from './web-login.js';
export {
  PasskeyService,
  passkeyAlgorithms,
  userHandleOf,
  checkPasskeyName,
  relyingPartyFor,
  maxCredentialIdBytes,
  WebAuthnError,
  type PasskeyPurpose,
  type PasskeySummary,
  type PasskeyServiceOptions,
  type PasskeyAssertion,
  type StartedCeremony,
  type RelyingParty,
  type RelyingPartySettings,
  type WebAuthnErrorCode,
} from './webauthn/index.js';
export { FactorManager, type FactorManagerOptions, type UserFactors, type FactorActor } from './factor-manager.js';
