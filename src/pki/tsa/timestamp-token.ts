/**
 * TimeStampToken assembly (RFC 3161 §2.4.2): a CMS SignedData (RFC 5652 §5) over an
 * id-ct-TSTInfo eContent with the signed attributes contentType, messageDigest and
 * signing-certificate-v2 (RFC 5816 §2.2.1, ESSCertIDv2 of RFC 5035 §3), signed through the
 * KeyBackend. Written against @peculiar/asn1-cms directly until src/cms offers a builder.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_contentType,
  id_messageDigest,
  id_signedData,
} from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';
import { id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { concatBytes, toArrayBuffer } from '../../core/bytes.js';
import { digestAlgorithms } from '../../cms/algorithms.js';
import { digestAlgorithmIdentifier, signatureAlgorithmIdentifier } from '../algorithm-identifier.js';
import { signWithCaKey, type CaKey } from '../ca-key.js';
import { encodeOid, encodeTlv, tags } from '../../cms/der.js';
import { cmsOids } from '../../cms/cms-oids.js';
import { encodeSigningCertificateV2 } from '../../cms/signed-attributes.js';
import { parseCertificate } from '../certificate.js';

/** Inputs of buildTimestampToken. */
export interface BuildTimestampTokenOptions {
  /** DER TSTInfo. */
  readonly tstInfo: Uint8Array;
  readonly key: CaKey;
  /** The TSA certificate (DER). */
  readonly certificate: Uint8Array;
  /** Certificates to include (RFC 3161 §2.4.1 certReq); empty for none. */
  readonly includeCertificates: readonly Uint8Array[];
  /** Pre-encoded SigningCertificateV2 of `certificate` (saves re-hashing per token). */
  readonly signingCertificateV2?: Uint8Array;
  /** Parsed forms of `certificate` and `includeCertificates`, keyed by the DER (saves re-parsing). */
  readonly parsed?: ReadonlyMap<Uint8Array, Certificate>;
}

/** Builds the DER TimeStampToken (a ContentInfo holding SignedData). */
export async function buildTimestampToken(options: BuildTimestampTokenOptions): Promise<Uint8Array> {
  const digest = options.key.algorithm.digest;
  const contentDigest = new Uint8Array(createHash(digestAlgorithms[digest].nodeName).update(options.tstInfo).digest());
  const attributes = [
    // RFC 5652 §11.1: contentType MUST be present and equal eContentType.
    new Attribute({ attrType: id_contentType, attrValues: [toArrayBuffer(encodeOid(id_ct_tstInfo))] }),
    new Attribute({ attrType: id_messageDigest, attrValues: [toArrayBuffer(encodeTlv(tags.octetString, contentDigest))] }),
    new Attribute({
      attrType: cmsOids.id_aa_signingCertificateV2,
      attrValues: [toArrayBuffer(options.signingCertificateV2 ?? encodeSigningCertificateV2(options.certificate, 'SHA-256'))],
    }),
  ];
  // X.690 §11.6 (DER): SET OF components in ascending order of their encodings.
  const encoded = attributes.map((a) => ({ a, der: new Uint8Array(AsnConvert.serialize(a)) }));
  encoded.sort((x, y) => Buffer.compare(x.der, y.der));
  // RFC 5652 §5.4: the signature covers the explicit SET OF encoding, not the [0] IMPLICIT one.
  const signedAttrsDer = encodeTlv(tags.set, concatBytes(encoded.map((e) => e.der)));
  const signature = await signWithCaKey(options.key, signedAttrsDer);

  const tsaCert = options.parsed?.get(options.certificate) ?? parseCertificate(options.certificate);
  const signerInfo = new SignerInfo({
    version: CMSVersion.v1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: tsaCert.tbsCertificate.issuer,
        serialNumber: tsaCert.tbsCertificate.serialNumber,
      }),
    }),
    digestAlgorithm: digestAlgorithmIdentifier(digest),
    signedAttrs: encoded.map((e) => e.a),
    signatureAlgorithm: signatureAlgorithmIdentifier(options.key.algorithm),
    signature: new OctetString(signature),
  });
  const signedData = new SignedData({
    // RFC 5652 §5.1: version 3 when eContentType is not id-data.
    version: CMSVersion.v3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithmIdentifier(digest)]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_ct_tstInfo,
      eContent: new EncapsulatedContent({ single: new OctetString(options.tstInfo) }),
    }),
    signerInfos: new SignerInfos([signerInfo]),
  });
  if (options.includeCertificates.length > 0) {
    signedData.certificates = new CertificateSet(
      options.includeCertificates.map(
        (c) => new CertificateChoices({ certificate: options.parsed?.get(c) ?? AsnConvert.parse(c, Certificate) }),
      ),
    );
  }
  const contentInfo = new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) });
  return new Uint8Array(AsnConvert.serialize(contentInfo));
}
