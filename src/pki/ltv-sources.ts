/**
 * Adapters from the PKI clients to the sources PAdES levels need (the pades domain defines the
 * interfaces and never speaks HTTP): a Timestamper over TimestampClient (RFC 3161) and a
 * RevocationSource over OcspClient/CrlClient with URLs from the certificates' AIA/CDP
 * (RFC 5280 §4.2.2.1, §4.2.1.13). Shapes match pades' `Timestamper` and `RevocationSource`.
 */
import { createHash } from 'node:crypto';
import { id_pkix_ocsp_nocheck } from '@peculiar/asn1-ocsp';
import { monotonicMs } from '../core/clock.js';
import { childrenOf, rawOf, readElement, type DerElement } from '../cms/index.js';
import type { DigestAlgorithm } from '../cms/algorithms.js';
import { crlUrls, ocspUrls } from './certificate-urls.js';
import { parseCertificate } from './certificate.js';
import type { CrlClient } from './crl/crl-client.js';
import type { OcspClient } from './ocsp/ocsp-client.js';
import type { TimestampClient } from './tsa/timestamp-client.js';

/** Revocation evidence for one certificate (pades' RevocationData). */
export interface RevocationEvidence {
  readonly ocspResponses: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
  readonly certificates: readonly Uint8Array[];
}

const none: RevocationEvidence = { ocspResponses: [], crls: [], certificates: [] };

/**
 * A Timestamper for pades over a TimestampClient (verified replies only).
 *
 * @example
 * ```ts
 * const timestamper = timestamperFromClient(new TimestampClient({ url: 'http://127.0.0.1:8080/tsa' }));
 * ```
 */
export function timestamperFromClient(client: TimestampClient): {
  timestamp(digest: Uint8Array, digestAlgorithm: DigestAlgorithm): Promise<Uint8Array>;
} {
  return { timestamp: async (digest, digestAlgorithm) => (await client.timestampDigest(digest, digestAlgorithm)).token };
}

/** The certificates of a BasicOCSPResponse (RFC 6960 §4.2.1 `certs [0] EXPLICIT SEQUENCE OF Certificate`), byte-exact. */
export function ocspResponseCertificates(response: Uint8Array): Uint8Array[] {
  try {
    const top = readElement(response, 0);
    const [, bytesWrapper] = childrenOf(response, top);
    if (bytesWrapper?.tag !== 0xa0) return [];
    const responseBytes = readElement(response, bytesWrapper.contentStart, bytesWrapper.end);
    const octets = childrenOf(response, responseBytes)[1];
    if (octets?.tag !== 0x04) return [];
    const basic = readElement(response, octets.contentStart, octets.end);
    const certsWrapper = childrenOf(response, basic).find((e) => e.tag === 0xa0);
    if (!certsWrapper) return [];
    const seq = readElement(response, certsWrapper.contentStart, certsWrapper.end);
    return childrenOf(response, seq).map((c: DerElement) => Uint8Array.from(rawOf(response, c)));
  } catch {
    return [];
  }
}

/** Options of {@link revocationSourceFromClients}. */
export interface RevocationSourceOptions {
  readonly ocsp?: OcspClient;
  readonly crl?: CrlClient;
  /**
   * Maps a certificate's CRL distribution point to the URL fetched (a Signet that validates its
   * own certificates: its issuing CA certificate may name a base URL learnt after it was
   * issued). A certificate without a CDP still gets no CRL.
   */
  readonly crlUrl?: (distributionPoint: string) => string;
  /** Fetch the CRL as well as the OCSP response (default: CRL only when OCSP is unavailable). */
  readonly alwaysCrl?: boolean;
  /**
   * How long a fetched CRL is reused for other certificates of the same issuer and URL (default
   * 60 s; 0 disables). Certificates of one CA share its CRL: one fetch serves a whole DSS.
   */
  readonly crlReuseMs?: number;
}

/**
 * A RevocationSource for pades: OCSP first (AIA), then the CRL (CDP). A certificate with
 * id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) or without any URL gets no evidence; a certificate
 * whose named sources all fail raises the last client error.
 *
 * @example
 * ```ts
 * const revocation = revocationSourceFromClients({ ocsp: new OcspClient({ clock }), crl: new CrlClient({ clock }) });
 * ```
 */
export function revocationSourceFromClients(options: RevocationSourceOptions): {
  fetch(certificate: Uint8Array, issuer: Uint8Array): Promise<RevocationEvidence>;
} {
  const reuseMs = options.crlReuseMs ?? 60_000;
  const crlCache = new Map<string, { at: number; crl: Promise<Uint8Array> }>();
  const fetchCrl = (client: CrlClient, certificate: Uint8Array, issuer: Uint8Array, url: string): Promise<Uint8Array> => {
    const key = `${url} ${createHash('sha256').update(issuer).digest('hex')}`;
    const hit = crlCache.get(key);
    if (hit && monotonicMs() - hit.at < reuseMs) return hit.crl;
    const crl = client.fetchFor(certificate, issuer, { url }).then((r) => r.crl);
    if (reuseMs > 0) {
      crlCache.set(key, { at: monotonicMs(), crl });
      crl.catch(() => crlCache.delete(key));
    }
    return crl;
  };
  return {
    async fetch(certificate, issuer) {
      const cert = parseCertificate(certificate);
      if (cert.tbsCertificate.extensions?.some((e) => e.extnID === id_pkix_ocsp_nocheck)) return none;
      const hasOcsp = options.ocsp !== undefined && ocspUrls(cert).length > 0;
      const named = crlUrls(cert)[0];
      const crlUrl = named !== undefined && options.crlUrl !== undefined ? options.crlUrl(named) : named;
      let failure: unknown;
      const out = { ocspResponses: [] as Uint8Array[], crls: [] as Uint8Array[], certificates: [] as Uint8Array[] };
      if (hasOcsp) {
        try {
          const r = await (options.ocsp as OcspClient).check(certificate, issuer);
          out.ocspResponses.push(r.response);
          out.certificates.push(...ocspResponseCertificates(r.response));
        } catch (err) {
          failure = err;
        }
      }
      if (options.crl && crlUrl !== undefined && (out.ocspResponses.length === 0 || options.alwaysCrl)) {
        try {
          out.crls.push(await fetchCrl(options.crl, certificate, issuer, crlUrl));
        } catch (err) {
          failure = err;
        }
      }
      if (out.ocspResponses.length === 0 && out.crls.length === 0 && failure !== undefined) throw failure;
      return out;
    },
  };
}
