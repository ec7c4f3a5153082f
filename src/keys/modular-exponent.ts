/**
 * Modular exponentiation by OpenSSL, for the square roots mod p (p ≡ 3 mod 4) of the ECDSA check
 * over a bare digest: node:crypto exposes no big-number API, but a Diffie-Hellman shared secret is
 * exactly `peer^private mod prime` (PKCS #3 §8.2), computed by BN_mod_exp_mont_consttime. A
 * square-and-multiply in BigInt takes several times as long as a whole ECDSA signature.
 */
import { createDiffieHellman, type DiffieHellman } from 'node:crypto';
import { bigintToBytes, bytesToBigint } from './ecdsa-signature.js';

/** OpenSSL refuses DH moduli under 512 bits (DH_MIN_MODULUS_BITS) and answers zeros. */
const minimumModulusBits = 512;

function bitLength(value: bigint): number {
  return value.toString(2).length;
}

function byteLength(value: bigint): number {
  return Math.ceil(bitLength(value) / 8);
}

/**
 * `base^exponent mod modulus` for one fixed odd modulus and exponent, in OpenSSL. The modulus is
 * raised to a power of itself (at least the square) until it reaches OpenSSL's minimum DH size:
 * M = m^j is a multiple of m, so (b^e mod M) mod m = b^e mod m. One instance per thread (the DH object is reused).
 *
 * @example
 * ```ts
 * const squareRoot = new ModularExponent(p, (p + 1n) / 4n); // p ≡ 3 mod 4 (SP 800-186 §E.3)
 * const y = squareRoot.apply(ySquared);
 * ```
 */
export class ModularExponent {
  readonly #m: bigint;
  readonly #exponent: bigint;
  readonly #dh: DiffieHellman;
  readonly #size: number;

  constructor(modulus: bigint, exponent: bigint) {
    // At least m², so that every base below m is also below M − 1 (see apply).
    let big = modulus * modulus;
    while (bitLength(big) < minimumModulusBits) big *= modulus;
    this.#m = modulus;
    this.#exponent = exponent;
    this.#size = byteLength(big);
    // The generator is never used (no key is generated); DH_check's verdict on a composite
    // "prime" (verifyError) does not matter to DH_compute_key.
    this.#dh = createDiffieHellman(Buffer.from(bigintToBytes(big, this.#size)), Buffer.of(2));
    this.#dh.setPrivateKey(Buffer.from(bigintToBytes(exponent, byteLength(exponent))));
  }

  /** `base^exponent mod modulus`, for 0 ≤ base < modulus. */
  apply(base: bigint): bigint {
    // DH_check_pub_key refuses a peer value of 0, 1 or M−1 (SP 800-56A §5.6.2.3.1); 0 and 1 are
    // their own powers and M − 1 ≥ m² − 1 is never a base.
    if (base < 2n) return this.#exponent === 0n ? 1n : base;
    const secret = this.#dh.computeSecret(Buffer.from(bigintToBytes(base, this.#size)));
    return bytesToBigint(secret) % this.#m;
  }
}
