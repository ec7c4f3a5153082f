/**
 * The PAdES level sources of a job (ETSI EN 319 142-1 §6): the provider's RFC 3161 TSA at
 * `<provider>/pki/tsa` (or SIGNET_GATEWAY_TSA_URL) from B-T on, and OCSP/CRL from the certificates' AIA/CDP (RFC 5280
 * §4.2.2.1, §4.2.1.13) from B-LT on — over HTTP, like any relying party (this Signet's own
 * responder for every certificate when it is the provider).
 */
import { levelAtLeast, type LevelOptions, type PadesLevel } from '../../pades/index.js';
import { CrlClient, OcspClient, TimestampClient, revocationSourceFromClients, timestamperFromClient } from '../../pki/index.js';
import type { JobContext } from './job-context.js';

/** Level options for `level` at the context's provider. */
export function levelOptionsFor(context: Pick<JobContext, 'clock' | 'providerUrl' | 'ocspUrl' | 'crlUrl' | 'tsaUrl'>, level: PadesLevel): LevelOptions & { readonly level: PadesLevel } {
  if (!levelAtLeast(level, 'B-T')) return { level };
  const timestamper = timestamperFromClient(new TimestampClient({ url: context.tsaUrl?.() ?? `${context.providerUrl()}/pki/tsa`, timeoutMs: 10_000 }));
  if (!levelAtLeast(level, 'B-LT')) return { level, timestamper };
  const ocspUrl = context.ocspUrl?.();
  const ocsp = new OcspClient({ clock: context.clock, timeoutMs: 10_000, ...(ocspUrl !== undefined ? { url: ocspUrl } : {}) });
  const crlUrl = context.crlUrl;
  const revocation = revocationSourceFromClients({
    ocsp,
    crl: new CrlClient({ clock: context.clock, timeoutMs: 10_000 }),
    ...(crlUrl !== undefined ? { crlUrl: (distributionPoint: string) => crlUrl(distributionPoint) } : {}),
  });
  return { level, timestamper, revocation };
}
