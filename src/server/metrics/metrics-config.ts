/**
 * Where and how `/metrics` is served: `SIGNET_METRICS_ADDRESS` (`host:port`, e.g.
 * `0.0.0.0:9464` or `[::1]:9464`) moves it to a listener of its own, off the public port;
 * `SIGNET_METRICS_TOKEN_FILE` names a file whose content a scraper must send as a bearer token
 * (RFC 6750 §2.1). Neither set: `/metrics` on the main listener, open.
 */
import { readSecretText } from '../../keys/index.js';
import { ServerError } from '../errors.js';

/** The resolved metrics settings. */
export interface MetricsConfig {
  /** A separate listener; undefined: the main listener serves `/metrics`. */
  readonly address: { readonly host: string; readonly port: number } | undefined;
  /** The bearer token scrapers must present; undefined: none. */
  readonly token: string | undefined;
}

/** Parses `host:port` (IPv6 in brackets). */
function parseAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65_535) {
    throw new ServerError(
      'ERR_SERVER_CONFIG',
      'SIGNET_METRICS_ADDRESS must be host:port (e.g. 0.0.0.0:9464 or [::1]:9464)',
    );
  }
  return { host, port };
}

/**
 * Reads the metrics settings from `env`.
 *
 * @example
 * ```ts
 * const metrics = loadMetricsConfig({ SIGNET_METRICS_ADDRESS: '127.0.0.1:9464' });
 * ```
 */
export function loadMetricsConfig(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  const address = env['SIGNET_METRICS_ADDRESS'];
  const tokenFile = env['SIGNET_METRICS_TOKEN_FILE'];
  let token: string | undefined;
  if (tokenFile !== undefined && tokenFile !== '') {
    token = readSecretText(tokenFile).trim();
    if (token.length < 16)
      throw new ServerError(
        'ERR_SERVER_CONFIG',
        'SIGNET_METRICS_TOKEN_FILE must hold a token of at least 16 characters',
      );
  }
  return {
    address: address !== undefined && address !== '' ? parseAddress(address) : undefined,
    token,
  };
}
