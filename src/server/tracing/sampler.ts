/**
 * The trace sampler from `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (OpenTelemetry SDK
 * environment variable specification, "General SDK Configuration"), read from the environment
 * `signet serve` was given — the same one `--print-config` shows — rather than left to the SDK's
 * own look at `process.env`. The specification's default is `parentbased_always_on`: a request
 * that arrives with a sampled `traceparent` is traced, one with an unsampled parent is not.
 * An unknown sampler or a ratio outside [0, 1] stops the start (ERR_SERVER_CONFIG), where the SDK
 * would only log and fall back.
 */
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { ServerError } from '../errors.js';

/** The sampler `env` asks for (`parentbased_always_on` when unset). */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = (env['OTEL_TRACES_SAMPLER'] ?? '').trim().toLowerCase() || 'parentbased_always_on';
  const ratio = (): Sampler => new TraceIdRatioBasedSampler(samplerRatio(env));
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      throw new ServerError(
        'ERR_SERVER_CONFIG',
        `OTEL_TRACES_SAMPLER must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio (got "${name}")`,
      );
  }
}

/** `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers: a probability in [0, 1], 1 when unset. */
function samplerRatio(env: NodeJS.ProcessEnv): number {
  const raw = (env['OTEL_TRACES_SAMPLER_ARG'] ?? '').trim();
  if (raw === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ServerError('ERR_SERVER_CONFIG', `OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 (got "${raw}")`);
  }
  return value;
}
