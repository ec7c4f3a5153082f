/**
 * TSA and OCSP responder decorators: each answer is counted by its status
 * (signet_tsa_responses_total, signet_ocsp_responses_total) and, with tracing on, is a `tsa.respond`
 * or `ocsp.respond` child span of the request, whether it came over HTTP or in process
 * (the gateway's own time-stamps).
 */
import type { Tracer } from '@opentelemetry/api';
import { childrenOf, contentOf, readElement, tags, type DerElement } from '../../cms/der.js';
import type { OcspResponder, PkiHttpHandler, TimestampAuthority } from '../../pki/index.js';
import { inSpan } from './observed-key-backend.js';
import type { SignetMetrics } from './signet-metrics.js';

// Read with the DER reader, a few elements deep: a schema parse of every answer cost more than
// a pre-signed OCSP answer itself (issue 19 profile).
const pkiStatuses = [
  'granted',
  'grantedWithMods',
  'rejection',
  'waiting',
  'revocationWarning',
  'revocationNotification',
];
const ocspResponseStatuses = [
  'successful',
  'malformedRequest',
  'internalError',
  'tryLater',
  'other',
  'sigRequired',
  'unauthorized',
];
const certStatuses: Readonly<Record<number, string>> = {
  0x80: 'good',
  0xa0: 'good',
  0xa1: 'revoked',
  0x81: 'revoked',
  0x82: 'unknown',
  0xa2: 'unknown',
};

function child(
  bytes: Uint8Array,
  parent: DerElement | undefined,
  index: number,
): DerElement | undefined {
  return parent === undefined ? undefined : childrenOf(bytes, parent)[index];
}

function smallValue(bytes: Uint8Array, el: DerElement | undefined): number | undefined {
  const c = el === undefined ? undefined : contentOf(bytes, el);
  return c?.length === 1 ? c[0] : undefined;
}

/** RFC 3161 §2.4.2 PKIStatus of a TimeStampResp, as a label value. */
export function timestampStatusOf(der: Uint8Array): string {
  try {
    // TimeStampResp ::= SEQUENCE { status PKIStatusInfo ::= SEQUENCE { status INTEGER, … }, … }
    const status = smallValue(der, child(der, child(der, readElement(der, 0), 0), 0));
    return status === undefined ? 'unparsable' : (pkiStatuses[status] ?? 'other');
  } catch {
    return 'unparsable';
  }
}

const ocspStatusMemo = new WeakMap<Uint8Array, string>();

/**
 * RFC 6960 §4.2.1: the responseStatus when it is not successful, else the certStatus of the
 * first SingleResponse (good, revoked, unknown). Remembered per answer (pre-signed answers are
 * served again as the same bytes).
 */
export function ocspStatusOf(der: Uint8Array): string {
  const known = ocspStatusMemo.get(der);
  if (known !== undefined) return known;
  const status = readOcspStatus(der);
  ocspStatusMemo.set(der, status);
  return status;
}

function readOcspStatus(der: Uint8Array): string {
  try {
    const response = readElement(der, 0);
    const [statusEl, bytesEl] = childrenOf(der, response);
    const status = smallValue(der, statusEl);
    if (status === undefined) return 'unparsable';
    if (status !== 0) return ocspResponseStatuses[status] ?? 'other';
    // responseBytes [0] EXPLICIT SEQUENCE { responseType, response OCTET STRING (BasicOCSPResponse) }
    const octets = child(der, child(der, bytesEl, 0), 1);
    if (octets?.tag !== tags.octetString) return 'other';
    const basic = contentOf(der, octets);
    const tbs = child(basic, readElement(basic, 0), 0);
    // ResponseData: [0] version?, responderID, producedAt, responses SEQUENCE OF SingleResponse
    const fields = tbs === undefined ? [] : childrenOf(basic, tbs);
    const responses = fields[fields[0]?.tag === 0xa0 ? 3 : 2];
    const certStatus = child(basic, child(basic, responses, 0), 1);
    return certStatus === undefined ? 'other' : (certStatuses[certStatus.tag] ?? 'other');
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
  // Answers served from a response signed ahead (RFC 5019): the responder's own running count.
  let presigned = ocsp.counts().presigned;
  return observedResponder(
    ocsp,
    'ocsp.respond',
    (der) => {
      metrics.ocspResponses.inc({ status: ocspStatusOf(der) });
      const now = ocsp.counts().presigned;
      if (now > presigned) metrics.ocspPresigned.inc(now - presigned);
      presigned = now;
    },
    tracer,
  );
}
