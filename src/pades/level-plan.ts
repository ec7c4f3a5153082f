/**
 * The level plan of staged signing (ETSI EN 319 142-1 §6): which level phase two produces, with
 * which sources, and how much /Contents room the signature-time-stamp needs (measured from the
 * timestamper, EN 319 122-1 §5.3) — taken once, before phase one, so no caller has to remember it.
 */
import type { DigestAlgorithm } from '../cms/algorithms.js';
import { levelAtLeast } from './extend-pdf.js';
import { PadesError } from './errors.js';
import { signatureTimestampReserve } from './timestamp-reserve.js';
import type { LevelOptions, LevelPlan } from './types.js';

/** The plan of a B-B signature: nothing reserved, nothing added. */
export const baselinePlan: LevelPlan = { level: 'B-B', timestampReserve: 0 };

/**
 * Plans `options.level` for signatures with `digestAlgorithm`: checks that the level has its
 * timestamper and measures the room its token needs in /Contents. Make one plan per batch.
 *
 * @example
 * ```ts
 * const plan = await planLevel({ level: 'B-T', timestamper }, 'SHA-256');
 * const prepared = prepareSignature(pdf, prepareOptions, plan);
 * ```
 */
export async function planLevel(options: LevelOptions, digestAlgorithm: DigestAlgorithm): Promise<LevelPlan> {
  const level = options.level ?? 'B-B';
  if (!levelAtLeast(level, 'B-T')) return baselinePlan;
  const { timestamper } = options;
  if (!timestamper) throw new PadesError('ERR_PADES_LEVEL_SOURCE', `level ${level} needs a timestamper`);
  return {
    level,
    timestampReserve: await signatureTimestampReserve(timestamper, digestAlgorithm),
    timestamper,
    ...(options.revocation === undefined ? {} : { revocation: options.revocation }),
    ...(options.certificates === undefined ? {} : { certificates: options.certificates }),
    ...(options.timestampDigestAlgorithm === undefined ? {} : { timestampDigestAlgorithm: options.timestampDigestAlgorithm }),
  };
}

/**
 * The plan without its sources (structured-clonable, for a worker thread); `finishSignature`
 * must get the full plan back (`{ ...prepared, plan }`).
 */
export function planData(plan: LevelPlan): LevelPlan {
  return { level: plan.level, timestampReserve: plan.timestampReserve };
}

/**
 * The plan of a signature prepared already (its reserve is in /Contents): the level and its
 * sources, nothing measured. For phase two of a prepared signature read back from storage.
 */
export function planFor(options: LevelOptions): LevelPlan {
  const { level = 'B-B', timestamper, revocation, certificates, timestampDigestAlgorithm } = options;
  return {
    level,
    timestampReserve: 0,
    ...(timestamper === undefined ? {} : { timestamper }),
    ...(revocation === undefined ? {} : { revocation }),
    ...(certificates === undefined ? {} : { certificates }),
    ...(timestampDigestAlgorithm === undefined ? {} : { timestampDigestAlgorithm }),
  };
}
