/**
 * TSA and OCSP responder decorators: each answer is counted by its status
 * (signet_tsa_responses_total, signet_ocsp_responses_total) and, with tracing on, is a `tsa.respond`
 * or `ocsp.respond` child span of the request, whether it came over HTTP or in process
 * (the gateway's own time-stamps).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  OCSPResponse,
  OCSPResponseStatus,
  id_pkix_ocsp_basic,
} from '@peculiar/asn1-ocsp';
import { PKIStatus, TimeStampResp } from '@peculiar/asn1-tsp';
import type { Tracer } from '@opentelemetry/api';
import type { OcspResponder, PkiHttpHandler, TimestampAuthority } from '../../pki/index.js';
import { inSpan } from './observed-key-backend.js';
import type { SignetMetrics } from './signet-metrics.js';

/** RFC 3161 §2.4.2 PKIStatus of a TimeStampResp, as a label value. */
export function timestampStatusOf(der: Uint8Array): string {
  try {
    const status = AsnConvert.parse(der, TimeStampResp).status.status;
    return PKIStatus[status] ?? 'other';
  } catch {
    return 'unparsable';
  }
}

/**
 * RFC 6960 §4.2.1: the responseStatus when it is not successful, else the certStatus of the
 * first SingleResponse (good, revoked, unknown).
 */
export function ocspStatusOf(der: Uint8Array): string {
  try {
    const response = AsnConvert.parse(der, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful)
      return OCSPResponseStatus[response.responseStatus] ?? 'other';
    if (response.responseBytes?.responseType !== id_pkix_ocsp_basic) return 'other';
    const basic = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
    const status = basic.tbsResponseData.responses[0]?.certStatus;
    if (status?.good !== undefined) return 'good';
    if (status?.revoked !== undefined) return 'revoked';
    if (status?.unknown !== undefined) return 'unknown';
    return 'other';
  } catch {
    return 'unparsable';
  }
}

function observedResponder<
  R extends { respond(request: Uint8Array): Promise<Uint8Array>; readonly handler: PkiHttpHandler },
>(responder: R, spanName: string, count: (der: Uint8Array) => void, tracer: Tracer | undefined): R {
  const respond = (request: Uint8Array): Promise<Uint8Array> =>
    inSpan(tracer, spanName, {}, async () => {
      const der = await responder.respond(request);
      count(der);
      return der;
    });
  const handler: PkiHttpHandler = (request) =>
    inSpan(tracer, spanName, {}, async () => {
      const response = await responder.handler(request);
      // A 200 carries a DER response (POST, or OCSP's GET form, RFC 6960 App. A.1).
      if (response.status === 200) count(response.body);
      return response;
    });
  return { ...responder, respond, handler };
}

/** The TSA, counted and traced. */
export function observeTimestampAuthority(
  tsa: TimestampAuthority,
  metrics: SignetMetrics,
  tracer: Tracer | undefined,
): TimestampAuthority {
  return observedResponder(
    tsa,
    'tsa.respond',
    (der) => metrics.tsaResponses.inc({ status: timestampStatusOf(der) }),
    tracer,
  );
}

/** The OCSP responder, counted and traced. */
export function observeOcspResponder(
  ocsp: OcspResponder,
  metrics: SignetMetrics,
  tracer: Tracer | undefined,
): OcspResponder {
  return observedResponder(
    ocsp,
    'ocsp.respond',
    (der) => metrics.ocspResponses.inc({ status: ocspStatusOf(der) }),
    tracer,
  );
}
