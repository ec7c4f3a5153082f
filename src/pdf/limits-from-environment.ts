/**
 * The reader's budget from the environment (issue 15): the per-stream and per-document
 * decompression limits, the object count and the time limit of one whole-document operation are
 * `SIGNET_PDF_*` variables (docs/configuration.md), read once per process (and per worker thread,
 * which sees the same environment). Unset, the built-in defaults of core/limits.ts apply; a
 * malformed value is `ERR_PDF_CONFIG` naming the variable. Limits a caller passes to
 * `PdfDocument.open` (the consent inspector's tighter ones) still win over these.
 */
import { defaultParseLimits, type ParseLimits } from '../core/limits.js';
import { PdfError } from './errors.js';

/** One setting: its variable, the limit it sets and the values it accepts. */
interface LimitSetting {
  readonly name: string;
  readonly key: 'maxDecodedStreamBytes' | 'maxDecodedBytes' | 'maxObjects' | 'maxMillis';
  readonly min: number;
  readonly max: number;
}

/** The settings, in the order of docs/configuration.md. */
export const parseLimitSettings: readonly LimitSetting[] = [
  // A Uint8Array holds at most 2^31 - 1 bytes on every platform Node supports.
  {
    name: 'SIGNET_PDF_STREAM_MAX_BYTES',
    key: 'maxDecodedStreamBytes',
    min: 65_536,
    max: 2 ** 31 - 1,
  },
  { name: 'SIGNET_PDF_DOCUMENT_MAX_BYTES', key: 'maxDecodedBytes', min: 65_536, max: 2 ** 40 },
  { name: 'SIGNET_PDF_MAX_OBJECTS', key: 'maxObjects', min: 16, max: 100_000_000 },
  { name: 'SIGNET_PDF_TIMEOUT_MS', key: 'maxMillis', min: 100, max: 3_600_000 },
];

/**
 * The reader's limits: the defaults with the `SIGNET_PDF_*` values of `env` applied; throws
 * `ERR_PDF_CONFIG` for a value that is not an integer within its range.
 *
 * @example
 * ```ts
 * const limits = parseLimitsFromEnvironment({ SIGNET_PDF_STREAM_MAX_BYTES: '67108864' });
 * ```
 */
export function parseLimitsFromEnvironment(env: NodeJS.ProcessEnv): ParseLimits {
  const limits: { -readonly [K in keyof ParseLimits]: ParseLimits[K] } = { ...defaultParseLimits };
  for (const { name, key, min, max } of parseLimitSettings) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const n = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new PdfError('ERR_PDF_CONFIG', `${name} must be an integer from ${min} to ${max}`);
    }
    limits[key] = n;
  }
  return limits;
}

let configured: ParseLimits | undefined;

/** This process's limits: {@link parseLimitsFromEnvironment} of `process.env`, read once. */
export function configuredParseLimits(): ParseLimits {
  configured ??= parseLimitsFromEnvironment(process.env);
  return configured;
}
