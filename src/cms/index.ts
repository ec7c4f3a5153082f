/** The CMS domain's public surface (RFC 5652 SignedData, CAdES attributes, the algorithm table). */
export {
  digestAlgorithms,
  digestByOid,
  digestForCurve,
  isLegacyDigest,
  oids,
  resolveSignatureAlgorithm,
  signatureAlgorithms,
  verifiableDigestByOid,
  verifiableDigests,
  type DigestAlgorithm,
  type DigestEntry,
  type LegacyDigestAlgorithm,
  type VerifiableDigest,
  type VerifiableDigestEntry,
  type KeyType,
  type NamedCurve,
  type SignatureAlgorithm,
  type SignatureEntry,
  type SignatureScheme,
} from './algorithms.js';
export type { Signer } from './signer.js';
export { CmsError, type CmsErrorCode } from './errors.js';
export { cmsOids } from './cms-oids.js';
export type { CmsAttribute } from './attribute.js';
export { encodeAttribute } from './attribute.js';
export {
  decodeDigestAlgorithmIdentifier,
  decodeRsassaPssParams,
  decodeSignatureAlgorithmIdentifier,
  decodeVerifiableDigestAlgorithmIdentifier,
  decodeVerifiableSignatureAlgorithmIdentifier,
  encodeDigestAlgorithmIdentifier,
  encodeSignatureAlgorithmIdentifier,
  type AlgorithmReading,
} from './algorithm-identifier.js';
export { berToDer, readContainer, type BerReading, type ContainerReading } from './ber.js';
export { createDigest, digestChunks, digestOf, type IncrementalDigest } from './digest.js';
export { readCertificateId, type CertificateId } from './certificate-id.js';
export { buildSignedAttributes, encodeSigningCertificateV2, type SignedAttributesInput } from './signed-attributes.js';
export { buildSignedData, type SignedDataInput } from './signed-data.js';
export {
  defaultCmsLimits,
  parseSignedData,
  parseSignedAttributes,
  type CmsLimits,
  type ParseOptions,
  type SignedDataView,
  type SignerIdentifier,
  type SignerInfoView,
} from './parse-signed-data.js';
export { findSignerCertificate } from './signer-certificate.js';
export {
  verifySignerInfo,
  verifySignerInfoWithoutAttributes,
  type SignerInfoProblem,
  type SignerInfoVerification,
  type VerifySignerInfoInput,
} from './verify-signer-info.js';
export { addUnsignedAttribute } from './unsigned-attribute.js';
export { keyFitsAlgorithm, verifySignatureOverDigest, verifySignatureValue } from './verify-signature.js';
export {
  checkDer,
  childrenOf,
  contentOf,
  encodeOid,
  encodeTlv,
  rawOf,
  readElement,
  readOid,
  tags,
  type DerElement,
  type DerLimits,
} from './der.js';
export { EssCertIdV2 } from './asn1/ess-cert-id-v2.js';
export { IssuerSerial } from './asn1/issuer-serial.js';
export { SigningCertificateV2 } from './asn1/signing-certificate-v2.js';
export { EncryptedData } from './asn1/encrypted-data.js';
export { Pbes2Params } from './asn1/pbes2-params.js';
export { Pbkdf2Params } from './asn1/pbkdf2-params.js';
export { Pkcs12PbeParams } from './asn1/pkcs12-pbe-params.js';
export { decodeQcStatements, encodeQcStatements, hasQcStatements, id_pe_qcStatements } from './qc-statements.js';
export type { PdsLocationInput, QcStatementsInfo, QcStatementsOptions, QcTypeName } from './qc-statements.js';
