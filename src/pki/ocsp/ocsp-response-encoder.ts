/**
 * OCSPResponse encoding (RFC 6960 §4.2.1) from parts: the responder's ResponderID, signature
 * AlgorithmIdentifier and certificate are encoded once per issuer; a response then costs its
 * SingleResponses, one signature and a few copies (the CPU profile of the schema-object version
 * spent most of a response re-serialising the responder certificate).
 *
 * OCSPResponse ::= SEQUENCE { responseStatus OCSPResponseStatus, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
 * ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
 * BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm AlgorithmIdentifier,
 *                                  signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 * ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, responderID ResponderID,
 *                             producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse,
 *                             responseExtensions [1] EXPLICIT Extensions OPTIONAL }
 * SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
 *                               nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] EXPLICIT Extensions OPTIONAL }
 * CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT UnknownInfo }
 * RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
 */
import { id_pkix_ocsp_basic, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { encodeSignatureAlgorithmIdentifier } from '../../cms/algorithm-identifier.js';
import { derTree, encodeDerTree, encodeOid, encodeTlv, tags, type DerPart } from '../../cms/der.js';
import { signWithCaKey, type CaKey } from '../ca-key.js';
import { revocationReasonCodes, type RevocationReason } from '../revocation-reason.js';
import { encodeGeneralizedTime } from '../tsa/timestamp-token.js';
import { responderKeyHash } from './cert-id.js';

/** What one SingleResponse says. */
export type SingleStatus =
  | { readonly status: 'good' }
  | { readonly status: 'unknown' }
  | { readonly status: 'revoked'; readonly time: Date; readonly reason: RevocationReason };

/** One answer for one CertID. */
export interface SingleAnswer {
  /** DER CertID as the request carried it. */
  readonly certId: Uint8Array;
  readonly status: SingleStatus;
}

/** The times and extensions of one response. */
export interface ResponseTimes {
  readonly producedAt: Date;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/** Signs OCSP responses of one delegated responder. */
export interface OcspResponseEncoder {
  /** DER OCSPResponse (successful) over `answers`; `nonce` is the request's extnValue, echoed (RFC 8954 §2.1). */
  encode(
    answers: readonly SingleAnswer[],
    times: ResponseTimes,
    nonce?: Uint8Array,
  ): Promise<Uint8Array>;
}

/** Seconds only: RFC 5019 §2.2.4 and common practice for OCSP times. */
function time(date: Date): Uint8Array {
  return encodeGeneralizedTime(new Date(Math.floor(date.getTime() / 1000) * 1000));
}

/**
 * `time` for a response's own times, remembered for the few seconds in use: producedAt,
 * thisUpdate and nextUpdate change once a second, and encoding them (Date's UTC fields) was 5 %
 * of a fresh-signed response (issue 19). The octets are shared, read-only.
 */
function recentTimes(): (date: Date) => Uint8Array {
  const recent = new Map<number, Uint8Array>();
  return (date) => {
    const seconds = Math.floor(date.getTime() / 1000);
    let der = recent.get(seconds);
    if (der === undefined) {
      der = encodeGeneralizedTime(new Date(seconds * 1000));
      if (recent.size >= 8) recent.clear();
      recent.set(seconds, der);
    }
    return der;
  };
}

const good = Uint8Array.of(0x80, 0x00);
const unknown = Uint8Array.of(0x82, 0x00);

function certStatus(status: SingleStatus): DerPart {
  switch (status.status) {
    case 'good':
      return good;
    case 'unknown':
      return unknown;
    case 'revoked':
      return derTree(
        0xa1,
        time(status.time),
        derTree(0xa0, derTree(0x0a, Uint8Array.of(revocationReasonCodes[status.reason]))),
      );
  }
}

/**
 * The encoder of one delegated responder (RFC 6960 §4.2.2.2): ResponderID byKey, its certificate
 * in `certs`.
 *
 * @example
 * ```ts
 * const encoder = createOcspResponseEncoder({ key, certificate: ocspCertificate });
 * const der = await encoder.encode([{ certId, status: { status: 'good' } }], { producedAt, thisUpdate, nextUpdate });
 * ```
 */
export function createOcspResponseEncoder(signer: {
  readonly key: CaKey;
  readonly certificate: Uint8Array;
}): OcspResponseEncoder {
  // ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash } — explicit (a tagged CHOICE).
  const responderId = encodeTlv(
    0xa2,
    encodeTlv(tags.octetString, responderKeyHash(signer.certificate)),
  );
  const signatureAlgorithm = encodeSignatureAlgorithmIdentifier(signer.key.algorithm);
  const certs = encodeTlv(0xa0, encodeTlv(tags.sequence, signer.certificate));
  const successful = encodeTlv(0x0a, Uint8Array.of(0));
  const basicType = encodeOid(id_pkix_ocsp_basic);
  const nonceOid = encodeOid(id_pkix_ocsp_nonce);
  const responseTime = recentTimes();
  return {
    async encode(answers, times, nonce) {
      const nextUpdate = derTree(0xa0, responseTime(times.nextUpdate));
      const thisUpdate = responseTime(times.thisUpdate);
      const responses = derTree(
        tags.sequence,
        ...answers.map((a) => derTree(tags.sequence, a.certId, certStatus(a.status), thisUpdate, nextUpdate)),
      );
      // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE (absent in DER), extnValue OCTET STRING }
      const extensions =
        nonce === undefined
          ? new Uint8Array(0)
          : derTree(0xa1, derTree(tags.sequence, derTree(tags.sequence, nonceOid, derTree(tags.octetString, nonce))));
      const tbs = encodeDerTree(derTree(tags.sequence, responderId, responseTime(times.producedAt), responses, extensions));
      const signature = await signWithCaKey(signer.key, tbs);
      const basic = derTree(
        tags.sequence,
        tbs,
        signatureAlgorithm,
        derTree(tags.bitString, Uint8Array.of(0), signature),
        certs,
      );
      return encodeDerTree(
        derTree(tags.sequence, successful, derTree(0xa0, derTree(tags.sequence, basicType, derTree(tags.octetString, basic)))),
      );
    },
  };
}
