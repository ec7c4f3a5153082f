/**
 * CRL retrieval (RFC 5280 §4.2.1.13, DER over HTTP): URL from configuration or the certificate's
 * CRL distribution points; the CRL is accepted only when it parses within limits, was issued and
 * signed by the given issuer (§6.3.3 (f)-(g)) and is not stale (nextUpdate passed).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, CRLNumber, CRLReason, id_ce_cRLNumber, id_ce_cRLReasons } from '@peculiar/asn1-x509';
import { asBytes, bytesEqual } from '../../core/bytes.js';
import type { Clock } from '../../core/clock.js';
import { signatureAlgorithmFromIdentifier, verifySignature } from '../algorithm-identifier.js';
import { nameDer, parseCertificate, pemToDer, serialToHex, spkiDer } from '../certificate.js';
import { crlUrls } from '../certificate-urls.js';
import { PkiError } from '../errors.js';
import { fetchBytes, type TransportOptions } from '../http/fetch-transport.js';
import { revocationReasonFromCode, type RevocationReason } from '../revocation-reason.js';

/** Options of CrlClient. */
export interface CrlClientOptions extends TransportOptions {
  readonly clock: Clock;
  /** Use this URL instead of the certificate's CRL distribution point. */
  readonly url?: string;
}

/** A verified CRL. */
export interface CrlResult {
  /** The CRL DER (what goes into a DSS /CRLs entry). */
  readonly crl: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly crlNumber?: number;
  /** The revocation entry for a serial, or undefined when not listed. */
  revocationOf(serialHex: string): { readonly time: Date; readonly reason?: RevocationReason } | undefined;
}

/**
 * Parses and verifies a CRL against its issuer. Throws ERR_PKI_CRL_INVALID.
 *
 * @example
 * ```ts
 * const result = verifyCrl(crlDer, issuerDer, systemClock);
 * ```
 */
export function verifyCrl(input: Uint8Array, issuerDer: Uint8Array, clock: Clock): CrlResult {
  const der = pemToDer(input, 'X509 CRL');
  let crl: CertificateList;
  try {
    crl = AsnConvert.parse(der, CertificateList);
  } catch (cause) {
    throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL is not valid DER', { cause });
  }
  const issuer = parseCertificate(issuerDer);
  const tbs = crl.tbsCertList;
  if (!bytesEqual(nameDer(tbs.issuer), nameDer(issuer.tbsCertificate.subject))) {
    throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL was issued by another CA');
  }
  const tbsDer = crl.tbsCertListRaw ? asBytes(crl.tbsCertListRaw) : new Uint8Array(AsnConvert.serialize(tbs));
  if (!verifySignature(spkiDer(issuer), signatureAlgorithmFromIdentifier(crl.signatureAlgorithm), tbsDer, asBytes(crl.signature))) {
    throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL signature does not verify');
  }
  const nextUpdate = tbs.nextUpdate?.getTime();
  if (nextUpdate && nextUpdate.getTime() < clock.now().getTime()) {
    throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL is stale (nextUpdate passed)');
  }
  const numberExt = tbs.crlExtensions?.find((e) => e.extnID === id_ce_cRLNumber);
  const crlNumber = numberExt ? AsnConvert.parse(numberExt.extnValue, CRLNumber).value : undefined;
  const entries = new Map<string, { time: Date; reason?: RevocationReason }>();
  for (const r of tbs.revokedCertificates ?? []) {
    const reasonExt = r.crlEntryExtensions?.find((e) => e.extnID === id_ce_cRLReasons);
    const reason = reasonExt ? revocationReasonFromCode(AsnConvert.parse(reasonExt.extnValue, CRLReason).reason) : undefined;
    entries.set(serialToHex(r.userCertificate), { time: r.revocationDate.getTime(), ...(reason ? { reason } : {}) });
  }
  return {
    crl: der,
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(nextUpdate ? { nextUpdate } : {}),
    ...(crlNumber !== undefined ? { crlNumber } : {}),
    revocationOf: (serialHex: string) => entries.get(serialHex),
  };
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
