/**
 * The TSA's check of its own clock against a reference (the database's clock shared by every
 * node, docs/security.md FLT-17): a token must not carry a genTime that is wrong by more than the
 * tolerance (RFC 3161 §2.4.2 genTime and accuracy; §2.4.2 failInfo timeNotAvailable when the
 * TSA's time source is not available). Cheap: the reference is sampled once per interval; in
 * between, the expected time is the sample plus the monotonic time elapsed, so a step of the
 * node's wall clock is seen at the next request, and confirmed by a fresh sample before refusing.
 */
import { monotonicMs, type Clock } from '../../core/clock.js';

/** Options of createClockGuard. */
export interface ClockGuardOptions {
  /** The node's clock (what genTime would be). */
  readonly clock: Clock;
  /** The reference time (one round trip, e.g. the database's clock). */
  readonly reference: () => Promise<Date>;
  /** Largest accepted difference, ms. */
  readonly toleranceMs: number;
  /** Age after which a sample of the reference is taken again, ms (default 30 s). */
  readonly sampleEveryMs?: number;
  /** Monotonic milliseconds (tests inject it). */
  readonly monotonic?: () => number;
}

/** The outcome of one check. */
export type ClockVerdict =
  | { readonly ok: true; readonly skewMs: number }
  | { readonly ok: false; readonly reason: 'skew'; readonly skewMs: number }
  | { readonly ok: false; readonly reason: 'unavailable' };

/** A sample: the reference time, the monotonic instant it stands for, and half the round trip. */
interface Sample {
  readonly referenceMs: number;
  readonly atMonotonic: number;
  readonly uncertaintyMs: number;
}

/**
 * Creates the guard; `check()` says whether the node's clock may be used for genTime now.
 *
 * @example
 * ```ts
 * const guard = createClockGuard({ clock, reference: () => store.referenceTime(), toleranceMs: 1000 });
 * if (!(await guard.check()).ok) return rejection('timeNotAvailable', 'clock not synchronised');
 * ```
 */
export function createClockGuard(options: ClockGuardOptions): { check(): Promise<ClockVerdict> } {
  const monotonic = options.monotonic ?? monotonicMs;
  const sampleEveryMs = options.sampleEveryMs ?? 30_000;
  let sample: Sample | undefined;
  let sampling: Promise<Sample | undefined> | undefined;

  /** One sample at a time; concurrent requests share it. Undefined when the reference failed. */
  function takeSample(): Promise<Sample | undefined> {
    sampling ??= (async () => {
      try {
        const before = monotonic();
        const referenceMs = (await options.reference()).getTime();
        const after = monotonic();
        if (!Number.isFinite(referenceMs)) return undefined;
        // The reference was read somewhere in [before, after]: its midpoint, ± half the round trip.
        sample = { referenceMs, atMonotonic: (before + after) / 2, uncertaintyMs: (after - before) / 2 };
        return sample;
      } catch {
        return undefined;
      } finally {
        sampling = undefined;
      }
    })();
    return sampling;
  }

  function judge(s: Sample): ClockVerdict {
    const expected = s.referenceMs + (monotonic() - s.atMonotonic);
    const skewMs = options.clock.now().getTime() - expected;
    return Math.abs(skewMs) <= options.toleranceMs + s.uncertaintyMs ? { ok: true, skewMs } : { ok: false, reason: 'skew', skewMs };
  }

  return {
    async check() {
      const current = sample;
      if (current && monotonic() - current.atMonotonic < sampleEveryMs) {
        const verdict = judge(current);
        if (verdict.ok) return verdict;
      }
      // No sample, an old one, or a disagreement: a fresh sample decides.
      const fresh = await takeSample();
      return fresh ? judge(fresh) : { ok: false, reason: 'unavailable' };
    },
  };
}
