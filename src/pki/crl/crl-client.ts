/**
 * CRL retrieval (RFC 5280 §4.2.1.13, DER over HTTP): URL from configuration or the certificate's
 * CRL distribution points; the CRL is verified by cms (verifyCrl).
 */
import type { Clock } from '../../core/clock.js';
import { verifyCrl, type CrlResult } from '../../cms/crl/verify-crl.js';
import { parseCertificate } from '../certificate.js';
import { crlUrls } from '../certificate-urls.js';
import { PkiError } from '../errors.js';
import { fetchBytes, type TransportOptions } from '../http/fetch-transport.js';

export { verifyCrl, type CrlResult } from '../../cms/crl/verify-crl.js';

/** Options of CrlClient. */
export interface CrlClientOptions extends TransportOptions {
  readonly clock: Clock;
  /** Use this URL instead of the certificate's CRL distribution point. */
  readonly url?: string;
}

/**
 * Fetches CRLs for certificates.
 *
 * @example
 * ```ts
 * const crls = new CrlClient({ clock: systemClock });
 * const result = await crls.fetchFor(certDer, issuerDer);
 * ```
 */
export class CrlClient {
  readonly #options: CrlClientOptions;

  constructor(options: CrlClientOptions) {
    this.#options = options;
  }

  /** Fetches and verifies the CRL covering `certificate` (URL from options or its CDP). */
  async fetchFor(certificate: Uint8Array, issuer: Uint8Array, options: { readonly url?: string } = {}): Promise<CrlResult> {
    const url = options.url ?? this.#options.url ?? crlUrls(parseCertificate(certificate))[0];
    if (url === undefined) throw new PkiError('ERR_PKI_NO_URL', 'no CRL URL configured and none in the certificate');
    const reply = await fetchBytes(url, { method: 'GET' }, { ...this.#options, defaultMaxBytes: 32 * 1024 * 1024 });
    return verifyCrl(reply.body, issuer, this.#options.clock);
  }
}
