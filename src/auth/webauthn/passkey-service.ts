/**
 * PasskeyService (docs/decisions/0001 Contract 2): WebAuthn registration and authentication
 * ceremonies with @simplewebauthn/server, challenges stored in the database under a ticket and
 * consumed once on any node, several passkeys per user, the signature counter checked (a clone
 * going backwards is refused and audited), user verification required for approval and step-up.
 * Every registration, use, rename and removal is audited in the transaction that makes it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { decodeAttestationObject, decodeCredentialPublicKey, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import type { Clock } from '../../core/clock.js';
import { appendAudit, appendFailureAudit, type AuditContext, type AuditEvent } from '../../audit/index.js';
import {
  deleteWebauthnCredential,
  findUserById,
  findUserWebauthnCredential,
  findWebauthnCredentialByCredentialId,
  insertWebauthnChallenge,
  insertWebauthnCredential,
  isUniqueViolation,
  listUserWebauthnCredentials,
  recordWebauthnCredentialUse,
  revokeUserWebSessions,
  renameWebauthnCredential,
  deleteExpiredWebauthnChallenges,
  takeWebauthnChallenge,
  countUserWebauthnCredentials,
  type Db,
  type Store,
  type WebauthnChallengeRow,
  type WebauthnCredentialRow,
} from '../../store/index.js';
import { isSignetError } from '../../core/errors.js';
import { AuthError, SessionError } from '../errors.js';
import { hashOpaqueToken } from '../opaque-token.js';
import type { RequestOrigin } from '../sad.js';
import { bytesEqual, checkAuthenticatorData, checkClientData, checkResponseShape, maxCredentialIdBytes } from './ceremony-checks.js';
import { WebAuthnError } from './errors.js';
import type { RelyingParty } from './relying-party.js';

/** What an authentication ceremony is for. */
export type PasskeyPurpose = 'login' | 'approval' | 'step-up';

/** COSE algorithms accepted (IANA COSE registry): ES256, RS256, EdDSA. */
export const passkeyAlgorithms = [-7, -257, -8] as const;

/** A registered passkey as shown to its owner and to administrators (never the key itself). */
export interface PasskeySummary {
  readonly id: string;
  readonly name: string;
  readonly aaguid: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly transports: readonly string[];
  readonly backedUp: boolean;
  readonly deviceType: string;
}

/** What the PasskeyService is wired with. */
export interface PasskeyServiceOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  /** Read at each ceremony: the base URL (hence the default RP) may be learnt after listening. */
  readonly relyingParty: () => RelyingParty;
  /** How long a ceremony may take (default 300 s; WebAuthn §5.4 recommends up to 10 min). */
  readonly challengeTtlSeconds?: number;
  /** Require user verification also for a passkey second factor after the password (default false). */
  readonly requireUserVerificationForLogin?: boolean;
  /** At most this many passkeys per user (default 20). */
  readonly maxPasskeysPerUser?: number;
  /**
   * Counts each assertion of a ceremony started for a known user toward that user's lockout
   * (wired to `Authenticator.countedFactor`, docs/security.md SCA-02/08). Absent: not counted.
   */
  readonly attempts?: <T>(userId: string, origin: RequestOrigin, check: () => Promise<T>) => Promise<T>;
}

/** A started ceremony: the ticket that names it, and the options for the browser. */
export interface StartedCeremony<O> {
  readonly ticket: string;
  readonly options: O;
}

/** A finished authentication ceremony. */
export interface PasskeyAssertion {
  readonly userId: string;
  readonly passkeyId: string;
  /** The challenge the assertion signed (for approvals: the commitment). */
  readonly challenge: Uint8Array;
  readonly userVerified: boolean;
}

type Origin = RequestOrigin & { readonly actorUserId?: string };

/** The WebAuthn user handle of a user (§5.4.3: opaque, not personally identifying): its id's UTF-8. */
export function userHandleOf(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

function summaryOf(row: WebauthnCredentialRow): PasskeySummary {
  let transports: string[] = [];
  try {
    const parsed: unknown = JSON.parse(row.transports);
    if (Array.isArray(parsed)) transports = parsed.filter((t): t is string => typeof t === 'string');
  } catch {
    transports = [];
  }
  return {
    id: row.id,
    name: row.name,
    aaguid: row.aaguid,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    transports,
    backedUp: row.backed_up === 1,
    deviceType: row.device_type,
  };
}

/** A passkey's name: 1-64 characters, no control characters. */
export function checkPasskeyName(name: string): string {
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex
  if (trimmed.length < 1 || trimmed.length > 64 || /[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) {
    throw new WebAuthnError('ERR_WEBAUTHN_NAME_INVALID', 'a passkey name has 1 to 64 characters and no control characters');
  }
  return trimmed;
}

/**
 * Registers and verifies passkeys.
 *
 * @example
 * ```ts
 * const passkeys = new PasskeyService({ store, clock, audit, relyingParty: () => relyingPartyFor('https://sign.example.org') });
 * const { ticket, options } = await passkeys.startRegistration({ userId });
 * // … navigator.credentials.create(options) in the browser …
 * await passkeys.finishRegistration({ userId, ticket, response, name: 'Laptop' });
 * ```
 */
export class PasskeyService {
  readonly #o: PasskeyServiceOptions;
  readonly #ttlMs: number;

  constructor(options: PasskeyServiceOptions) {
    this.#o = options;
    this.#ttlMs = (options.challengeTtlSeconds ?? 300) * 1000;
  }

  /** The relying party now (RP ID, origins). */
  relyingParty(): RelyingParty {
    return this.#o.relyingParty();
  }

  /** Starts a registration for a user (who must already be authenticated, with a fresh factor: the caller's job). */
  async startRegistration(
    request: { readonly userId: string; readonly binding?: string } & Origin,
  ): Promise<StartedCeremony<PublicKeyCredentialCreationOptionsJSON>> {
    const rp = this.#o.relyingParty();
    const user = await findUserById(this.#o.store.db, request.userId);
    if (user === undefined) throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'unknown user');
    const existing = await listUserWebauthnCredentials(this.#o.store.db, user.id);
    const challenge = new Uint8Array(randomBytes(32));
    const options = await generateRegistrationOptions({
      rpName: rp.rpName,
      rpID: rp.rpId,
      userName: user.username,
      userDisplayName: user.username,
      userID: new Uint8Array(Buffer.from(user.id, 'utf8')),
      challenge,
      timeout: this.#ttlMs,
      attestationType: 'none',
      // §5.4.4: exclude the user's passkeys, so the same authenticator is not registered twice.
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: summaryOf(c).transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: [...passkeyAlgorithms],
    });
    const ticket = await this.#storeChallenge('registration', challenge, user.id, request.binding);
    return { ticket, options };
  }

  /**
   * Finishes a registration: the ticket is consumed first (single use), then every check runs;
   * the passkey is stored and the registration audited in one transaction. A credential id that
   * is registered already (to anyone) or longer than 1023 bytes, or another algorithm than
   * ES256/RS256/EdDSA, is refused (docs/security.md SCA-14).
   */
  async finishRegistration(
    request: {
      readonly userId: string;
      readonly ticket: string;
      readonly response: unknown;
      readonly name?: string;
      readonly binding?: string;
    } & Origin,
  ): Promise<PasskeySummary> {
    const type = 'auth.passkey.register';
    return this.#failing(request, type, request.userId, async () => {
      const name = request.name === undefined ? undefined : checkPasskeyName(request.name);
      const row = await this.#takeChallenge(request.ticket, 'registration', request.userId, request.binding);
      const rp = this.#o.relyingParty();
      const response = checkResponseShape(request.response, ['attestationObject']);
      checkClientData(response.response.clientDataJSON, { type: 'webauthn.create', challenge: row.challenge, origins: rp.origins });
      const attestation = decodeAttestationObjectSafe(response.response['attestationObject'] as string);
      checkAuthenticatorData(attestation.authData, rp.rpId, true);
      const parsed = parseAuthenticatorData(new Uint8Array(attestation.authData));
      if (parsed.credentialID === undefined || parsed.credentialPublicKey === undefined) {
        throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the attestation carries no credential');
      }
      if (parsed.credentialID.length > maxCredentialIdBytes) {
        throw new WebAuthnError('ERR_WEBAUTHN_CREDENTIAL_ID_TOO_LONG', 'the credential id is longer than 1023 bytes');
      }
      if (!bytesEqual(parsed.credentialID, Buffer.from(response.rawId, 'base64url'))) {
        throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the credential id differs from the attested one');
      }
      const alg = decodeCredentialPublicKey(new Uint8Array(parsed.credentialPublicKey)).get(3);
      if (typeof alg !== 'number' || !(passkeyAlgorithms as readonly number[]).includes(alg)) {
        throw new WebAuthnError('ERR_WEBAUTHN_ALGORITHM', 'the passkey uses an algorithm other than ES256, RS256 or EdDSA');
      }
      const credentialId = response.rawId;
      if ((await findWebauthnCredentialByCredentialId(this.#o.store.db, credentialId)) !== undefined) {
        throw new WebAuthnError('ERR_WEBAUTHN_CREDENTIAL_EXISTS', 'this passkey is registered already');
      }
      const max = this.#o.maxPasskeysPerUser ?? 20;
      if ((await countUserWebauthnCredentials(this.#o.store.db, request.userId)) >= max) {
        throw new WebAuthnError('ERR_WEBAUTHN_TOO_MANY', `at most ${max} passkeys per user`);
      }
      const verified = await this.#library(() =>
        verifyRegistrationResponse({
          response: response as unknown as RegistrationResponseJSON,
          expectedChallenge: Buffer.from(row.challenge).toString('base64url'),
          expectedOrigin: [...rp.origins],
          expectedRPID: rp.rpId,
          requireUserVerification: true,
          supportedAlgorithmIDs: [...passkeyAlgorithms],
        }),
      );
      if (!verified.verified) throw new WebAuthnError('ERR_WEBAUTHN_SIGNATURE', 'the attestation does not verify');
      const info = verified.registrationInfo;
      const transports = Array.isArray(response.response['transports'])
        ? (response.response['transports'] as unknown[]).filter((t): t is string => typeof t === 'string').slice(0, 8)
        : [];
      const now = this.#now();
      const stored: WebauthnCredentialRow = {
        id: randomUUID(),
        user_id: request.userId,
        credential_id: credentialId,
        public_key: new Uint8Array(info.credential.publicKey),
        counter: info.credential.counter,
        transports: JSON.stringify(transports),
        aaguid: info.aaguid,
        name: name ?? `Passkey ${new Date(now).toISOString().slice(0, 10)}`,
        backed_up: info.credentialBackedUp ? 1 : 0,
        device_type: info.credentialDeviceType,
        created_at: now,
        last_used_at: null,
      };
      try {
        await this.#o.store.transaction(async (trx) => {
          await insertWebauthnCredential(trx, stored);
          await this.#audit(trx, request, type, 'success', request.userId, stored.id, {
            aaguid: stored.aaguid,
            name: stored.name,
            deviceType: stored.device_type,
          });
        });
      } catch (cause) {
        if (isSignetError(cause, 'ERR_STORE_CONFLICT') || isUniqueViolation(cause)) {
          throw new WebAuthnError('ERR_WEBAUTHN_CREDENTIAL_EXISTS', 'this passkey is registered already', { cause });
        }
        throw cause;
      }
      return summaryOf(stored);
    });
  }

  /**
   * Starts an authentication ceremony. With `userId`, only that user's passkeys are allowed;
   * without, any discoverable passkey (passwordless login). `challenge` (approvals) is the
   * commitment the assertion must sign; otherwise 32 random bytes. `binding` ties the ticket to
   * a session or request; finishing must present the same.
   */
  async startAuthentication(
    request: {
      readonly purpose: PasskeyPurpose;
      readonly userId?: string;
      readonly challenge?: Uint8Array;
      readonly binding?: string;
    } & Origin,
  ): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    const rp = this.#o.relyingParty();
    let allow: WebauthnCredentialRow[] | undefined;
    if (request.userId !== undefined) {
      allow = [...(await listUserWebauthnCredentials(this.#o.store.db, request.userId))];
      if (allow.length === 0) throw new WebAuthnError('ERR_WEBAUTHN_NO_PASSKEY', 'no passkey is registered for this user');
    } else if (request.purpose !== 'login') {
      throw new WebAuthnError('ERR_WEBAUTHN_CEREMONY_MISMATCH', 'an approval or step-up names its user');
    }
    const challenge = request.challenge ?? new Uint8Array(randomBytes(32));
    if (challenge.length < 16 || challenge.length > 64) {
      throw new WebAuthnError('ERR_WEBAUTHN_CHALLENGE', 'a challenge has 16 to 64 bytes (WebAuthn §13.4.3)');
    }
    const options = await generateAuthenticationOptions({
      rpID: rp.rpId,
      challenge: new Uint8Array(challenge),
      timeout: this.#ttlMs,
      userVerification: this.#requiresUv(request.purpose, request.userId) ? 'required' : 'preferred',
      ...(allow === undefined
        ? {}
        : { allowCredentials: allow.map((c) => ({ id: c.credential_id, transports: summaryOf(c).transports as AuthenticatorTransportFuture[] })) }),
    });
    const ticket = await this.#storeChallenge(request.purpose, challenge, request.userId, request.binding);
    return { ticket, options };
  }

  /**
   * Finishes an authentication ceremony: consumes the ticket (once, on any node), checks purpose,
   * user and binding against it, the client data, the authenticator data (RP ID hash, presence,
   * verification where required), the signature, the user handle and the counter. Audited.
   */
  async finishAuthentication(
    request: {
      readonly ticket: string;
      readonly response: unknown;
      readonly purpose: PasskeyPurpose;
      readonly userId?: string;
      readonly binding?: string;
    } & Origin,
  ): Promise<PasskeyAssertion> {
    const type = 'auth.passkey.use';
    return this.#failing(request, type, request.userId, async () => {
      const row = await this.#takeChallenge(request.ticket, request.purpose, request.userId, request.binding);
      // A ceremony for a named user: its assertion is an attempt on that user's account, counted
      // like a TOTP code. (A discoverable, passwordless ceremony names nobody until it verifies.)
      const counted = this.#o.attempts;
      if (row.user_id !== null && counted !== undefined) {
        const from = {
          ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
          ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
        };
        return counted(row.user_id, from, () => this.#verifyAssertion(request, row));
      }
      return this.#verifyAssertion(request, row);
    });
  }

  async #verifyAssertion(
    request: { readonly response: unknown; readonly purpose: PasskeyPurpose } & Origin,
    row: WebauthnChallengeRow,
  ): Promise<PasskeyAssertion> {
    const type = 'auth.passkey.use';
    const rp = this.#o.relyingParty();
    const response = checkResponseShape(request.response, ['authenticatorData', 'signature']);
    checkClientData(response.response.clientDataJSON, { type: 'webauthn.get', challenge: row.challenge, origins: rp.origins });
    const requireUv = this.#requiresUv(request.purpose, row.user_id ?? undefined);
    const facts = checkAuthenticatorData(
      new Uint8Array(Buffer.from(response.response['authenticatorData'] as string, 'base64url')),
      rp.rpId,
      requireUv,
    );
    const credential = await findWebauthnCredentialByCredentialId(this.#o.store.db, response.rawId);
    // §7.2 step 5/6: the credential must be one the ceremony allowed: the named user's own.
    if (credential === undefined || (row.user_id !== null && credential.user_id !== row.user_id)) {
      throw new WebAuthnError('ERR_WEBAUTHN_CREDENTIAL_UNKNOWN', 'this passkey is not registered for this user');
    }
    const userHandle = response.response['userHandle'];
    if (row.user_id === null && (typeof userHandle !== 'string' || userHandle === '')) {
      throw new WebAuthnError('ERR_WEBAUTHN_USER_HANDLE', 'a passkey sign-in without a user name must return its user handle');
    }
    if (typeof userHandle === 'string' && userHandle !== '' && userHandle !== userHandleOf(credential.user_id)) {
      throw new WebAuthnError('ERR_WEBAUTHN_USER_HANDLE', 'the user handle does not belong to this passkey');
    }
    const owner = await findUserById(this.#o.store.db, credential.user_id);
    if (owner?.status !== 'active') throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'the account is disabled');
    const verified = await this.#library(() =>
      verifyAuthenticationResponse({
        response: response as unknown as AuthenticationResponseJSON,
        expectedChallenge: Buffer.from(row.challenge).toString('base64url'),
        expectedOrigin: [...rp.origins],
        expectedRPID: rp.rpId,
        // The counter is checked below, against the row, atomically (and audited as a clone).
        credential: { id: credential.credential_id, publicKey: new Uint8Array(credential.public_key), counter: 0 },
        requireUserVerification: requireUv,
      }),
    );
    if (!verified.verified) throw new WebAuthnError('ERR_WEBAUTHN_SIGNATURE', 'the assertion signature does not verify');
    const info = verified.authenticationInfo;
    const now = this.#now();
    const counter = facts.counter;
    // §6.1.1 / §7.2 step 21: a counting authenticator's counter must grow; if not, it may be cloned.
    const regressed = (counter > 0 || credential.counter > 0) && counter <= credential.counter;
    const recorded = regressed
      ? false
      : await this.#o.store.transaction(async (trx) => {
          if (!(await recordWebauthnCredentialUse(trx, credential.id, { counter, backedUp: info.credentialBackedUp, at: now }))) return false;
          await this.#audit(trx, request, type, 'success', credential.user_id, credential.id, {
            purpose: request.purpose,
            userVerified: info.userVerified,
            counter,
          });
          return true;
        });
    if (!recorded) {
      await this.#o.store.transaction((trx) =>
        this.#audit(trx, request, 'auth.passkey.clone_suspected', 'failure', credential.user_id, credential.id, {
          purpose: request.purpose,
          storedCounter: credential.counter,
          presentedCounter: counter,
        }),
      );
      throw new WebAuthnError('ERR_WEBAUTHN_COUNTER', 'the passkey signature counter did not increase: it may have been cloned');
    }
    return { userId: credential.user_id, passkeyId: credential.id, challenge: row.challenge, userVerified: info.userVerified };
  }

  /** A user's passkeys, oldest first. */
  async listPasskeys(userId: string, db: Db = this.#o.store.db): Promise<readonly PasskeySummary[]> {
    return (await listUserWebauthnCredentials(db, userId)).map(summaryOf);
  }

  /** Renames one of a user's passkeys. Audited. */
  async renamePasskey(request: { readonly userId: string; readonly passkeyId: string; readonly name: string } & Origin): Promise<PasskeySummary> {
    const name = checkPasskeyName(request.name);
    return this.#o.store.transaction(async (trx) => {
      if (!(await renameWebauthnCredential(trx, request.userId, request.passkeyId, name))) {
        throw new WebAuthnError('ERR_WEBAUTHN_PASSKEY_NOT_FOUND', 'no such passkey');
      }
      await this.#audit(trx, request, 'auth.passkey.rename', 'success', request.userId, request.passkeyId, { name });
      const row = await findUserWebauthnCredential(trx, request.userId, request.passkeyId);
      return summaryOf(row as WebauthnCredentialRow);
    });
  }

  /**
   * Removes one of a user's passkeys. Unless `allowLast` (an administrator's revocation), removing
   * the user's last second factor is refused (docs/security.md SCA-18). Audited.
   */
  async removePasskey(
    request: {
      readonly userId: string;
      readonly passkeyId: string;
      readonly allowLast?: boolean;
      readonly via?: string;
      /**
       * An administrator's revocation: also end every web session of the user, in the same
       * transaction (a session does not record which passkey opened or last stepped it up, so
       * all of them go; the user signs in again with a remaining factor).
       */
      readonly endSessions?: boolean;
    } & Origin,
  ): Promise<{ readonly sessionsEnded: number }> {
    return this.#o.store.transaction(async (trx) => {
      const row = await findUserWebauthnCredential(trx, request.userId, request.passkeyId);
      if (row === undefined) throw new WebAuthnError('ERR_WEBAUTHN_PASSKEY_NOT_FOUND', 'no such passkey');
      if (request.allowLast !== true) {
        const user = await findUserById(trx, request.userId);
        const passkeysLeft = (await countUserWebauthnCredentials(trx, request.userId)) - 1;
        // With the require-passkey policy, TOTP alone cannot sign in: the last passkey is the last factor.
        const totpCounts = user?.totp_secret != null && user.require_passkey !== 1;
        if (passkeysLeft + (totpCounts ? 1 : 0) < 1) {
          throw new SessionError('ERR_SESSION_LAST_FACTOR', 'this is your last second factor: add another one first');
        }
      }
      await deleteWebauthnCredential(trx, request.userId, request.passkeyId);
      const sessionsEnded = request.endSessions === true ? await revokeUserWebSessions(trx, request.userId) : 0;
      await this.#audit(trx, request, 'auth.passkey.remove', 'success', request.userId, request.passkeyId, {
        name: row.name,
        ...(request.via === undefined ? {} : { via: request.via }),
        ...(request.endSessions === true ? { sessionsEnded } : {}),
      });
      return { sessionsEnded };
    });
  }

  /** Deletes ceremonies that expired (housekeeping); returns how many. */
  async purgeExpiredChallenges(): Promise<number> {
    return this.#o.store.transaction((trx) => deleteExpiredWebauthnChallenges(trx, this.#now()));
  }

  #requiresUv(purpose: PasskeyPurpose, userId: string | undefined): boolean {
    // Contract 2: presence suffices only for a passkey second factor after the password.
    return purpose !== 'login' || userId === undefined || this.#o.requireUserVerificationForLogin === true;
  }

  async #storeChallenge(purpose: string, challenge: Uint8Array, userId: string | undefined, binding: string | undefined): Promise<string> {
    const ticket = randomBytes(32).toString('base64url');
    const now = this.#now();
    await this.#o.store.transaction((trx) =>
      insertWebauthnChallenge(trx, {
        ticket_hash: hashOpaqueToken(ticket),
        challenge,
        purpose,
        user_id: userId ?? null,
        binding: binding ?? null,
        expires_at: now + this.#ttlMs,
        created_at: now,
      }),
    );
    return ticket;
  }

  /** docs/security.md SCA-10/16: one DELETE … RETURNING; then purpose, user, binding and expiry must match. */
  async #takeChallenge(ticket: string, purpose: string, userId: string | undefined, binding: string | undefined): Promise<WebauthnChallengeRow> {
    if (typeof ticket !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(ticket)) {
      throw new WebAuthnError('ERR_WEBAUTHN_TICKET_INVALID', 'the ceremony ticket is unknown or was used already');
    }
    const row = await this.#o.store.transaction((trx) => takeWebauthnChallenge(trx, hashOpaqueToken(ticket)));
    if (row === undefined) throw new WebAuthnError('ERR_WEBAUTHN_TICKET_INVALID', 'the ceremony ticket is unknown or was used already');
    if (row.expires_at <= this.#now()) throw new WebAuthnError('ERR_WEBAUTHN_TICKET_EXPIRED', 'the ceremony took too long: start again');
    if (row.purpose !== purpose || (row.binding ?? undefined) !== binding) {
      throw new WebAuthnError('ERR_WEBAUTHN_CEREMONY_MISMATCH', 'the ceremony was started for something else');
    }
    if (userId !== undefined && row.user_id !== userId) {
      throw new WebAuthnError('ERR_WEBAUTHN_CEREMONY_MISMATCH', 'the ceremony was started for another user');
    }
    return row;
  }

  /** Library errors (malformed CBOR, leftover bytes, an attestation that fails) become our codes. */
  async #library<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : '';
      if (/alg/i.test(message) && /unexpected|unsupported|not supported/i.test(message)) {
        throw new WebAuthnError('ERR_WEBAUTHN_ALGORITHM', 'the passkey uses an algorithm that is not allowed', { cause });
      }
      throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the WebAuthn response is malformed', { cause, detail: { reason: message } });
    }
  }

  /** Runs a ceremony step; a refusal is audited (aggregated like every failure, DOS-20) and rethrown. */
  async #failing<T>(request: Origin, type: string, userId: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isSignetError(err) && !(err instanceof WebAuthnError && err.code === 'ERR_WEBAUTHN_COUNTER')) {
        await appendFailureAudit(this.#o.store, this.#event(request, type, 'failure', userId, undefined, { reason: err.code }), this.#o.audit);
      }
      throw err;
    }
  }

  #now(): number {
    return this.#o.clock.now().getTime();
  }

  #event(
    request: Origin,
    type: string,
    outcome: AuditEvent['outcome'],
    userId: string | undefined,
    passkeyId: string | undefined,
    details: AuditEvent['details'],
  ): AuditEvent {
    const actor = request.actorUserId ?? userId;
    return {
      type,
      outcome,
      ...(actor === undefined ? {} : { actorUserId: actor }),
      ...(passkeyId !== undefined ? { subject: `passkey:${passkeyId}` } : userId !== undefined ? { subject: `user:${userId}` } : {}),
      ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
      ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
      ...(details === undefined ? {} : { details }),
    };
  }

  async #audit(
    trx: Db,
    request: Origin,
    type: string,
    outcome: AuditEvent['outcome'],
    userId: string,
    passkeyId: string,
    details: AuditEvent['details'],
  ): Promise<void> {
    await appendAudit(trx, this.#event(request, type, outcome, userId, passkeyId, details), this.#o.audit);
  }
}

function decodeAttestationObjectSafe(b64: string): { readonly authData: Uint8Array } {
  try {
    const decoded = decodeAttestationObject(new Uint8Array(Buffer.from(b64, 'base64url')));
    const authData = decoded.get('authData');
    if (!(authData instanceof Uint8Array)) throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the attestation object has no authData');
    return { authData };
  } catch (cause) {
    if (cause instanceof WebAuthnError) throw cause;
    throw new WebAuthnError('ERR_WEBAUTHN_RESPONSE_INVALID', 'the attestation object is not CBOR', { cause });
  }
}
