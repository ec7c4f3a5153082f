/**
 * AlgorithmIdentifier encoding for the entries of the algorithm table: digests (RFC 5754 §2),
 * PKCS#1 v1.5 (RFC 4055 §5), RSASSA-PSS with RSASSA-PSS-params (RFC 4055 §3.1) and ECDSA
 * (RFC 5758 §3.2). Decoding is default-deny: anything outside the table is refused.
 */
import {
  digestAlgorithms,
  digestByOid,
  oids,
  resolveSignatureAlgorithm,
  signatureAlgorithms,
  type DigestAlgorithm,
  type SignatureAlgorithm,
} from './algorithms.js';
import {
  childrenOf,
  encodeOid,
  encodeSmallInteger,
  encodeTlv,
  readElement,
  readOid,
  readSmallInteger,
  tags,
  type DerElement,
} from './der.js';
import { CmsError } from './errors.js';

const DER_NULL = Uint8Array.of(0x05, 0x00);

/** DER AlgorithmIdentifier of a digest; RFC 5754 §2: parameters absent. */
export function encodeDigestAlgorithmIdentifier(digest: DigestAlgorithm): Uint8Array {
  return encodeTlv(tags.sequence, encodeOid(digestAlgorithms[digest].oid));
}

/**
 * DER AlgorithmIdentifier of a signature algorithm, as placed in SignerInfo.signatureAlgorithm.
 *
 * @example
 * ```ts
 * const algId = encodeSignatureAlgorithmIdentifier({ scheme: 'RSASSA-PSS', digest: 'SHA-256' });
 * ```
 */
export function encodeSignatureAlgorithmIdentifier(alg: SignatureAlgorithm): Uint8Array {
  const entry = resolveSignatureAlgorithm(alg);
  switch (entry.scheme) {
    case 'RSASSA-PKCS1-v1_5':
      // RFC 4055 §5: the parameters MUST be NULL for sha*WithRSAEncryption.
      return encodeTlv(tags.sequence, encodeOid(entry.oid), DER_NULL);
    case 'ECDSA':
      // RFC 5758 §3.2: the parameters field MUST be absent.
      return encodeTlv(tags.sequence, encodeOid(entry.oid));
    case 'RSASSA-PSS': {
      // RFC 4055 §3.1: hash, MGF1 with the same hash, saltLength = hash length; trailerField
      // is left at its DEFAULT (trailerFieldBC) and therefore omitted (X.690 §11.5).
      const hash = encodeDigestAlgorithmIdentifier(entry.digest);
      const mgf = encodeTlv(tags.sequence, encodeOid(oids.id_mgf1), hash);
      const params = encodeTlv(
        tags.sequence,
        encodeTlv(0xa0, hash),
        encodeTlv(0xa1, mgf),
        encodeTlv(0xa2, encodeSmallInteger(digestAlgorithms[entry.digest].length)),
      );
      return encodeTlv(tags.sequence, encodeOid(entry.oid), params);
    }
  }
}

/** Splits an AlgorithmIdentifier into its OID and (optional) parameters element. */
function splitAlgorithmIdentifier(
  bytes: Uint8Array,
  el: DerElement,
): { oid: string; params: DerElement | undefined } {
  if (el.tag !== tags.sequence) throw new CmsError('ERR_CMS_STRUCTURE', 'expected an AlgorithmIdentifier');
  const parts = childrenOf(bytes, el);
  if (parts.length < 1 || parts.length > 2) {
    throw new CmsError('ERR_CMS_STRUCTURE', 'malformed AlgorithmIdentifier');
  }
  return { oid: readOid(bytes, parts[0] as DerElement), params: parts[1] };
}

function isNull(el: DerElement | undefined): boolean {
  return el !== undefined && el.tag === tags.null && el.end === el.contentStart;
}

/**
 * Decodes a digest AlgorithmIdentifier. RFC 5754 §2: parameters absent, NULL accepted on input.
 */
export function decodeDigestAlgorithmIdentifier(bytes: Uint8Array, el: DerElement): DigestAlgorithm {
  const { oid, params } = splitAlgorithmIdentifier(bytes, el);
  const digest = digestByOid(oid);
  if (digest === undefined) {
    throw new CmsError('ERR_CMS_UNSUPPORTED_ALGORITHM', 'digest algorithm not accepted', { detail: { oid } });
  }
  if (params !== undefined && !isNull(params)) {
    throw new CmsError('ERR_CMS_UNSUPPORTED_ALGORITHM', 'unexpected digest algorithm parameters');
  }
  return digest.name;
}

/**
 * Decodes SignerInfo.signatureAlgorithm. `digest` is SignerInfo.digestAlgorithm, used when the
 * identifier is plain rsaEncryption (RFC 5754 §3.2 allows it) and required to agree otherwise.
 */
export function decodeSignatureAlgorithmIdentifier(
  bytes: Uint8Array,
  el: DerElement,
  digest: DigestAlgorithm,
): SignatureAlgorithm {
  const { oid, params } = splitAlgorithmIdentifier(bytes, el);
  const unsupported = (why: string): CmsError =>
    new CmsError('ERR_CMS_UNSUPPORTED_ALGORITHM', why, { detail: { oid } });
  if (oid === oids.rsaEncryption) {
    if (params !== undefined && !isNull(params)) throw unsupported('unexpected rsaEncryption parameters');
    return { scheme: 'RSASSA-PKCS1-v1_5', digest };
  }
  if (oid === oids.id_RSASSA_PSS) {
    if (params === undefined || params.tag !== tags.sequence) throw unsupported('RSASSA-PSS without parameters');
    return { scheme: 'RSASSA-PSS', digest: decodePssParams(bytes, params, unsupported) };
  }
  const entry = signatureAlgorithms.find((e) => e.oid === oid && e.scheme !== 'RSASSA-PSS');
  if (entry === undefined) throw unsupported('signature algorithm not accepted');
  if (entry.scheme === 'RSASSA-PKCS1-v1_5' && params !== undefined && !isNull(params)) {
    throw unsupported('unexpected PKCS#1 v1.5 parameters');
  }
  if (entry.scheme === 'ECDSA' && params !== undefined) throw unsupported('unexpected ECDSA parameters');
  return { scheme: entry.scheme, digest: entry.digest };
}

/** RFC 4055 §3.1 RSASSA-PSS-params; only hash = MGF1 hash, salt = hLen, trailer 1 are accepted. */
function decodePssParams(
  bytes: Uint8Array,
  params: DerElement,
  unsupported: (why: string) => CmsError,
): DigestAlgorithm {
  const { digest, saltLength } = readPssParams(bytes, params, unsupported);
  if (saltLength !== digestAlgorithms[digest].length) throw unsupported('RSASSA-PSS salt length must equal the hash length');
  return digest;
}

/**
 * RFC 4055 §3.1 RSASSA-PSS-params with any salt length: hashAlgorithm and the MGF1 hash must be
 * the same accepted digest (the SHA-1 DEFAULTs are refused), trailerField 1. Each refusal names
 * the field.
 */
function readPssParams(
  bytes: Uint8Array,
  params: DerElement,
  unsupported: (why: string) => CmsError,
): { readonly digest: DigestAlgorithm; readonly saltLength: number } {
  let hash: DigestAlgorithm | undefined;
  let mgfHash: DigestAlgorithm | undefined;
  let salt: number | undefined;
  for (const field of childrenOf(bytes, params)) {
    const inner = readElement(bytes, field.contentStart, field.end);
    if (inner.end !== field.end) throw unsupported('malformed RSASSA-PSS-params');
    if (field.tag === 0xa0) hash = decodeDigestAlgorithmIdentifier(bytes, inner);
    else if (field.tag === 0xa1) {
      const mgf = splitAlgorithmIdentifier(bytes, inner);
      if (mgf.oid !== oids.id_mgf1 || mgf.params === undefined) throw unsupported('maskGenAlgorithm is not MGF1');
      mgfHash = decodeDigestAlgorithmIdentifier(bytes, mgf.params);
    } else if (field.tag === 0xa2) salt = readSmallInteger(bytes, inner);
    else if (field.tag === 0xa3) {
      if (readSmallInteger(bytes, inner) !== 1) throw unsupported('RSASSA-PSS trailerField must be 1');
    } else throw unsupported('malformed RSASSA-PSS-params');
  }
  // The DEFAULTs (SHA-1, MGF1-SHA-1, salt 20) are outside the table: SHA-1 is refused.
  if (hash === undefined) throw unsupported('hashAlgorithm absent (the SHA-1 default is not accepted)');
  if (mgfHash === undefined) throw unsupported('maskGenAlgorithm absent (the MGF1-SHA-1 default is not accepted)');
  if (hash !== mgfHash) throw unsupported('the maskGenAlgorithm hash differs from hashAlgorithm');
  if (salt === undefined) throw unsupported('saltLength absent (the default 20 is tied to SHA-1)');
  return { digest: hash, saltLength: salt };
}

/**
 * Decodes a DER RSASSA-PSS-params SEQUENCE (RFC 4055 §3.1) accepting every salt length (RFC 8017
 * §9.1 leaves sLen to the signer; whether it fits the key is checked where the key is known).
 * Used where a caller chooses PSS parameters for a bare signature (CSC signHash); CMS signatures
 * keep the salt = hLen policy of decodeSignatureAlgorithmIdentifier. Throws
 * ERR_CMS_UNSUPPORTED_ALGORITHM naming the field at fault.
 */
export function decodeRsassaPssParams(der: Uint8Array): { readonly digest: DigestAlgorithm; readonly saltLength: number } {
  const unsupported = (why: string): CmsError => new CmsError('ERR_CMS_UNSUPPORTED_ALGORITHM', why, { detail: { oid: oids.id_RSASSA_PSS } });
  let el: DerElement;
  try {
    el = readElement(der, 0);
  } catch {
    throw unsupported('RSASSA-PSS-params is not DER');
  }
  if (el.tag !== tags.sequence || el.end !== der.length) throw unsupported('RSASSA-PSS-params is not one DER SEQUENCE');
  return readPssParams(der, el, unsupported);
}

