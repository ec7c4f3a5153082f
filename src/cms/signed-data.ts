/**
 * Builds a detached CMS SignedData in a ContentInfo (RFC 5652 §3, §5) for CAdES / PAdES B-B
 * (ETSI EN 319 142-1 §5.2: /SubFilter ETSI.CAdES.detached, no eContent).
 */
import { bytesEqual } from '../core/bytes.js';
import type { SignatureAlgorithm } from './algorithms.js';
import { encodeDigestAlgorithmIdentifier, encodeSignatureAlgorithmIdentifier } from './algorithm-identifier.js';
import { encodeAttributeSet, type CmsAttribute } from './attribute.js';
import { readCertificateId } from './certificate-id.js';
import { cmsOids } from './cms-oids.js';
import {
  checkDer,
  childrenOf,
  encodeOid,
  encodeSetOf,
  encodeSmallInteger,
  encodeTlv,
  readOid,
  tags,
  type DerElement,
} from './der.js';
import { CmsError } from './errors.js';

/** What {@link buildSignedData} needs. */
export interface SignedDataInput {
  /** The signed attributes exactly as signed: the explicit SET OF (0x31) from buildSignedAttributes. */
  readonly signedAttributes: Uint8Array;
  /** The raw signature value over `signedAttributes` (DER ECDSA-Sig-Value for ECDSA). */
  readonly signature: Uint8Array;
  /** The algorithm that produced `signature`. */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** DER certificates, the signer's first; included in SignedData.certificates. */
  readonly certificates: readonly Uint8Array[];
  /** Unsigned attributes (e.g. a signature-time-stamp token, RFC 3161 App. A). */
  readonly unsignedAttributes?: readonly CmsAttribute[];
}

const attributeLimits = { maxDepth: 32, maxNodes: 50_000 } as const;

/**
 * Builds the DER ContentInfo(SignedData), detached (no eContent), with one SignerInfo
 * identified by issuerAndSerialNumber of `certificates[0]`.
 *
 * @example
 * ```ts
 * const dtbs = buildSignedAttributes({ messageDigest, digestAlgorithm: 'SHA-256', signingCertificate: chain[0] });
 * const cms = buildSignedData({ signedAttributes: dtbs, signature: await signer.sign(dtbs),
 *   signatureAlgorithm: signer.signatureAlgorithm, certificates: chain });
 * ```
 */
export function buildSignedData(input: SignedDataInput): Uint8Array {
  const leaf = input.certificates[0];
  if (leaf === undefined) throw new CmsError('ERR_CMS_INPUT', 'the signer certificate is required');
  if (input.signature.length === 0) throw new CmsError('ERR_CMS_INPUT', 'the signature is empty');
  const contentType = readContentType(input.signedAttributes);
  const { issuerAndSerialNumber, certificateSet } = certificatesOf(input.certificates);
  const digest = input.signatureAlgorithm.digest;

  // RFC 5652 §5.4: inside SignerInfo the same SET OF is tagged [0] IMPLICIT.
  const signedAttrsImplicit = Uint8Array.from(input.signedAttributes);
  signedAttrsImplicit[0] = 0xa0;
  const signerInfoParts: Uint8Array[] = [
    // RFC 5652 §5.3: version 1 when sid is issuerAndSerialNumber.
    encodeSmallInteger(1),
    issuerAndSerialNumber,
    encodeDigestAlgorithmIdentifier(digest),
    signedAttrsImplicit,
    encodeSignatureAlgorithmIdentifier(input.signatureAlgorithm),
    encodeTlv(tags.octetString, input.signature),
  ];
  if (input.unsignedAttributes !== undefined && input.unsignedAttributes.length > 0) {
    signerInfoParts.push(encodeAttributeSet(input.unsignedAttributes, 0xa1));
  }
  const signerInfo = encodeTlv(tags.sequence, ...signerInfoParts);

  // RFC 5652 §5.1: version 1 when only X.509 certificates, id-data content and v1 SignerInfos;
  // version 3 when eContentType is anything else.
  const version = contentType === cmsOids.id_data ? 1 : 3;
  const signedData = encodeTlv(
    tags.sequence,
    encodeSmallInteger(version),
    encodeSetOf([encodeDigestAlgorithmIdentifier(digest)]),
    // Detached: EncapsulatedContentInfo without eContent (RFC 5652 §5.2).
    encodeTlv(tags.sequence, encodeOid(contentType)),
    certificateSet,
    encodeSetOf([signerInfo]),
  );
  return encodeTlv(tags.sequence, encodeOid(cmsOids.id_signedData), encodeTlv(0xa0, signedData));
}

/** What a SignedData takes from its certificates: the signer's sid and the CertificateSet. */
interface CertificatesPart {
  /** The certificates it was made from (the same objects, in order). */
  readonly certificates: readonly Uint8Array[];
  readonly issuerAndSerialNumber: Uint8Array;
  readonly certificateSet: Uint8Array;
}

// A signer passes the same chain to every signature of a batch (issue 18 §4): each certificate is
// checked and the set encoded once per chain. (Callers must not mutate a certificate's bytes after
// signing with it, as for the signing-certificate attribute.)
const certificateParts = new WeakMap<readonly Uint8Array[], CertificatesPart>();

function certificatesOf(certificates: readonly Uint8Array[]): CertificatesPart {
  const cached = certificateParts.get(certificates);
  if (cached !== undefined && cached.certificates.length === certificates.length && cached.certificates.every((c, i) => c === certificates[i])) {
    return cached;
  }
  const id = readCertificateId(certificates[0] as Uint8Array);
  for (const cert of certificates.slice(1)) readCertificateId(cert);
  const unique: Uint8Array[] = [];
  for (const c of certificates) if (!unique.some((u) => bytesEqual(u, c))) unique.push(c);
  const part: CertificatesPart = {
    certificates: [...certificates],
    // RFC 5652 §10.2.4: IssuerAndSerialNumber, the certificate's own bytes.
    issuerAndSerialNumber: encodeTlv(tags.sequence, id.issuer, id.serialNumber),
    // certificates [0] IMPLICIT CertificateSet; DER sorts the SET OF (X.690 §11.6).
    certificateSet: encodeSetOf(unique, 0xa0),
  };
  certificateParts.set(certificates, part);
  return part;
}

/** Reads the content-type attribute of a signed-attributes SET (it must be there, once). */
function readContentType(signedAttributes: Uint8Array): string {
  let root: DerElement;
  try {
    root = checkDer(signedAttributes, attributeLimits);
  } catch (err) {
    throw new CmsError('ERR_CMS_INPUT', 'signed attributes are not valid DER', { cause: err });
  }
  if (root.tag !== tags.set) {
    throw new CmsError('ERR_CMS_INPUT', 'signed attributes must be the explicit SET OF (tag 0x31)');
  }
  let contentType: string | undefined;
  let hasDigest = false;
  for (const attr of childrenOf(signedAttributes, root)) {
    const [type, values] = childrenOf(signedAttributes, attr);
    if (type === undefined || values === undefined) throw new CmsError('ERR_CMS_INPUT', 'malformed attribute');
    const oid = readOid(signedAttributes, type);
    if (oid === cmsOids.id_contentType) {
      const [value] = childrenOf(signedAttributes, values);
      if (value === undefined) throw new CmsError('ERR_CMS_INPUT', 'empty content-type attribute');
      contentType = readOid(signedAttributes, value);
    } else if (oid === cmsOids.id_messageDigest) hasDigest = true;
  }
  // RFC 5652 §5.3: with signed attributes, content-type and message-digest are mandatory.
  if (contentType === undefined || !hasDigest) {
    throw new CmsError('ERR_CMS_SIGNED_ATTRS_MISSING', 'content-type and message-digest attributes are required');
  }
  return contentType;
}
