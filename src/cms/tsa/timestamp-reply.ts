/**
 * RFC 3161 timestamp replies and tokens: the reply is accepted only when the status is granted
 * (§2.4.2), the TSTInfo's messageImprint, nonce and policy match the request, and — when the
 * token carries the TSA certificate — the CMS signature, messageDigest and the TSA's critical
 * timeStamping EKU (§2.3) verify. Chain validation of the TSA is left to the validation domain.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { SignedData, id_messageDigest, id_signedData } from '@peculiar/asn1-cms';
import type { Certificate } from '@peculiar/asn1-x509';
import { ExtendedKeyUsage, id_ce_extKeyUsage, id_kp_timeStamping } from '@peculiar/asn1-x509';
import { PKIStatus, PKIStatusInfo, TimeStampResp, TSTInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { asBytes, bytesEqual, concatBytes } from '../../core/bytes.js';
import { digestByOid, type DigestAlgorithm } from '../algorithms.js';
import { childrenOf, rawOf, readElement, readOid, tags } from '../der.js';
import { signatureAlgorithmFromIdentifier, verifySignature } from '../x509-algorithm.js';
import { nameDer, serialToHex, spkiDer } from '../certificate.js';
import { PkiError } from '../pki-errors.js';
import { pkiFailureNames } from './pki-failure-info.js';

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

/** A TimeStampResp taken apart: the status, and the token as sent with its SignedData. */
interface ReplyParts {
  readonly status: PKIStatusInfo;
  /** The TimeStampToken (a ContentInfo), a copy of the reply's own bytes. */
  readonly token?: Uint8Array;
  /** The ContentInfo's content: the SignedData. */
  readonly signedData?: ArrayBuffer | Uint8Array;
}

/**
 * The parts of a TimeStampResp (RFC 3161 §2.4.2: SEQUENCE { status PKIStatusInfo,
 * timeStampToken TimeStampToken OPTIONAL }; TimeStampToken ::= ContentInfo with id-signedData,
 * RFC 5652 §3). A DER reply is split on its element boundaries, so the token keeps the TSA's
 * bytes and the SignedData is parsed once; another encoding goes through the schema as a whole.
 */
function readReply(der: Uint8Array): ReplyParts {
  const split = splitDerReply(der);
  if (split !== undefined) {
    try {
      return { ...split, status: AsnConvert.parse(split.statusDer, PKIStatusInfo) };
    } catch (cause) {
      throw invalid('the reply is not a TimeStampResp', cause);
    }
  }
  let resp: TimeStampResp;
  try {
    resp = AsnConvert.parse(der, TimeStampResp);
  } catch (cause) {
    throw invalid('the reply is not a TimeStampResp', cause);
  }
  const token = resp.timeStampToken;
  if (token === undefined) return { status: resp.status };
  return { status: resp.status, token: new Uint8Array(AsnConvert.serialize(token)), signedData: token.content };
}

function splitDerReply(der: Uint8Array): (Omit<ReplyParts, 'status'> & { readonly statusDer: Uint8Array }) | undefined {
  try {
    const top = readElement(der, 0);
    if (top.tag !== tags.sequence || top.end !== der.length) return undefined;
    const [status, token, ...rest] = childrenOf(der, top);
    if (status?.tag !== tags.sequence || rest.length > 0) return undefined;
    if (token === undefined) return { statusDer: rawOf(der, status) };
    const [type, content, ...more] = childrenOf(der, token);
    if (type?.tag !== tags.oid || readOid(der, type) !== id_signedData || content?.tag !== 0xa0 || more.length > 0) return undefined;
    const [signedData, ...extra] = childrenOf(der, content);
    if (signedData?.tag !== tags.sequence || extra.length > 0) return undefined;
    return { statusDer: rawOf(der, status), token: rawOf(der, token).slice(), signedData: rawOf(der, signedData) };
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
  const reply = readReply(der);
  const status = reply.status.status;
  if (status !== PKIStatus.granted && status !== PKIStatus.grantedWithMods) {
    const text = reply.status.statusString?.join('; ') ?? '';
    const fail = reply.status.failInfo ? ` (failInfo ${pkiFailureNames(reply.status.failInfo).join(', ')})` : '';
    throw new PkiError('ERR_PKI_TSA_REJECTED', `the TSA refused: status ${status}${fail}${text ? `: ${text}` : ''}`);
  }
  if (reply.token === undefined || reply.signedData === undefined) throw invalid('granted reply without a token');
  const token = reply.token;
  let signed: SignedData;
  let tst: TSTInfo;
  let tstDer: Uint8Array;
  try {
    signed = AsnConvert.parse(reply.signedData, SignedData);
    if (signed.encapContentInfo.eContentType !== id_ct_tstInfo) throw invalid('eContentType is not id-ct-TSTInfo');
    const e = signed.encapContentInfo.eContent;
    tstDer = e?.single ? asBytes(e.single.buffer) : e?.any ? asBytes(e.any) : new Uint8Array(0);
    tst = AsnConvert.parse(tstDer, TSTInfo);
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw invalid('the token is not a SignedData over TSTInfo', cause);
  }
  // RFC 3161 §2.4.2: messageImprint and nonce MUST equal the request's.
  if (digestByOid(tst.messageImprint.hashAlgorithm.algorithm)?.name !== digestAlgorithm ||
      !bytesEqual(asBytes(tst.messageImprint.hashedMessage.buffer), digest)) {
    throw invalid('the token timestamps another message imprint');
  }
  if (!tst.nonce || serialToHex(tst.nonce) !== serialToHex(nonce)) throw invalid('the token nonce does not match');
  if (request.policyOid !== undefined && tst.policy !== request.policyOid) {
    throw invalid('the token has another policy');
  }
  verifyTokenSignature(signed, tstDer, request.certReq);
  return {
    token,
    genTime: tst.genTime,
    serialHex: serialToHex(tst.serialNumber),
    policy: tst.policy,
  };
}

function verifyTokenSignature(signed: SignedData, tstDer: Uint8Array, certReq: boolean | undefined): void {
  const signer = signed.signerInfos[0];
  if (!signer || signed.signerInfos.length !== 1) throw invalid('the token must have exactly one SignerInfo');
  const sid = signer.sid.issuerAndSerialNumber;
  const certs = (signed.certificates ?? []).flatMap((c) => (c.certificate ? [c.certificate] : []));
  const cert = sid
    ? certs.find(
        (c) =>
          serialToHex(c.tbsCertificate.serialNumber) === serialToHex(sid.serialNumber) &&
          bytesEqual(nameDer(c.tbsCertificate.issuer), nameDer(sid.issuer)),
      )
    : undefined;
  if (!cert) {
    if (certReq === false) return; // nothing to check against; the caller holds the TSA cert
    throw invalid('the token does not carry the TSA certificate that was requested');
  }
  checkTimestampingEku(cert);
  const attrs = signer.signedAttrs ?? [];
  const md = attrs.find((a) => a.attrType === id_messageDigest)?.attrValues[0];
  const digestEntry = digestByOid(signer.digestAlgorithm.algorithm);
  if (!md || !digestEntry) throw invalid('the token lacks a messageDigest or uses an unknown digest');
  const expected = new Uint8Array(createHash(digestEntry.nodeName).update(tstDer).digest());
  if (!bytesEqual(asBytes(AsnConvert.parse(md, OctetString).buffer), expected)) {
    throw invalid('the token messageDigest does not match its TSTInfo');
  }
  // RFC 5652 §5.4: verify over the explicit SET OF (tag 0x31) encoding.
  const raw = signer.signedAttrsRaw ? asBytes(signer.signedAttrsRaw) : undefined;
  const setDer = raw
    ? concatBytes([Uint8Array.of(0x31), raw.subarray(1)])
    : concatBytes([Uint8Array.of(0x31), ...lengthAndContent(attrs.map((a) => new Uint8Array(AsnConvert.serialize(a))))]);
  const alg = signatureAlgorithmFromIdentifier(signer.signatureAlgorithm);
  if (!verifySignature(spkiDer(cert), alg, setDer, asBytes(signer.signature.buffer))) {
    throw invalid('the token signature does not verify');
  }
}

function lengthAndContent(parts: readonly Uint8Array[]): Uint8Array[] {
  const content = concatBytes(parts);
  const n = content.length;
  const len =
    n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0x81, n) : n < 0x10000 ? Uint8Array.of(0x82, n >> 8, n & 0xff) : Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  return [len, content];
}

/** RFC 3161 §2.3: the TSA certificate has exactly id-kp-timeStamping in a critical EKU. */
export function checkTimestampingEku(cert: Certificate): void {
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_extKeyUsage);
  let ok = false;
  if (ext?.critical) {
    try {
      const eku = AsnConvert.parse(ext.extnValue, ExtendedKeyUsage);
      ok = eku.length === 1 && eku[0] === id_kp_timeStamping;
    } catch {
      ok = false;
    }
  }
  if (!ok) throw invalid('the TSA certificate lacks a critical extendedKeyUsage of only id-kp-timeStamping');
}
