/**
 * RFC 3161 timestamp replies: the reply is accepted only when the status is granted (§2.4.2),
 * the TSTInfo's messageImprint, nonce and policy match the request, and — when the token carries
 * the TSA certificate — the CMS signature, messageDigest and the TSA's critical timeStamping EKU
 * (§2.3) verify. The token is read by the one token reader (timestamp-token.ts). Chain
 * validation of the TSA is left to the validation domain.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { PKIStatus, PKIStatusInfo } from '@peculiar/asn1-tsp';
import { bytesEqual } from '../../core/bytes.js';
import type { DigestAlgorithm } from '../algorithms.js';
import { berToDer } from '../ber.js';
import { serialToHex } from '../certificate.js';
import { childrenOf, rawOf, readElement, readOid, readSmallInteger, tags } from '../der.js';
import { cmsOids } from '../cms-oids.js';
import { defaultCmsLimits } from '../parse-signed-data.js';
import { PkiError } from '../pki-errors.js';
import { pkiFailureNames } from './pki-failure-info.js';
import {
  checkTimestampingEkuOf,
  parseTimestampToken,
  timestampSigner,
  verifyTimestampSignature,
  type TimestampTokenView,
} from './timestamp-token.js';

export { checkTimestampingEku } from './timestamp-token.js';

/** A verified timestamp. */
export interface TimestampResult {
  /** The TimeStampToken (DER ContentInfo), as it goes into an unsigned attribute or a PDF. */
  readonly token: Uint8Array;
  readonly genTime: Date;
  readonly serialHex: string;
  readonly policy: string;
}

function invalid(message: string, cause?: unknown): PkiError {
  return new PkiError('ERR_PKI_TSA_RESPONSE_INVALID', message, cause === undefined ? {} : { cause });
}

/** What the reply must match: the request's imprint, nonce and options (RFC 3161 §2.4.2). */
export interface TimestampRequestMatch {
  readonly digest: Uint8Array;
  readonly digestAlgorithm: DigestAlgorithm;
  readonly nonce: Uint8Array;
  /** The requested policy (§2.4.1 reqPolicy), when one was asked for. */
  readonly policyOid?: string;
  /** Whether the TSA certificate was requested (certReq, default true). */
  readonly certReq?: boolean;
}

/** A TimeStampResp taken apart: the PKIStatusInfo, and the token as the TSA sent it. */
export interface TimestampReply {
  /** §2.4.2 PKIStatus: 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4/5 revocation. */
  readonly status: number;
  readonly isGranted: boolean;
  /** statusString, joined with "; " (empty when absent). */
  readonly statusText: string;
  /** The names of the failInfo bits set (pki-failure-info.ts). */
  readonly failures: readonly string[];
  /** The TimeStampToken (DER ContentInfo), when the reply has one. */
  readonly token: Uint8Array | undefined;
}

/**
 * Reads a TimeStampResp (RFC 3161 §2.4.2: SEQUENCE { status PKIStatusInfo, timeStampToken
 * TimeStampToken OPTIONAL }; TimeStampToken ::= ContentInfo with id-signedData, RFC 5652 §3),
 * split on its element boundaries so the token keeps the TSA's bytes; a BER reply is read as its
 * DER equivalent (X.690 §10). Throws ERR_PKI_TSA_RESPONSE_INVALID when it is not one.
 *
 * @example
 * ```ts
 * const { isGranted, token } = readTimestampReply(replyDer);
 * ```
 */
export function readTimestampReply(der: Uint8Array): TimestampReply {
  let split = splitDerReply(der);
  if (split === undefined) {
    try {
      const reading = berToDer(der, defaultCmsLimits);
      if (reading.end === der.length) split = splitDerReply(reading.der);
    } catch {
      split = undefined;
    }
  }
  if (split === undefined) throw invalid('the reply is not a TimeStampResp');
  const granted = grantedStatus(split.statusDer);
  if (granted !== undefined) {
    return { status: granted, isGranted: true, statusText: '', failures: [], token: split.token };
  }
  let info: PKIStatusInfo;
  try {
    info = AsnConvert.parse(split.statusDer, PKIStatusInfo);
  } catch (cause) {
    throw invalid('the reply is not a TimeStampResp', cause);
  }
  const status = info.status;
  return {
    status,
    isGranted: status === PKIStatus.granted || status === PKIStatus.grantedWithMods,
    statusText: info.statusString?.join('; ') ?? '',
    failures: info.failInfo ? pkiFailureNames(info.failInfo) : [],
    token: split.token,
  };
}

/**
 * The status of a PKIStatusInfo that is only `SEQUENCE { status granted(0) | grantedWithMods(1) }`
 * — what a TSA answers with a token — read with the DER reader (issue 19: one schema parse less per
 * token); undefined for anything else, which the schema reads (RFC 3161 §2.4.2:
 * `PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }`).
 */
function grantedStatus(der: Uint8Array): number | undefined {
  try {
    const [status, ...rest] = childrenOf(der, readElement(der, 0));
    if (status?.tag !== tags.integer || rest.length > 0) return undefined;
    const value = readSmallInteger(der, status);
    return value === PKIStatus.granted || value === PKIStatus.grantedWithMods ? value : undefined;
  } catch {
    return undefined;
  }
}

function splitDerReply(der: Uint8Array): { readonly statusDer: Uint8Array; readonly token: Uint8Array | undefined } | undefined {
  try {
    const top = readElement(der, 0);
    if (top.tag !== tags.sequence || top.end !== der.length) return undefined;
    const [status, token, ...rest] = childrenOf(der, top);
    if (status?.tag !== tags.sequence || rest.length > 0) return undefined;
    if (token === undefined) return { statusDer: rawOf(der, status), token: undefined };
    const [type, content, ...more] = childrenOf(der, token);
    if (type?.tag !== tags.oid || readOid(der, type) !== cmsOids.id_signedData || content?.tag !== 0xa0 || more.length > 0) return undefined;
    return { statusDer: rawOf(der, status), token: rawOf(der, token).slice() };
  } catch {
    return undefined;
  }
}

/**
 * Verifies a TimeStampResp against its request: granted status, TSTInfo messageImprint, nonce
 * and policy, and (when the token carries the TSA certificate) the CMS signature, messageDigest
 * and the critical timeStamping EKU. Throws ERR_PKI_TSA_REJECTED or ERR_PKI_TSA_RESPONSE_INVALID.
 *
 * @example
 * ```ts
 * const { token } = verifyTimestampReply(replyDer, { digest, digestAlgorithm: 'SHA-256', nonce });
 * ```
 */
export function verifyTimestampReply(der: Uint8Array, request: TimestampRequestMatch): TimestampResult {
  const { digest, digestAlgorithm, nonce } = request;
  const reply = readTimestampReply(der);
  if (!reply.isGranted) {
    const fail = reply.failures.length > 0 ? ` (failInfo ${reply.failures.join(', ')})` : '';
    const text = reply.statusText;
    throw new PkiError('ERR_PKI_TSA_REJECTED', `the TSA refused: status ${reply.status}${fail}${text ? `: ${text}` : ''}`);
  }
  if (reply.token === undefined) throw invalid('granted reply without a token');
  let view: TimestampTokenView;
  try {
    view = parseTimestampToken(reply.token);
  } catch (cause) {
    throw invalid('the token is not a SignedData over TSTInfo', cause);
  }
  const tst = view.tstInfo;
  // RFC 3161 §2.4.2: messageImprint and nonce MUST equal the request's.
  if (tst.messageImprint.digestAlgorithm !== digestAlgorithm || !bytesEqual(tst.messageImprint.hashedMessage, digest)) {
    throw invalid('the token timestamps another message imprint');
  }
  if (!tst.nonce || serialToHex(tst.nonce) !== serialToHex(nonce)) throw invalid('the token nonce does not match');
  if (request.policyOid !== undefined && tst.policy !== request.policyOid) {
    throw invalid('the token has another policy');
  }
  verifyTokenSignature(view, request.certReq);
  return {
    token: view.token,
    genTime: tst.genTime,
    serialHex: tst.serialHex,
    policy: tst.policy,
  };
}

/**
 * The client's verdict on the token's signature: the TSA certificate must be in the token unless
 * certReq was false, with the critical timeStamping EKU; its signature and messageDigest must
 * verify (the digest is one Signet accepts: parseTimestampToken refuses others), and its
 * signing-certificate attribute must name that certificate.
 */
function verifyTokenSignature(view: TimestampTokenView, certReq: boolean | undefined): void {
  const cert = timestampSigner(view);
  if (!cert) {
    if (certReq === false) return; // nothing to check against; the caller holds the TSA cert
    throw invalid('the token does not carry the TSA certificate that was requested');
  }
  checkTimestampingEkuOf(cert);
  const verification = verifyTimestampSignature(view, cert);
  if (!verification.isMessageDigestValid) {
    throw invalid(
      verification.problems.includes('MESSAGE_DIGEST_MISSING')
        ? 'the token lacks a messageDigest or uses an unknown digest'
        : 'the token messageDigest does not match its TSTInfo',
    );
  }
  if (!verification.isSignatureValid) throw invalid('the token signature does not verify');
  // RFC 3161 §2.4.2: the TSA certificate's identifier MUST be in a SigningCertificate attribute
  // (ESSCertID, or ESSCertIDv2 per RFC 5816 §2.2.1) — the token is bound to that certificate.
  if (verification.problems.includes('SIGNING_CERTIFICATE_MISSING')) {
    throw invalid('the token lacks the signing-certificate attribute (ESSCertID or ESSCertIDv2) naming the TSA certificate');
  }
  if (verification.problems.includes('SIGNING_CERTIFICATE_MISMATCH')) {
    throw invalid('the token\'s signing-certificate attribute does not name the TSA certificate');
  }
}
