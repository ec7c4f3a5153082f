/**
 * Verification of one raw signature value with node:crypto for the schemes of the algorithm
 * table: PKCS#1 v1.5 (RFC 8017 §8.2), RSASSA-PSS with MGF1 on the same hash and salt = hLen or
 * the length the parameters name (RFC 8017 §9.1, RFC 4055 §3.1), ECDSA with a DER Ecdsa-Sig-Value
 * (RFC 3279 §2.2.3). Used for CMS signer infos
 * and for certificates, CRLs, OCSP responses and CSRs.
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import { verifiableDigests, type SignatureAlgorithm, type VerifiableDigest } from './algorithms.js';

/** True when `key`'s type can carry `alg` (RSA keys for PKCS#1/PSS, EC keys for ECDSA). */
export function keyFitsAlgorithm(key: KeyObject, alg: SignatureAlgorithm<VerifiableDigest>): boolean {
  const type = key.asymmetricKeyType;
  if (alg.scheme === 'ECDSA') return type === 'ec';
  if (alg.scheme === 'RSASSA-PSS') return type === 'rsa' || type === 'rsa-pss';
  return type === 'rsa';
}

/**
 * Verifies `signature` over `data`. False for a wrong signature or a key of the wrong type;
 * never throws.
 *
 * @example
 * ```ts
 * verifySignatureValue(publicKey, { scheme: 'ECDSA', digest: 'SHA-256' }, tbs, sig); // → true
 * ```
 */
export function verifySignatureValue(
  key: KeyObject,
  alg: SignatureAlgorithm<VerifiableDigest>,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!keyFitsAlgorithm(key, alg)) return false;
  const hash = verifiableDigests[alg.digest];
  try {
    switch (alg.scheme) {
      case 'RSASSA-PKCS1-v1_5':
        return verify(hash.nodeName, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'RSASSA-PSS':
        return verify(hash.nodeName, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength ?? hash.length }, signature);
      case 'ECDSA':
        return verify(hash.nodeName, data, { key, dsaEncoding: 'der' }, signature);
    }
  } catch {
    return false;
  }
}
