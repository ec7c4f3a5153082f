/**
 * The one RFC 3161 TimeStampToken reader (§2.4.2): a CMS SignedData (RFC 5652 §5) whose eContent
 * is a DER TSTInfo, signed by exactly one SignerInfo, the TSA's; and the checks every reader of a
 * token makes — the TSA's signature and messageDigest over the TSTInfo with its signing-certificate
 * binding (RFC 5816 §2.2.1: ESSCertIDv2, or ESSCertID of RFC 2634), and the TSA certificate's
 * critical id-kp-timeStamping EKU (§2.3). The TSA client (timestamp-reply.ts) and the validator
 * (validation/timestamp-token.ts) read tokens here and keep only their own verdicts.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import type { Certificate } from '@peculiar/asn1-x509';
import { ExtendedKeyUsage, id_ce_extKeyUsage, id_kp_timeStamping } from '@peculiar/asn1-x509';
import { TSTInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { asBytes } from '../../core/bytes.js';
import { digestByOid, type DigestAlgorithm, type VerifiableDigest } from '../algorithms.js';
import { parseCertificate, serialToHex } from '../certificate.js';
import { readCertificateId } from '../certificate-id.js';
import { digestOf } from '../digest.js';
import { childrenOf, contentOf, readElement, readOid, readSmallInteger, tags } from '../der.js';
import { CmsError } from '../errors.js';
import {
  parseSignedData,
  type CmsLimits,
  type ParseOptions,
  type SignedDataView,
  type SignerInfoView,
} from '../parse-signed-data.js';
import { PkiError } from '../pki-errors.js';
import { findSignerCertificate } from '../signer-certificate.js';
import { verifySignerInfo, type SignerInfoVerification } from '../verify-signer-info.js';

/**
 * The facts of a TSTInfo that its readers use.
 *
 * ```asn1
 * TSTInfo ::= SEQUENCE  {
 *    version        INTEGER  { v1(1) },
 *    policy         TSAPolicyId,
 *    messageImprint MessageImprint,
 *    serialNumber   INTEGER,
 *    genTime        GeneralizedTime,
 *    accuracy       Accuracy                 OPTIONAL,
 *    ordering       BOOLEAN             DEFAULT FALSE,
 *    nonce          INTEGER                  OPTIONAL,
 *    tsa            [0] GeneralName          OPTIONAL,
 *    extensions     [1] IMPLICIT Extensions  OPTIONAL  }
 * ```
 */
export interface TstInfoView {
  readonly policy: string;
  readonly messageImprint: {
    /** The hashAlgorithm OID as written. */
    readonly hashAlgorithm: string;
    /** The table's name of that digest; undefined when Signet does not accept it. */
    readonly digestAlgorithm: DigestAlgorithm | undefined;
    readonly hashedMessage: Uint8Array;
  };
  /** serialNumber in hex, without leading zero octets. */
  readonly serialHex: string;
  readonly genTime: Date;
  /** Content octets of the nonce INTEGER, when present. */
  readonly nonce: Uint8Array | undefined;
}

/** A TimeStampToken taken apart. */
export interface TimestampTokenView {
  /** The token (DER ContentInfo) as given. */
  readonly token: Uint8Array;
  readonly signedData: SignedDataView<VerifiableDigest>;
  /** The TSA's SignerInfo (the only one, §2.4.2). */
  readonly signerInfo: SignerInfoView<VerifiableDigest>;
  /** The DER TSTInfo: the eContent the TSA signed. */
  readonly tstInfoDer: Uint8Array;
  readonly tstInfo: TstInfoView;
}

function structure(message: string, cause?: unknown): CmsError {
  return new CmsError('ERR_CMS_STRUCTURE', message, cause === undefined ? {} : { cause });
}

/**
 * Reads a DER TSTInfo (RFC 3161 §2.4.2). Throws {@link CmsError} ERR_CMS_STRUCTURE when it is
 * not one.
 *
 * @example
 * ```ts
 * const { genTime } = readTstInfo(signedData.content!);
 * ```
 */
export function readTstInfo(der: Uint8Array): TstInfoView {
  const view = readDerTstInfo(der);
  if (view !== undefined) return view;
  let tst: TSTInfo;
  try {
    tst = AsnConvert.parse(der, TSTInfo);
  } catch (cause) {
    throw structure('the TSTInfo cannot be parsed', cause);
  }
  const hashAlgorithm = tst.messageImprint.hashAlgorithm.algorithm;
  return {
    policy: tst.policy,
    messageImprint: {
      hashAlgorithm,
      digestAlgorithm: digestByOid(hashAlgorithm)?.name,
      hashedMessage: asBytes(tst.messageImprint.hashedMessage.buffer),
    },
    serialHex: serialToHex(tst.serialNumber),
    genTime: tst.genTime,
    nonce: tst.nonce === undefined ? undefined : asBytes(tst.nonce),
  };
}

/**
 * The DER TSTInfo read on its element boundaries with the strict DER reader — what the schema
 * parse gives, without building its tree (issue 19: the schema parse was about a millisecond per
 * token, a fifth of a TSA reply's check). Undefined for anything but the plain DER form with a
 * UTC GeneralizedTime (RFC 3161 §2.4.2: "YYYYMMDDhhmmss[.s...]Z"), which the schema then reads.
 */
function readDerTstInfo(der: Uint8Array): TstInfoView | undefined {
  try {
    const top = readElement(der, 0);
    if (top.tag !== tags.sequence || top.end !== der.length) return undefined;
    const fields = childrenOf(der, top);
    const [version, policy, imprint, serial, genTime] = fields;
    if (version === undefined || readSmallInteger(der, version) !== 1) return undefined;
    if (policy?.tag !== tags.oid || imprint?.tag !== tags.sequence || serial?.tag !== tags.integer || genTime?.tag !== generalizedTimeTag) return undefined;
    // MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
    const [algorithm, hashed, ...extra] = childrenOf(der, imprint);
    if (algorithm?.tag !== tags.sequence || hashed?.tag !== tags.octetString || extra.length > 0) return undefined;
    const [algorithmOid, , ...moreParameters] = childrenOf(der, algorithm);
    if (algorithmOid === undefined || moreParameters.length > 0) return undefined;
    const serialContent = contentOf(der, serial);
    const time = generalizedTime(contentOf(der, genTime));
    if (serialContent.length === 0 || time === undefined) return undefined;
    // accuracy SEQUENCE, ordering BOOLEAN, nonce INTEGER, tsa [0], extensions [1], in this order.
    let nonce: Uint8Array | undefined;
    let next = 0;
    const order = [tags.sequence, booleanTag, tags.integer, 0xa0, 0xa1];
    for (const field of fields.slice(5)) {
      const at = order.indexOf(field.tag as (typeof order)[number], next);
      if (at === -1) return undefined;
      next = at + 1;
      if (field.tag === tags.integer) nonce = contentOf(der, field).slice();
    }
    const hashAlgorithm = readOid(der, algorithmOid);
    return {
      policy: readOid(der, policy),
      messageImprint: {
        hashAlgorithm,
        digestAlgorithm: digestByOid(hashAlgorithm)?.name,
        hashedMessage: contentOf(der, hashed).slice(),
      },
      serialHex: serialToHex(serialContent),
      genTime: time,
      nonce,
    };
  } catch {
    return undefined;
  }
}

const generalizedTimeTag = 0x18;
const booleanTag = 0x01;

/** A GeneralizedTime in UTC as RFC 3161 §2.4.2 writes it, read as the schema reads it (milliseconds truncated). */
function generalizedTime(content: Uint8Array): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(Buffer.from(content).toString('latin1'));
  if (m === null) return undefined;
  const n = (i: number): number => Number(m[i]);
  const ms = m[7] === undefined ? 0 : Math.floor(1000 * Number(`0.${m[7]}`));
  return new Date(Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), ms));
}

/**
 * Parses a TimeStampToken (DER ContentInfo): SignedData over id-ct-TSTInfo with one SignerInfo.
 * Throws {@link CmsError} (ERR_CMS_DER, ERR_CMS_LIMIT, ERR_CMS_STRUCTURE,
 * ERR_CMS_UNSUPPORTED_ALGORITHM) on anything else; legacy digests are read only with
 * `{ algorithms: 'verifiable' }` (as for parseSignedData). Verifies nothing: see
 * {@link verifyTimestampSignature}.
 *
 * @example
 * ```ts
 * const { tstInfo } = parseTimestampToken(token);
 * console.log(tstInfo.genTime, tstInfo.policy);
 * ```
 */
export function parseTimestampToken(
  token: Uint8Array,
  limits?: CmsLimits,
  options: ParseOptions = {},
): TimestampTokenView {
  const signedData = parseSignedData(token, limits, options);
  // RFC 3161 §2.4.2: eContentType id-ct-TSTInfo, eContent the DER TSTInfo.
  if (signedData.contentType !== id_ct_tstInfo || signedData.content === undefined) {
    throw structure('not a SignedData over TSTInfo');
  }
  const tstInfoDer = signedData.content;
  const tstInfo = readTstInfo(tstInfoDer);
  // §2.4.2: "MUST NOT contain any signatures other than the signature of the TSA".
  const [signerInfo, ...others] = signedData.signerInfos;
  if (signerInfo === undefined || others.length > 0)
    throw structure('a token has exactly one SignerInfo');
  return { token, signedData, signerInfo, tstInfoDer, tstInfo };
}

/**
 * The TSA certificate the token's SignerInfo names: among the token's own certificates, else in
 * `pool` (a DSS, the signature's certificates, or the certificate a client holds).
 *
 * @example
 * ```ts
 * const tsaCertificate = timestampSigner(view, dssCertificates);
 * ```
 */
export function timestampSigner(
  view: TimestampTokenView,
  pool: readonly Uint8Array[] = [],
): Uint8Array | undefined {
  const { signedData, signerInfo } = view;
  return (
    findSignerCertificate(signedData, signerInfo) ??
    findSignerCertificate({ ...signedData, certificates: pool }, signerInfo)
  );
}

/**
 * The TSA's signature over the TSTInfo (RFC 5652 §5.4: over the signed attributes; §11.1/§11.2:
 * content-type id-ct-TSTInfo, messageDigest of the eContent) and its signing-certificate binding
 * (RFC 5816 §2.2.1), checked against `certificate`. Failures are data.
 *
 * @example
 * ```ts
 * const { isSignatureValid, isMessageDigestValid } = verifyTimestampSignature(view, tsaCertificate);
 * ```
 */
export function verifyTimestampSignature(
  view: TimestampTokenView,
  certificate: Uint8Array,
): SignerInfoVerification {
  const si = view.signerInfo;
  return verifySignerInfo(si, {
    certificate,
    messageDigest: digestOf(si.digestAlgorithm, view.tstInfoDer),
    contentType: id_ct_tstInfo,
  });
}

/**
 * RFC 3161 §2.3: the TSA certificate has exactly id-kp-timeStamping in a critical EKU. Throws
 * ERR_PKI_TSA_RESPONSE_INVALID otherwise.
 *
 * @example
 * ```ts
 * checkTimestampingEku(parseCertificate(tsaCertificate));
 * ```
 */
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
  if (!ok) {
    throw new PkiError(
      'ERR_PKI_TSA_RESPONSE_INVALID',
      'the TSA certificate lacks a critical extendedKeyUsage of only id-kp-timeStamping',
    );
  }
}

/**
 * {@link checkTimestampingEku} of a DER certificate: the common case — a critical extendedKeyUsage
 * of only id-kp-timeStamping — read with the strict DER reader (issue 19: the TSA certificate was
 * parsed with the schema for every token a client checked); anything else is parsed and checked as
 * before, which throws ERR_PKI_TSA_RESPONSE_INVALID (or ERR_PKI_CERT_MALFORMED).
 *
 * @example
 * ```ts
 * checkTimestampingEkuOf(tsaCertificate);
 * ```
 */
export function checkTimestampingEkuOf(certificate: Uint8Array): void {
  if (hasOnlyTimestampingEku(certificate)) return;
  checkTimestampingEku(parseCertificate(certificate));
}

/**
 * ```asn1
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
 * ```
 */
function hasOnlyTimestampingEku(certificate: Uint8Array): boolean {
  try {
    const { extensions } = readCertificateId(certificate);
    if (extensions === undefined) return false;
    const explicit = readElement(extensions, 0);
    const [list, ...extra] = childrenOf(extensions, explicit);
    if (list?.tag !== tags.sequence || extra.length > 0) return false;
    for (const extension of childrenOf(extensions, list)) {
      const [id, ...fields] = childrenOf(extensions, extension);
      if (id === undefined || readOid(extensions, id) !== id_ce_extKeyUsage) continue;
      // The first extKeyUsage decides, as the schema reading's find() does.
      const [critical, value, ...more] = fields;
      if (critical?.tag !== booleanTag || contentOf(extensions, critical)[0] !== 0xff || value?.tag !== tags.octetString || more.length > 0) return false;
      const octets = contentOf(extensions, value);
      const eku = readElement(octets, 0);
      if (eku.tag !== tags.sequence || eku.end !== octets.length) return false;
      const [purpose, ...others] = childrenOf(octets, eku);
      return purpose !== undefined && others.length === 0 && readOid(octets, purpose) === id_kp_timeStamping;
    }
    return false;
  } catch {
    return false;
  }
}
