/**
 * The algorithm table's AlgorithmIdentifiers as `@peculiar/asn1-x509` objects for certificates,
 * CRLs, OCSP and TSA structures, and signature verification. The encodings and the default-deny
 * decoding are cms's (cms/algorithm-identifier.ts, RFC 4055 / 5754 / 5758); this module only
 * converts between DER and the schema objects.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { oids, type DigestAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import {
  decodeSignatureAlgorithmIdentifier,
  encodeDigestAlgorithmIdentifier,
  encodeSignatureAlgorithmIdentifier,
} from './algorithm-identifier.js';
import { readElement } from './der.js';
import { verifySignatureValue } from './verify-signature.js';
import { PkiError } from './pki-errors.js';

/** AlgorithmIdentifier of a digest; parameters absent (RFC 5754 §2: "SHOULD be omitted"). */
export function digestAlgorithmIdentifier(digest: DigestAlgorithm): AlgorithmIdentifier {
  return AsnConvert.parse(encodeDigestAlgorithmIdentifier(digest), AlgorithmIdentifier);
}

/** AlgorithmIdentifier of a signature algorithm as it goes in certificates, CRLs, OCSP and CMS. */
export function signatureAlgorithmIdentifier(alg: SignatureAlgorithm): AlgorithmIdentifier {
  return AsnConvert.parse(encodeSignatureAlgorithmIdentifier(alg), AlgorithmIdentifier);
}

/**
 * Resolves a signature AlgorithmIdentifier to the table entry, or throws
 * ERR_PKI_ALGORITHM_UNSUPPORTED (default-deny: SHA-1, MD5, odd PSS parameters, and plain
 * rsaEncryption, which names no hash outside a CMS SignerInfo).
 */
export function signatureAlgorithmFromIdentifier(id: AlgorithmIdentifier): SignatureAlgorithm {
  if (id.algorithm === oids.rsaEncryption) {
    throw new PkiError('ERR_PKI_ALGORITHM_UNSUPPORTED', 'rsaEncryption names no hash algorithm', {
      detail: { oid: id.algorithm },
    });
  }
  try {
    const der = new Uint8Array(AsnConvert.serialize(id));
    // The digest argument only matters for rsaEncryption, refused above.
    return decodeSignatureAlgorithmIdentifier(der, readElement(der, 0), 'SHA-256');
  } catch (cause) {
    throw new PkiError('ERR_PKI_ALGORITHM_UNSUPPORTED', 'unsupported signature algorithm', {
      cause,
      detail: { oid: id.algorithm },
    });
  }
}

/**
 * Public keys of the SPKIs seen lately (issue 19: the keys of the same CA, TSA and OCSP responder
 * certificates were imported again for every verification — createPublicKey was most of it).
 * Keyed by the DER itself; bounded, the oldest go first. An SPKI that does not import is not kept.
 */
const KEY_MEMO_SIZE = 256;
const publicKeys = new Map<string, KeyObject>();

function publicKeyOf(spki: Uint8Array): KeyObject {
  const der = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
  const id = der.toString('base64');
  let key = publicKeys.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
    if (publicKeys.size >= KEY_MEMO_SIZE) publicKeys.delete(publicKeys.keys().next().value as string);
    publicKeys.set(id, key);
  }
  return key;
}

/**
 * Verifies `signature` over `data` with the SubjectPublicKeyInfo `spki` (DER). ECDSA signatures
 * are DER Ecdsa-Sig-Value (RFC 3279 §2.2.3). Returns false for a wrong signature or key type.
 */
export function verifySignature(
  spki: Uint8Array,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return verifySignatureValue(publicKeyOf(spki), alg, data, signature);
  } catch {
    return false;
  }
}
