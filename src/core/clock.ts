/** Injectable time source: the only place in src/ that reads the system clock. */

/** A source of the current time. Code takes a Clock; tests pass a fixed one. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = {
  now: () => new Date(Date.now()),
};

/**
 * A clock frozen at `at` (for tests and for reproducible signing times).
 *
 * @example
 * ```ts
 * const clock = fixedClock(new Date('2026-01-01T00:00:00Z'));
 * ```
 */
export function fixedClock(at: Date): Clock {
  const t = at.getTime();
  return { now: () => new Date(t) };
}

/** Monotonic milliseconds for measuring durations (not wall time). */
export function monotonicMs(): number {
  return performance.now();
}
