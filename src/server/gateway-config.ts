/**
 * The web gateway's settings from the environment: upload limit per file
 * (`SIGNET_UPLOAD_MAX_BYTES`, default 25 MiB), per-user quota of stored documents
 * (`SIGNET_USER_QUOTA_BYTES`, default 1 GiB, at most 3 GiB so a job's ZIP stays under 4 GiB),
 * retention (`SIGNET_JOB_RETENTION_HOURS`, default 24), the CSC provider it signs at
 * (`SIGNET_GATEWAY_PROVIDER_URL`, default this Signet's base URL), and the lease and sweep
 * timings of resumable jobs (`SIGNET_JOB_LEASE_MS`, default 30 000; `SIGNET_JOB_SWEEP_INTERVAL_MS`,
 * default 5 000).
 */
import { defaultJobLimits, type JobFaults, type JobLimits } from '../gateway/index.js';
import { ServerError } from './errors.js';

/** The parsed settings. */
export interface GatewayConfig {
  readonly limits: JobLimits;
  /** The provider's base URL; undefined: this Signet's own. */
  readonly providerUrl?: string;
  readonly sweepIntervalMs: number;
  /** Test-only fault points (never from the environment). */
  readonly faults?: JobFaults;
}

function bounded(text: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new ServerError('ERR_SERVER_CONFIG', `${name} must be an integer between ${min} and ${max}`);
  return n;
}

/** Reads the settings; ERR_SERVER_CONFIG for malformed values. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const provider = env['SIGNET_GATEWAY_PROVIDER_URL'];
  if (provider !== undefined && provider !== '' && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/i.test(provider)) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_GATEWAY_PROVIDER_URL must be an http(s) URL');
  }
  return {
    limits: {
      ...defaultJobLimits,
      uploadMaxBytes: bounded(env['SIGNET_UPLOAD_MAX_BYTES'], defaultJobLimits.uploadMaxBytes, 1024, 512 * 1024 * 1024, 'SIGNET_UPLOAD_MAX_BYTES'),
      userQuotaBytes: bounded(env['SIGNET_USER_QUOTA_BYTES'], defaultJobLimits.userQuotaBytes, 1024, 3 * 1024 * 1024 * 1024, 'SIGNET_USER_QUOTA_BYTES'),
      retentionMs: bounded(env['SIGNET_JOB_RETENTION_HOURS'], 24, 1, 24 * 365, 'SIGNET_JOB_RETENTION_HOURS') * 3600_000,
      leaseMs: bounded(env['SIGNET_JOB_LEASE_MS'], defaultJobLimits.leaseMs, 200, 600_000, 'SIGNET_JOB_LEASE_MS'),
    },
    ...(provider !== undefined && provider !== '' ? { providerUrl: provider.replace(/\/+$/, '') } : {}),
    sweepIntervalMs: bounded(env['SIGNET_JOB_SWEEP_INTERVAL_MS'], 5_000, 50, 3_600_000, 'SIGNET_JOB_SWEEP_INTERVAL_MS'),
  };
}
