/**
 * The web gateway's settings from the environment: upload limit per file
 * (`SIGNET_UPLOAD_MAX_BYTES`, default 25 MiB), per-user quota of stored documents
 * (`SIGNET_USER_QUOTA_BYTES`, default 1 GiB, at most 3 GiB so a job's ZIP stays under 4 GiB),
 * retention (`SIGNET_JOB_RETENTION_HOURS`, default 24), the CSC provider it signs at
 * (`SIGNET_GATEWAY_PROVIDER_URL`, default this Signet's base URL), and the lease and sweep
 * timings of resumable jobs (`SIGNET_JOB_LEASE_MS`, default 30 000; `SIGNET_JOB_SWEEP_INTERVAL_MS`,
 * default 5 000). A provider that shares nothing with this node is `SIGNET_GATEWAY_PROVIDER_URL` with
 * the client this gateway is registered as there: `SIGNET_GATEWAY_CLIENT_ID`,
 * `SIGNET_GATEWAY_CLIENT_SECRET_FILE` (absent: a public client, PKCE only), the name shown to
 * people `SIGNET_GATEWAY_PROVIDER_NAME` (default: the URL's host), and the TSA for B-T and above
 * `SIGNET_GATEWAY_TSA_URL` (default `<provider>/pki/tsa`).
 */
import { readFileSync } from 'node:fs';
import { defaultJobLimits, type ForeignProvider, type JobFaults, type JobLimits } from '../gateway/index.js';
import { ServerError } from './errors.js';

/** The parsed settings. */
export interface GatewayConfig {
  readonly limits: JobLimits;
  /** The provider's base URL; undefined: this Signet's own. */
  readonly providerUrl?: string;
  /** The client at a provider that shares nothing with this node (with providerUrl). */
  readonly foreign?: ForeignProvider;
  /** The TSA for B-T and above; undefined: `<provider>/pki/tsa`. */
  readonly tsaUrl?: string;
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
  const clientId = env['SIGNET_GATEWAY_CLIENT_ID'];
  const hasProvider = provider !== undefined && provider !== '';
  const hasClient = clientId !== undefined && clientId !== '';
  if (hasProvider !== hasClient) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_GATEWAY_PROVIDER_URL and SIGNET_GATEWAY_CLIENT_ID go together: the client this gateway is registered as at that provider');
  }
  let foreign: ForeignProvider | undefined;
  if (hasProvider && hasClient) {
    if (clientId.length > 200) throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_GATEWAY_CLIENT_ID is too long');
    const secretFile = env['SIGNET_GATEWAY_CLIENT_SECRET_FILE'];
    let clientSecret: string | undefined;
    if (secretFile !== undefined && secretFile !== '') {
      try {
        clientSecret = readFileSync(secretFile, 'utf8').trim();
      } catch (cause) {
        throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_GATEWAY_CLIENT_SECRET_FILE cannot be read', { cause });
      }
      if (clientSecret === '') throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_GATEWAY_CLIENT_SECRET_FILE is empty');
    }
    const name = env['SIGNET_GATEWAY_PROVIDER_NAME'];
    foreign = {
      name: name !== undefined && name.trim() !== '' ? name.trim().slice(0, 100) : new URL(provider).host,
      clientId,
      ...(clientSecret !== undefined ? { clientSecret } : {}),
    };
  }
  const tsa = env['SIGNET_GATEWAY_TSA_URL'];
  if (tsa !== undefined && tsa !== '' && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/i.test(tsa)) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_GATEWAY_TSA_URL must be an http(s) URL');
  }
  return {
    ...(foreign !== undefined ? { foreign } : {}),
    ...(tsa !== undefined && tsa !== '' ? { tsaUrl: tsa } : {}),
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
