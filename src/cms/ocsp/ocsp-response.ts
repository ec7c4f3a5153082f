/**
 * What OcspClient (a fresh answer) and verifyOcspEvidence (a stored one, e.g. from a DSS) share:
 * decoding a BasicOCSPResponse, checking that the issuer or a responder it authorised signed it
 * (RFC 6960 §4.2.2.2), finding the SingleResponse of a certificate and reading its status.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse, OCSPResponseStatus, id_pkix_ocsp_basic, type SingleResponse } from '@peculiar/asn1-ocsp';
import { ExtendedKeyUsage, id_ce_extKeyUsage, id_kp_OCSPSigning, type Certificate } from '@peculiar/asn1-x509';
import { asBytes, bytesEqual } from '../../core/bytes.js';
import { signatureAlgorithmFromIdentifier, verifySignature } from '../x509-algorithm.js';
import { nameDer, parseCertificate, serialToHex, spkiDer } from '../certificate.js';
import { PkiError } from '../pki-errors.js';
import { revocationReasonFromCode, type RevocationReason } from '../revocation-reason.js';
import { certIdMatchesIssuer, responderKeyHash } from './cert-id.js';

/** The status part of a verified answer. */
export interface OcspStatus {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
}

/**
 * Clock skew tolerated between a responder and us for thisUpdate in the future (RFC 6960 §4.2.2.1
 * leaves it local; 5 minutes as for Kerberos and most OCSP clients): docs/security.md FLT-18.
 */
export const defaultOcspMaxSkewMs = 5 * 60_000;

/** ERR_PKI_OCSP_RESPONSE_INVALID with `message`. */
export function invalidOcsp(message: string, cause?: unknown): PkiError {
  return new PkiError('ERR_PKI_OCSP_RESPONSE_INVALID', message, cause === undefined ? {} : { cause });
}

/** The BasicOCSPResponse inside a successful OCSPResponse (the caller has checked the status). */
export function basicResponseOf(response: OCSPResponse): BasicOCSPResponse {
  if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) {
    throw invalidOcsp('the response is not a BasicOCSPResponse');
  }
  try {
    return AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch (cause) {
    throw invalidOcsp('the BasicOCSPResponse is malformed', cause);
  }
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
 * RFC 6960 §4.2.2.2: the response is signed by the CA itself or by a responder certificate the CA
 * issued with id-kp-OCSPSigning; `checkResponder` may add checks on that certificate (validity
 * at "now" for live answers). Throws ERR_PKI_OCSP_RESPONSE_INVALID otherwise.
 */
export function verifyResponseSignature(
  basic: BasicOCSPResponse,
  issuerDer: Uint8Array,
  checkResponder: (responder: Certificate) => void = () => undefined,
): void {
  const issuer = parseCertificate(issuerDer);
  const data = basic.tbsResponseData;
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
      if (!issuedByCa || !hasOcspSigning(c)) throw invalidOcsp('the responder is not authorised by the issuer (RFC 6960 §4.2.2.2)');
      checkResponder(c);
      signerSpki = spkiDer(c);
      break;
    }
  }
  if (!signerSpki) throw invalidOcsp('the response is not signed by the issuer or a delegated responder');
  const tbsDer = basic.tbsResponseDataRaw ? asBytes(basic.tbsResponseDataRaw) : new Uint8Array(AsnConvert.serialize(data));
  if (!verifySignature(signerSpki, signatureAlgorithmFromIdentifier(basic.signatureAlgorithm), tbsDer, asBytes(basic.signature))) {
    throw invalidOcsp('the response signature does not verify');
  }
}

/** A successful OCSPResponse whose BasicOCSPResponse is signed by the issuer or a responder it authorised. */
export interface VerifiedBasicResponse {
  readonly basic: BasicOCSPResponse;
  /** The delegated responder certificate that signed it; absent when the issuer signed it. */
  readonly responder?: Certificate;
}

/**
 * The decoded and signature-checked answers seen lately, by SHA-256 of the response and of the
 * issuer (issue 19: a lightweight responder, RFC 5019, serves the same pre-signed response to
 * every request until it is refreshed, and decoding and verifying it again was most of a B-LT
 * fetch). Only what does not depend on the time is kept: the callers check the responder's
 * validity, the nonce, the SingleResponse and its freshness on every call. Bounded; the oldest go
 * first. Failures are not remembered.
 */
const VERIFIED_MEMO_SIZE = 256;
const verifiedResponses = new Map<string, VerifiedBasicResponse>();

/**
 * Decodes the OCSPResponse `der` and checks RFC 6960 §4.2.2.2 (see {@link verifyResponseSignature});
 * ERR_PKI_OCSP_STATUS when it is not successful, ERR_PKI_OCSP_RESPONSE_INVALID when malformed or
 * not signed by an authorised responder. With `remember`, the result is kept for the same bytes
 * and issuer (for answers without a nonce, which repeat; a nonce makes each answer unique).
 */
export function verifiedBasicResponse(der: Uint8Array, issuerDer: Uint8Array, options: { readonly remember?: boolean } = {}): VerifiedBasicResponse {
  const key = options.remember === true ? `${digestBase64(der)} ${digestBase64(issuerDer)}` : undefined;
  const known = key === undefined ? undefined : verifiedResponses.get(key);
  if (known !== undefined) return known;
  let response: OCSPResponse;
  try {
    // A private copy: the decoded structure keeps views into its input, and the memo outlives the caller's buffer.
    response = AsnConvert.parse(der.slice(), OCSPResponse);
  } catch (cause) {
    throw invalidOcsp('the answer is not an OCSPResponse', cause);
  }
  if (response.responseStatus !== OCSPResponseStatus.successful) {
    throw new PkiError('ERR_PKI_OCSP_STATUS', `the responder answered ${OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}`);
  }
  const basic = basicResponseOf(response);
  let responder: Certificate | undefined;
  verifyResponseSignature(basic, issuerDer, (c) => {
    responder = c;
  });
  const verified: VerifiedBasicResponse = responder === undefined ? { basic } : { basic, responder };
  if (key !== undefined) {
    if (verifiedResponses.size >= VERIFIED_MEMO_SIZE) verifiedResponses.delete(verifiedResponses.keys().next().value as string);
    verifiedResponses.set(key, verified);
  }
  return verified;
}

function digestBase64(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64');
}

/** The SingleResponse about serial `serialHex` under `issuerDer`, if the response has one. */
export function findSingleResponse(basic: BasicOCSPResponse, serialHex: string, issuerDer: Uint8Array): SingleResponse | undefined {
  return basic.tbsResponseData.responses.find(
    (r) => serialToHex(r.certID.serialNumber) === serialHex && certIdMatchesIssuer(r.certID, issuerDer),
  );
}

/**
 * RFC 6960 §4.2.2.1: a response whose thisUpdate lies beyond `at` + `maxSkewMs` speaks about a
 * time that has not come; it is not evidence. Throws ERR_PKI_OCSP_RESPONSE_INVALID.
 */
export function checkThisUpdate(single: SingleResponse, at: Date, maxSkewMs: number): void {
  if (single.thisUpdate.getTime() > at.getTime() + maxSkewMs) throw invalidOcsp('thisUpdate is in the future');
}

/** The status a SingleResponse states (RFC 6960 §4.2.1 CertStatus). */
export function statusOf(single: SingleResponse, basic: BasicOCSPResponse): OcspStatus {
  const base = {
    thisUpdate: single.thisUpdate,
    producedAt: basic.tbsResponseData.producedAt,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
  };
  const s = single.certStatus;
  if (s.revoked) {
    const reason = s.revoked.revocationReason ? revocationReasonFromCode(s.revoked.revocationReason.reason) : undefined;
    return { ...base, status: 'revoked', revocationTime: s.revoked.revocationTime, ...(reason ? { revocationReason: reason } : {}) };
  }
  return { ...base, status: s.good !== undefined ? 'good' : 'unknown' };
}
