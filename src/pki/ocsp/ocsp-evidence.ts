/**
 * Verifies a stored OCSP response as revocation evidence (RFC 6960 §3.2, §4.2.2.2): e.g. one
 * taken from a PDF's DSS. Unlike OcspClient there is no nonce to match and no freshness against
 * "now": the caller says at which time the status is wanted, and the response must have been
 * produced by the issuer or by a delegated responder the issuer certified with id-kp-OCSPSigning.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse, OCSPResponseStatus, id_pkix_ocsp_basic } from '@peculiar/asn1-ocsp';
import { ExtendedKeyUsage, id_ce_extKeyUsage, id_kp_OCSPSigning, type Certificate } from '@peculiar/asn1-x509';
import { asBytes, bytesEqual } from '../../core/bytes.js';
import { signatureAlgorithmFromIdentifier, verifySignature } from '../algorithm-identifier.js';
import { nameDer, parseCertificate, serialToHex, spkiDer } from '../certificate.js';
import { PkiError } from '../errors.js';
import { revocationReasonFromCode, type RevocationReason } from '../revocation-reason.js';
import { certIdMatchesIssuer, responderKeyHash } from './cert-id.js';

/** What a verified OCSP response says about one certificate. */
export interface OcspEvidence {
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
    if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) throw invalid('not a BasicOCSPResponse');
    basic = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw invalid('the OCSP response is malformed', cause);
  }
  const cert = parseCertificate(certificate);
  const issuer = parseCertificate(issuerDer);
  const serialHex = serialToHex(cert.tbsCertificate.serialNumber);
  const data = basic.tbsResponseData;
  const single = data.responses.find((r) => serialToHex(r.certID.serialNumber) === serialHex && certIdMatchesIssuer(r.certID, issuerDer));
  if (!single) return undefined;

  // RFC 6960 §4.2.2.2: signed by the CA itself or by a responder it certified with id-kp-OCSPSigning.
  const rid = data.responderID;
  const matches = (c: Certificate, cDer: Uint8Array): boolean =>
    rid.byKey
      ? bytesEqual(asBytes(rid.byKey.buffer), responderKeyHash(cDer))
      : rid.byName
        ? bytesEqual(nameDer(rid.byName), nameDer(c.tbsCertificate.subject))
        : false;
  let signerSpki: Uint8Array | undefined;
  if (matches(issuer, issuerDer)) signerSpki = spkiDer(issuer);
  else {
    for (const c of basic.certs ?? []) {
      const cDer = new Uint8Array(AsnConvert.serialize(c));
      if (!matches(c, cDer)) continue;
      const tbs = c.tbsCertificateRaw ? asBytes(c.tbsCertificateRaw) : new Uint8Array(AsnConvert.serialize(c.tbsCertificate));
      const issuedByCa =
        bytesEqual(nameDer(c.tbsCertificate.issuer), nameDer(issuer.tbsCertificate.subject)) &&
        verifySignature(spkiDer(issuer), signatureAlgorithmFromIdentifier(c.signatureAlgorithm), tbs, asBytes(c.signatureValue));
      if (!issuedByCa || !hasOcspSigning(c)) throw invalid('the responder is not authorised by the issuer (RFC 6960 §4.2.2.2)');
      signerSpki = spkiDer(c);
      break;
    }
  }
  if (!signerSpki) throw invalid('the response is not signed by the issuer or a delegated responder');
  const tbsDer = basic.tbsResponseDataRaw ? asBytes(basic.tbsResponseDataRaw) : new Uint8Array(AsnConvert.serialize(data));
  if (!verifySignature(signerSpki, signatureAlgorithmFromIdentifier(basic.signatureAlgorithm), tbsDer, asBytes(basic.signature))) {
    throw invalid('the response signature does not verify');
  }
  const base = {
    thisUpdate: single.thisUpdate,
    producedAt: data.producedAt,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
  };
  const s = single.certStatus;
  if (s.revoked) {
    const reason = s.revoked.revocationReason ? revocationReasonFromCode(s.revoked.revocationReason.reason) : undefined;
    return { ...base, status: 'revoked', revocationTime: s.revoked.revocationTime, ...(reason ? { revocationReason: reason } : {}) };
  }
  return { ...base, status: s.good !== undefined ? 'good' : 'unknown' };
}
