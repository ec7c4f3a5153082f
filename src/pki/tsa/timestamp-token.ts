/**
 * TimeStampToken encoding (RFC 3161 §2.4.2): a CMS SignedData (RFC 5652 §5) over an id-ct-TSTInfo
 * eContent with the signed attributes contentType, messageDigest and signing-certificate-v2
 * (RFC 5816 §2.2.1, ESSCertIDv2 of RFC 5035 §3), signed through the KeyBackend. Everything that
 * is the same in every token of a TSA (algorithm identifiers, the SignerIdentifier, the ESS
 * attribute, the certificates, the TSA name, policy and accuracy) is encoded once when the
 * encoder is made; a token then costs its TSTInfo, one hash, one signature and a few copies
 * (the CPU profile of the schema-object version showed 60 % of a token spent re-serialising
 * those fixed parts, the signature 6 %).
 */
import { createHash } from 'node:crypto';
import { id_contentType, id_messageDigest, id_signedData } from '@peculiar/asn1-cms';
import { id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { digestAlgorithms } from '../../cms/algorithms.js';
import {
  encodeDigestAlgorithmIdentifier,
  encodeSignatureAlgorithmIdentifier,
} from '../../cms/algorithm-identifier.js';
import { readCertificateId } from '../../cms/certificate-id.js';
import {
  childrenOf,
  compareDer,
  derTree,
  encodeDerTree,
  encodeOid,
  encodeSmallInteger,
  encodeTlv,
  rawOf,
  readElement,
  tags,
  type DerTree,
} from '../../cms/der.js';
import { cmsOids } from '../../cms/cms-oids.js';
import { encodeSigningCertificateV2 } from '../../cms/signed-attributes.js';
import { signWithCaKey, type CaKey } from '../ca-key.js';
import { PkiError } from '../errors.js';

/** Context-specific tags used below (X.690 §8.1.2). */
const explicit0 = 0xa0;
const generalizedTime = 0x18;

/** What is fixed for one TSA. */
export interface TimestampTokenEncoderOptions {
  readonly key: CaKey;
  /** The TSA certificate (DER). */
  readonly certificate: Uint8Array;
  /** Further certificates sent when certReq is true (issuing CA, optionally root). */
  readonly chain?: readonly Uint8Array[];
  /** The TSA policy OID (§2.4.2 policy). */
  readonly policyOid: string;
  /** Declared accuracy of genTime (§2.4.2 accuracy); none when absent. */
  readonly accuracy?: {
    readonly seconds?: number;
    readonly millis?: number;
    readonly micros?: number;
  };
}

/** The parts of one TSTInfo that change from token to token. */
export interface TstInfoFields {
  /** DER MessageImprint, as the request carried it (§2.4.2: "MUST have the same value"). */
  readonly messageImprint: Uint8Array;
  /** A positive serial number (§2.4.2 serialNumber). */
  readonly serialNumber: bigint;
  readonly genTime: Date;
  /** Content octets of the request's nonce INTEGER, echoed as they came. */
  readonly nonce?: Uint8Array;
}

/** Encodes TSTInfos and signs them into TimeStampTokens; made once per TSA. */
export interface TimestampTokenEncoder {
  /** DER TSTInfo. */
  encodeTstInfo(fields: TstInfoFields): Uint8Array;
  /** DER TimeStampToken (ContentInfo of SignedData) over `tstInfo`; certificates when `certReq`. */
  sign(tstInfo: Uint8Array, certReq: boolean): Promise<Uint8Array>;
  /** The same token, not yet encoded: to be placed in a TimeStampResp written in one pass. */
  signTree(tstInfo: Uint8Array, certReq: boolean): Promise<DerTree>;
}

/** DER INTEGER of a non-negative bigint (X.690 §8.3: minimal, a 00 octet keeps it positive). */
export function encodeUnsignedInteger(value: bigint): Uint8Array {
  if (value < 0n)
    throw new PkiError('ERR_PKI_STORE_CORRUPT', 'a serial number must not be negative');
  if (value <= 0xffff_ffff_ffffn) {
    // Serials and counters: 48 bits fit a double, no string round trip.
    const octets: number[] = [];
    let n = Number(value);
    do {
      octets.unshift(n % 256);
      n = Math.floor(n / 256);
    } while (n > 0);
    if ((octets[0] as number) >= 0x80) octets.unshift(0);
    return encodeTlv(tags.integer, Uint8Array.from(octets));
  }
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return encodeTlv(tags.integer, Uint8Array.from(Buffer.from(hex, 'hex')));
}

/** Writes `value` as `width` ASCII digits at `offset`. */
function putDigits(out: Uint8Array, offset: number, value: number, width: number): void {
  for (let i = width - 1, n = value; i >= 0; i--, n = Math.floor(n / 10)) out[offset + i] = 0x30 + (n % 10);
}

/**
 * GeneralizedTime in UTC (RFC 3161 §2.4.2 genTime; X.690 §11.7: "Z", fraction without trailing
 * zeros and no "." when it is zero). Years 0000–9999 (X.680 §46.3: four digits).
 */
export function encodeGeneralizedTime(time: Date): Uint8Array {
  const year = time.getUTCFullYear();
  if (!(year >= 0 && year <= 9999))
    throw new PkiError('ERR_PKI_TSA_CONFIG', 'a GeneralizedTime year has four digits');
  let millis = time.getUTCMilliseconds();
  let fraction = 0;
  if (millis !== 0) {
    fraction = 3;
    while (millis % 10 === 0) {
      millis /= 10;
      fraction--;
    }
  }
  // YYYYMMDDHHMMSS[.fff]Z
  const length = 15 + (fraction === 0 ? 0 : fraction + 1);
  const out = new Uint8Array(2 + length);
  out[0] = generalizedTime;
  out[1] = length;
  putDigits(out, 2, year, 4);
  putDigits(out, 6, time.getUTCMonth() + 1, 2);
  putDigits(out, 8, time.getUTCDate(), 2);
  putDigits(out, 10, time.getUTCHours(), 2);
  putDigits(out, 12, time.getUTCMinutes(), 2);
  putDigits(out, 14, time.getUTCSeconds(), 2);
  if (fraction !== 0) {
    out[16] = 0x2e; // "."
    putDigits(out, 17, millis, fraction);
  }
  out[out.length - 1] = 0x5a; // "Z"
  return out;
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] 1..999 OPTIONAL, micros [1] 1..999 OPTIONAL } */
function encodeAccuracy(
  accuracy: NonNullable<TimestampTokenEncoderOptions['accuracy']>,
): Uint8Array {
  const parts: Uint8Array[] = [];
  // RFC 3161 §2.4.2: each field is absent when zero (millis and micros are 1..999).
  if (accuracy.seconds) parts.push(encodeSmallInteger(accuracy.seconds));
  for (const [tag, value] of [
    [0x80, accuracy.millis],
    [0x81, accuracy.micros],
  ] as const) {
    if (!value) continue;
    if (value < 1 || value > 999)
      throw new PkiError(
        'ERR_PKI_TSA_CONFIG',
        'accuracy millis and micros are 1..999 (RFC 3161 §2.4.2)',
      );
    // IMPLICIT tagging keeps the INTEGER's content octets.
    const integer = encodeSmallInteger(value);
    parts.push(encodeTlv(tag, integer.subarray(2)));
  }
  return encodeTlv(tags.sequence, ...parts);
}

/** The raw subject Name of a certificate. */
function subjectOf(certificate: Uint8Array): Uint8Array {
  const cert = readElement(certificate, 0);
  const [tbs] = childrenOf(certificate, cert);
  if (tbs === undefined)
    throw new PkiError('ERR_PKI_CERT_MALFORMED', 'the TSA certificate is malformed');
  const fields = childrenOf(certificate, tbs);
  // TBSCertificate: version [0] EXPLICIT DEFAULT v1, serialNumber, signature, issuer, validity, subject.
  const subject = fields[(fields[0]?.tag === explicit0 ? 1 : 0) + 4];
  if (subject?.tag !== tags.sequence)
    throw new PkiError('ERR_PKI_CERT_MALFORMED', 'the TSA certificate is malformed');
  return rawOf(certificate, subject);
}

/**
 * Makes the encoder of one TSA.
 *
 * @example
 * ```ts
 * const encoder = createTimestampTokenEncoder({ key, certificate, chain: [issuing], policyOid: '2.25.1' });
 * const tstInfo = encoder.encodeTstInfo({ messageImprint, serialNumber: 1n, genTime: new Date() });
 * const token = await encoder.sign(tstInfo, true);
 * ```
 */
export function createTimestampTokenEncoder(
  options: TimestampTokenEncoderOptions,
): TimestampTokenEncoder {
  const digest = options.key.algorithm.digest;
  const nodeDigest = digestAlgorithms[digest].nodeName;
  const version1 = encodeSmallInteger(1);
  const policy = encodeOid(options.policyOid);
  const accuracy = options.accuracy ? encodeAccuracy(options.accuracy) : new Uint8Array(0);
  // tsa [0] GeneralName: a tagged CHOICE is explicitly tagged; directoryName is [4] (RFC 5280 §4.2.1.6).
  const tsaName = encodeTlv(explicit0, encodeTlv(0xa4, subjectOf(options.certificate)));
  const digestAlgorithm = encodeDigestAlgorithmIdentifier(digest);
  const signatureAlgorithm = encodeSignatureAlgorithmIdentifier(options.key.algorithm);
  const id = readCertificateId(options.certificate);
  const sid = encodeTlv(tags.sequence, id.issuer, id.serialNumber);
  const contentTypeAttribute = encodeTlv(
    tags.sequence,
    encodeOid(id_contentType),
    encodeTlv(tags.set, encodeOid(id_ct_tstInfo)),
  );
  const essAttribute = encodeTlv(
    tags.sequence,
    encodeOid(cmsOids.id_aa_signingCertificateV2),
    encodeTlv(tags.set, encodeSigningCertificateV2(options.certificate, 'SHA-256')),
  );
  const messageDigestOid = encodeOid(id_messageDigest);
  const digestLength = digestAlgorithms[digest].length;
  const messageDigestAttribute = (value: Uint8Array): Uint8Array =>
    encodeDerTree(derTree(tags.sequence, messageDigestOid, derTree(tags.set, derTree(tags.octetString, value))));
  // X.690 §11.6 (DER): SET OF in ascending order of the encodings. The three attributes differ
  // before the digest's octets (in their lengths or OIDs), so the order is fixed per encoder.
  const attributeOrder = [contentTypeAttribute, messageDigestAttribute(new Uint8Array(digestLength)), essAttribute]
    .map((encoding, index) => ({ encoding, index }))
    .sort((a, b) => compareDer(a.encoding, b.encoding))
    .map((a) => a.index);
  // certificates [0] IMPLICIT CertificateSet, in the order given (TSA certificate first).
  const certificates = encodeTlv(explicit0, options.certificate, ...(options.chain ?? []));
  const signedDataVersion = encodeSmallInteger(3); // RFC 5652 §5.1: 3 when eContentType is not id-data.
  const digestAlgorithmSet = encodeTlv(tags.set, digestAlgorithm);
  const eContentType = encodeOid(id_ct_tstInfo);
  const signedDataOid = encodeOid(id_signedData);
  const noBytes = new Uint8Array(0);

  async function signTree(tstInfo: Uint8Array, certReq: boolean): Promise<DerTree> {
    const contentDigest = new Uint8Array(createHash(nodeDigest).update(tstInfo).digest());
    const attributes = [contentTypeAttribute, messageDigestAttribute(contentDigest), essAttribute];
    // RFC 5652 §5.4: the signature covers the explicit SET OF encoding, the SignerInfo carries
    // it as [0] IMPLICIT.
    const signedAttributes = encodeDerTree(
      derTree(tags.set, ...attributeOrder.map((i) => attributes[i] as Uint8Array)),
    );
    const signature = await signWithCaKey(options.key, signedAttributes);
    signedAttributes[0] = explicit0;
    const signerInfo = derTree(
      tags.sequence,
      version1, // RFC 5652 §5.3: 1 with issuerAndSerialNumber.
      sid,
      digestAlgorithm,
      signedAttributes,
      signatureAlgorithm,
      derTree(tags.octetString, signature),
    );
    const signedData = derTree(
      tags.sequence,
      signedDataVersion,
      digestAlgorithmSet,
      derTree(tags.sequence, eContentType, derTree(explicit0, derTree(tags.octetString, tstInfo))),
      certReq ? certificates : noBytes,
      derTree(tags.set, signerInfo),
    );
    return derTree(tags.sequence, signedDataOid, derTree(explicit0, signedData));
  }

  return {
    encodeTstInfo(fields) {
      return encodeDerTree(
        derTree(
          tags.sequence,
          version1,
          policy,
          fields.messageImprint,
          encodeUnsignedInteger(fields.serialNumber),
          encodeGeneralizedTime(fields.genTime),
          accuracy,
          // ordering DEFAULT FALSE: absent (X.690 §11.5).
          fields.nonce === undefined ? noBytes : derTree(tags.integer, fields.nonce),
          tsaName,
        ),
      );
    },
    signTree,
    async sign(tstInfo, certReq) {
      return encodeDerTree(await signTree(tstInfo, certReq));
    },
  };
}
