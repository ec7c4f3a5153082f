/**
 * The relying party's own checks of a ceremony response, each with its own error code, run before
 * @simplewebauthn/server verifies the signature or attestation: the shape of the JSON, the
 * clientDataJSON members (W3C WebAuthn L2 §7.1 steps 7-10, §7.2 steps 11-14; FIDO "Resp-2") and
 * the authenticator data flags and RP ID hash (§7.1 steps 13-16, §7.2 steps 15-17; "Resp-3").
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { WebAuthnError } from './errors.js';

/** §5.1.1 (and CTAP2): a credential id is at most 1023 bytes (docs/security.md SCA-14). */
export const maxCredentialIdBytes = 1023;

/** The members of an AuthenticatorAssertionResponse / AttestationResponse we read, as JSON (base64url). */
export interface CeremonyResponse {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: Readonly<Record<string, unknown>> & { readonly clientDataJSON: string };
  readonly clientExtensionResults: Readonly<Record<string, unknown>>;
  readonly authenticatorAttachment?: string;
}

const b64url = /^[A-Za-z0-9_-]*$/;

function isB64url(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length < 1 << 20 && b64url.test(v);
}

/**
 * Checks the JSON shape of a PublicKeyCredential (as `@simplewebauthn/browser` sends it) and the
 * credential id's size; `fields` are the base64url members its `response` must carry.
 */
export function checkResponseShape(value: unknown, fields: readonly string[]): CeremonyResponse {
  const v = value as Partial<CeremonyResponse> | null;
  if (typeof v !== 'object' || v === null || v.type !== 'public-key' || !isB64url(v.id) || !isB64url(v.rawId) || v.id !== v.rawId) {
    throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the response is not a WebAuthn public-key credential');
  }
  if (typeof v.response !== 'object' || v.response === null) {
    throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the credential carries no response');
  }
  for (const f of ['clientDataJSON', ...fields]) {
    if (!isB64url((v.response as Record<string, unknown>)[f])) {
      throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', `the response member ${f} is missing or not base64url`);
    }
  }
  const userHandle = (v.response as Record<string, unknown>)['userHandle'];
  if (userHandle !== undefined && userHandle !== null && !isB64url(userHandle)) {
    throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the userHandle is not base64url');
  }
  if (Buffer.from(v.rawId, 'base64url').length > maxCredentialIdBytes) {
    throw new WebAuthnError('ERR_WEBAUTHN_CREDENTIAL_ID_TOO_LONG', 'the credential id is longer than 1023 bytes');
  }
  return {
    ...(v as CeremonyResponse),
    clientExtensionResults:
      typeof v.clientExtensionResults === 'object' && v.clientExtensionResults !== null ? v.clientExtensionResults : {},
  };
}

/** What the clientDataJSON must say. */
export interface ExpectedClientData {
  readonly type: 'webauthn.create' | 'webauthn.get';
  readonly challenge: Uint8Array;
  readonly origins: readonly string[];
}

/** Constant-time equality of two byte strings (lengths are not secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * §7.1 steps 7-10 / §7.2 steps 11-14: type, challenge (the one this ticket holds), origin (one of
 * the configured ones, exactly) and no cross-origin iframe (`crossOrigin` true or a `topOrigin`:
 * Signet's ceremonies run only in its own top-level pages).
 */
export function checkClientData(clientDataJSON: string, expected: ExpectedClientData): void {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'clientDataJSON is not JSON', { cause });
  }
  if (typeof data !== 'object' || data === null) {
    throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'clientDataJSON is not a JSON object');
  }
  if (data['type'] !== expected.type) {
    throw new WebAuthnError('ERR_WEBAUTHN_TYPE', `clientDataJSON.type must be ${expected.type}`);
  }
  const challenge = data['challenge'];
  if (typeof challenge !== 'string' || !b64url.test(challenge) || !bytesEqual(Buffer.from(challenge, 'base64url'), expected.challenge)) {
    throw new WebAuthnError('ERR_WEBAUTHN_CHALLENGE', 'the response answers another challenge');
  }
  const origin = data['origin'];
  if (typeof origin !== 'string' || !expected.origins.includes(origin)) {
    throw new WebAuthnError('ERR_WEBAUTHN_ORIGIN', 'the ceremony ran on an origin that is not allowed');
  }
  if (data['crossOrigin'] === true || data['topOrigin'] !== undefined) {
    throw new WebAuthnError('ERR_WEBAUTHN_CROSS_ORIGIN', 'the ceremony ran in a cross-origin frame');
  }
}

/** The flags and counter of authenticator data (§6.1). */
export interface AuthenticatorDataFacts {
  readonly userPresent: boolean;
  readonly userVerified: boolean;
  readonly counter: number;
}

/**
 * §6.1 layout: rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian) ‖ …. Checks the RP ID hash
 * (§7.2 step 15), user presence (step 16) and, when required, user verification (step 17).
 */
export function checkAuthenticatorData(authData: Uint8Array, rpId: string, requireUserVerification: boolean): AuthenticatorDataFacts {
  if (authData.length < 37) throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the authenticator data is too short');
  const rpIdHash = createHash('sha256').update(rpId, 'utf8').digest();
  if (!bytesEqual(authData.subarray(0, 32), rpIdHash)) {
    throw new WebAuthnError('ERR_WEBAUTHN_RP_ID', 'the authenticator signed for another relying party');
  }
  const flags = authData[32] as number;
  const facts = {
    userPresent: (flags & 0x01) !== 0,
    userVerified: (flags & 0x04) !== 0,
    counter: Buffer.from(authData.subarray(33, 37)).readUInt32BE(0),
  };
  if (!facts.userPresent) throw new WebAuthnError('ERR_WEBAUTHN_USER_PRESENCE', 'the authenticator did not test user presence');
  if (requireUserVerification && !facts.userVerified) {
    throw new WebAuthnError('ERR_WEBAUTHN_USER_VERIFICATION', 'user verification (PIN or biometric) is required');
  }
  return facts;
}
