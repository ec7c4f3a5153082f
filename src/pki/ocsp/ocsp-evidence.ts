/**
 * Verifies a stored OCSP response as revocation evidence (RFC 6960 §3.2, §4.2.2.2): e.g. one
 * taken from a PDF's DSS. Unlike OcspClient there is no nonce to match and no freshness against
 * "now": the caller says at which time the status is wanted, and the response must have been
 * produced by the issuer or by a delegated responder the issuer certified with id-kp-OCSPSigning.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPResponse, OCSPResponseStatus, type BasicOCSPResponse } from '@peculiar/asn1-ocsp';
import { parseCertificate, serialToHex } from '../certificate.js';
import { PkiError } from '../errors.js';
import {
  basicResponseOf,
  findSingleResponse,
  invalidOcsp,
  statusOf,
  verifyResponseSignature,
  type OcspStatus,
} from './ocsp-response.js';

/** What a verified OCSP response says about one certificate. */
export type OcspEvidence = OcspStatus;

/**
 * The status of `certificate` according to the OCSP response `der`, or undefined when the
 * response does not speak about it. Throws ERR_PKI_OCSP_RESPONSE_INVALID when the response is
 * malformed or not signed by an authorised responder.
 *
 * @example
 * ```ts
 * const evidence = verifyOcspEvidence(dssOcsp, signerDer, issuerDer);
 * ```
 */
export function verifyOcspEvidence(der: Uint8Array, certificate: Uint8Array, issuerDer: Uint8Array): OcspEvidence | undefined {
  let basic: BasicOCSPResponse;
  try {
    const response = AsnConvert.parse(der, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful) return undefined;
    basic = basicResponseOf(response);
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw invalidOcsp('the OCSP response is malformed', cause);
  }
  const single = findSingleResponse(basic, serialToHex(parseCertificate(certificate).tbsCertificate.serialNumber), issuerDer);
  if (!single) return undefined;
  verifyResponseSignature(basic, issuerDer);
  return statusOf(single, basic);
}
