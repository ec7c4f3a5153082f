/**
 * Verification of one raw signature value for the schemes of the algorithm table: PKCS#1 v1.5
 * (RFC 8017 §8.2), RSASSA-PSS with MGF1 on the same hash and salt = hLen or the length the
 * parameters name (RFC 8017 §9.1, RFC 4055 §3.1), ECDSA with a DER Ecdsa-Sig-Value (RFC 3279
 * §2.2.3). Used for CMS signer infos, certificates, CRLs, OCSP responses and CSRs, and as the one
 * output self-check before a signature is released or embedded (docs/security.md SAD-24: RSA-CRT
 * faults, corrupted or substituted signatures) — over the data when it is at hand (the gateway,
 * the external API, the key signer), over the digest when only that is (signHash).
 */
import { constants, createHash, publicDecrypt, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { verifiableDigests, type SignatureAlgorithm, type VerifiableDigest } from './algorithms.js';
import { encodeOid, encodeTlv, tags } from './der.js';
import { checkEcdsaOverDigest } from './ecdsa-digest-check.js';
import { mgf1 } from './mgf1.js';

/**
 * True when `key`'s type can carry `alg` (RSA keys for PKCS#1/PSS, EC keys for ECDSA).
 *
 * @example
 * ```ts
 * keyFitsAlgorithm(certificate.publicKey, { scheme: 'ECDSA', digest: 'SHA-256' }); // false for an RSA key
 * ```
 */
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

/** RFC 8017 §9.2 step 2: DigestInfo with the NULL parameters of Note 1, as the key backends write it. */
function digestInfo(digest: VerifiableDigest, value: Uint8Array): Uint8Array {
  const oid = encodeOid(verifiableDigests[digest].oid);
  return encodeTlv(tags.sequence, encodeTlv(tags.sequence, oid, Uint8Array.of(tags.null, 0)), encodeTlv(tags.octetString, value));
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) of EM recovered by RSAVP1, MGF1 with the same hash. */
function emsaPssVerify(em: Uint8Array, digest: Uint8Array, modBits: number, hash: string, hLen: number, sLen: number): boolean {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  // publicDecrypt without padding returns k octets; EM is the last emLen of them (RFC 8017 §8.1.2).
  const e = em.subarray(em.length - emLen);
  if (em.length - emLen > 0 && em.subarray(0, em.length - emLen).some((b) => b !== 0)) return false;
  if (emLen < hLen + sLen + 2 || e[emLen - 1] !== 0xbc) return false;
  const maskedDb = e.subarray(0, emLen - hLen - 1);
  const h = e.subarray(emLen - hLen - 1, emLen - 1);
  const zeroBits = 8 * emLen - emBits;
  if (zeroBits > 0 && (maskedDb[0] as number) >> (8 - zeroBits) !== 0) return false;
  const db = mgf1(hash, h, maskedDb.length).map((b, i) => b ^ (maskedDb[i] as number));
  if (zeroBits > 0) db[0] = (db[0] as number) & (0xff >> zeroBits);
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(psLen + 1);
  if (salt.length !== sLen) return false;
  const hPrime = createHash(hash).update(new Uint8Array(8)).update(digest).update(salt).digest();
  return timingSafeEqual(hPrime, h);
}

/**
 * Verifies `signature` over a pre-computed `digest` (the DTBS/R of a signHash, never the data):
 * PKCS#1 v1.5 and PSS by RSAVP1 and the encoding checks of RFC 8017 §8.2.2 / §9.1.2, ECDSA by the
 * fault check of cms/ecdsa-digest-check.ts (node:crypto verifies only data it hashes itself).
 * False for a wrong signature, a signature of the wrong length or a key of the wrong type;
 * never throws.
 *
 * @example
 * ```ts
 * if (!verifySignatureOverDigest(cert.publicKey, { scheme: 'RSASSA-PSS', digest: 'SHA-256' }, dtbsr, sig)) refuse();
 * ```
 */
export function verifySignatureOverDigest(
  key: KeyObject,
  alg: SignatureAlgorithm<VerifiableDigest>,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!keyFitsAlgorithm(key, alg)) return false;
  const hash = verifiableDigests[alg.digest];
  if (digest.length !== hash.length) return false;
  if (alg.scheme === 'ECDSA') return checkEcdsaOverDigest(key, digest, signature);
  const modBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  // RFC 8017 §8.2.2 step 1 / §8.1.2 step 1: the signature is exactly k octets.
  if (modBits === 0 || signature.length !== Math.ceil(modBits / 8)) return false;
  try {
    if (alg.scheme === 'RSASSA-PKCS1-v1_5') {
      const decoded = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      const expected = digestInfo(alg.digest, digest);
      return decoded.length === expected.length && timingSafeEqual(decoded, expected);
    }
    const em = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
    return emsaPssVerify(em, digest, modBits, hash.nodeName, hash.length, alg.saltLength ?? hash.length);
  } catch {
    return false;
  }
}
