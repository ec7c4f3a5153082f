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
  verifiableDigestByOid,
  verifiableDigests,
  type DigestAlgorithm,
  type SignatureAlgorithm,
  type VerifiableDigest,
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
 * How far a decoder reads: `accepted` refuses everything outside the algorithm table (what
 * Signet creates and checks of its own), `verifiable` also reads legacy digests (SHA-1,
 * SHA-224) and any RSASSA-PSS salt length (RFC 8017 §9.1) so a validator can report facts on
 * other producers' signatures and leave their strength to its policy (ETSI TS 119 312).
 */
export type AlgorithmReading = 'accepted' | 'verifiable';

/**
 * Decodes a digest AlgorithmIdentifier. RFC 5754 §2: parameters absent, NULL accepted on input.
 */
export function decodeDigestAlgorithmIdentifier(bytes: Uint8Array, el: DerElement): DigestAlgorithm {
  return decodeDigest(bytes, el, 'accepted') as DigestAlgorithm;
}

/** Decodes a digest AlgorithmIdentifier, legacy digests included (see {@link AlgorithmReading}). */
export function decodeVerifiableDigestAlgorithmIdentifier(bytes: Uint8Array, el: DerElement): VerifiableDigest {
  return decodeDigest(bytes, el, 'verifiable');
}

function decodeDigest(bytes: Uint8Array, el: DerElement, reading: AlgorithmReading): VerifiableDigest {
  const { oid, params } = splitAlgorithmIdentifier(bytes, el);
  const digest = reading === 'accepted' ? digestByOid(oid) : verifiableDigestByOid(oid);
  if (digest === undefined) {
    throw new CmsError('ERR_CMS_UNSUPPORTED_ALGORITHM', 'digest algorithm not accepted', { detail: { oid } });
  }
  // RFC 3370 §2.1 / RFC 5754 §2: parameters absent or NULL.
  if (params !== undefined && !isNull(params)) {
    throw new CmsError('ERR_CMS_UNSUPPORTED_ALGORITHM', 'unexpected digest algorithm parameters');
  }
  return digest.name;
}

/** Legacy signature OIDs read in `verifiable` mode (RFC 3279 §2.2, RFC 4055 §5, RFC 5758 §3.2). */
const legacySignatureOids: ReadonlyMap<string, { scheme: 'RSASSA-PKCS1-v1_5' | 'ECDSA'; digest: VerifiableDigest }> = new Map([
  [oids.sha1WithRSAEncryption, { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-1' }],
  [oids.sha224WithRSAEncryption, { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-224' }],
  [oids.ecdsa_with_SHA1, { scheme: 'ECDSA', digest: 'SHA-1' }],
  [oids.ecdsa_with_SHA224, { scheme: 'ECDSA', digest: 'SHA-224' }],
] as const);

/**
 * Decodes SignerInfo.signatureAlgorithm. `digest` is SignerInfo.digestAlgorithm, used when the
 * identifier is plain rsaEncryption (RFC 5754 §3.2 allows it) and required to agree otherwise.
 */
export function decodeSignatureAlgorithmIdentifier(bytes: Uint8Array, el: DerElement, digest: DigestAlgorithm): SignatureAlgorithm {
  return decodeSignature(bytes, el, digest, 'accepted') as SignatureAlgorithm;
}

/**
 * Decodes SignerInfo.signatureAlgorithm in `verifiable` mode: legacy digests, any PSS salt, and
 * id-ecPublicKey or rsaEncryption standing for "this key type with SignerInfo.digestAlgorithm"
 * (as several producers write it).
 */
export function decodeVerifiableSignatureAlgorithmIdentifier(
  bytes: Uint8Array,
  el: DerElement,
  digest: VerifiableDigest,
): SignatureAlgorithm<VerifiableDigest> {
  return decodeSignature(bytes, el, digest, 'verifiable');
}

function decodeSignature(
  bytes: Uint8Array,
  el: DerElement,
  digest: VerifiableDigest,
  reading: AlgorithmReading,
): SignatureAlgorithm<VerifiableDigest> {
  const { oid, params } = splitAlgorithmIdentifier(bytes, el);
  const unsupported = (why: string): CmsError =>
    new CmsError('ERR_CMS_UNSUPPORTED_ALGORITHM', why, { detail: { oid } });
  if (oid === oids.rsaEncryption) {
    if (params !== undefined && !isNull(params)) throw unsupported('unexpected rsaEncryption parameters');
    return { scheme: 'RSASSA-PKCS1-v1_5', digest };
  }
  if (oid === oids.id_RSASSA_PSS) {
    if (params === undefined || params.tag !== tags.sequence) throw unsupported('RSASSA-PSS without parameters');
    return decodePssParams(bytes, params, unsupported, reading);
  }
  if (reading === 'verifiable' && oid === oids.id_ecPublicKey) {
    if (params !== undefined && !isNull(params) && params.tag !== tags.oid) throw unsupported('unexpected id-ecPublicKey parameters');
    return { scheme: 'ECDSA', digest };
  }
  const legacy = reading === 'verifiable' ? legacySignatureOids.get(oid) : undefined;
  const entry = legacy ?? signatureAlgorithms.find((e) => e.oid === oid && e.scheme !== 'RSASSA-PSS');
  if (entry === undefined) throw unsupported('signature algorithm not accepted');
  if (entry.scheme === 'RSASSA-PKCS1-v1_5' && params !== undefined && !isNull(params)) {
    throw unsupported('unexpected PKCS#1 v1.5 parameters');
  }
  // RFC 5758 §3.2 says the parameters MUST be absent; an explicit NULL, which several producers
  // write, carries no information and is read as absent (as OpenSSL and pdfsig do).
  if (entry.scheme === 'ECDSA' && params !== undefined && !isNull(params)) throw unsupported('unexpected ECDSA parameters');
  return { scheme: entry.scheme, digest: entry.digest };
}

/**
 * RFC 4055 §3.1 RSASSA-PSS-params in SignerInfo.signatureAlgorithm. `accepted`: hash = MGF1 hash
 * from the table, salt = hLen, trailer 1. `verifiable`: also the RFC 4055 DEFAULTs (SHA-1,
 * MGF1-SHA-1, salt 20) and any salt length RFC 8017 §9.1.1 allows (the key-size bound is the
 * verification's business).
 */
function decodePssParams(
  bytes: Uint8Array,
  params: DerElement,
  unsupported: (why: string) => CmsError,
  reading: AlgorithmReading,
): SignatureAlgorithm<VerifiableDigest> {
  const { digest, saltLength } = readPssParams(bytes, params, unsupported, reading);
  const hLen = verifiableDigests[digest].length;
  if (reading === 'accepted' && saltLength !== hLen) throw unsupported('RSASSA-PSS salt length must equal the hash length');
  return saltLength === hLen ? { scheme: 'RSASSA-PSS', digest } : { scheme: 'RSASSA-PSS', digest, saltLength };
}

/**
 * RFC 4055 §3.1 RSASSA-PSS-params with any salt length: hashAlgorithm and the MGF1 hash must be
 * the same digest, trailerField 1. `accepted` refuses the SHA-1 DEFAULTs, each refusal naming
 * the field; `verifiable` reads absent fields as their DEFAULTs.
 */
function readPssParams(
  bytes: Uint8Array,
  params: DerElement,
  unsupported: (why: string) => CmsError,
  reading: AlgorithmReading,
): { readonly digest: VerifiableDigest; readonly saltLength: number } {
  const readDigest = (el: DerElement): VerifiableDigest => decodeDigest(bytes, el, reading);
  let hash: VerifiableDigest | undefined;
  let mgfHash: VerifiableDigest | undefined;
  let salt: number | undefined;
  for (const field of childrenOf(bytes, params)) {
    const inner = readElement(bytes, field.contentStart, field.end);
    if (inner.end !== field.end) throw unsupported('malformed RSASSA-PSS-params');
    if (field.tag === 0xa0) hash = readDigest(inner);
    else if (field.tag === 0xa1) {
      const mgf = splitAlgorithmIdentifier(bytes, inner);
      if (mgf.oid !== oids.id_mgf1 || mgf.params === undefined) throw unsupported('maskGenAlgorithm is not MGF1');
      mgfHash = readDigest(mgf.params);
    } else if (field.tag === 0xa2) salt = readSmallInteger(bytes, inner);
    else if (field.tag === 0xa3) {
      if (readSmallInteger(bytes, inner) !== 1) throw unsupported('RSASSA-PSS trailerField must be 1');
    } else throw unsupported('malformed RSASSA-PSS-params');
  }
  if (reading === 'verifiable') {
    // RFC 4055 §3.1 DEFAULTs.
    hash ??= 'SHA-1';
    mgfHash ??= 'SHA-1';
    salt ??= 20;
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
  return readPssParams(der, el, unsupported, 'accepted') as { readonly digest: DigestAlgorithm; readonly saltLength: number };
}
