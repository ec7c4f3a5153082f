/**
 * Authentication factors with persisted lockout: password (scrypt), TOTP (RFC 6238, single use per
 * step), credential PIN and OTP (CSC credentials/authorize explicit mode). Every attempt is reserved
 * by a conditional UPDATE BEFORE the factor is verified (docs/security.md SCA-02, SAD-25), every outcome
 * is audited in the same transaction as its state change.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import {
  advanceUserTotpStep,
  clearCredentialAttempts,
  clearUserAttempts,
  countUserWebauthnCredentials,
  releaseUserAttempt,
  releaseCredentialAttempt,
  findCredential,
  findUserById,
  findUserByUsername,
  hitRateLimit,
  insertUser,
  lockUser,
  reserveCredentialAttempt,
  reserveUserAttempt,
  setCredentialLocked,
  setCredentialPinHash,
  setUserPasswordHash,
  confirmUserTotpSecret,
  setUserPendingTotpSecret,
  unlockUser as unlockUserRow,
  type Db,
  type Store,
} from '../store/index.js';
import { appendAudit, appendFailureAudit, type AuditContext, type AuditEvent } from '../audit/index.js';
import { AuthError } from './errors.js';
import type { RequestOrigin } from './sad.js';
import type { SecretBox } from './secret-box.js';
import type { SecretHasher } from './secret-hasher.js';
import {
  defaultTotpParams,
  defaultTotpWindow,
  generateTotpSecret,
  matchTotp,
  totpUri,
  type TotpParams,
  type TotpWindow,
} from './totp.js';

/** How many failed attempts lock, and for how long (null: until an administrator unlocks). */
export interface LockoutPolicy {
  readonly maxAttempts: number;
  readonly lockSeconds: number | null;
}

/** What the Authenticator is wired with (server/assemble.ts passes these). */
export interface AuthenticatorOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly hasher: SecretHasher;
  /** Seals TOTP secrets at rest. */
  readonly secretBox: SecretBox;
  /** User factors (password, TOTP): default 5 attempts, 15 minutes. */
  readonly userLockout?: LockoutPolicy;
  /** Credential PIN/OTP: default 5 attempts, locked until an administrator unlocks (lockSeconds ignored). */
  readonly credentialLockout?: Pick<LockoutPolicy, 'maxAttempts'>;
  /**
   * Per-source-address limit on password and TOTP attempts across all users (docs/security.md SCA-01/03:
   * slows credential stuffing and lockout-as-DoS). Off when absent.
   */
  readonly sourceLimit?: { readonly maxAttempts: number; readonly windowSeconds: number };
  readonly totpParams?: TotpParams;
  readonly totpWindow?: TotpWindow;
  /** Issuer shown in authenticator apps. */
  readonly totpIssuer?: string;
}

/** TOTP enrollment output: shown once to the user, never again (SCA-09). */
export interface TotpEnrollment {
  readonly secret: Uint8Array;
  readonly uri: string;
}

type Outcome = AuditEvent['outcome'];

/** A factor's check: right or wrong, and for a one-time password the claim of its time step. */
interface FactorCheck {
  readonly ok: boolean;
  readonly claim?: (trx: Db) => Promise<boolean>;
}

/** The persisted attempt counter of a user or a credential (see Authenticator #countedAttempt). */
interface AttemptCounter {
  readonly actorUserId: string;
  readonly subject: string;
  /** The audit reason when the reservation is refused. */
  readonly lockedReason: string;
  /** Reserves an attempt; its number, or undefined when locked (or disabled). */
  reserve(trx: Db): Promise<number | undefined>;
  readonly max: number;
  release(trx: Db): Promise<void>;
  clear(trx: Db): Promise<void>;
  lock(trx: Db): Promise<void>;
  readonly lockedEvent: 'user.locked' | 'credential.locked';
}

/** Where an attempt comes from: the transport's origin and, when known, the OAuth client (AUD-09). */
export type FactorOrigin = RequestOrigin & { readonly clientId?: string };

function checkPolicy(p: { readonly maxAttempts: number }): void {
  if (!Number.isSafeInteger(p.maxAttempts) || p.maxAttempts < 1 || p.maxAttempts > 1000) {
    throw new AuthError('ERR_AUTH_POLICY', 'maxAttempts must be between 1 and 1000');
  }
}

/**
 * Verifies users' factors and credential PINs with atomic attempt counting and persisted lockout.
 *
 * @example
 * ```ts
 * const auth = new Authenticator({ store, clock: systemClock, audit, hasher: createScryptHasher(), secretBox });
 * const userId = await auth.createUser({ username: 'alice', password: 'correct horse' });
 * await auth.verifyPassword({ username: 'alice', password: 'correct horse' });
 * ```
 */
export class Authenticator {
  readonly #o: AuthenticatorOptions;
  readonly #user: LockoutPolicy;
  readonly #credentialMax: number;

  constructor(options: AuthenticatorOptions) {
    this.#o = options;
    this.#user = options.userLockout ?? { maxAttempts: 5, lockSeconds: 15 * 60 };
    this.#credentialMax = options.credentialLockout?.maxAttempts ?? 5;
    checkPolicy(this.#user);
    checkPolicy({ maxAttempts: this.#credentialMax });
  }

  /** Creates an active user with a password; ERR_STORE_CONFLICT when the username is taken. Audited. */
  async createUser(
    request: {
      readonly username: string;
      readonly password: string;
      readonly actorUserId?: string;
    } & FactorOrigin,
  ): Promise<string> {
    const passwordHash = await this.#o.hasher.hash(request.password);
    const id = randomUUID();
    await this.#o.store.transaction(async (trx) => {
      await insertUser(trx, {
        id,
        username: request.username,
        passwordHash,
        createdAt: this.#now(),
      });
      await this.#audit(trx, request, 'user.create', 'success', {
        subject: `user:${id}`,
        actorUserId: request.actorUserId,
        details: { username: request.username },
      });
    });
    return id;
  }

  /**
   * Password login. Unknown user and wrong password give the same error after the same KDF work
   * (SCA-04); the attempt is reserved in the DB before the KDF runs (SCA-02). Returns the user id.
   */
  async verifyPassword(
    request: {
      readonly username: string;
      readonly password: string;
      /**
       * First factor of several (web and OAuth sign-in): a right password gives back only its own
       * reservation, so earlier wrong codes or passkeys stay counted until the second factor
       * verifies — else "right password, wrong code" could be repeated forever (SCA-08).
       * `'when-second-factor'` (CSC auth/login, a password-only sign-in): keep them when the
       * person has a one-time code or a passkey, clear them when the password is all they have.
       */
      readonly keepFailures?: boolean | 'when-second-factor';
    } & FactorOrigin,
  ): Promise<string> {
    await this.#throttle(request, 'auth.password');
    const user = await findUserByUsername(this.#o.store.db, request.username);
    if (user === undefined) {
      // The attempted username is not audited: people type their password into that field (AUD-08).
      await this.#o.hasher.verifyDummy(request.password);
      await appendFailureAudit(
        this.#o.store,
        this.#event(request, 'auth.password', 'failure', { details: { reason: 'unknown-user' } }),
        this.#o.audit,
      );
      throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'the username or password is wrong');
    }
    const hasher = this.#o.hasher;
    const keepFailures =
      request.keepFailures === 'when-second-factor'
        ? user.totp_secret != null || (await countUserWebauthnCredentials(this.#o.store.db, user.id)) > 0
        : request.keepFailures === true;
    return this.#userFactor(request, user.id, 'auth.password', keepFailures, async () => {
      if (!(await hasher.verify(request.password, user.password_hash))) return { ok: false };
      if (!hasher.needsRehash(user.password_hash)) return { ok: true };
      // Upgrade the stored hash to the current scrypt parameters while the password is at hand.
      const upgraded = await hasher.hash(request.password);
      return {
        ok: true,
        claim: async (trx: Db) => {
          await setUserPasswordHash(trx, user.id, upgraded);
          return true;
        },
      };
    });
  }

  /**
   * Generates a new TOTP secret and stores it sealed as PENDING: it authenticates nothing until
   * `confirmTotp` sees a valid first code (docs/security.md SCA-09). The caller must have authenticated
   * the user with their existing factors first (SCA-18). Audited.
   */
  async enrollTotp(request: { readonly userId: string } & RequestOrigin): Promise<TotpEnrollment> {
    const user = await findUserById(this.#o.store.db, request.userId);
    if (user === undefined) throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'unknown user');
    const secret = generateTotpSecret();
    const sealed = this.#o.secretBox.seal(secret, totpAad(user.id));
    await this.#o.store.transaction(async (trx) => {
      await setUserPendingTotpSecret(trx, user.id, sealed);
      await this.#audit(trx, request, 'auth.totp.enroll', 'success', {
        actorUserId: user.id,
        subject: `user:${user.id}`,
      });
    });
    return {
      secret,
      uri: totpUri({
        issuer: this.#o.totpIssuer ?? 'Signet',
        account: user.username,
        secret,
        params: this.#o.totpParams ?? defaultTotpParams,
      }),
    };
  }

  /** Confirms the pending TOTP secret with a first valid code, which becomes the last used step. Counted like a login attempt. */
  async confirmTotp(
    request: { readonly userId: string; readonly code: string } & FactorOrigin,
  ): Promise<void> {
    const user = await findUserById(this.#o.store.db, request.userId);
    const pending = user?.totp_pending_secret ?? null;
    if (user === undefined || pending === null) {
      throw new AuthError(
        'ERR_AUTH_TOTP_NOT_ENROLLED',
        'no one-time password device is awaiting confirmation',
      );
    }
    const secret = this.#o.secretBox.open(pending, totpAad(user.id));
    await this.#userFactor(request, user.id, 'auth.totp.confirm', false, async () => {
      const step = this.#matchStep(secret, request.code);
      return step === undefined
        ? { ok: false }
        : { ok: true, claim: (trx) => confirmUserTotpSecret(trx, user.id, pending, step) };
    });
  }

  /** Verifies a user's TOTP code: counted like a password attempt, each time step accepted once (SCA-05/06/08). */
  async verifyTotp(
    request: { readonly userId: string; readonly code: string } & FactorOrigin,
  ): Promise<void> {
    await this.#throttle(request, 'auth.totp');
    const secret = await this.#totpSecret(request.userId);
    await this.#userFactor(request, request.userId, 'auth.totp', false, async () =>
      this.#checkTotp(request.userId, secret, request.code),
    );
  }

  /**
   * A second factor checked elsewhere (a passkey assertion, by the PasskeyService): the attempt is
   * reserved and counted on the user exactly like a TOTP code (docs/security.md SCA-02/08), so failed
   * assertions lock the account at the same limit and a locked account is refused before the
   * check runs (`ERR_AUTH_LOCKED`). The check's own refusal is rethrown after it was counted; a
   * success clears the count. Audited as `type` (with the attempt number on failure).
   */
  async countedFactor<T>(request: { readonly userId: string } & FactorOrigin, type: string, check: () => Promise<T>): Promise<T> {
    let value: T | undefined;
    let refusal: { readonly err: unknown } | undefined;
    try {
      await this.#userFactor(request, request.userId, type, false, async () => {
        try {
          value = await check();
          return { ok: true };
        } catch (err) {
          refusal = { err };
          return { ok: false };
        }
      });
    } catch (err) {
      throw refusal === undefined ? err : refusal.err;
    }
    return value as T;
  }

  /**
   * Verifies a credential's PIN (CSC explicit mode). A foreign or unknown credential is answered
   * like an unknown one after the same KDF work; wrong PINs count on the credential and lock it
   * (persisted) at the limit.
   */
  async verifyCredentialPin(
    request: {
      readonly userId: string;
      readonly credentialId: string;
      readonly pin: string;
      /** First factor of several: success keeps earlier failures counted (see #credentialFactor). */
      readonly keepFailures?: boolean;
    } & FactorOrigin,
  ): Promise<void> {
    const credential = await findCredential(this.#o.store.db, request.credentialId);
    if (
      credential === undefined ||
      credential.user_id !== request.userId ||
      credential.pin_hash === null
    ) {
      await this.#o.hasher.verifyDummy(request.pin);
      await appendFailureAudit(
        this.#o.store,
        this.#event(request, 'auth.pin', 'failure', {
          actorUserId: request.userId,
          subject: `credential:${request.credentialId}`,
          details: { reason: 'unknown-credential' },
        }),
        this.#o.audit,
      );
      throw new AuthError('ERR_AUTH_CREDENTIAL_NOT_FOUND', 'the credential is unknown');
    }
    const pinHash = credential.pin_hash;
    await this.#credentialFactor(request, 'auth.pin', 'ERR_AUTH_PIN_INVALID', async () =>
      (await this.#o.hasher.verify(request.pin, pinHash)) ? { ok: true } : { ok: false },
    );
  }

  /** Verifies the user's TOTP as the credential's OTP (CSC explicit mode), counted on the credential. */
  async verifyCredentialOtp(
    request: {
      readonly userId: string;
      readonly credentialId: string;
      readonly code: string;
      /** First factor of several: success keeps earlier failures counted (see #credentialFactor). */
      readonly keepFailures?: boolean;
    } & FactorOrigin,
  ): Promise<void> {
    const credential = await findCredential(this.#o.store.db, request.credentialId);
    if (credential === undefined || credential.user_id !== request.userId) {
      throw new AuthError('ERR_AUTH_CREDENTIAL_NOT_FOUND', 'the credential is unknown');
    }
    const secret = await this.#totpSecret(request.userId);
    await this.#credentialFactor(request, 'auth.otp', 'ERR_AUTH_OTP_INVALID', async () =>
      this.#checkTotp(request.userId, secret, request.code),
    );
  }

  /** Sets a credential's PIN (scrypt hash) and clears its failure counter. The caller authenticated the owner. Audited. */
  async setCredentialPin(
    request: {
      readonly userId: string;
      readonly credentialId: string;
      readonly pin: string;
    } & FactorOrigin,
  ): Promise<void> {
    const credential = await findCredential(this.#o.store.db, request.credentialId);
    if (credential === undefined || credential.user_id !== request.userId) {
      throw new AuthError('ERR_AUTH_CREDENTIAL_NOT_FOUND', 'the credential is unknown');
    }
    const pinHash = await this.#o.hasher.hash(request.pin);
    await this.#o.store.transaction(async (trx) => {
      await setCredentialPinHash(trx, credential.id, pinHash);
      await this.#audit(trx, request, 'credential.pin.set', 'success', {
        actorUserId: request.userId,
        subject: `credential:${credential.id}`,
      });
    });
  }

  /** Administrator unlock of a user. Audited. */
  async unlockUser(
    request: { readonly userId: string; readonly actorUserId: string } & FactorOrigin,
  ): Promise<void> {
    await this.#o.store.transaction(async (trx) => {
      await unlockUserRow(trx, request.userId);
      await this.#audit(trx, request, 'user.unlock', 'success', {
        actorUserId: request.actorUserId,
        subject: `user:${request.userId}`,
      });
    });
  }

  /** Administrator unlock of a credential. Audited. */
  async unlockCredential(
    request: { readonly credentialId: string; readonly actorUserId: string } & FactorOrigin,
  ): Promise<void> {
    await this.#o.store.transaction(async (trx) => {
      await setCredentialLocked(trx, request.credentialId, false);
      await this.#audit(trx, request, 'credential.unlock', 'success', {
        actorUserId: request.actorUserId,
        subject: `credential:${request.credentialId}`,
      });
    });
  }

  async #totpSecret(userId: string): Promise<Uint8Array> {
    const user = await findUserById(this.#o.store.db, userId);
    if (user?.totp_secret === null || user === undefined) {
      throw new AuthError('ERR_AUTH_TOTP_NOT_ENROLLED', 'no one-time password device is enrolled');
    }
    return this.#o.secretBox.open(user.totp_secret, totpAad(userId));
  }

  /** Matches the code, then claims its step atomically (the claim runs in the caller's success transaction). */
  #checkTotp(
    userId: string,
    secret: Uint8Array,
    code: string,
  ): { ok: boolean; claim?: (trx: Db) => Promise<boolean> } {
    const step = this.#matchStep(secret, code);
    if (step === undefined) return { ok: false };
    return { ok: true, claim: (trx) => advanceUserTotpStep(trx, userId, step) };
  }

  #matchStep(secret: Uint8Array, code: string): number | undefined {
    return matchTotp(secret, code, this.#o.clock.now(), {
      params: this.#o.totpParams ?? defaultTotpParams,
      window: this.#o.totpWindow ?? defaultTotpWindow,
    });
  }

  async #userFactor(
    request: FactorOrigin,
    userId: string,
    type: string,
    keepFailures: boolean,
    verify: () => Promise<FactorCheck>,
  ): Promise<string> {
    const seconds = this.#user.lockSeconds;
    const outcome = await this.#countedAttempt(request, type, keepFailures, verify, {
      actorUserId: userId,
      subject: `user:${userId}`,
      lockedReason: 'locked-or-disabled',
      reserve: (trx) => reserveUserAttempt(trx, userId, this.#user.maxAttempts, this.#now()),
      max: this.#user.maxAttempts,
      release: (trx) => releaseUserAttempt(trx, userId),
      clear: (trx) => clearUserAttempts(trx, userId),
      lock: (trx) => lockUser(trx, userId, seconds === null ? null : this.#now() + seconds * 1000),
      lockedEvent: 'user.locked',
    });
    if (outcome === 'locked') {
      const user = await findUserById(this.#o.store.db, userId);
      if (user?.status !== 'active')
        throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'the username or password is wrong');
      throw new AuthError('ERR_AUTH_LOCKED', 'too many failed attempts: the account is locked');
    }
    if (outcome === 'wrong') {
      throw type.startsWith('auth.totp')
        ? new AuthError('ERR_AUTH_OTP_INVALID', 'the one-time password is wrong')
        : new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'the username or password is wrong');
    }
    return userId;
  }

  async #credentialFactor(
    request: FactorOrigin & {
      readonly userId: string;
      readonly credentialId: string;
      readonly keepFailures?: boolean;
    },
    type: string,
    wrongCode: 'ERR_AUTH_PIN_INVALID' | 'ERR_AUTH_OTP_INVALID',
    verify: () => Promise<FactorCheck>,
  ): Promise<void> {
    const { credentialId } = request;
    // docs/security.md SAD-25: a right PIN must not wipe the count of wrong OTPs (or the reverse)
    // before the whole authorization succeeded; keepFailures releases only this attempt.
    const outcome = await this.#countedAttempt(request, type, request.keepFailures === true, verify, {
      actorUserId: request.userId,
      subject: `credential:${credentialId}`,
      lockedReason: 'locked',
      reserve: (trx) => reserveCredentialAttempt(trx, credentialId, this.#credentialMax),
      max: this.#credentialMax,
      release: (trx) => releaseCredentialAttempt(trx, credentialId),
      clear: (trx) => clearCredentialAttempts(trx, credentialId),
      lock: (trx) => setCredentialLocked(trx, credentialId, true),
      lockedEvent: 'credential.locked',
    });
    if (outcome === 'locked')
      throw new AuthError('ERR_AUTH_CREDENTIAL_LOCKED', 'too many failed attempts: the credential is locked');
    if (outcome === 'wrong') {
      throw wrongCode === 'ERR_AUTH_PIN_INVALID'
        ? new AuthError('ERR_AUTH_PIN_INVALID', 'the PIN is wrong')
        : new AuthError('ERR_AUTH_OTP_INVALID', 'the one-time password is wrong');
    }
  }

  /**
   * One counted attempt at a factor (docs/security.md SCA-02): the attempt is reserved by a
   * conditional UPDATE before `verify` runs (undefined: locked or disabled, audited as a failure);
   * then, in one transaction, a success (with its single-use claim, if any) releases the
   * reservation or clears the count and is audited, and a failure locks at the limit and is
   * audited with the attempt number. A right one-time password whose claim fails is a replay
   * (ERR_AUTH_OTP_REPLAYED, thrown here); a wrong factor returns 'wrong' for the caller's error.
   */
  async #countedAttempt(
    request: FactorOrigin,
    type: string,
    keepFailures: boolean,
    verify: () => Promise<FactorCheck>,
    counter: AttemptCounter,
  ): Promise<'ok' | 'locked' | 'wrong'> {
    const store = this.#o.store;
    const subject = { actorUserId: counter.actorUserId, subject: counter.subject };
    const attempts = await store.transaction((trx) => counter.reserve(trx));
    if (attempts === undefined) {
      await appendFailureAudit(
        store,
        this.#event(request, type, 'failure', { ...subject, details: { reason: counter.lockedReason } }),
        this.#o.audit,
      );
      return 'locked';
    }
    const result = await verify();
    const replayed = await store.transaction(async (trx) => {
      if (result.ok && (result.claim === undefined || (await result.claim(trx)))) {
        await (keepFailures ? counter.release(trx) : counter.clear(trx));
        await this.#audit(trx, request, type, 'success', subject);
        return false;
      }
      if (attempts >= counter.max) {
        await counter.lock(trx);
        await this.#audit(trx, request, counter.lockedEvent, 'success', { ...subject, details: { attempts } });
      }
      await this.#audit(trx, request, type, 'failure', {
        ...subject,
        details: { reason: result.ok ? 'replayed' : 'wrong', attempts },
      });
      return result.ok;
    });
    if (replayed) throw new AuthError('ERR_AUTH_OTP_REPLAYED', 'this one-time password was already used');
    return result.ok ? 'ok' : 'wrong';
  }

  /** Counts the attempt against its source address; refuses (audited) past the limit. */
  async #throttle(request: FactorOrigin, type: string): Promise<void> {
    const limit = this.#o.sourceLimit;
    if (limit === undefined || request.sourceAddress === undefined) return;
    const key = `auth:${request.sourceAddress}`;
    const count = await this.#o.store.transaction((trx) =>
      hitRateLimit(trx, key, limit.windowSeconds * 1000, this.#now()),
    );
    if (count > limit.maxAttempts) {
      await appendFailureAudit(
        this.#o.store,
        this.#event(request, type, 'failure', { details: { reason: 'throttled' } }),
        this.#o.audit,
      );
      throw new AuthError(
        'ERR_AUTH_THROTTLED',
        'too many attempts from this address; try again later',
      );
    }
  }

  #now(): number {
    return this.#o.clock.now().getTime();
  }

  #event(
    request: FactorOrigin,
    type: string,
    outcome: Outcome,
    extra: {
      readonly actorUserId?: string | undefined;
      readonly subject?: string;
      readonly details?: AuditEvent['details'];
    },
  ): AuditEvent {
    return {
      type,
      outcome,
      ...(extra.actorUserId === undefined ? {} : { actorUserId: extra.actorUserId }),
      ...(extra.subject === undefined ? {} : { subject: extra.subject }),
      ...(extra.details === undefined ? {} : { details: extra.details }),
      ...(request.clientId === undefined ? {} : { actorClientId: request.clientId }),
      ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
      ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
    };
  }

  async #audit(
    trx: Db,
    request: FactorOrigin,
    type: string,
    outcome: Outcome,
    extra: {
      readonly actorUserId?: string | undefined;
      readonly subject?: string;
      readonly details?: AuditEvent['details'];
    },
  ): Promise<void> {
    await appendAudit(trx, this.#event(request, type, outcome, extra), this.#o.audit);
  }
}

/** Associated data binding a sealed TOTP secret to its user row. */
function totpAad(userId: string): string {
  return `signet:totp:${userId}`;
}
