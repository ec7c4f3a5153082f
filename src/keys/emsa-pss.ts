/**
 * EMSA-PSS-ENCODE over a pre-computed message hash (RFC 8017 §9.1.1) with MGF1 (RFC 8017
 * §B.2.1) using the same hash and a salt as long as the hash (RFC 4055 §3.1 default for SHA-2).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DigestAlgorithm } from '../cms/algorithms.js';
import { digestAlgorithms } from '../cms/algorithms.js';
import { concatBytes } from '../core/bytes.js';
import { mgf1 } from '../cms/mgf1.js';
import { assertDigestLength } from './digest-info.js';
import { KeyBackendError } from './errors.js';

/**
 * Returns EM (`ceil(emBits / 8)` bytes) for `mHash`, where `emBits = modBits - 1` for RSA.
 * Low level: the caller applies RSASP1 (raw RSA) to EM.
 */
export function emsaPssEncode(
  digestAlgorithm: DigestAlgorithm,
  mHash: Uint8Array,
  emBits: number,
  salt: Uint8Array = randomBytes(digestAlgorithms[digestAlgorithm].length),
): Uint8Array {
  assertDigestLength(digestAlgorithm, mHash);
  const { nodeName, length: hLen } = digestAlgorithms[digestAlgorithm];
  const sLen = salt.length;
  const emLen = Math.ceil(emBits / 8);
  // §9.1.1 step 3: "encoding error" when the modulus is too small for hash + salt.
  if (emLen < hLen + sLen + 2) {
    throw new KeyBackendError(
      'ERR_KEY_MECHANISM_UNSUPPORTED',
      'RSA key too small for RSASSA-PSS with this digest',
    );
  }
  const mPrime = concatBytes([new Uint8Array(8), mHash, salt]); // step 5
  const h = createHash(nodeName).update(mPrime).digest(); // step 6
  const db = new Uint8Array(emLen - hLen - 1); // steps 7-8: PS || 0x01 || salt
  db[emLen - sLen - hLen - 2] = 0x01;
  db.set(salt, emLen - sLen - hLen - 1);
  const mask = mgf1(nodeName, h, db.length); // step 9
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number); // step 10
  const zeroBits = 8 * emLen - emBits; // step 11
  db[0] = (db[0] as number) & (0xff >>> zeroBits);
  return concatBytes([db, h, Uint8Array.of(0xbc)]); // step 12
}
