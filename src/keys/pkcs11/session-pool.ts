/**
 * A pool of logged-in read/write sessions on one PKCS#11 token (PKCS#11 v2.40 §5.6): parallel
 * signing uses up to `maxSessions` sessions, waiting is bounded (`ERR_KEY_BACKEND_BUSY`), and a
 * lost session, login or library is repaired once before the call is retried.
 */
import pkcs11js from 'pkcs11js';
import { KeyBackendError } from '../errors.js';
import type { Pkcs11Module } from './pkcs11-module.js';
import { ckrName, classifyPkcs11Failure, toKeyError } from './pkcs11-errors.js';

/** Options of one token's session pool. */
export interface SessionPoolOptions {
  readonly module: Pkcs11Module;
  /** CK_TOKEN_INFO.label of the token. */
  readonly tokenLabel: string;
  /** The user PIN (CKU_USER). Held in memory only; never logged. */
  readonly pin: string;
  /** Most sessions open at once (default 4). */
  readonly maxSessions?: number;
  /** Longest wait for a free session before `ERR_KEY_BACKEND_BUSY` (default 5000 ms). */
  readonly acquireTimeoutMs?: number;
  /** Most callers waiting at once before `ERR_KEY_BACKEND_BUSY` without waiting (default 1000). */
  readonly maxWaiters?: number;
}

// PKCS#11 v2.40 §5.6 session states (not exported by pkcs11js).
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

interface Session {
  readonly handle: pkcs11js.Handle;
  readonly generation: number;
}

interface Waiter {
  readonly resolve: (session: Session) => void;
  readonly reject: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Counters for health and benchmarks. */
export interface SessionPoolStats {
  readonly open: number;
  readonly idle: number;
  readonly waiting: number;
  readonly reconnects: number;
}

/**
 * The sessions of one token. `use(fn)` lends a session to `fn`; failures that mean the session,
 * the login or the library went away are repaired and `fn` runs once more on a fresh session
 * (the failed attempt produced nothing, so a retry cannot sign twice).
 */
export class SessionPool {
  readonly tokenLabel: string;
  readonly #module: Pkcs11Module;
  readonly #pin: string;
  readonly #max: number;
  readonly #timeoutMs: number;
  readonly #maxWaiters: number;
  #idle: Session[] = [];
  #open = 0;
  #waiters: Waiter[] = [];
  #slot: { readonly handle: pkcs11js.Handle; readonly generation: number } | undefined;
  #loggedInGeneration = -1;
  /** Set once the token refused the PIN at a re-login: never tried again (FLT-11). */
  #loginRefused: KeyBackendError | undefined;
  #reconnects = 0;
  #epoch = 0;
  #allReturned: (() => void)[] = [];
  #closed = false;

  constructor(options: SessionPoolOptions) {
    this.#module = options.module;
    this.tokenLabel = options.tokenLabel;
    this.#pin = options.pin;
    this.#max = options.maxSessions ?? 4;
    this.#timeoutMs = options.acquireTimeoutMs ?? 5000;
    this.#maxWaiters = options.maxWaiters ?? 1000;
  }

  /** The module generation the pool's sessions belong to. */
  get generation(): number {
    return this.#module.generation;
  }

  /**
   * Changes whenever cached object handles may have become invalid (a new library generation,
   * a new login, or a token reporting a stale handle). Callers key their handle caches on it.
   */
  get epoch(): string {
    return `${this.#module.generation}.${this.#epoch}`;
  }

  /** The library the token lives in. */
  get module(): Pkcs11Module {
    return this.#module;
  }

  stats(): SessionPoolStats {
    return {
      open: this.#open,
      idle: this.#idle.length,
      waiting: this.#waiters.length,
      reconnects: this.#reconnects,
    };
  }

  /** Opens one session now (checks the token and the PIN). */
  async check(): Promise<void> {
    await this.use(() => undefined);
  }

  /**
   * Runs `fn` with a logged-in session. Throws `ERR_KEY_BACKEND_BUSY` when no session frees up in
   * time, and a KeyBackendError for token failures.
   */
  async use<T>(fn: (session: pkcs11js.Handle, api: pkcs11js.PKCS11) => Promise<T> | T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.#module.enter();
      const generation = this.#module.generation;
      let session: Session | undefined;
      let error: unknown;
      try {
        session = await this.#acquire();
        // An idle session of a pool whose login was lost (below) logs in again before use.
        if (this.#loggedInGeneration !== session.generation) this.#login(session.handle, session.generation);
        const result = await fn(session.handle, this.#module.api);
        this.#release(session);
        return result;
      } catch (err) {
        error = err;
      } finally {
        this.#module.leave();
      }
      let failure = classifyPkcs11Failure(error);
      // docs/security.md FLT-11: the token may log the application out under the pool (a C_Logout by
      // another client, a token-side timeout). Private objects then vanish, so the failure reads
      // as a missing key or a stale handle: a session that is no longer logged in means a lost
      // login, repaired once like the others (the failed attempt signed nothing).
      if (
        session !== undefined &&
        failure !== 'session-lost' &&
        failure !== 'module-lost' &&
        failure !== 'pin' &&
        this.#loggedInGeneration === session.generation &&
        !this.#isLoggedIn(session.handle)
      ) {
        failure = 'not-logged-in';
      }
      if (session !== undefined) {
        if (failure === 'session-lost' || failure === 'module-lost') this.#discard(session);
        else this.#release(session);
      }
      if (
        attempt > 0 ||
        failure === 'other' ||
        failure === 'pin' ||
        (error instanceof KeyBackendError && failure !== 'not-logged-in')
      ) {
        throw toKeyError(error, 'PKCS#11 operation');
      }
      this.#reconnects++;
      if (failure === 'module-lost')
        await this.#module.reinitialize(session?.generation ?? generation);
      if (failure === 'not-logged-in') this.#loggedInGeneration = -1;
      if (failure === 'handle-stale') this.#epoch++;
    }
  }

  /**
   * Refuses new work (waiters get `ERR_KEY_BACKEND_CLOSED`), waits for lent sessions to come
   * back, and closes every session.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(new KeyBackendError('ERR_KEY_BACKEND_CLOSED', 'the PKCS#11 backend is closed'));
    }
    for (const s of this.#idle.splice(0)) this.#discard(s);
    if (this.#open > 0) await new Promise<void>((resolve) => this.#allReturned.push(resolve));
  }

  async #acquire(): Promise<Session> {
    if (this.#closed)
      throw new KeyBackendError('ERR_KEY_BACKEND_CLOSED', 'the PKCS#11 backend is closed');
    const generation = this.#module.generation;
    while (this.#idle.length > 0) {
      const s = this.#idle.pop() as Session;
      if (s.generation === generation) return s;
      this.#open--; // stale handle of a finalised library: nothing to close
    }
    if (this.#open < this.#max) {
      this.#open++;
      try {
        return this.#openSession();
      } catch (err) {
        this.#open--;
        throw err;
      }
    }
    if (this.#waiters.length >= this.#maxWaiters) {
      throw new KeyBackendError('ERR_KEY_BACKEND_BUSY', `token ${this.tokenLabel} is busy`);
    }
    return new Promise<Session>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new KeyBackendError(
            'ERR_KEY_BACKEND_BUSY',
            `no free session on token ${this.tokenLabel} in time`,
          ),
        );
      }, this.#timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  #openSession(): Session {
    const api = this.#module.api;
    const generation = this.#module.generation;
    if (this.#slot === undefined || this.#slot.generation !== generation) {
      this.#slot = { handle: this.#module.findSlot(this.tokenLabel), generation };
    }
    let handle: pkcs11js.Handle;
    try {
      handle = api.C_OpenSession(
        this.#slot.handle,
        pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION,
      );
    } catch (err) {
      // A vanished library is repaired by `use`; anything else is reported.
      if (classifyPkcs11Failure(err) === 'module-lost') throw err;
      throw toKeyError(err, 'C_OpenSession');
    }
    const session = { handle, generation: this.#module.generation };
    // PKCS#11 §5.6: the login state is shared by every session of the application on the token,
    // so one C_Login per generation suffices; "already logged in" is success.
    if (this.#loggedInGeneration !== session.generation || !this.#isLoggedIn(handle)) {
      try {
        this.#login(handle, session.generation);
      } catch (err) {
        this.#closeQuietly(handle);
        throw err;
      }
    }
    return session;
  }

  /**
   * C_Login as the user on `handle`. A PIN the token refuses is remembered and never presented
   * again by this pool (docs/security.md FLT-11): a token counts wrong PINs and locks itself.
   */
  #login(handle: pkcs11js.Handle, generation: number): void {
    if (this.#loginRefused !== undefined) throw this.#loginRefused;
    try {
      this.#module.api.C_Login(handle, pkcs11js.CKU_USER, this.#pin);
    } catch (err) {
      if (ckrName(err) !== 'CKR_USER_ALREADY_LOGGED_IN') {
        const refused = toKeyError(err, `login to token ${this.tokenLabel}`);
        if (classifyPkcs11Failure(err) === 'pin') this.#loginRefused = refused;
        throw refused;
      }
    }
    this.#loggedInGeneration = generation;
    this.#epoch++;
  }

  #isLoggedIn(handle: pkcs11js.Handle): boolean {
    try {
      const state = this.#module.api.C_GetSessionInfo(handle).state;
      return state === CKS_RW_USER_FUNCTIONS || state === CKS_RO_USER_FUNCTIONS;
    } catch {
      return false;
    }
  }

  #release(session: Session): void {
    if (this.#closed || session.generation !== this.#module.generation) {
      this.#discard(session);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.resolve(session);
    } else {
      this.#idle.push(session);
    }
  }

  #discard(session: Session): void {
    if (session.generation === this.#module.generation) this.#closeQuietly(session.handle);
    this.#open--;
    if (this.#open === 0) for (const resolve of this.#allReturned.splice(0)) resolve();
    // A slot freed: let the first waiter open a fresh session.
    const waiter = this.#waiters.shift();
    if (waiter) {
      if (waiter.timer) clearTimeout(waiter.timer);
      this.#acquire().then(waiter.resolve, waiter.reject);
    }
  }

  #closeQuietly(handle: pkcs11js.Handle): void {
    try {
      this.#module.api.C_CloseSession(handle);
    } catch {
      // Already closed or the library went away.
    }
  }
}
