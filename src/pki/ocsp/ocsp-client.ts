/**
 * RFC 6960 client: builds a request (SHA-256 CertID, optionally an RFC 8954 nonce), POSTs it to
 * the URL from configuration or the certificate's AIA, and accepts the response only when it is
 * successful, signed by the issuer or by a delegated responder the issuer certified with
 * id-kp-OCSPSigning (§4.2.2.2), answers for the requested CertID, echoes the nonce when one was
 * sent and is fresh (§4.2.2.1, §3.2). Without a nonce (the RFC 5019 lightweight profile, which
 * a responder answers from pre-signed responses), freshness rests on thisUpdate and nextUpdate
 * alone, and a response without nextUpdate is refused (RFC 5019 §2.2.4).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { randomBytes } from 'node:crypto';
import { asBytes, bytesEqual } from '../../core/bytes.js';
import type { Clock } from '../../core/clock.js';
import { parseCertificate, serialToHex } from '../certificate.js';
import { ocspUrls } from '../certificate-urls.js';
import { PkiError } from '../errors.js';
import { fetchBytes, type TransportOptions } from '../http/fetch-transport.js';
import { encodeOid, encodeTlv, tags } from '../../cms/der.js';
import { encodeCertId } from './cert-id.js';
import {
  checkThisUpdate,
  defaultOcspMaxSkewMs,
  findSingleResponse,
  invalidOcsp,
  statusOf,
  verifiedBasicResponse,
  type OcspStatus,
} from './ocsp-response.js';

/** Options of OcspClient. */
export interface OcspClientOptions extends TransportOptions {
  readonly clock: Clock;
  /** Use this responder instead of the certificate's AIA. */
  readonly url?: string;
  /** Tolerated clock skew for thisUpdate/producedAt in the future, ms (default 5 minutes). */
  readonly maxSkewMs?: number;
  /**
   * Send a nonce (RFC 8954; default true). Without one (RFC 5019 §2.1.1: clients SHOULD NOT send
   * one to a lightweight responder), the responder may answer from its pre-signed responses and a
   * response is accepted only with a nextUpdate that has not passed (RFC 5019 §2.2.4): what
   * fetches of validation data for B-LT/B-LTA use.
   */
  readonly nonce?: boolean;
}

/** A verified OCSP answer for one certificate. */
export interface OcspResult extends OcspStatus {
  /** The whole OCSPResponse DER (what goes into a DSS /OCSPs entry). */
  readonly response: Uint8Array;
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
    const nonce = (this.#options.nonce ?? true) ? new Uint8Array(randomBytes(16)) : undefined;
    const reqDer = encodeOcspRequest(encodeCertId(issuer, serialHex), nonce);
    const reply = await fetchBytes(
      url,
      { method: 'POST', contentType: 'application/ocsp-request', body: reqDer },
      { ...this.#options, expectType: 'application/ocsp-response', defaultMaxBytes: 256 * 1024 },
    );
    return this.#verify(reply.body, issuer, serialHex, nonce);
  }

  #verify(der: Uint8Array, issuerDer: Uint8Array, serialHex: string, nonce: Uint8Array | undefined): OcspResult {
    // Decoded and signature-checked once per distinct answer without a nonce (RFC 5019 answers
    // repeat); everything that depends on the time or the request is checked here on every call.
    const { basic, responder } = verifiedBasicResponse(der, issuerDer, { remember: nonce === undefined });
    if (responder !== undefined) {
      const now = this.#options.clock.now();
      if (responder.tbsCertificate.validity.notAfter.getTime().getTime() < now.getTime() ||
        responder.tbsCertificate.validity.notBefore.getTime().getTime() > now.getTime()) {
        throw invalidOcsp('the responder certificate is outside its validity period');
      }
    }
    if (nonce) {
      const echoed = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
      let value: Uint8Array | undefined;
      try {
        value = echoed ? asBytes(AsnConvert.parse(echoed.extnValue.buffer, OctetString).buffer) : undefined;
      } catch {
        value = undefined;
      }
      if (!value || !bytesEqual(value, nonce)) throw invalidOcsp('the response does not echo the request nonce');
    }
    const single = findSingleResponse(basic, serialHex, issuerDer);
    if (!single) throw invalidOcsp('the response does not answer for the requested certificate');
    const now = this.#options.clock.now();
    const skew = this.#options.maxSkewMs ?? defaultOcspMaxSkewMs;
    checkThisUpdate(single, now, skew);
    // RFC 5019 §2.2.4: without a nonce to prove the answer new, a response must say until when it holds.
    if (!nonce && !single.nextUpdate) throw invalidOcsp('the response has no nextUpdate and no nonce vouches for it');
    if (single.nextUpdate && single.nextUpdate.getTime() < now.getTime() - skew) throw invalidOcsp('the response is stale (nextUpdate passed)');
    return { response: der, ...statusOf(single, basic) };
  }
}

/**
 * DER of an OCSPRequest for one CertID (RFC 6960 §4.1.1), with an RFC 8954 nonce extension when
 * given, encoded directly (issue 19; the schema serialiser's output byte for byte):
 * OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest }
 * TBSRequest ::= SEQUENCE { requestList SEQUENCE OF Request, requestExtensions [2] EXPLICIT Extensions OPTIONAL }
 * Request ::= SEQUENCE { reqCert CertID }
 * The nonce extension's extnValue holds the DER OCTET STRING of the nonce (RFC 8954 §2.1).
 */
export function encodeOcspRequest(certId: Uint8Array, nonce?: Uint8Array): Uint8Array {
  const requestList = encodeTlv(tags.sequence, encodeTlv(tags.sequence, certId));
  const extensions =
    nonce === undefined
      ? []
      : [
          encodeTlv(
            0xa2,
            encodeTlv(tags.sequence, encodeTlv(tags.sequence, encodeOid(id_pkix_ocsp_nonce), encodeTlv(tags.octetString, encodeTlv(tags.octetString, nonce)))),
          ),
        ];
  return encodeTlv(tags.sequence, encodeTlv(tags.sequence, requestList, ...extensions));
}
