/**
 * The PAdES baseline levels signDoc offers (CSC API v2 §11.11 `conformance_level`, ETSI EN 319
 * 142-1 §6): B-B always, B-T with a timestamper, B-LT and B-LTA with a revocation source too.
 * Names compare case-insensitively (`Ades-B-T` in descriptions, `AdES-B-T` in the enum).
 */
import type { LevelOptions, PadesLevel, Timestamper } from '../pades/index.js';
import type { CscDeps } from './csc-deps.js';
import { tsaTimestamper } from './timestamp.js';

const byName: Readonly<Record<string, PadesLevel>> = {
  'ades-b-b': 'B-B',
  'ades-b': 'B-B',
  'ades-b-t': 'B-T',
  'ades-t': 'B-T',
  'ades-b-lt': 'B-LT',
  'ades-lt': 'B-LT',
  'ades-b-lta': 'B-LTA',
  'ades-lta': 'B-LTA',
};

const timestampers = new WeakMap<object, Timestamper>();

function timestamperOf(deps: CscDeps): Timestamper | undefined {
  if (deps.pades?.timestamper !== undefined) return deps.pades.timestamper;
  const tsa = deps.tsa;
  if (tsa === undefined) return undefined;
  let t = timestampers.get(tsa);
  if (t === undefined) {
    t = tsaTimestamper(tsa);
    timestampers.set(tsa, t);
  }
  return t;
}

/** The levels this deployment can produce, lowest first. */
export function offeredLevels(deps: CscDeps): PadesLevel[] {
  const levels: PadesLevel[] = ['B-B'];
  if (timestamperOf(deps) === undefined) return levels;
  levels.push('B-T');
  if (deps.pades?.revocation !== undefined) levels.push('B-LT', 'B-LTA');
  return levels;
}

/** `info.conformance_levels` spelling (CSC API v2.1 `info`: `Ades-B-B` … as the published examples spell it). */
export function conformanceNames(deps: CscDeps): string[] {
  return offeredLevels(deps).map((l) => `Ades-${l}`);
}

/** The level a `conformance_level` names, if this deployment offers it. */
export function requestedLevel(deps: CscDeps, name: string): PadesLevel | undefined {
  const level = byName[name.toLowerCase()];
  return level !== undefined && offeredLevels(deps).includes(level) ? level : undefined;
}

/** The signing options of a level. */
export function levelOptions(deps: CscDeps, level: PadesLevel, chain: readonly Uint8Array[]): LevelOptions {
  if (level === 'B-B') return { level };
  const timestamper = timestamperOf(deps);
  const revocation = deps.pades?.revocation;
  return {
    level,
    ...(timestamper === undefined ? {} : { timestamper }),
    ...(revocation === undefined ? {} : { revocation }),
    certificates: chain,
  };
}
