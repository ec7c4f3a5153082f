/**
 * A user's second factors as a whole (issue 12; docs/security.md SCA-18): what is enrolled, removing
 * the TOTP device (never the last factor, unless an administrator does it), and the
 * administrator's reset (recovery: every passkey and the TOTP secret removed, every web session
 * ended). Each change is audited in the transaction that makes it.
 */
import type { Clock } from '../core/clock.js';
import { appendAudit, type AuditContext, type AuditEvent } from '../audit/index.js';
import {
  clearUserTotp,
  countUserWebauthnCredentials,
  deleteUserWebauthnCredentials,
  findUserById,
  revokeUserWebSessions,
  type Db,
  type Store,
} from '../store/index.js';
import { AuthError, SessionError } from './errors.js';
import type { RequestOrigin } from './sad.js';
import type { PasskeyService, PasskeySummary } from './webauthn/index.js';

/** The factors of one user, as the owner and administrators see them (never a secret). */
export interface UserFactors {
  readonly userId: string;
  readonly totp: { readonly enrolled: boolean; readonly pending: boolean };
  readonly passkeys: readonly PasskeySummary[];
  readonly requirePasskey: boolean;
}

/** Who changes a factor: the user themselves, or an administrator (`via` names the channel). */
export type FactorActor = RequestOrigin & { readonly actorUserId?: string; readonly via?: string };

/** What the FactorManager is wired with. */
export interface FactorManagerOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly passkeys: PasskeyService;
}

/**
 * Lists, removes and resets second factors.
 *
 * @example
 * ```ts
 * const factors = new FactorManager({ store, clock, audit, passkeys });
 * await factors.reset({ userId, via: 'cli' }); // recovery: the user enrols again
 * ```
 */
export class FactorManager {
  readonly #o: FactorManagerOptions;

  constructor(options: FactorManagerOptions) {
    this.#o = options;
  }

  /** A user's factors; ERR_AUTH_INVALID_CREDENTIALS for an unknown user. */
  async list(userId: string): Promise<UserFactors> {
    const user = await findUserById(this.#o.store.db, userId);
    if (user === undefined) throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'unknown user');
    return {
      userId,
      totp: { enrolled: user.totp_secret !== null, pending: user.totp_pending_secret !== null },
      passkeys: await this.#o.passkeys.listPasskeys(userId),
      requirePasskey: user.require_passkey === 1,
    };
  }

  /**
   * Removes the TOTP device (active and pending). Unless `allowLast` (an administrator), refused
   * when no passkey would remain (SCA-18). `endSessions` (an administrator's revocation: the
   * device may be a stolen one, and a session does not record which factor opened it) also ends
   * every web session of the user in the same transaction. Audited `auth.totp.remove`.
   */
  async removeTotp(
    request: { readonly userId: string; readonly allowLast?: boolean; readonly endSessions?: boolean } & FactorActor,
  ): Promise<{ readonly sessionsEnded: number }> {
    return this.#o.store.transaction(async (trx) => {
      const user = await findUserById(trx, request.userId);
      if (user === undefined) throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'unknown user');
      if (user.totp_secret === null && user.totp_pending_secret === null) {
        throw new AuthError('ERR_AUTH_TOTP_NOT_ENROLLED', 'no one-time password device is enrolled');
      }
      if (request.allowLast !== true && user.totp_secret !== null && (await countUserWebauthnCredentials(trx, request.userId)) === 0) {
        throw new SessionError('ERR_SESSION_LAST_FACTOR', 'this is your last second factor: add a passkey first');
      }
      await clearUserTotp(trx, request.userId);
      const sessionsEnded = request.endSessions === true ? await revokeUserWebSessions(trx, request.userId) : 0;
      await this.#audit(trx, request, 'auth.totp.remove', {
        hadActive: user.totp_secret !== null,
        ...(request.endSessions === true ? { sessionsEnded } : {}),
      });
      return { sessionsEnded };
    });
  }

  /**
   * Recovery (an administrator's action, never a link sent by e-mail): removes every passkey and
   * the TOTP secret and ends every web session of the user. Audited `auth.factors.reset`.
   */
  async reset(request: { readonly userId: string } & FactorActor): Promise<{ readonly passkeys: number; readonly totp: boolean; readonly sessions: number }> {
    return this.#o.store.transaction(async (trx) => {
      const user = await findUserById(trx, request.userId);
      if (user === undefined) throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', 'unknown user');
      const passkeys = await deleteUserWebauthnCredentials(trx, request.userId);
      const totp = user.totp_secret !== null || user.totp_pending_secret !== null;
      await clearUserTotp(trx, request.userId);
      const sessions = await revokeUserWebSessions(trx, request.userId);
      await this.#audit(trx, request, 'auth.factors.reset', { passkeys, totpRemoved: totp, sessions });
      return { passkeys, totp, sessions };
    });
  }

  async #audit(trx: Db, request: { readonly userId: string } & FactorActor, type: string, details: AuditEvent['details']): Promise<void> {
    await appendAudit(
      trx,
      {
        type,
        outcome: 'success',
        // An administrator's change (via set) names no user as actor unless given; the owner's own change does.
        ...(request.actorUserId !== undefined
          ? { actorUserId: request.actorUserId }
          : request.via === undefined
            ? { actorUserId: request.userId }
            : {}),
        subject: `user:${request.userId}`,
        ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
        ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
        details: { ...details, ...(request.via === undefined ? {} : { via: request.via }) },
      },
      this.#o.audit,
    );
  }
}
