/**
 * Verification of an RFC 3161 TimeStampToken as a validator sees it (docs/security.md V14; ETSI EN
 * 319 102-1 §5.4): the token's SignedData signature and messageDigest over the TSTInfo, the
 * messageImprint against the data it claims to cover, the TSA certificate's critical
 * id-kp-timeStamping EKU (RFC 3161 §2.3), and the TSA's path to a trust anchor at genTime.
 */
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TSTInfo } from '@peculiar/asn1-tsp';
import { bytesEqual } from '../core/bytes.js';
import {
  cmsOids,
  digestByOid,
  digestOf,
  findSignerCertificate,
  parseSignedData,
  verifySignerInfo,
  type DigestAlgorithm,
} from '../cms/index.js';
import { checkTimestampingEku, parseCertificate } from '../cms/pki-verification.js';
import { buildCertificatePath } from './certificate-path.js';
import type { TimestampReport } from './types.js';

/** RFC 3161 §2.4.2: eContentType of a token. */
const id_ct_TSTInfo = '1.2.840.113549.1.9.16.1.4';

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
    const sd = parseSignedData(token);
    certificates = sd.certificates;
    if (sd.contentType !== id_ct_TSTInfo || sd.content === undefined) throw new TypeError('not a SignedData over TSTInfo');
    const tstInfo = AsnConvert.parse(sd.content, TSTInfo);
    genTime = tstInfo.genTime;
    // docs/security.md ASN-10: a genTime in the future (beyond the allowed skew) is refused.
    if (check.now !== undefined && genTime.getTime() > check.now.getTime() + MAX_SKEW_MS) {
      problems.push(`genTime ${genTime.toISOString()} is in the future`);
    }
    const alg = digestByOid(tstInfo.messageImprint.hashAlgorithm.algorithm)?.name;
    if (alg === undefined) problems.push('the imprint uses an unsupported hash algorithm');
    else {
      imprintMatches = bytesEqual(new Uint8Array(tstInfo.messageImprint.hashedMessage.buffer), check.digestOfCovered(alg));
      if (!imprintMatches) problems.push('the messageImprint does not match the covered data');
    }
    const si = sd.signerInfos[0];
    if (!si || sd.signerInfos.length !== 1) throw new TypeError('a token has exactly one SignerInfo');
    tsaCertificate = findSignerCertificate(sd, si) ?? check.pool.find((c) => findSignerCertificate({ ...sd, certificates: [c] }, si));
    if (!tsaCertificate) problems.push('the TSA certificate is not available');
    else {
      const v = verifySignerInfo(si, { certificate: tsaCertificate, messageDigest: digestOf(si.digestAlgorithm, sd.content), contentType: id_ct_TSTInfo });
      // RFC 3161 §2.4.2 allows ESS signing-certificate v1 (RFC 2634) as well as v2 (RFC 5816).
      const hasV1 = si.signedAttributeList.some((a) => a.oid === cmsOids.id_aa_signingCertificate);
      const remaining = v.problems.filter((p) => !(hasV1 && p === 'SIGNING_CERTIFICATE_MISSING'));
      signatureValid = v.isSignatureValid && v.isMessageDigestValid && remaining.length === 0;
      if (!signatureValid) problems.push(`token signature: ${remaining.join(', ') || 'invalid'}`);
      try {
        checkTimestampingEku(parseCertificate(tsaCertificate));
      } catch {
        problems.push('the TSA certificate lacks a critical id-kp-timeStamping extended key usage');
        signatureValid = false;
      }
      const path = buildCertificatePath(tsaCertificate, [...sd.certificates, ...check.pool], check.trustAnchors, genTime);
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
