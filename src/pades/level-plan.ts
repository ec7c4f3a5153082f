/**
 * The level plan of staged signing (ETSI EN 319 142-1 §6): which level phase two produces, with
 * which sources, and how much /Contents room the signature-time-stamp (EN 319 122-1 §5.3) and the
 * B-LTA document timestamp (EN 319 142-1 §6.5) need — measured from the timestamper once per
 * plan, before phase one, and carried by the plan (no module state), so no caller has to
 * remember it and two plans never share a measure.
 */
import type { DigestAlgorithm } from '../cms/algorithms.js';
import { levelAtLeast } from './extend-pdf.js';
import { PadesError } from './errors.js';
import { documentTimestampCapacity, measureTimestampToken, signatureTimestampReserve } from './timestamp-reserve.js';
import type { LevelOptions, LevelPlan } from './types.js';

/** The plan of a B-B signature: nothing reserved, nothing added. */
export const baselinePlan: LevelPlan = { level: 'B-B', timestampReserve: 0 };

/**
 * Plans `options.level` for signatures with `digestAlgorithm`: checks that the level has its
 * timestamper and measures the room its tokens need in /Contents (one token per digest
 * algorithm, at most two). Make one plan per batch: every document signed with it shares the measure.
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
  const tokenSize = await measureTimestampToken(timestamper, digestAlgorithm);
  let documentTokenSize: number | undefined;
  if (level === 'B-LTA') {
    const documentDigest = options.timestampDigestAlgorithm ?? 'SHA-256';
    documentTokenSize = documentDigest === digestAlgorithm ? tokenSize : await measureTimestampToken(timestamper, documentDigest);
  }
  return {
    level,
    timestampReserve: signatureTimestampReserve(tokenSize),
    ...(documentTokenSize === undefined ? {} : { documentTimestampCapacity: documentTimestampCapacity(documentTokenSize) }),
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
  return {
    level: plan.level,
    timestampReserve: plan.timestampReserve,
    ...(plan.documentTimestampCapacity === undefined ? {} : { documentTimestampCapacity: plan.documentTimestampCapacity }),
  };
}

/**
 * The plan of a signature prepared already (its reserve is in /Contents): the level and its
 * sources, nothing measured (a B-LTA document timestamp then measures one token for itself).
 * For phase two of a prepared signature read back from storage.
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
