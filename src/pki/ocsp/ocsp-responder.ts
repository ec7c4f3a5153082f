/**
 * RFC 6960 OCSP responder: parses OCSPRequest (GET base64 path or POST application/ocsp-request,
 * App. A.1), answers good / revoked (time, reason) / unknown from the CaStore (§2.2), echoes the
 * nonce (RFC 8954), signs as a delegated responder (§4.2.2.2) and includes its certificate.
 * Malformed requests get malformedRequest, issuers it does not serve get unauthorized (§2.3).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, CRLReason, Extension } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse,
  CertStatus,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import type { Clock } from '../../core/clock.js';
import { toArrayBuffer } from '../../core/bytes.js';
import { signatureAlgorithmIdentifier } from '../algorithm-identifier.js';
import { signWithCaKey, type CaKey } from '../ca-key.js';
import { serialToHex } from '../certificate.js';
import { binaryResponse, mediaType, textResponse, type PkiHttpHandler } from '../http/pki-http.js';
import { revocationReasonCodes } from '../revocation-reason.js';
import type { CaStore } from '../store/ca-store.js';
import { certIdMatchesIssuer, responderKeyHash } from './cert-id.js';

/** One CA this responder answers for, with its delegated OCSP signer. */
export interface OcspIssuer {
  /** The CA id in the store. */
  readonly caId: string;
  readonly certificate: Uint8Array;
  /** The delegated responder: its key and its certificate (EKU id-kp-OCSPSigning). */
  readonly signer: { readonly key: CaKey; readonly certificate: Uint8Array };
}

/** Options of createOcspResponder. */
export interface OcspResponderOptions {
  readonly issuers: readonly OcspIssuer[];
  readonly store: CaStore;
  readonly clock: Clock;
  /** nextUpdate - thisUpdate in minutes (default 60). */
  readonly validityMinutes?: number;
  /** Largest request accepted (default 16 KiB). */
  readonly maxRequestBytes?: number;
  /** Most single requests in one OCSPRequest (default 16). */
  readonly maxRequests?: number;
}

/** The responder: a DER-level function and the HTTP handler over it. */
export interface OcspResponder {
  /** Answers one DER OCSPRequest with a DER OCSPResponse (never throws for bad input). */
  respond(request: Uint8Array): Promise<Uint8Array>;
  readonly handler: PkiHttpHandler;
}

const ocspResponseType = 'application/ocsp-response';

function statusOnly(status: OCSPResponseStatus): Uint8Array {
  // RFC 6960 §4.2.1: unsuccessful responses carry no responseBytes.
  return new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
}

/**
 * Creates an OCSP responder.
 *
 * @example
 * ```ts
 * const ocsp = createOcspResponder({ issuers: [{ caId: 'issuing', certificate, signer }], store, clock });
 * host.route('POST', '/ocsp', ocsp.handler);
 * ```
 */
export function createOcspResponder(options: OcspResponderOptions): OcspResponder {
  const maxBytes = options.maxRequestBytes ?? 16 * 1024;
  const maxRequests = options.maxRequests ?? 16;
  const validityMs = (options.validityMinutes ?? 60) * 60_000;
  const signerCerts = new Map(options.issuers.map((i) => [i, AsnConvert.parse(i.signer.certificate, Certificate)]));
  const responderIds = new Map(options.issuers.map((i) => [i, responderKeyHash(i.signer.certificate)]));

  async function respond(der: Uint8Array): Promise<Uint8Array> {
    if (der.length === 0 || der.length > maxBytes) return statusOnly(OCSPResponseStatus.malformedRequest);
    let request: OCSPRequest;
    try {
      request = AsnConvert.parse(der, OCSPRequest);
    } catch {
      return statusOnly(OCSPResponseStatus.malformedRequest);
    }
    const list = request.tbsRequest.requestList;
    if (list.length === 0 || list.length > maxRequests) return statusOnly(OCSPResponseStatus.malformedRequest);
    let nonce: Extension | undefined;
    for (const e of request.tbsRequest.requestExtensions ?? []) {
      if (e.extnID === id_pkix_ocsp_nonce) nonce = e;
      else if (e.critical) return statusOnly(OCSPResponseStatus.malformedRequest);
    }
    // RFC 8954 §2.1: a nonce longer than 32 octets is refused (value is OCTET STRING in extnValue).
    if (nonce && (nonce.extnValue.byteLength < 3 || nonce.extnValue.byteLength > 34)) {
      return statusOnly(OCSPResponseStatus.malformedRequest);
    }
    let issuer: OcspIssuer | undefined;
    for (const single of list) {
      let match: OcspIssuer | undefined;
      try {
        match = options.issuers.find((i) => certIdMatchesIssuer(single.reqCert, i.certificate));
      } catch {
        return statusOnly(OCSPResponseStatus.malformedRequest);
      }
      // RFC 6960 §2.3: we are not authoritative for this issuer.
      if (!match || (issuer && issuer !== match)) return statusOnly(OCSPResponseStatus.unauthorized);
      issuer = match;
    }
    if (!issuer) return statusOnly(OCSPResponseStatus.unauthorized);
    try {
      const now = options.clock.now();
      const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
      const nextUpdate = new Date(thisUpdate.getTime() + validityMs);
      const responses: SingleResponse[] = [];
      for (const single of list) {
        const serialHex = serialToHex(single.reqCert.serialNumber);
        const record = await options.store.getCertificate(serialHex);
        let certStatus: CertStatus;
        if (!record || record.issuerId !== issuer.caId) {
          certStatus = new CertStatus({ unknown: null });
        } else if (record.revocation) {
          const info = new RevokedInfo({ revocationTime: new Date(Math.floor(record.revocation.time.getTime() / 1000) * 1000) });
          info.revocationReason = new CRLReason(revocationReasonCodes[record.revocation.reason]);
          certStatus = new CertStatus({ revoked: info });
        } else {
          certStatus = new CertStatus({ good: null });
        }
        responses.push(new SingleResponse({ certID: single.reqCert, certStatus, thisUpdate, nextUpdate }));
      }
      const tbs = new ResponseData({
        responderID: new ResponderID({ byKey: new KeyHash(responderIds.get(issuer) ?? responderKeyHash(issuer.signer.certificate)) }),
        producedAt: thisUpdate,
        responses,
      });
      if (nonce) {
        tbs.responseExtensions = [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(nonce.extnValue.buffer) })];
      }
      const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
      const signature = await signWithCaKey(issuer.signer.key, tbsDer);
      const basic = new BasicOCSPResponse({
        tbsResponseData: tbs,
        signatureAlgorithm: signatureAlgorithmIdentifier(issuer.signer.key.algorithm),
        signature: toArrayBuffer(signature),
        certs: [signerCerts.get(issuer) as Certificate],
      });
      const response = new OCSPResponse({
        responseStatus: OCSPResponseStatus.successful,
        responseBytes: new ResponseBytes({
          responseType: id_pkix_ocsp_basic,
          response: new OctetString(AsnConvert.serialize(basic)),
        }),
      });
      return new Uint8Array(AsnConvert.serialize(response));
    } catch {
      return statusOnly(OCSPResponseStatus.internalError);
    }
  }

  const handler: PkiHttpHandler = async (req) => {
    let der: Uint8Array;
    if (req.method === 'GET') {
      // RFC 6960 App. A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}.
      const slash = req.path.indexOf('/', 1);
      const encoded = slash < 0 ? '' : req.path.slice(slash + 1);
      let b64: string;
      try {
        b64 = decodeURIComponent(encoded);
      } catch {
        return binaryResponse(ocspResponseType, statusOnly(OCSPResponseStatus.malformedRequest));
      }
      if (!/^[A-Za-z0-9+/=\s]*$/.test(b64)) {
        return binaryResponse(ocspResponseType, statusOnly(OCSPResponseStatus.malformedRequest));
      }
      der = new Uint8Array(Buffer.from(b64, 'base64'));
    } else if (req.method === 'POST') {
      const type = mediaType(req);
      if (type !== undefined && type !== 'application/ocsp-request') {
        return textResponse(415, 'expected application/ocsp-request');
      }
      der = req.body;
    } else {
      return { ...textResponse(405, 'method not allowed'), headers: { allow: 'GET, POST' } };
    }
    return binaryResponse(ocspResponseType, await respond(der), { 'cache-control': 'no-cache' });
  };

  return { respond, handler };
}
