/**
 * Signing in to the web app and proving a fresh second factor (docs/decisions/0001 Contract 1):
 * password + TOTP, password + passkey, or (when enabled) a discoverable passkey with user
 * verification alone. Password and TOTP go through the Authenticator (attempt reservation,
 * lockout, throttling, audit); passkeys through the PasskeyService. A user with the
 * require-passkey policy is refused a TOTP login; a user with no second factor enrolled gets an
 * enrolment-only session (`secondFactor: 'none'`).
 */
import type { Clock } from '../core/clock.js';
import { appendFailureAudit, type AuditContext } from '../audit/index.js';
import { countUserWebauthnCredentials, findUserById, type Store } from '../store/index.js';
import type { Authenticator } from './authenticator.js';
import { SessionError } from './errors.js';
import type { RequestOrigin } from './sad.js';
import type { CreatedWebSession, WebSession, WebSessionService } from './web-session.js';
import type { PasskeyService, StartedCeremony } from './webauthn/index.js';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';

/** How fresh a second factor must be for a factor change without a step-up (5 minutes). */
export const stepUpFreshMs = 5 * 60 * 1000;

/** What WebLogin is wired with. */
export interface WebLoginOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly authenticator: Authenticator;
  readonly passkeys: PasskeyService;
  readonly sessions: WebSessionService;
  /** `SIGNET_PASSWORDLESS=1`: a discoverable passkey with user verification signs in alone. */
  readonly passwordless: boolean;
}

/** A step-up proof carried by a request: a TOTP code, or a finished 'step-up' passkey ceremony. */
export type StepUpProof =
  | { readonly otp: string }
  | { readonly ticket: string; readonly response: unknown };

/** The second factors a user has enrolled. */
export interface EnrolledFactors {
  readonly totp: boolean;
  readonly totpPending: boolean;
  readonly passkeys: number;
  readonly requirePasskey: boolean;
}

/** The binding that ties a step-up ceremony to the session that started it (docs/security.md SCA-16). */
export function sessionBinding(session: Pick<WebSession, 'sessionId'>): string {
  return `session:${session.sessionId}`;
}

/**
 * The sign-in and step-up flows over the Authenticator, the PasskeyService and the sessions.
 *
 * @example
 * ```ts
 * const login = new WebLogin({ store, clock, audit, authenticator, passkeys, sessions, passwordless: false });
 * const { token } = await login.withPassword({ username: 'alice', password: 'pw', otp: '123456' });
 * ```
 */
export class WebLogin {
  readonly #o: WebLoginOptions;

  constructor(options: WebLoginOptions) {
    this.#o = options;
  }

  /** Whether passwordless sign-in is enabled. */
  get passwordless(): boolean {
    return this.#o.passwordless;
  }

  /** A user's name (for the second-factor step of a federated sign-in). */
  async username(userId: string): Promise<string> {
    return (await findUserById(this.#o.store.db, userId))?.username ?? '';
  }

  /** The factors a user has enrolled. */
  async factors(userId: string): Promise<EnrolledFactors> {
    const user = await findUserById(this.#o.store.db, userId);
    return {
      totp: user?.totp_secret != null,
      totpPending: user?.totp_pending_secret != null,
      passkeys: await countUserWebauthnCredentials(this.#o.store.db, userId),
      requirePasskey: user?.require_passkey === 1,
    };
  }

  /**
   * Password + TOTP. The password is checked first (counted, SCA-02); then the require-passkey
   * policy; then the code. A user without any second factor gets an enrolment-only session.
   */
  async withPassword(
    request: { readonly username: string; readonly password: string; readonly otp?: string | undefined } & RequestOrigin,
  ): Promise<CreatedWebSession> {
    const { authenticator, sessions } = this.#o;
    const userId = await authenticator.verifyPassword({ ...request, keepFailures: true });
    const created = await this.#totpAfter(userId, 'password', request.otp, request);
    return created ?? sessions.create({ userId, secondFactor: 'none', method: 'password', ...origin(request) });
  }

  /**
   * The one-time-code step after a first factor (the password, or a federated sign-in): the
   * require-passkey policy first, then the code (counted, SCA-08). Undefined when the user has no
   * second factor at all (the caller decides: enrolment-only session or refusal).
   */
  async #totpAfter(
    userId: string,
    first: 'password' | 'oidc',
    otp: string | undefined,
    request: RequestOrigin,
    beforeSession?: () => Promise<void>,
  ): Promise<CreatedWebSession | undefined> {
    const factors = await this.factors(userId);
    if (factors.requirePasskey) {
      await this.#refuse(request, userId, 'passkey-required');
      throw new SessionError('ERR_SESSION_PASSKEY_REQUIRED', 'this account signs in with a passkey only');
    }
    if (factors.totp) {
      if (otp === undefined || otp === '') {
        throw new SessionError('ERR_SESSION_SECOND_FACTOR_REQUIRED', 'enter the one-time code from your authenticator app');
      }
      await this.#o.authenticator.verifyTotp({ userId, code: otp, ...origin(request) });
      await beforeSession?.();
      return this.#o.sessions.create({ userId, secondFactor: 'totp', method: `${first}+totp`, ...origin(request) });
    }
    if (factors.passkeys > 0) {
      await this.#refuse(request, userId, 'passkey-not-used');
      throw new SessionError('ERR_SESSION_SECOND_FACTOR_REQUIRED', 'sign in with your passkey');
    }
    return undefined;
  }

  /**
   * docs/security.md SCA-19: after a federated first factor (OidcLogin), the one-time code. The first
   * factor is taken (once) only after the code verified, so a mistyped code may be retried while
   * the first factor lives; the codes count toward the lockout like any other. A user without a
   * second factor is refused: a federated sign-in opens no enrolment-only session.
   */
  async federatedWithTotp(
    request: { readonly userId: string; readonly otp: string | undefined; readonly consume: () => Promise<void> } & RequestOrigin,
  ): Promise<CreatedWebSession> {
    const created = await this.#totpAfter(request.userId, 'oidc', request.otp, request, request.consume);
    if (created !== undefined) return created;
    await this.#refuse(request, request.userId, 'no-second-factor');
    throw new SessionError('ERR_SESSION_SECOND_FACTOR_REQUIRED', 'sign in with your password and add a passkey or an authenticator app first');
  }

  /** Starts the passkey step after a federated first factor: the user's passkeys, bound to that first factor. */
  async federatedPasskeyOptions(
    request: { readonly userId: string; readonly binding: string } & RequestOrigin,
  ): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    if ((await this.factors(request.userId)).passkeys === 0) {
      await this.#refuse(request, request.userId, 'no-passkey');
      throw new SessionError('ERR_SESSION_SECOND_FACTOR_REQUIRED', 'this account has no passkey: use your one-time code');
    }
    return this.#o.passkeys.startAuthentication({ purpose: 'login', userId: request.userId, binding: request.binding, ...origin(request) });
  }

  /** Finishes the passkey step after a federated first factor and opens the session. */
  async federatedWithPasskey(
    request: {
      readonly userId: string;
      readonly binding: string;
      readonly ticket: string;
      readonly response: unknown;
      readonly consume: () => Promise<void>;
    } & RequestOrigin,
  ): Promise<CreatedWebSession> {
    await this.#o.passkeys.finishAuthentication({
      purpose: 'login',
      userId: request.userId,
      binding: request.binding,
      ticket: request.ticket,
      response: request.response,
      ...origin(request),
    });
    await request.consume();
    return this.#o.sessions.create({ userId: request.userId, secondFactor: 'passkey', method: 'oidc+passkey', ...origin(request) });
  }

  /**
   * Starts a passkey sign-in: with a user name and password (checked first, counted), only that
   * user's passkeys; with neither, a discoverable passkey (passwordless, when enabled).
   */
  async passkeyOptions(
    request: { readonly username?: string | undefined; readonly password?: string | undefined } & RequestOrigin,
  ): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    if (request.username === undefined && request.password === undefined) {
      if (!this.#o.passwordless) {
        throw new SessionError('ERR_SESSION_PASSWORDLESS_DISABLED', 'sign in with your user name and password first');
      }
      return this.#o.passkeys.startAuthentication({ purpose: 'login', ...origin(request) });
    }
    const userId = await this.#o.authenticator.verifyPassword({
      username: request.username ?? '',
      password: request.password ?? '',
      keepFailures: true,
      ...origin(request),
    });
    return this.#o.passkeys.startAuthentication({ purpose: 'login', userId, ...origin(request) });
  }

  /** Finishes a passkey sign-in and opens the session. */
  async withPasskey(request: { readonly ticket: string; readonly response: unknown } & RequestOrigin): Promise<CreatedWebSession> {
    const assertion = await this.#o.passkeys.finishAuthentication({
      purpose: 'login',
      ticket: request.ticket,
      response: request.response,
      ...origin(request),
    });
    return this.#o.sessions.create({
      userId: assertion.userId,
      secondFactor: 'passkey',
      method: assertion.userVerified ? 'passkey+uv' : 'password+passkey',
      ...origin(request),
    });
  }

  /** Starts a step-up passkey ceremony bound to this session. */
  async stepUpOptions(session: WebSession, request: RequestOrigin = {}): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    return this.#o.passkeys.startAuthentication({
      purpose: 'step-up',
      userId: session.userId,
      binding: sessionBinding(session),
      ...origin(request),
    });
  }

  /** Verifies a step-up proof and records it on the session. */
  async stepUp(session: WebSession, proof: StepUpProof, request: RequestOrigin = {}): Promise<void> {
    if ('otp' in proof) {
      if ((await this.factors(session.userId)).requirePasskey) {
        throw new SessionError('ERR_SESSION_PASSKEY_REQUIRED', 'this account confirms with a passkey only');
      }
      await this.#o.authenticator.verifyTotp({ userId: session.userId, code: proof.otp, ...origin(request) });
      await this.#o.sessions.recordSecondFactor(session.sessionId, 'totp');
      return;
    }
    await this.#o.passkeys.finishAuthentication({
      purpose: 'step-up',
      userId: session.userId,
      binding: sessionBinding(session),
      ticket: proof.ticket,
      response: proof.response,
      ...origin(request),
    });
    await this.#o.sessions.recordSecondFactor(session.sessionId, 'passkey');
  }

  /**
   * docs/security.md SCA-18: a factor change needs a second factor verified in the last 5 minutes of
   * this session, or a step-up proof in the request. A user with no factor at all (first
   * enrolment) needs none.
   */
  async requireFreshFactor(session: WebSession, proof: StepUpProof | undefined, request: RequestOrigin = {}): Promise<void> {
    const factors = await this.factors(session.userId);
    if (!factors.totp && factors.passkeys === 0) return;
    const now = this.#o.clock.now().getTime();
    if (session.secondFactor !== 'none' && session.secondFactorAt !== null && now - session.secondFactorAt < stepUpFreshMs) return;
    if (proof !== undefined) {
      await this.stepUp(session, proof, request);
      return;
    }
    throw new SessionError('ERR_SESSION_STEP_UP_REQUIRED', 'confirm with your passkey or one-time code first');
  }

  async #refuse(request: RequestOrigin, userId: string, reason: string): Promise<void> {
    await appendFailureAudit(
      this.#o.store,
      { type: 'auth.session.login', outcome: 'failure', actorUserId: userId, subject: `user:${userId}`, details: { reason }, ...origin(request) },
      this.#o.audit,
    );
  }
}

function origin(request: RequestOrigin): RequestOrigin {
  return {
    ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
    ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
  };
}
