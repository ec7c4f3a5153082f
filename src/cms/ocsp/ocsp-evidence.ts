/**
 * Verifies a stored OCSP response as revocation evidence (RFC 6960 §3.2, §4.2.2.2): e.g. one
 * taken from a PDF's DSS. Unlike OcspClient there is no nonce to match and no freshness against
 * "now": the caller says at which time the status is wanted, and the response must have been
 * produced by the issuer or by a delegated responder the issuer certified with id-kp-OCSPSigning.
 * When the caller gives the validation time, a response whose thisUpdate lies beyond it (plus
 * the skew) is refused: it speaks about a time that has not come (docs/security.md ASN-11, FLT-18).
 * A passed nextUpdate is no reason to refuse archived evidence (EN 319 102-1 §5.2.5 judges
 * freshness against the signing time, not against now).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPResponse, OCSPResponseStatus, type BasicOCSPResponse } from '@peculiar/asn1-ocsp';
import { parseCertificate, serialToHex } from '../certificate.js';
import { PkiError } from '../pki-errors.js';
import {
  basicResponseOf,
  checkThisUpdate,
  defaultOcspMaxSkewMs,
  findSingleResponse,
  invalidOcsp,
  statusOf,
  verifyResponseSignature,
  type OcspStatus,
} from './ocsp-response.js';

/** What a verified OCSP response says about one certificate. */
export type OcspEvidence = OcspStatus;

/** Options of verifyOcspEvidence. */
export interface OcspEvidenceOptions {
  /** The validation time: a thisUpdate beyond it (plus `maxSkewMs`) is refused. */
  readonly at?: Date;
  /** Tolerated skew, ms (default 5 minutes). */
  readonly maxSkewMs?: number;
}

/**
 * The status of `certificate` according to the OCSP response `der`, or undefined when the
 * response does not speak about it. Throws ERR_PKI_OCSP_RESPONSE_INVALID when the response is
 * malformed or not signed by an authorised responder.
 *
 * @example
 * ```ts
 * const evidence = verifyOcspEvidence(dssOcsp, signerDer, issuerDer, { at: new Date() });
 * ```
 */
export function verifyOcspEvidence(
  der: Uint8Array,
  certificate: Uint8Array,
  issuerDer: Uint8Array,
  options: OcspEvidenceOptions = {},
): OcspEvidence | undefined {
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
  if (options.at) checkThisUpdate(single, options.at, options.maxSkewMs ?? defaultOcspMaxSkewMs);
  return statusOf(single, basic);
}
