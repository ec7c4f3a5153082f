/**
 * Verification of an RFC 3161 TimeStampToken as a validator sees it (docs/security.md V14; ETSI EN
 * 319 102-1 §5.4): the token's SignedData signature and messageDigest over the TSTInfo, the
 * messageImprint against the data it claims to cover, the TSA certificate's critical
 * id-kp-timeStamping EKU (RFC 3161 §2.3), and the TSA's path to a trust anchor at genTime. The
 * token is read and its signature checked by cms's one token reader; the verdict is made here.
 */
import { X509Certificate } from 'node:crypto';
import { bytesEqual } from '../core/bytes.js';
import type { DigestAlgorithm } from '../cms/index.js';
import {
  checkTimestampingEku,
  parseCertificate,
  parseTimestampToken,
  timestampSigner,
  verifyTimestampSignature,
} from '../cms/pki-verification.js';
import { buildCertificatePath } from './certificate-path.js';
import type { TimestampReport } from './types.js';

/** What a token is checked against. */
export interface TimestampCheck {
  readonly kind: TimestampReport['kind'];
  /** Digest of the covered data under the token's imprint algorithm. */
  digestOfCovered(algorithm: DigestAlgorithm): Uint8Array;
  readonly trustAnchors: readonly Uint8Array[];
  /** More certificates for the TSA path (the DSS's, the signature's). */
  readonly pool: readonly Uint8Array[];
  /** The validation time: a genTime later than this (plus skew) is refused. */
  readonly now?: Date;
}

/** Clock skew tolerated between the TSA and the validator. */
const MAX_SKEW_MS = 5 * 60_000;

function subjectOf(der: Uint8Array): string | undefined {
  try {
    const cert = new X509Certificate(der);
    return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? cert.subject.replace(/\n/g, ', ');
  } catch {
    return undefined;
  }
}

/** The verified facts of one token, plus the TSA certificate (for revocation lookups). */
export interface VerifiedTimestamp {
  readonly report: TimestampReport;
  readonly tsaCertificate: Uint8Array | undefined;
  readonly certificates: readonly Uint8Array[];
  /** Common names of the TSA's path found, TSA first (whatever its status). */
  readonly chain: readonly string[];
}

/**
 * Verifies `token` (DER ContentInfo). Never throws for a bad token: problems are report data.
 *
 * @example
 * ```ts
 * const { report } = verifyTimestampToken(token, { kind: 'signature', digestOfCovered: (a) => digestOf(a, sigValue), trustAnchors, pool: [] });
 * ```
 */
export function verifyTimestampToken(token: Uint8Array, check: TimestampCheck): VerifiedTimestamp {
  const problems: string[] = [];
  let genTime: Date | undefined;
  let tsaCertificate: Uint8Array | undefined;
  let certificates: readonly Uint8Array[] = [];
  let imprintMatches = false;
  let signatureValid = false;
  let chainStatus: TimestampReport['chainStatus'];
  let chain: string[] = [];
  try {
    const view = parseTimestampToken(token);
    certificates = view.signedData.certificates;
    const { tstInfo } = view;
    genTime = tstInfo.genTime;
    // docs/security.md ASN-10: a genTime in the future (beyond the allowed skew) is refused.
    if (check.now !== undefined && genTime.getTime() > check.now.getTime() + MAX_SKEW_MS) {
      problems.push(`genTime ${genTime.toISOString()} is in the future`);
    }
    const alg = tstInfo.messageImprint.digestAlgorithm;
    if (alg === undefined) problems.push('the imprint uses an unsupported hash algorithm');
    else {
      imprintMatches = bytesEqual(tstInfo.messageImprint.hashedMessage, check.digestOfCovered(alg));
      if (!imprintMatches) problems.push('the messageImprint does not match the covered data');
    }
    tsaCertificate = timestampSigner(view, check.pool);
    if (!tsaCertificate) problems.push('the TSA certificate is not available');
    else {
      // RFC 3161 §2.4.2 allows ESS signing-certificate v1 (RFC 2634) as well as v2 (RFC 5816).
      const v = verifyTimestampSignature(view, tsaCertificate);
      signatureValid = v.isValid;
      if (!signatureValid) problems.push(`token signature: ${v.problems.join(', ') || 'invalid'}`);
      try {
        checkTimestampingEku(parseCertificate(tsaCertificate));
      } catch {
        problems.push('the TSA certificate lacks a critical id-kp-timeStamping extended key usage');
        signatureValid = false;
      }
      const path = buildCertificatePath(tsaCertificate, [...certificates, ...check.pool], check.trustAnchors, genTime);
      chainStatus = path.status;
      chain = path.chain.map((c) => /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1] ?? c.subject.replace(/\n/g, ', '));
      if (path.status !== 'trusted') problems.push(`TSA: ${path.problems.join('; ')}`);
    }
  } catch (err) {
    problems.push(`the token cannot be parsed${err instanceof Error ? `: ${err.message}` : ''}`);
  }
  const isValid = imprintMatches && signatureValid && chainStatus === 'trusted' && !problems.some((p) => p.startsWith('genTime'));
  return {
    report: {
      kind: check.kind,
      isValid,
      genTime,
      tsaSubject: tsaCertificate ? subjectOf(tsaCertificate) : undefined,
      chainStatus,
      problems,
    },
    tsaCertificate,
    certificates,
    chain,
  };
}
