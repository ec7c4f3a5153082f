/**
 * The service's clock taken from the database (docs/security.md FLT-15): every expiry Signet decides —
 * SADs, authorization codes, tokens, TOTP windows, lockouts — and every time it writes is the
 * database's time, so nodes whose own clocks disagree still decide alike. Cheap: the database is
 * read once per interval; in between, the time is that sample plus the monotonic time elapsed
 * (immune to steps of this host's wall clock). It never runs backwards: a new sample behind the
 * time already given out is caught up to, not jumped back to.
 */
import { monotonicMs, type Clock } from '../core/clock.js';
import { databaseTime } from './database-time.js';
import type { Store } from './store.js';

/** A running database clock; `stop()` ends its sampling. */
export interface DatabaseClock extends Clock {
  stop(): void;
}

/** Options of startDatabaseClock. */
export interface DatabaseClockOptions {
  /** Age after which the database is read again, ms (default 30 s). */
  readonly sampleEveryMs?: number;
  /** Monotonic milliseconds (tests inject it). */
  readonly monotonic?: () => number;
}

/**
 * Reads the database's time once (it must answer) and returns the clock.
 *
 * @example
 * ```ts
 * const clock = await startDatabaseClock(store);
 * const expiresAt = clock.now().getTime() + 300_000;
 * ```
 */
export async function startDatabaseClock(store: Pick<Store, 'kind' | 'db'>, options: DatabaseClockOptions = {}): Promise<DatabaseClock> {
  const monotonic = options.monotonic ?? monotonicMs;
  const sample = async (): Promise<{ readonly ms: number; readonly at: number } | undefined> => {
    const before = monotonic();
    const ms = (await databaseTime(store)).getTime();
    const after = monotonic();
    // The database read its clock somewhere in [before, after]: its midpoint stands for it.
    return Number.isFinite(ms) ? { ms, at: (before + after) / 2 } : undefined;
  };
  let base = await sample();
  if (base === undefined) throw new RangeError('the database returned no time');
  let last = -Infinity;
  const timer = setInterval(() => {
    // A failed read keeps the previous sample: the monotonic clock carries on from it.
    sample().then(
      (next) => {
        if (next !== undefined) base = next;
      },
      () => undefined,
    );
  }, options.sampleEveryMs ?? 30_000);
  timer.unref();
  return {
    now() {
      const b = base as { ms: number; at: number };
      last = Math.max(last, Math.round(b.ms + (monotonic() - b.at)));
      return new Date(last);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
