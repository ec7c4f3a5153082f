/**
 * The CAdES signed attributes of a PAdES B-B signature (ETSI EN 319 142-1 §5.2, ETSI EN 319
 * 122-1 §5.2): content-type, message-digest and signing-certificate-v2, encoded as RFC 5652
 * §5.4 hashes them.
 */
import { digestAlgorithms, type DigestAlgorithm } from './algorithms.js';
import { encodeDigestAlgorithmIdentifier } from './algorithm-identifier.js';
import { encodeAttributeSet, type CmsAttribute } from './attribute.js';
import { readCertificateId } from './certificate-id.js';
import { cmsOids } from './cms-oids.js';
import { encodeOid, encodeTlv, tags } from './der.js';
import { digestOf } from './digest.js';
import { CmsError } from './errors.js';

/** What {@link buildSignedAttributes} needs. */
export interface SignedAttributesInput {
  /** The digest of the signed content (for PAdES: of the ByteRange bytes). */
  readonly messageDigest: Uint8Array;
  /** The digest algorithm of `messageDigest` (also used for the ESS certificate hash). */
  readonly digestAlgorithm: DigestAlgorithm;
  /** DER of the signer's certificate. */
  readonly signingCertificate: Uint8Array;
  /** eContentType; defaults to id-data (ETSI EN 319 142-1 §5.2.1 requires id-data for PAdES). */
  readonly contentType?: string;
  /** Further signed attributes (e.g. signature-policy-identifier); their types must not repeat. */
  readonly extra?: readonly CmsAttribute[];
}

/**
 * Builds the SignedAttributes as hashed and signed: RFC 5652 §5.4 — the DER of an explicit
 * SET OF (tag 0x31), not the [0] IMPLICIT form found in SignerInfo. No signing-time attribute:
 * ETSI EN 319 142-1 §5.2 puts the claimed time in the signature dictionary's /M.
 *
 * @example
 * ```ts
 * const dtbs = buildSignedAttributes({ messageDigest, digestAlgorithm: 'SHA-256', signingCertificate: leafDer });
 * const signature = await signer.sign(dtbs);
 * ```
 */
export function buildSignedAttributes(input: SignedAttributesInput): Uint8Array {
  const md = digestAlgorithms[input.digestAlgorithm];
  if (input.messageDigest.length !== md.length) {
    throw new CmsError('ERR_CMS_INPUT', `message digest must be ${md.length} bytes for ${md.name}`);
  }
  const attrs: CmsAttribute[] = [
    // RFC 5652 §11.1
    { oid: cmsOids.id_contentType, values: [encodeOid(input.contentType ?? cmsOids.id_data)] },
    // RFC 5652 §11.2
    { oid: cmsOids.id_messageDigest, values: [encodeTlv(tags.octetString, input.messageDigest)] },
    // RFC 5035 §3, ETSI EN 319 122-1 §5.2.2.3
    { oid: cmsOids.id_aa_signingCertificateV2, values: [encodeSigningCertificateV2(input.signingCertificate, input.digestAlgorithm)] },
  ];
  for (const extra of input.extra ?? []) {
    // RFC 5652 §5.3: content-type and message-digest MUST appear once; we keep every type unique.
    if (attrs.some((a) => a.oid === extra.oid)) {
      throw new CmsError('ERR_CMS_ATTRIBUTE_DUPLICATE', `signed attribute ${extra.oid} given twice`);
    }
    if (extra.values.length === 0) throw new CmsError('ERR_CMS_INPUT', 'an attribute needs at least one value');
    attrs.push(extra);
  }
  return encodeAttributeSet(attrs, tags.set);
}

/**
 * DER of a SigningCertificateV2 naming `certificate`: one ESSCertIDv2 with the certificate hash
 * and issuerSerial. RFC 5035 §4: hashAlgorithm DEFAULT id-sha256, so DER omits it for SHA-256
 * (X.690 §11.5). Encoded directly (see asn1/signing-certificate-v2.ts for the schema used when
 * parsing) so the issuer Name keeps the certificate's exact bytes and signing stays cheap.
 */
export function encodeSigningCertificateV2(certificate: Uint8Array, digest: DigestAlgorithm): Uint8Array {
  let perDigest = essCache.get(certificate);
  if (perDigest === undefined) {
    perDigest = new Map();
    essCache.set(certificate, perDigest);
  }
  let encoded = perDigest.get(digest);
  if (encoded === undefined) {
    encoded = encodeEssCertIdV2(certificate, digest);
    perDigest.set(digest, encoded);
  }
  return encoded;
}

// One signer signs many documents with the same certificate object: hash and parse it once.
// (Callers must not mutate a certificate's bytes after signing with it.)
const essCache = new WeakMap<Uint8Array, Map<DigestAlgorithm, Uint8Array>>();

function encodeEssCertIdV2(certificate: Uint8Array, digest: DigestAlgorithm): Uint8Array {
  const id = readCertificateId(certificate);
  // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }; GeneralNames is a
  // SEQUENCE OF GeneralName, here one directoryName [4] (EXPLICIT: Name is a CHOICE).
  const issuerSerial = encodeTlv(tags.sequence, encodeTlv(tags.sequence, encodeTlv(0xa4, id.issuer)), id.serialNumber);
  const certId = encodeTlv(
    tags.sequence,
    ...(digest === 'SHA-256' ? [] : [encodeDigestAlgorithmIdentifier(digest)]),
    encodeTlv(tags.octetString, digestOf(digest, certificate)),
    issuerSerial,
  );
  // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies … OPTIONAL }
  return encodeTlv(tags.sequence, encodeTlv(tags.sequence, certId));
}
