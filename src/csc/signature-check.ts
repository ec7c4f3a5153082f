/**
 * Output self-check of signatures over a digest before release (docs/security.md SAD-24: guards
 * against RSA-CRT fault leakage and corrupted signatures). RSA PKCS#1 v1.5 per RFC 8017 §8.2.2, PSS
 * per §9.1.2 (EMSA-PSS-VERIFY, MGF1 with the same hash, the requested salt length, hLen by
 * default); ECDSA by the fault check of keys/ecdsa-digest-check.ts.
 */
import { constants, createHash, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { digestAlgorithms, type SignatureAlgorithm } from '../cms/index.js';
import { checkEcdsaOverDigest, encodeDigestInfo, mgf1 } from '../keys/index.js';

function verifyPss(em: Buffer, digest: Uint8Array, modBits: number, hash: string, hLen: number, sLen: number): boolean {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  // publicDecrypt without padding returns k octets; EM is the last emLen of them (RFC 8017 §8.1.2).
  const e = em.subarray(em.length - emLen);
  if (em.length - emLen > 0 && em.subarray(0, em.length - emLen).some((b) => b !== 0)) return false;
  if (emLen < hLen + sLen + 2 || e[emLen - 1] !== 0xbc) return false;
  const maskedDb = e.subarray(0, emLen - hLen - 1);
  const h = e.subarray(emLen - hLen - 1, emLen - 1);
  const zeroBits = 8 * emLen - emBits;
  if (zeroBits > 0 && ((maskedDb[0] as number) >> (8 - zeroBits)) !== 0) return false;
  const db = Buffer.from(mgf1(hash, h, maskedDb.length).map((b, i) => b ^ (maskedDb[i] as number)));
  if (zeroBits > 0) db[0] = (db[0] as number) & (0xff >> zeroBits);
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(psLen + 1);
  if (salt.length !== sLen) return false;
  const hPrime = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(hPrime, h);
}

/**
 * True when `signature` is a valid RSA signature of `digest` under `publicKey`, or an ECDSA
 * signature consistent with it (node:crypto cannot verify a bare digest: see checkEcdsaOverDigest).
 */
export function checkSignatureOverDigest(
  publicKey: KeyObject,
  algorithm: SignatureAlgorithm & { readonly saltLength?: number },
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (algorithm.scheme === 'ECDSA') return checkEcdsaOverDigest(publicKey, digest, signature);
  const modBits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (modBits === 0 || signature.length !== Math.ceil(modBits / 8)) return false;
  const d = digestAlgorithms[algorithm.digest];
  try {
    if (algorithm.scheme === 'RSASSA-PKCS1-v1_5') {
      const decoded = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      const expected = Buffer.from(encodeDigestInfo(algorithm.digest, digest));
      return decoded.length === expected.length && timingSafeEqual(decoded, expected);
    }
    const em = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
    return verifyPss(em, digest, modBits, d.nodeName, d.length, algorithm.saltLength ?? d.length);
  } catch {
    return false;
  }
}
