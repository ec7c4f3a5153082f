/** WebAuthn (passkeys and security keys): the PasskeyService, the relying party, the ceremony checks and their errors. */
export {
  PasskeyService,
  passkeyAlgorithms,
  userHandleOf,
  checkPasskeyName,
  type PasskeyPurpose,
  type PasskeySummary,
  type PasskeyServiceOptions,
  type PasskeyAssertion,
  type StartedCeremony,
} from './passkey-service.js';
export { relyingPartyFor, type RelyingParty, type RelyingPartySettings } from './relying-party.js';
export { maxCredentialIdBytes } from './ceremony-checks.js';
export { WebAuthnError, type WebAuthnErrorCode } from './errors.js';
