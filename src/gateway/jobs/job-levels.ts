/**
 * The PAdES level sources of a job (ETSI EN 319 142-1 §6): the provider's RFC 3161 TSA at
 * `<provider>/pki/tsa` (or SIGNET_GATEWAY_TSA_URL) from B-T on, and OCSP/CRL from the certificates' AIA/CDP (RFC 5280
 * §4.2.2.1, §4.2.1.13) from B-LT on — over HTTP, like any relying party (this Signet's own
 * responder for every certificate when it is the provider).
 */
import { levelAtLeast, type LevelOptions, type PadesLevel } from '../../pades/index.js';
import { CrlClient, OcspClient, TimestampClient, revocationSourceForBatch, revocationSourceFromClients, timestamperFromClient } from '../../pki/index.js';
import type { JobContext } from './job-context.js';

/** Level options for `level` at the context's provider. */
export function levelOptionsFor(context: Pick<JobContext, 'clock' | 'providerUrl' | 'ocspUrl' | 'crlUrl' | 'tsaUrl'>, level: PadesLevel): LevelOptions & { readonly level: PadesLevel } {
  if (!levelAtLeast(level, 'B-T')) return { level };
  const timestamper = timestamperFromClient(new TimestampClient({ url: context.tsaUrl?.() ?? `${context.providerUrl()}/pki/tsa`, timeoutMs: 10_000 }));
  if (!levelAtLeast(level, 'B-LT')) return { level, timestamper };
  const ocspUrl = context.ocspUrl?.();
  // RFC 5019 §2.1.1: validation data is fetched without a nonce (pre-signed answers may serve it).
  const ocsp = new OcspClient({ clock: context.clock, timeoutMs: 10_000, nonce: false, ...(ocspUrl !== undefined ? { url: ocspUrl } : {}) });
  const crlUrl = context.crlUrl;
  // One job is one batch: its validation data is fetched once per certificate (issue 19).
  const revocation = revocationSourceForBatch(revocationSourceFromClients({
    ocsp,
    crl: new CrlClient({ clock: context.clock, timeoutMs: 10_000 }),
    ...(crlUrl !== undefined ? { crlUrl: (distributionPoint: string) => crlUrl(distributionPoint) } : {}),
  }));
  return { level, timestamper, revocation };
}
