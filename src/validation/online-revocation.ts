/**
 * Revocation evidence fetched for a validation (ETSI EN 319 102-1 §5.2.5 validation context
 * initialisation, §5.2.6 X.509 validation): for each certificate of a signer's or a
 * time-stamping authority's path (the trust anchor aside) for which the document carries none, asks a RevocationSource (OCSP first, then the CRL, from the certificate's AIA/CDP — the
 * pki adapter speaks HTTP, this module never does), each lookup bounded in time, the answers
 * cached by certificate. What was asked and what came back is recorded for the report.
 */
import { createHash, X509Certificate } from 'node:crypto';
import {
  cmsOids,
  defaultCmsLimits,
  findSignerCertificate,
  parseSignedData,
  readContainer,
} from '../cms/index.js';
import { parseTimestampToken, timestampSigner } from '../cms/pki-verification.js';
import { monotonicMs, type Clock } from '../core/clock.js';
import { PdfDocument, bytesSource, type ByteSource } from '../pdf/index.js';
import {
  listPdfSignatures,
  readDss,
  type RevocationData,
  type RevocationSource,
  type ValidationMaterial,
} from '../pades/index.js';
import { buildCertificatePath } from './certificate-path.js';
import { revocationFromDss } from './dss-revocation.js';
import { certificatesNeedingRevocation } from './path-revocation.js';
import { freshRevocation } from './revocation-freshness.js';
import { defaultValidationPolicy, type ValidationPolicy } from './validation-policy.js';

/** One lookup made for a certificate of a signer's or a time-stamping authority's path. */
export interface RevocationLookup {
  /** Subject of the certificate asked about. */
  readonly subject: string;
  /** What came back: OCSP responses and CRLs, nothing, an error or the time limit. */
  readonly outcome: 'evidence' | 'none' | 'failed' | 'timeout';
  readonly ocspResponses: number;
  readonly crls: number;
  /** Why it failed (no secrets: the client's error message). */
  readonly message?: string;
  /** True when the answer came from the cache. */
  readonly cached: boolean;
}

/** The evidence fetched for one document, to pass to `verifyPdfLongTerm` as `revocation`. */
export interface FetchedRevocation {
  readonly mode: 'online';
  readonly material: ValidationMaterial;
  readonly lookups: readonly RevocationLookup[];
}

/** A certificate whose revocation status is to be looked up, with its issuer (DER). */
export interface WantedRevocation {
  readonly certificate: Uint8Array;
  readonly issuer: Uint8Array;
}

/** Options of {@link fetchRevocationEvidence}. */
export interface FetchRevocationOptions {
  /** The user (or owner) password of an encrypted document; the empty user password is tried when absent. */
  readonly password?: string;
  readonly source: RevocationSource;
  readonly trustAnchors: readonly Uint8Array[];
  readonly clock: Clock;
  /** Upper bound of one lookup (policy revocation.timeoutMs). */
  readonly timeoutMs: number;
  /** The validation policy, for the freshness of DSS evidence (revocation.maxAgeSeconds; default: default-policy.json). */
  readonly policy?: ValidationPolicy;
}

function subjectOf(der: Uint8Array): string {
  try {
    const cert = new X509Certificate(der);
    return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? cert.subject.replace(/\n/g, ', ');
  } catch {
    return '(unreadable certificate)';
  }
}

/** A source that answers each certificate at most once per `ttlMs` (lookups of one CA's certificates share its CRL already). */
export function cachedRevocationSource(
  source: RevocationSource,
  clock: Clock,
  ttlMs = 5 * 60_000,
  maxEntries = 1000,
): RevocationSource & { has(certificate: Uint8Array): boolean } {
  const cache = new Map<string, { at: number; answer: Promise<RevocationData> }>();
  const key = (c: Uint8Array): string => createHash('sha256').update(c).digest('hex');
  const fresh = (k: string): boolean => {
    const hit = cache.get(k);
    return hit !== undefined && clock.now().getTime() - hit.at < ttlMs;
  };
  return {
    has: (certificate) => fresh(key(certificate)),
    fetch(certificate, issuer) {
      const k = key(certificate);
      const hit = cache.get(k);
      if (hit !== undefined && fresh(k)) return hit.answer;
      const answer = source.fetch(certificate, issuer);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(k, { at: clock.now().getTime(), answer });
      // A failure is not remembered: the next validation asks again.
      answer.catch(() => cache.delete(k));
      return answer;
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The certificates (the anchor aside) of each trusted path in `input` — signers, their CA
 * certificates, time-stamping authorities — that have no authentic evidence in the document's
 * DSS, each with its issuer. Reads the PDF (a server runs it on a document worker); never throws
 * for the document's sake: an unreadable file or signature yields nothing to ask.
 */
export function revocationWanted(
  input: ByteSource | Uint8Array | PdfDocument,
  options: {
    readonly trustAnchors: readonly Uint8Array[];
    readonly now: Date;
    readonly password?: string;
    /** For the freshness of the DSS evidence about a signer's path (default: default-policy.json). */
    readonly policy?: ValidationPolicy;
  },
): WantedRevocation[] {
  const now = options.now;
  const policy = options.policy ?? defaultValidationPolicy;
  const wanted = new Map<string, WantedRevocation>();
  try {
    // An open document shares its decoded streams and its decode budget with the validation that
    // follows (issue 15: one budget per document, streams decoded once).
    const doc =
      input instanceof PdfDocument
        ? input
        : PdfDocument.open(input instanceof Uint8Array ? bytesSource(input) : input, options.password === undefined ? {} : { password: options.password });
    const dss = readDss(doc);
    // EN 319 102-1 §5.2.6: every certificate of the path but the anchor, the signer's and each
    // time-stamping authority's (signature-time-stamps and document timestamps).
    // EN 319 102-1 §5.2.5: DSS evidence about a signer's path that is not fresh for its
    // best-signature-time (`bestTime`: the earliest signature-time-stamp's genTime, else now;
    // read here without verifying the token, only to decide what to ask), or about a
    // time-stamping authority's path that is not fresh for its token's genTime, is asked about again.
    const want = (leaf: Uint8Array, pool: readonly Uint8Array[], at: Date, bestTime?: Date): void => {
      const path = buildCertificatePath(
        leaf,
        [...pool, ...dss.certificates],
        options.trustAnchors,
        at,
      );
      for (const { certificate, issuer } of certificatesNeedingRevocation(path, 0)) {
        const inDss = revocationFromDss(certificate, issuer, dss, now);
        if (inDss.status !== 'none' && (bestTime === undefined || freshRevocation(inDss, bestTime, policy).status !== 'none')) continue;
        wanted.set(createHash('sha256').update(certificate).digest('hex'), { certificate, issuer });
      }
    };
    const wantTsa = (token: Uint8Array): void => {
      const view = parseTimestampToken(token, undefined, { algorithms: 'verifiable' });
      const tsa = timestampSigner(view);
      // §5.2.5: an authority's evidence must be fresh for its token's genTime.
      if (tsa !== undefined) want(tsa, view.signedData.certificates, view.tstInfo.genTime, view.tstInfo.genTime);
    };
    for (const sig of listPdfSignatures(doc)) {
      try {
        const der = readContainer(sig.contents, defaultCmsLimits).der;
        if (sig.isDocumentTimestamp) {
          wantTsa(der);
          continue;
        }
        const sd = parseSignedData(der, undefined, { algorithms: 'verifiable' });
        const si = sd.signerInfos[0];
        const signer = si === undefined ? undefined : findSignerCertificate(sd, si);
        if (signer === undefined) continue;
        let bestTime = now;
        for (const attr of si?.unsignedAttributes ?? []) {
          if (attr.oid !== cmsOids.id_aa_signatureTimeStampToken) continue;
          for (const token of attr.values) {
            try {
              const genTime = parseTimestampToken(token, undefined, { algorithms: 'verifiable' }).tstInfo.genTime;
              if (genTime < bestTime) bestTime = genTime;
            } catch {
              // an unreadable token is reported by the validation itself
            }
          }
        }
        want(signer, sd.certificates, now, bestTime);
        for (const attr of si?.unsignedAttributes ?? []) {
          if (attr.oid !== cmsOids.id_aa_signatureTimeStampToken) continue;
          for (const token of attr.values) {
            try {
              wantTsa(token);
            } catch {
              // an unreadable token is reported by the validation itself
            }
          }
        }
      } catch {
        // an unreadable signature is reported by the validation itself
      }
    }
  } catch {
    // an unreadable file is reported by the validation itself
  }
  return [...wanted.values()];
}

/**
 * Asks `options.source` about each wanted certificate (see {@link revocationWanted}), each lookup
 * bounded by `options.timeoutMs`; what was asked and what came back is recorded.
 */
export async function fetchWantedRevocation(
  wanted: readonly WantedRevocation[],
  options: Omit<FetchRevocationOptions, 'trustAnchors'>,
): Promise<FetchedRevocation> {
  const certificates: Uint8Array[] = [];
  const ocspResponses: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const lookups: RevocationLookup[] = [];
  for (const { certificate, issuer } of wanted) {
    const cached =
      'has' in options.source && typeof options.source.has === 'function'
        ? (options.source.has as (c: Uint8Array) => boolean)(certificate)
        : false;
    const started = monotonicMs();
    const base = { subject: subjectOf(certificate), cached };
    try {
      const answer = await withTimeout(
        options.source.fetch(certificate, issuer),
        options.timeoutMs,
      );
      if (answer === 'timeout') {
        lookups.push({
          ...base,
          outcome: 'timeout',
          ocspResponses: 0,
          crls: 0,
          message: `no answer within ${options.timeoutMs} ms`,
        });
        continue;
      }
      certificates.push(...answer.certificates);
      ocspResponses.push(...answer.ocspResponses);
      crls.push(...answer.crls);
      const got = answer.ocspResponses.length + answer.crls.length;
      lookups.push({
        ...base,
        outcome: got > 0 ? 'evidence' : 'none',
        ocspResponses: answer.ocspResponses.length,
        crls: answer.crls.length,
      });
    } catch (err) {
      lookups.push({
        ...base,
        outcome: 'failed',
        ocspResponses: 0,
        crls: 0,
        message: `${err instanceof Error ? err.message : String(err)} (after ${Math.round(monotonicMs() - started)} ms)`,
      });
    }
  }
  return { mode: 'online', material: { certificates, ocspResponses, crls }, lookups };
}

/**
 * Fetches revocation evidence for every certificate (the anchor aside) of each trusted path in
 * `input` — signers, their CA certificates, time-stamping authorities — that has no authentic
 * evidence in the document's DSS: {@link revocationWanted}, then {@link fetchWantedRevocation}.
 *
 * @example
 * ```ts
 * const revocation = await fetchRevocationEvidence(bytes, { source, trustAnchors, clock, timeoutMs: 5000 });
 * const report = verifyPdfLongTerm(bytes, { trustAnchors, revocation });
 * ```
 */
export async function fetchRevocationEvidence(
  input: ByteSource | Uint8Array | PdfDocument,
  options: FetchRevocationOptions,
): Promise<FetchedRevocation> {
  const wanted = revocationWanted(input, {
    trustAnchors: options.trustAnchors,
    now: options.clock.now(),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  return fetchWantedRevocation(wanted, options);
}
