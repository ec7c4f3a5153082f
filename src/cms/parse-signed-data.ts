/**
 * Parses a CMS ContentInfo(SignedData) (RFC 5652 §3, §5) into a typed, read-only view that keeps
 * the byte-exact pieces a verifier needs: the signed attributes re-tagged as the SET OF that was
 * hashed (§5.4) and the certificates as issued. Strict DER, bounded size, depth and counts.
 */
import type { DigestAlgorithm, SignatureAlgorithm, VerifiableDigest } from './algorithms.js';
import {
  decodeDigestAlgorithmIdentifier,
  decodeSignatureAlgorithmIdentifier,
  decodeVerifiableDigestAlgorithmIdentifier,
  decodeVerifiableSignatureAlgorithmIdentifier,
  type AlgorithmReading,
} from './algorithm-identifier.js';
import type { CmsAttribute } from './attribute.js';
import { cmsOids } from './cms-oids.js';
import {
  checkDer,
  childrenOf,
  contentOf,
  rawOf,
  readElement,
  readOid,
  readSmallInteger,
  tags,
  type DerElement,
} from './der.js';
import { CmsError } from './errors.js';

/** Resource limits for {@link parseSignedData} (docs/security.md ASN-01…ASN-05, ASN-09). */
export interface CmsLimits {
  /** Maximum size of the whole DER input. */
  readonly maxBytes: number;
  /** Maximum nesting depth of constructed values. */
  readonly maxDepth: number;
  /** Maximum number of ASN.1 elements. */
  readonly maxNodes: number;
  /** Maximum number of certificates in SignedData.certificates. */
  readonly maxCertificates: number;
  /** Maximum number of SignerInfos. */
  readonly maxSignerInfos: number;
  /** Maximum number of attributes in one signed or unsigned attribute set. */
  readonly maxAttributes: number;
}

/** Defaults sized for PAdES signatures with embedded timestamp tokens. */
export const defaultCmsLimits: CmsLimits = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxNodes: 50_000,
  maxCertificates: 100,
  maxSignerInfos: 16,
  maxAttributes: 64,
};

/** How a SignerInfo names its certificate (RFC 5652 §5.3). */
export type SignerIdentifier =
  | {
      readonly kind: 'issuerAndSerialNumber';
      /** DER of the issuer Name. */
      readonly issuer: Uint8Array;
      /** DER of the serialNumber INTEGER. */
      readonly serialNumber: Uint8Array;
    }
  | { readonly kind: 'subjectKeyIdentifier'; readonly keyIdentifier: Uint8Array };

/** One SignerInfo (RFC 5652 §5.3); `D` is VerifiableDigest when parsed in `verifiable` mode. */
export interface SignerInfoView<D extends VerifiableDigest = DigestAlgorithm> {
  readonly version: number;
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: D;
  readonly signatureAlgorithm: SignatureAlgorithm<D>;
  /** The signed attributes as hashed and signed: explicit SET OF, tag 0x31 (RFC 5652 §5.4). */
  readonly signedAttributes: Uint8Array | undefined;
  /** The signed attributes, decoded one level. */
  readonly signedAttributeList: readonly CmsAttribute[];
  readonly signature: Uint8Array;
  readonly unsignedAttributes: readonly CmsAttribute[];
}

/** A parsed SignedData. */
export interface SignedDataView<D extends VerifiableDigest = DigestAlgorithm> {
  readonly version: number;
  readonly digestAlgorithms: readonly D[];
  /** EncapsulatedContentInfo.eContentType. */
  readonly contentType: string;
  /** eContent when present (undefined for detached signatures). */
  readonly content: Uint8Array | undefined;
  /** DER certificates in the order found (other CertificateChoices are skipped). */
  readonly certificates: readonly Uint8Array[];
  readonly signerInfos: readonly SignerInfoView<D>[];
}

/** How {@link parseSignedData} reads algorithms and attribute sets. */
export interface ParseOptions {
  /**
   * `verifiable` (for validators): legacy digests, any RSASSA-PSS salt, a signature algorithm
   * whose digest differs from SignerInfo.digestAlgorithm, and an empty unsignedAttrs set are
   * read as facts instead of refused. Default `accepted`.
   */
  readonly algorithms?: AlgorithmReading;
}

/** Element positions of a SignedData (shared with addUnsignedAttribute). */
export interface SignedDataLayout {
  readonly contentInfo: DerElement;
  readonly signedDataWrapper: DerElement;
  readonly signedData: DerElement;
  readonly fields: readonly DerElement[];
  readonly signerInfosSet: DerElement;
  readonly signerInfos: readonly DerElement[];
}

function structure(message: string): CmsError {
  return new CmsError('ERR_CMS_STRUCTURE', message);
}

/** Low level: checks DER and locates the SignedData parts. Prefer {@link parseSignedData}. */
export function locateSignedData(der: Uint8Array, limits: CmsLimits = defaultCmsLimits): SignedDataLayout {
  if (der.length > limits.maxBytes) throw new CmsError('ERR_CMS_LIMIT', 'CMS structure too large');
  const contentInfo = checkDer(der, limits);
  if (contentInfo.tag !== tags.sequence) throw structure('ContentInfo must be a SEQUENCE');
  const [type, wrapper, ...more] = childrenOf(der, contentInfo);
  if (type === undefined || wrapper === undefined || more.length > 0) throw structure('malformed ContentInfo');
  if (readOid(der, type) !== cmsOids.id_signedData) throw structure('ContentInfo is not SignedData');
  if (wrapper.tag !== 0xa0) throw structure('ContentInfo content must be [0] EXPLICIT');
  const signedData = readElement(der, wrapper.contentStart, wrapper.end);
  if (signedData.end !== wrapper.end || signedData.tag !== tags.sequence) throw structure('malformed SignedData');
  const fields = childrenOf(der, signedData);
  const signerInfosSet = fields[fields.length - 1];
  if (fields.length < 4 || signerInfosSet === undefined || signerInfosSet.tag !== tags.set) {
    throw structure('malformed SignedData');
  }
  const signerInfos = childrenOf(der, signerInfosSet);
  if (signerInfos.length > limits.maxSignerInfos) throw new CmsError('ERR_CMS_LIMIT', 'too many SignerInfos');
  return { contentInfo, signedDataWrapper: wrapper, signedData, fields, signerInfosSet, signerInfos };
}

/**
 * Parses DER ContentInfo(SignedData). Throws {@link CmsError} (ERR_CMS_DER, ERR_CMS_LIMIT,
 * ERR_CMS_STRUCTURE, ERR_CMS_UNSUPPORTED_ALGORITHM) on malformed or refused input.
 *
 * @example
 * ```ts
 * const sd = parseSignedData(cmsDer);
 * const si = sd.signerInfos[0];
 * ```
 */
export function parseSignedData(der: Uint8Array, limits?: CmsLimits): SignedDataView;
export function parseSignedData(der: Uint8Array, limits: CmsLimits | undefined, options: ParseOptions): SignedDataView<VerifiableDigest>;
export function parseSignedData(der: Uint8Array, limits: CmsLimits = defaultCmsLimits, options: ParseOptions = {}): SignedDataView<VerifiableDigest> {
  const reading = options.algorithms ?? 'accepted';
  const layout = locateSignedData(der, limits);
  const fields = layout.fields;
  const [versionEl, digestAlgsEl, encapEl] = fields as [DerElement, DerElement, DerElement];
  const version = readSmallInteger(der, versionEl);
  if (digestAlgsEl.tag !== tags.set) throw structure('digestAlgorithms must be a SET');
  const digestAlgorithms = childrenOf(der, digestAlgsEl).map((el) =>
    reading === 'accepted' ? decodeDigestAlgorithmIdentifier(der, el) : decodeVerifiableDigestAlgorithmIdentifier(der, el),
  );

  if (encapEl.tag !== tags.sequence) throw structure('malformed EncapsulatedContentInfo');
  const [eTypeEl, eContentWrapper, ...eMore] = childrenOf(der, encapEl);
  if (eTypeEl === undefined || eMore.length > 0) throw structure('malformed EncapsulatedContentInfo');
  const contentType = readOid(der, eTypeEl);
  let content: Uint8Array | undefined;
  if (eContentWrapper !== undefined) {
    if (eContentWrapper.tag !== 0xa0) throw structure('eContent must be [0] EXPLICIT');
    const octets = readElement(der, eContentWrapper.contentStart, eContentWrapper.end);
    if (octets.tag !== tags.octetString || octets.end !== eContentWrapper.end) throw structure('eContent must be an OCTET STRING');
    content = contentOf(der, octets);
  }

  const certificates: Uint8Array[] = [];
  for (const optional of fields.slice(3, -1)) {
    if (optional.tag === 0xa0) {
      for (const choice of childrenOf(der, optional)) {
        if (choice.tag === tags.sequence) certificates.push(rawOf(der, choice));
        if (certificates.length > limits.maxCertificates) throw new CmsError('ERR_CMS_LIMIT', 'too many certificates');
      }
    } else if (optional.tag !== 0xa1) {
      throw structure('unexpected field in SignedData');
    }
  }

  const signerInfos = layout.signerInfos.map((el) => parseSignerInfo(der, el, limits, reading));
  return { version, digestAlgorithms, contentType, content, certificates, signerInfos };
}

function parseAttributes(der: Uint8Array, set: DerElement, limits: CmsLimits, allowEmpty = false): CmsAttribute[] {
  const attrs = childrenOf(der, set);
  if (attrs.length > limits.maxAttributes) throw new CmsError('ERR_CMS_LIMIT', 'too many attributes');
  // RFC 5652 §5.3: SIZE (1..MAX); a validator reads an empty unsignedAttrs as absent.
  if (attrs.length === 0 && !allowEmpty) throw structure('an attribute set must not be empty');
  return attrs.map((attr) => {
    const [typeEl, valuesEl, ...more] = attr.tag === tags.sequence ? childrenOf(der, attr) : [];
    if (typeEl === undefined || valuesEl === undefined || valuesEl.tag !== tags.set || more.length > 0) {
      throw structure('malformed Attribute');
    }
    const values = childrenOf(der, valuesEl).map((v) => rawOf(der, v));
    if (values.length === 0) throw structure('an Attribute must have a value');
    return { oid: readOid(der, typeEl), values };
  });
}

function parseSignerInfo(der: Uint8Array, el: DerElement, limits: CmsLimits, reading: AlgorithmReading): SignerInfoView<VerifiableDigest> {
  if (el.tag !== tags.sequence) throw structure('SignerInfo must be a SEQUENCE');
  const parts = childrenOf(der, el);
  let i = 0;
  const next = (): DerElement | undefined => parts[i++];
  const versionEl = next();
  const sidEl = next();
  const digestEl = next();
  if (versionEl === undefined || sidEl === undefined || digestEl === undefined) throw structure('malformed SignerInfo');
  const version = readSmallInteger(der, versionEl);
  let sid: SignerIdentifier;
  if (sidEl.tag === tags.sequence) {
    const [issuer, serial, ...more] = childrenOf(der, sidEl);
    if (issuer?.tag !== tags.sequence || serial?.tag !== tags.integer || more.length > 0) {
      throw structure('malformed IssuerAndSerialNumber');
    }
    sid = { kind: 'issuerAndSerialNumber', issuer: rawOf(der, issuer), serialNumber: rawOf(der, serial) };
  } else if (sidEl.tag === 0x80) {
    sid = { kind: 'subjectKeyIdentifier', keyIdentifier: contentOf(der, sidEl) };
  } else throw structure('malformed SignerIdentifier');
  // RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier.
  if (version !== (sid.kind === 'issuerAndSerialNumber' ? 1 : 3)) throw structure('SignerInfo version does not match sid');
  const digestAlgorithm =
    reading === 'accepted' ? decodeDigestAlgorithmIdentifier(der, digestEl) : decodeVerifiableDigestAlgorithmIdentifier(der, digestEl);

  let signedAttributes: Uint8Array | undefined;
  let signedAttributeList: CmsAttribute[] = [];
  let cursor = next();
  if (cursor?.tag === 0xa0) {
    // RFC 5652 §5.4: hash the explicit SET OF, i.e. the same bytes with tag 0x31.
    signedAttributes = Uint8Array.from(rawOf(der, cursor));
    signedAttributes[0] = tags.set;
    signedAttributeList = parseAttributes(der, cursor, limits);
    cursor = next();
  }
  if (cursor === undefined) throw structure('SignerInfo without signatureAlgorithm');
  const signatureAlgorithm =
    reading === 'accepted'
      ? decodeSignatureAlgorithmIdentifier(der, cursor, digestAlgorithm as DigestAlgorithm)
      : decodeVerifiableSignatureAlgorithmIdentifier(der, cursor, digestAlgorithm);
  // RFC 5652 §5.4 hashes the content with digestAlgorithm and the signed attributes with the
  // signature algorithm's own hash; Signet refuses two different ones, a validator reads both.
  if (reading === 'accepted' && signatureAlgorithm.digest !== digestAlgorithm) {
    throw new CmsError('ERR_CMS_UNSUPPORTED_ALGORITHM', 'signature and digest algorithms disagree');
  }
  const signatureEl = next();
  if (signatureEl?.tag !== tags.octetString) throw structure('SignerInfo without signature');
  let unsignedAttributes: CmsAttribute[] = [];
  const unsignedEl = next();
  if (unsignedEl !== undefined) {
    if (unsignedEl.tag !== 0xa1) throw structure('unexpected field in SignerInfo');
    unsignedAttributes = parseAttributes(der, unsignedEl, limits, reading === 'verifiable');
  }
  if (next() !== undefined) throw structure('unexpected field in SignerInfo');
  return {
    version,
    sid,
    digestAlgorithm,
    signatureAlgorithm,
    signedAttributes,
    signedAttributeList,
    signature: contentOf(der, signatureEl),
    unsignedAttributes,
  };
}

/**
 * Parses a detached `SignedAttributes` value in the form that is hashed and signed (RFC 5652 §5.4:
 * the DER SET OF Attribute with tag 0x31, not the [0] IMPLICIT of the SignerInfo). Strict DER and
 * bounded like {@link parseSignedData}; a remote authorization server uses it to read the
 * message-digest a client claims before it computes the DTBS/R hash itself.
 */
export function parseSignedAttributes(der: Uint8Array, limits: CmsLimits = defaultCmsLimits): CmsAttribute[] {
  if (der.length > limits.maxBytes) throw new CmsError('ERR_CMS_LIMIT', 'signed attributes too large');
  const root = checkDer(der, { maxDepth: limits.maxDepth, maxNodes: limits.maxNodes });
  if (root.tag !== tags.set) throw structure('signed attributes must be a DER SET OF Attribute (tag 0x31)');
  return parseAttributes(der, root, limits);
}
