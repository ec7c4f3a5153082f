/**
 * First-party web sessions (docs/decisions/0001 Contract 1): an opaque 256-bit cookie value, only
 * its SHA-256 stored; idle (default 30 min) and absolute (default 12 h) expiry checked against the
 * database on every request, so any node serves any request and a logout is immediate everywhere.
 * The session records which second factor signed it in and when (the step-up freshness rule).
 */
import type { Clock } from '../core/clock.js';
import { appendAudit, type AuditContext } from '../audit/index.js';
import {
  deleteExpiredWebSessions,
  findWebSession,
  insertWebSession,
  revokeUserWebSessions,
  revokeWebSession,
  setWebSessionSecondFactor,
  touchWebSession,
  type Db,
  type Store,
} from '../store/index.js';
import { generateOpaqueToken, hashOpaqueToken } from './opaque-token.js';
import type { RequestOrigin } from './sad.js';

/** Which second factor a session was signed in (or last stepped up) with; `none`: the user has none enrolled. */
export type SessionFactor = 'totp' | 'passkey' | 'none';

/** A live session as the routes see it. */
export interface WebSession {
  /** Hex SHA-256 of the cookie value: names the session (bindings, audit) without being a credential. */
  readonly sessionId: string;
  readonly userId: string;
  readonly username: string;
  readonly role: string;
  readonly secondFactor: SessionFactor;
  /** When the last second factor was verified in this session (epoch ms), or null. */
  readonly secondFactorAt: number | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** What the WebSessionService is wired with. */
export interface WebSessionOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  /** Idle timeout (default 1800 s). */
  readonly idleSeconds?: number;
  /** Absolute lifetime (default 43200 s = 12 h). */
  readonly absoluteSeconds?: number;
}

/** A new session: the cookie value (shown once) and its lifetime. */
export interface CreatedWebSession {
  readonly token: string;
  readonly session: WebSession;
  readonly maxAgeSeconds: number;
}

/** `last_seen_at` is written at most this often (the idle timeout tolerates it; saves a write per request). */
const touchEveryMs = 60_000;

function isFactor(v: string): v is SessionFactor {
  return v === 'totp' || v === 'passkey' || v === 'none';
}

/**
 * Creates, resolves and ends web sessions.
 *
 * @example
 * ```ts
 * const sessions = new WebSessionService({ store, clock, audit });
 * const { token } = await sessions.create({ userId, secondFactor: 'totp' });
 * const session = await sessions.resolve(token); // undefined once expired or revoked
 * ```
 */
export class WebSessionService {
  readonly #o: WebSessionOptions;
  readonly #idleMs: number;
  readonly #absoluteMs: number;

  constructor(options: WebSessionOptions) {
    this.#o = options;
    this.#idleMs = (options.idleSeconds ?? 1800) * 1000;
    this.#absoluteMs = (options.absoluteSeconds ?? 43_200) * 1000;
  }

  /** The idle timeout in milliseconds. */
  get idleMs(): number {
    return this.#idleMs;
  }

  /**
   * Opens a session for an authenticated user, audited (`auth.session.login`) in the same
   * transaction. `method` names how the user signed in (for the audit entry).
   */
  async create(
    request: { readonly userId: string; readonly secondFactor: SessionFactor; readonly method: string } & RequestOrigin,
  ): Promise<CreatedWebSession> {
    const { token, hash } = generateOpaqueToken();
    const now = this.#now();
    const expiresAt = now + this.#absoluteMs;
    const secondFactorAt = request.secondFactor === 'none' ? null : now;
    await this.#o.store.transaction(async (trx) => {
      await insertWebSession(trx, {
        id_hash: hash,
        user_id: request.userId,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
        second_factor: request.secondFactor,
        second_factor_at: secondFactorAt,
        revoked: 0,
      });
      await appendAudit(
        trx,
        {
          type: 'auth.session.login',
          outcome: 'success',
          actorUserId: request.userId,
          subject: `session:${Buffer.from(hash).toString('hex').slice(0, 16)}`,
          details: { method: request.method, secondFactor: request.secondFactor },
          ...origin(request),
        },
        this.#o.audit,
      );
    });
    const session = await this.resolve(token);
    if (session === undefined) throw new TypeError('a session just created must resolve');
    return { token, session, maxAgeSeconds: Math.floor(this.#absoluteMs / 1000) };
  }

  /**
   * The live session a cookie value names, or undefined (unknown, revoked, idle too long, past its
   * absolute end, or its user disabled). Moves the idle clock.
   */
  async resolve(token: string | undefined): Promise<WebSession | undefined> {
    if (token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const hash = hashOpaqueToken(token);
    const row = await findWebSession(this.#o.store.db, hash);
    const now = this.#now();
    if (row === undefined || row.revoked === 1 || row.status !== 'active') return undefined;
    if (now >= row.expires_at || now - row.last_seen_at >= this.#idleMs) return undefined;
    if (now - row.last_seen_at >= touchEveryMs) await this.#o.store.transaction((trx) => touchWebSession(trx, hash, now));
    return {
      sessionId: Buffer.from(hash).toString('hex'),
      userId: row.user_id,
      username: row.username,
      role: row.role,
      secondFactor: isFactor(row.second_factor) ? row.second_factor : 'none',
      secondFactorAt: row.second_factor_at,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  /** Records a second factor verified now in a live session (a step-up or a first enrolment). */
  async recordSecondFactor(sessionId: string, factor: Exclude<SessionFactor, 'none'>, trx?: Db): Promise<void> {
    const hash = new Uint8Array(Buffer.from(sessionId, 'hex'));
    const run = (db: Db): Promise<boolean> => setWebSessionSecondFactor(db, hash, factor, this.#now());
    if (trx !== undefined) await run(trx);
    else await this.#o.store.transaction(run);
  }

  /** Ends a session (logout), audited. */
  async revoke(request: { readonly sessionId: string; readonly userId: string } & RequestOrigin): Promise<void> {
    const hash = new Uint8Array(Buffer.from(request.sessionId, 'hex'));
    await this.#o.store.transaction(async (trx) => {
      if (!(await revokeWebSession(trx, hash))) return;
      await appendAudit(
        trx,
        {
          type: 'auth.session.logout',
          outcome: 'success',
          actorUserId: request.userId,
          subject: `session:${request.sessionId.slice(0, 16)}`,
          ...origin(request),
        },
        this.#o.audit,
      );
    });
  }

  /** Ends every session of a user (factor reset, disablement) inside the caller's transaction. */
  async revokeUser(trx: Db, userId: string): Promise<number> {
    return revokeUserWebSessions(trx, userId);
  }

  /** Deletes ended sessions (housekeeping); returns how many. */
  async purgeExpired(): Promise<number> {
    return this.#o.store.transaction((trx) => deleteExpiredWebSessions(trx, this.#now()));
  }

  #now(): number {
    return this.#o.clock.now().getTime();
  }
}

function origin(request: RequestOrigin): RequestOrigin {
  return {
    ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
    ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
  };
}
