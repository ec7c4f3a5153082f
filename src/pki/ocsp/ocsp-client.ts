/**
 * RFC 6960 client: builds a request (SHA-256 CertID, RFC 8954 nonce), POSTs it to the URL from
 * configuration or the certificate's AIA, and accepts the response only when it is successful,
 * signed by the issuer or by a delegated responder the issuer certified with id-kp-OCSPSigning
 * (§4.2.2.2), answers for the requested CertID, echoes the nonce and is fresh (§4.2.2.1, §3.2).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import type { Certificate} from '@peculiar/asn1-x509';
import { Extension, ExtendedKeyUsage, id_ce_extKeyUsage, id_kp_OCSPSigning } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { randomBytes } from 'node:crypto';
import { asBytes, bytesEqual } from '../../core/bytes.js';
import type { Clock } from '../../core/clock.js';
import { signatureAlgorithmFromIdentifier, verifySignature } from '../algorithm-identifier.js';
import { nameDer, parseCertificate, serialToHex, spkiDer } from '../certificate.js';
import { ocspUrls } from '../certificate-urls.js';
import { PkiError } from '../errors.js';
import { fetchBytes, type TransportOptions } from '../http/fetch-transport.js';
import { revocationReasonFromCode, type RevocationReason } from '../revocation-reason.js';
import { buildCertId, certIdHashName, issuerHashes, responderKeyHash } from './cert-id.js';

/** Options of OcspClient. */
export interface OcspClientOptions extends TransportOptions {
  readonly clock: Clock;
  /** Use this responder instead of the certificate's AIA. */
  readonly url?: string;
  /** Tolerated clock skew for thisUpdate/producedAt in the future, ms (default 5 minutes). */
  readonly maxSkewMs?: number;
  /** Send a nonce (default true). Responders using pre-produced responses may not echo it. */
  readonly nonce?: boolean;
}

/** A verified OCSP answer for one certificate. */
export interface OcspResult {
  /** The whole OCSPResponse DER (what goes into a DSS /OCSPs entry). */
  readonly response: Uint8Array;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
}

function invalid(message: string, cause?: unknown): PkiError {
  return new PkiError('ERR_PKI_OCSP_RESPONSE_INVALID', message, cause === undefined ? {} : { cause });
}

function hasOcspSigning(cert: Certificate): boolean {
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_extKeyUsage);
  if (!ext) return false;
  try {
    return AsnConvert.parse(ext.extnValue, ExtendedKeyUsage).includes(id_kp_OCSPSigning);
  } catch {
    return false;
  }
}

/**
 * Asks OCSP responders about certificates.
 *
 * @example
 * ```ts
 * const ocsp = new OcspClient({ clock: systemClock });
 * const { status, response } = await ocsp.check(certDer, issuerDer);
 * ```
 */
export class OcspClient {
  readonly #options: OcspClientOptions;

  constructor(options: OcspClientOptions) {
    this.#options = options;
  }

  /** Checks `certificate` (DER) issued by `issuer` (DER). */
  async check(certificate: Uint8Array, issuer: Uint8Array, options: { readonly url?: string } = {}): Promise<OcspResult> {
    const cert = parseCertificate(certificate);
    const url = options.url ?? this.#options.url ?? ocspUrls(cert)[0];
    if (url === undefined) throw new PkiError('ERR_PKI_NO_URL', 'no OCSP URL configured and none in the certificate AIA');
    const serialHex = serialToHex(cert.tbsCertificate.serialNumber);
    const certId = buildCertId(issuer, serialHex);
    const tbs = new TBSRequest({ requestList: [new Request({ reqCert: certId })] });
    let nonce: Uint8Array | undefined;
    if (this.#options.nonce ?? true) {
      nonce = new Uint8Array(randomBytes(16));
      tbs.requestExtensions = [
        new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))) }),
      ];
    }
    const reqDer = new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
    const reply = await fetchBytes(
      url,
      { method: 'POST', contentType: 'application/ocsp-request', body: reqDer },
      { ...this.#options, expectType: 'application/ocsp-response', defaultMaxBytes: 256 * 1024 },
    );
    return this.#verify(reply.body, issuer, serialHex, nonce);
  }

  #verify(der: Uint8Array, issuerDer: Uint8Array, serialHex: string, nonce: Uint8Array | undefined): OcspResult {
    let response: OCSPResponse;
    let basic: BasicOCSPResponse;
    try {
      response = AsnConvert.parse(der, OCSPResponse);
    } catch (cause) {
      throw invalid('the answer is not an OCSPResponse', cause);
    }
    if (response.responseStatus !== OCSPResponseStatus.successful) {
      throw new PkiError('ERR_PKI_OCSP_STATUS', `the responder answered ${OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}`);
    }
    if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) {
      throw invalid('the response is not a BasicOCSPResponse');
    }
    try {
      basic = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
    } catch (cause) {
      throw invalid('the BasicOCSPResponse is malformed', cause);
    }
    const issuer = parseCertificate(issuerDer);
    const data = basic.tbsResponseData;
    // §4.2.2.2: the signer is the CA itself or a responder it certified with id-kp-OCSPSigning.
    const rid = data.responderID;
    const matches = (c: Certificate, cDer: Uint8Array): boolean =>
      rid.byKey ? bytesEqual(asBytes(rid.byKey.buffer), responderKeyHash(cDer)) : rid.byName ? bytesEqual(nameDer(rid.byName), nameDer(c.tbsCertificate.subject)) : false;
    let signerSpki: Uint8Array | undefined;
    if (matches(issuer, issuerDer)) {
      signerSpki = spkiDer(issuer);
    } else {
      for (const c of basic.certs ?? []) {
        const cDer = new Uint8Array(AsnConvert.serialize(c));
        if (!matches(c, cDer)) continue;
        const certTbs = c.tbsCertificateRaw ? asBytes(c.tbsCertificateRaw) : new Uint8Array(AsnConvert.serialize(c.tbsCertificate));
        const issuedByCa =
          bytesEqual(nameDer(c.tbsCertificate.issuer), nameDer(issuer.tbsCertificate.subject)) &&
          verifySignature(spkiDer(issuer), signatureAlgorithmFromIdentifier(c.signatureAlgorithm), certTbs, asBytes(c.signatureValue));
        if (!issuedByCa || !hasOcspSigning(c)) throw invalid('the responder is not authorised by the issuer (RFC 6960 §4.2.2.2)');
        const now = this.#options.clock.now();
        if (c.tbsCertificate.validity.notAfter.getTime() < now || c.tbsCertificate.validity.notBefore.getTime() > now) {
          throw invalid('the responder certificate is outside its validity period');
        }
        signerSpki = spkiDer(c);
        break;
      }
    }
    if (!signerSpki) throw invalid('the response is not signed by the issuer or a delegated responder');
    const tbsDer = basic.tbsResponseDataRaw ? asBytes(basic.tbsResponseDataRaw) : new Uint8Array(AsnConvert.serialize(data));
    if (!verifySignature(signerSpki, signatureAlgorithmFromIdentifier(basic.signatureAlgorithm), tbsDer, asBytes(basic.signature))) {
      throw invalid('the response signature does not verify');
    }
    if (nonce) {
      const echoed = data.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
      let value: Uint8Array | undefined;
      try {
        value = echoed ? asBytes(AsnConvert.parse(echoed.extnValue.buffer, OctetString).buffer) : undefined;
      } catch {
        value = undefined;
      }
      if (!value || !bytesEqual(value, nonce)) throw invalid('the response does not echo the request nonce');
    }
    const single = data.responses.find((r) => {
      const hashName = certIdHashName(r.certID.hashAlgorithm.algorithm);
      if (!hashName || serialToHex(r.certID.serialNumber) !== serialHex) return false;
      const h = issuerHashes(issuerDer, hashName);
      return bytesEqual(asBytes(r.certID.issuerNameHash.buffer), h.nameHash) && bytesEqual(asBytes(r.certID.issuerKeyHash.buffer), h.keyHash);
    });
    if (!single) throw invalid('the response does not answer for the requested certificate');
    const now = this.#options.clock.now().getTime();
    const skew = this.#options.maxSkewMs ?? 300_000;
    if (single.thisUpdate.getTime() > now + skew) throw invalid('thisUpdate is in the future');
    if (single.nextUpdate && single.nextUpdate.getTime() < now - skew) throw invalid('the response is stale (nextUpdate passed)');
    const s = single.certStatus;
    const base = {
      response: der,
      thisUpdate: single.thisUpdate,
      producedAt: data.producedAt,
      ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
    };
    if (s.revoked) {
      const reason = s.revoked.revocationReason ? revocationReasonFromCode(s.revoked.revocationReason.reason) : undefined;
      return { ...base, status: 'revoked', revocationTime: s.revoked.revocationTime, ...(reason ? { revocationReason: reason } : {}) };
    }
    if (s.good !== undefined) return { ...base, status: 'good' };
    return { ...base, status: 'unknown' };
  }
}
