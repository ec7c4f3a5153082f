/**
 * RFC 6960 OCSP responder with the RFC 5019 lightweight profile: parses OCSPRequest (GET base64
 * path or POST application/ocsp-request, App. A.1), answers good / revoked (time, reason) /
 * unknown from the CaStore (§2.2), signs as a delegated responder (§4.2.2.2) and includes its
 * certificate. Malformed requests get malformedRequest, issuers it does not serve get
 * unauthorized (§2.3).
 *
 * A request for one certificate without a nonce (RFC 5019 §2.1) is answered from a response
 * signed ahead for that certificate and kept in memory: signed again at half its validity (so
 * never served past nextUpdate, RFC 5019 §2.2.4), at once when this process revokes the
 * certificate (`forget`), and when the certificate's status, read again from the store at most
 * `statusRecheckMs` after the last read, changed (a revocation made by another node or process
 * shows within that bound). GET answers carry the RFC 5019 §6.2 caching headers (ETag, max-age,
 * Last-Modified, Expires) and honour If-None-Match. A request with a nonce (RFC 8954) or several
 * certificates is signed fresh.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPResponse, OCSPResponseStatus, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { monotonicMs, type Clock } from '../../core/clock.js';
import { bytesEqual } from '../../core/bytes.js';
import type { CaKey } from '../ca-key.js';
import { serialToHex } from '../certificate.js';
import {
  binaryResponse,
  mediaType,
  textResponse,
  type PkiHttpHandler,
  type PkiHttpResponse,
} from '../http/pki-http.js';
import type { CaStore, CertificateStatus } from '../store/ca-store.js';
import { certIdHashName, issuerHashes } from './cert-id.js';
import { parseOcspRequest, type OcspRequestExtension, type OcspSingleRequest } from './ocsp-request.js';
import {
  createOcspResponseEncoder,
  type OcspResponseEncoder,
  type SingleStatus,
} from './ocsp-response-encoder.js';

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
  /** nextUpdate - thisUpdate in minutes (default 60). A pre-signed response is signed again at half of it. */
  readonly validityMinutes?: number;
  /** Largest request accepted (default 16 KiB). */
  readonly maxRequestBytes?: number;
  /** Most single requests in one OCSPRequest (default 16). */
  readonly maxRequests?: number;
  /**
   * Age after which a certificate's status is read from the store again before its pre-signed
   * response is served, ms (default 1000): the bound for a revocation made by another process.
   */
  readonly statusRecheckMs?: number;
  /** Largest max-age of a GET answer in seconds (default 60; never past nextUpdate, RFC 5019 §6.2). */
  readonly httpMaxAgeSeconds?: number;
  /** Most pre-signed responses kept (default 100 000; the oldest go first). */
  readonly maxCachedResponses?: number;
  /** Monotonic milliseconds (tests inject it). */
  readonly monotonic?: () => number;
}

/** The responder: a DER-level function and the HTTP handler over it. */
export interface OcspResponder {
  /** Answers one DER OCSPRequest with a DER OCSPResponse (never throws for bad input). */
  respond(request: Uint8Array): Promise<Uint8Array>;
  readonly handler: PkiHttpHandler;
  /** Drops the pre-signed responses of `serialHex` (this process revoked it): the next answer reads the store. */
  forget(serialHex: string): void;
  /** Responses signed, and answers served from pre-signed responses, since creation. */
  counts(): { readonly signed: number; readonly presigned: number };
}

const ocspResponseType = 'application/ocsp-response';

/** RFC 6960 §4.2.1: unsuccessful responses carry no responseBytes (encoded once). */
const statusOnlyDer = new Map<OCSPResponseStatus, Uint8Array>();

function statusOnly(status: OCSPResponseStatus): Uint8Array {
  let der = statusOnlyDer.get(status);
  if (der === undefined) {
    der = new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
    statusOnlyDer.set(status, der);
  }
  return der;
}

/** A response signed ahead for one CertID. */
interface PresignedResponse {
  readonly issuer: OcspIssuer;
  readonly serialHex: string;
  readonly status: SingleStatus;
  readonly der: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Wall-clock ms from which it is signed again (half the validity, before nextUpdate). */
  readonly refreshAt: number;
  /** Monotonic ms of the last store read that confirmed `status` (taken before the read). */
  checkedAt: number;
  checking?: Promise<boolean> | undefined;
  readonly etag: string;
}

/** The answer with what the HTTP layer needs for its caching headers. */
interface Answer {
  readonly der: Uint8Array;
  readonly presigned?: PresignedResponse;
}

function statusOfRecord(record: CertificateStatus | undefined, issuer: OcspIssuer): SingleStatus {
  if (!record || record.issuerId !== issuer.caId) return { status: 'unknown' };
  if (record.revocation)
    return { status: 'revoked', time: record.revocation.time, reason: record.revocation.reason };
  return { status: 'good' };
}

function sameStatus(a: SingleStatus, b: SingleStatus): boolean {
  if (a.status !== b.status) return false;
  if (a.status === 'revoked' && b.status === 'revoked')
    return a.time.getTime() === b.time.getTime() && a.reason === b.reason;
  return true;
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
  const recheckMs = options.statusRecheckMs ?? 1000;
  const maxAgeSeconds = options.httpMaxAgeSeconds ?? 60;
  const maxCached = options.maxCachedResponses ?? 100_000;
  const monotonic = options.monotonic ?? monotonicMs;
  const encoders = new Map<OcspIssuer, OcspResponseEncoder>(
    options.issuers.map((i) => [i, createOcspResponseEncoder(i.signer)]),
  );
  /** Pre-signed responses by the request's DER (base64): one certificate, no nonce. */
  const presigned = new Map<string, PresignedResponse>();
  let signed = 0;
  let servedPresigned = 0;
  /** A certificate's status from the store: the narrow read when the store has one. */
  const readStatus = (serialHex: string): Promise<CertificateStatus | undefined> =>
    options.store.certificateStatus !== undefined ? options.store.certificateStatus(serialHex) : options.store.getCertificate(serialHex);
  /** Each issuer's name and key hashes per CertID hash algorithm, computed once. */
  const issuerHashCache = new Map<OcspIssuer, Map<string, { nameHash: Uint8Array; keyHash: Uint8Array }>>();

  /** RFC 6960 §4.1.1: the CertID's issuer hashes, under its own hash algorithm, name this issuer. */
  function matchesIssuer(single: OcspSingleRequest, issuer: OcspIssuer): boolean {
    const hashName = certIdHashName(single.hashAlgorithmOid);
    if (hashName === undefined) return false;
    let perIssuer = issuerHashCache.get(issuer);
    if (perIssuer === undefined) {
      perIssuer = new Map();
      issuerHashCache.set(issuer, perIssuer);
    }
    let hashes = perIssuer.get(hashName);
    if (hashes === undefined) {
      hashes = issuerHashes(issuer.certificate, hashName);
      perIssuer.set(hashName, hashes);
    }
    // Public identifiers, not secrets: an ordinary comparison.
    return bytesEqual(single.issuerNameHash, hashes.nameHash) && bytesEqual(single.issuerKeyHash, hashes.keyHash);
  }

  function times(): { producedAt: Date; thisUpdate: Date; nextUpdate: Date } {
    const now = options.clock.now();
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    return {
      producedAt: thisUpdate,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + validityMs),
    };
  }

  /** True when `entry` may be served now (reading the store again when its status is due). */
  async function stillValid(entry: PresignedResponse): Promise<boolean> {
    const now = options.clock.now().getTime();
    // RFC 5019 §2.2.4: never past nextUpdate; signed again at half the validity, and when the
    // clock is behind thisUpdate (stepped back) rather than serving a response from the future.
    if (now >= entry.refreshAt || now < entry.thisUpdate.getTime()) return false;
    if (monotonic() - entry.checkedAt < recheckMs) return true;
    entry.checking ??= (async () => {
      const before = monotonic();
      try {
        const record = await readStatus(entry.serialHex);
        if (!sameStatus(statusOfRecord(record, entry.issuer), entry.status)) return false;
        entry.checkedAt = before;
        return true;
      } finally {
        entry.checking = undefined;
      }
    })();
    return entry.checking;
  }

  async function answer(der: Uint8Array): Promise<Answer> {
    if (der.length === 0 || der.length > maxBytes)
      return { der: statusOnly(OCSPResponseStatus.malformedRequest) };
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
    const hit = presigned.get(key);
    if (hit !== undefined) {
      try {
        if (await stillValid(hit)) {
          servedPresigned++;
          return { der: hit.der, presigned: hit };
        }
      } catch {
        return { der: statusOnly(OCSPResponseStatus.internalError) };
      }
      presigned.delete(key);
    }
    const request = parseOcspRequest(der);
    if (request === undefined) return { der: statusOnly(OCSPResponseStatus.malformedRequest) };
    const list = request.requests;
    if (list.length === 0 || list.length > maxRequests)
      return { der: statusOnly(OCSPResponseStatus.malformedRequest) };
    let nonce: OcspRequestExtension | undefined;
    for (const e of request.extensions) {
      if (e.extnId === id_pkix_ocsp_nonce) nonce = e;
      else if (e.critical) return { der: statusOnly(OCSPResponseStatus.malformedRequest) };
    }
    // RFC 8954 §2.1: a nonce longer than 32 octets is refused (value is OCTET STRING in extnValue).
    if (nonce && (nonce.extnValue.byteLength < 3 || nonce.extnValue.byteLength > 34)) {
      return { der: statusOnly(OCSPResponseStatus.malformedRequest) };
    }
    let issuer: OcspIssuer | undefined;
    for (const single of list) {
      const match = options.issuers.find((i) => matchesIssuer(single, i));
      // RFC 6960 §2.3: we are not authoritative for this issuer.
      if (!match || (issuer && issuer !== match))
        return { der: statusOnly(OCSPResponseStatus.unauthorized) };
      issuer = match;
    }
    if (!issuer) return { der: statusOnly(OCSPResponseStatus.unauthorized) };
    const encoder = encoders.get(issuer) as OcspResponseEncoder;
    try {
      const checkedAt = monotonic();
      const answers = [];
      for (const single of list) {
        const serialHex = serialToHex(single.serialNumber);
        const status = statusOfRecord(await readStatus(serialHex), issuer);
        answers.push({ serialHex, certId: single.certId, status });
      }
      const t = times();
      const response = await encoder.encode(
        answers,
        t,
        nonce === undefined ? undefined : nonce.extnValue,
      );
      signed++;
      const first = answers[0];
      if (nonce !== undefined || answers.length !== 1 || first === undefined)
        return { der: response };
      const entry: PresignedResponse = {
        issuer,
        serialHex: first.serialHex,
        status: first.status,
        der: response,
        thisUpdate: t.thisUpdate,
        nextUpdate: t.nextUpdate,
        refreshAt: Math.min(t.thisUpdate.getTime() + validityMs / 2, t.nextUpdate.getTime()),
        checkedAt,
        etag: createHash('sha256').update(response).digest('base64url').slice(0, 22),
      };
      if (presigned.size >= maxCached) {
        const oldest = presigned.keys().next().value;
        if (oldest !== undefined) presigned.delete(oldest);
      }
      presigned.set(key, entry);
      return { der: response, presigned: entry };
    } catch {
      return { der: statusOnly(OCSPResponseStatus.internalError) };
    }
  }

  /** RFC 5019 §6.2: caching headers of a pre-signed answer to a GET. */
  function cachingHeaders(entry: PresignedResponse): Record<string, string> {
    const untilNext = Math.floor(
      (entry.nextUpdate.getTime() - options.clock.now().getTime()) / 1000,
    );
    const maxAge = Math.max(0, Math.min(maxAgeSeconds, untilNext));
    return {
      etag: `"${entry.etag}"`,
      'cache-control': `max-age=${maxAge}, public, no-transform, must-revalidate`,
      'last-modified': entry.thisUpdate.toUTCString(),
      expires: entry.nextUpdate.toUTCString(),
    };
  }

  const handler: PkiHttpHandler = async (req) => {
    let der: Uint8Array;
    const isGet = req.method === 'GET';
    if (isGet) {
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
    const result = await answer(der);
    if (!isGet || result.presigned === undefined)
      return binaryResponse(ocspResponseType, result.der, { 'cache-control': 'no-cache' });
    const headers = cachingHeaders(result.presigned);
    if (req.headers['if-none-match']?.split(',').some((tag) => tag.trim() === headers['etag'])) {
      const notModified: PkiHttpResponse = { status: 304, headers, body: new Uint8Array(0) };
      return notModified;
    }
    return binaryResponse(ocspResponseType, result.der, headers);
  };

  return {
    respond: async (der) => (await answer(der)).der,
    handler,
    forget(serialHex) {
      for (const [key, entry] of presigned)
        if (entry.serialHex === serialHex) presigned.delete(key);
    },
    counts: () => ({ signed, presigned: servedPresigned }),
  };
}
