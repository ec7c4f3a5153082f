/**
 * The choice among a credential's keys on several tokens (issue 16 §2, a heavy user's cards):
 * the least busy healthy key by signatures in flight on this node; a key whose token failed is
 * taken out for a back-off (1 s, doubling to 30 s) and tried again after it. State is per process:
 * every node counts its own signatures and learns a token's failure from its own attempts.
 */
import type { Clock } from '../core/clock.js';

/** First back-off after a failure (ms). */
export const keyRetryAfterMs = 1_000;
/** Longest back-off (ms). */
export const maxKeyRetryAfterMs = 30_000;

/** What the pool needs to know of a key: a stable identity. */
export interface PoolKey {
  /** `backend_kind` and `key_ref` together name a key on every node. */
  readonly backendKind: string;
  readonly keyRef: string;
}

interface KeyState {
  inFlight: number;
  failures: number;
  /** Out of the choice until this time (ms); 0 when healthy. */
  downUntil: number;
  /** Last time it was chosen (ties go to the least recently chosen). */
  lastChosen: number;
}

/** One key's state as readiness and credentials/info show it. */
export interface PoolKeyState {
  readonly inFlight: number;
  readonly available: boolean;
  readonly failures: number;
  readonly retryAt: Date | undefined;
}

/** Entries kept at most: past it, healthy idle keys are forgotten (they restart at zero anyway). */
const maxTracked = 10_000;

/**
 * In-flight counts and back-offs of keys.
 *
 * @example
 * ```ts
 * const pool = new KeyPool(clock);
 * const [first] = pool.order(keys);
 * const release = pool.acquire(first, hashes.length);
 * try { ...; pool.succeeded(first); } catch (err) { pool.failed(first); } finally { release(); }
 * ```
 */
export class KeyPool {
  readonly #clock: Clock;
  readonly #states = new Map<string, KeyState>();
  #tick = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * `keys` in the order to try them: the healthy ones by fewest signatures in flight (ties: the
   * least recently chosen first), then those in back-off by the end of their back-off, so a
   * request still has a key to try when every token failed a moment ago.
   */
  order<K extends PoolKey>(keys: readonly K[]): K[] {
    const now = this.#clock.now().getTime();
    const rank = keys.map((key) => ({ key, state: this.#states.get(id(key)) }));
    const healthy = rank.filter((r) => (r.state?.downUntil ?? 0) <= now);
    const down = rank.filter((r) => (r.state?.downUntil ?? 0) > now);
    healthy.sort(
      (a, b) =>
        (a.state?.inFlight ?? 0) - (b.state?.inFlight ?? 0) ||
        (a.state?.lastChosen ?? 0) - (b.state?.lastChosen ?? 0),
    );
    down.sort((a, b) => (a.state?.downUntil ?? 0) - (b.state?.downUntil ?? 0));
    return [...healthy, ...down].map((r) => r.key);
  }

  /** Counts `signatures` in flight on `key` until the returned function is called (once). */
  acquire(key: PoolKey, signatures: number): () => void {
    const state = this.#state(key);
    state.inFlight += signatures;
    state.lastChosen = ++this.#tick;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.inFlight -= signatures;
    };
  }

  /** The key's token answered: it is healthy again. */
  succeeded(key: PoolKey): void {
    const state = this.#states.get(id(key));
    if (state === undefined) return;
    state.failures = 0;
    state.downUntil = 0;
  }

  /** The key's token failed: out of the choice for the next back-off (doubling, bounded). */
  failed(key: PoolKey): void {
    const state = this.#state(key);
    state.failures += 1;
    const backoff = Math.min(
      keyRetryAfterMs * 2 ** Math.min(state.failures - 1, 16),
      maxKeyRetryAfterMs,
    );
    state.downUntil = this.#clock.now().getTime() + backoff;
  }

  /** The key's state on this node. */
  stateOf(key: PoolKey): PoolKeyState {
    const state = this.#states.get(id(key));
    const now = this.#clock.now().getTime();
    const down = state !== undefined && state.downUntil > now;
    return {
      inFlight: state?.inFlight ?? 0,
      available: !down,
      failures: state?.failures ?? 0,
      retryAt: down ? new Date(state.downUntil) : undefined,
    };
  }

  #state(key: PoolKey): KeyState {
    const k = id(key);
    let state = this.#states.get(k);
    if (state === undefined) {
      if (this.#states.size >= maxTracked) this.#forgetIdle();
      state = { inFlight: 0, failures: 0, downUntil: 0, lastChosen: 0 };
      this.#states.set(k, state);
    }
    return state;
  }

  #forgetIdle(): void {
    for (const [k, s] of this.#states)
      if (s.inFlight === 0 && s.failures === 0) this.#states.delete(k);
  }
}

function id(key: PoolKey): string {
  return `${key.backendKind}\n${key.keyRef}`;
}
