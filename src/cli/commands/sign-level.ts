/**
 * `--level B-B|B-T|B-LT|B-LTA` and `--tsa URL` of `signet sign` and `signet extend`: the PAdES
 * level (ETSI EN 319 142-1 §6) and its sources — the TSA client (RFC 3161 over HTTP) and
 * OCSP/CRL clients that take their URLs from the certificates' AIA/CDP (RFC 5280 §4.2.2.1, §4.2.1.13).
 */
import type { Clock } from '../../core/clock.js';
import type { LevelOptions, PadesLevel } from '../../pades/index.js';
import { CliError } from '../errors.js';

const LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

/** Usage lines shared by sign and extend. */
export const levelUsage = `  --level B-B|B-T|B-LT|B-LTA  PAdES level (default B-B); B-T and above need --tsa
  --tsa URL               RFC 3161 timestamp authority (e.g. http://127.0.0.1:8080/tsa)
  --timeout-ms N          timeout of each TSA/OCSP/CRL request (default 10000)`;

/** `--level` (case-insensitive, `LTA` accepted for `B-LTA`). */
export function parseLevel(text: string | undefined, fallback: PadesLevel = 'B-B'): PadesLevel {
  if (text === undefined) return fallback;
  const norm = text.toUpperCase().replace(/^(?!B-)/, 'B-');
  const found = LEVELS.find((l) => l === norm);
  if (!found) throw new CliError('ERR_CLI_USAGE', `--level expects B-B, B-T, B-LT or B-LTA (got '${text}')`);
  return found;
}

/**
 * Builds the level options from the command line values. The PKI clients are imported only for
 * B-T and above: a B-B signature (the default) does not load the PKI domain (issue 18 §4).
 */
export async function levelSources(
  values: { readonly level?: string | undefined; readonly tsa?: string | undefined; readonly 'timeout-ms'?: string | undefined },
  clock: Clock,
  fallback: PadesLevel = 'B-B',
): Promise<LevelOptions & { readonly level: PadesLevel }> {
  const level = parseLevel(values.level, fallback);
  const timeoutText = values['timeout-ms'];
  const timeoutMs = timeoutText === undefined ? 10_000 : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new CliError('ERR_CLI_USAGE', `--timeout-ms expects a positive integer (got '${timeoutText}')`);
  if (level === 'B-B') {
    if (values.tsa !== undefined) throw new CliError('ERR_CLI_USAGE', '--tsa needs --level B-T, B-LT or B-LTA');
    return { level };
  }
  if (values.tsa === undefined) throw new CliError('ERR_CLI_USAGE', `--level ${level} needs --tsa URL`);
  if (!/^https?:\/\//i.test(values.tsa)) throw new CliError('ERR_CLI_USAGE', `--tsa expects an http(s) URL (got '${values.tsa}')`);
  const { CrlClient, OcspClient, TimestampClient, revocationSourceFromClients, timestamperFromClient } = await import('../../pki/index.js');
  const timestamper = timestamperFromClient(new TimestampClient({ url: values.tsa, timeoutMs }));
  if (level === 'B-T') return { level, timestamper };
  // RFC 5019 §2.1.1: validation data is fetched without a nonce (pre-signed answers may serve it).
  const revocation = revocationSourceFromClients({ ocsp: new OcspClient({ clock, timeoutMs, nonce: false }), crl: new CrlClient({ clock, timeoutMs }) });
  return { level, timestamper, revocation };
}
