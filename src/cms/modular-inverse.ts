/**
 * Modular inverse by Lehmer's extended Euclidean algorithm (Knuth, TAOCP vol. 2, §4.5.2,
 * Algorithm L): the quotients are found on the leading 48 bits in double-precision numbers and
 * applied to the BigInts as one 2×2 matrix per about 24 bits, instead of one BigInt division per
 * quotient. Variable time: only ever called on blinded or public values.
 */

/** Leading bits used per single-precision round; every intermediate stays below 2^53. */
const digitBits = 48;
const digitShift = BigInt(digitBits);

/** The bit length of v > 0, give or take one (enough to pick the leading digits), without a string. */
function approximateBitLength(value: bigint): number {
  let v = value;
  let bits = 0;
  while (v >> 64n > 0n) {
    v >>= 64n;
    bits += 64;
  }
  return bits + Math.floor(Math.log2(Number(v))) + 1;
}

/**
 * a⁻¹ mod m for 0 < a < m with gcd(a, m) = 1 (m prime for every caller); 0n when a has no inverse.
 *
 * @example
 * ```ts
 * const w = modularInverse(s, n); // s·w ≡ 1 (mod n)
 * ```
 */
export function modularInverse(a: bigint, m: bigint): bigint {
  // Invariants: u ≡ x·a and v ≡ y·a (mod m).
  let u = m;
  let v = a % m;
  if (v < 0n) v += m;
  let x = 0n;
  let y = 1n;
  while (v > 0n && u >> digitShift > 0n) {
    const shift = BigInt(Math.max(0, approximateBitLength(u) - digitBits));
    let uh = Number(u >> shift);
    let vh = Number(v >> shift);
    let A = 1;
    let B = 0;
    let C = 0;
    let D = 1;
    for (;;) {
      if (vh + C === 0 || vh + D === 0) break;
      const q = Math.floor((uh + A) / (vh + C));
      if (q !== Math.floor((uh + B) / (vh + D))) break;
      let t = A - q * C;
      A = C;
      C = t;
      t = B - q * D;
      B = D;
      D = t;
      t = uh - q * vh;
      uh = vh;
      vh = t;
    }
    if (B === 0) {
      // No quotient was certain on the leading digits: one full-precision step.
      const q = u / v;
      [u, v] = [v, u - q * v];
      [x, y] = [y, x - q * y];
    } else {
      const [a1, b1, c1, d1] = [BigInt(A), BigInt(B), BigInt(C), BigInt(D)];
      [u, v] = [a1 * u + b1 * v, c1 * u + d1 * v];
      [x, y] = [a1 * x + b1 * y, c1 * x + d1 * y];
    }
  }
  // The tail fits in a double's mantissa: plain Euclid.
  while (v > 0n) {
    const q = u / v;
    [u, v] = [v, u - q * v];
    [x, y] = [y, x - q * y];
  }
  if (u !== 1n) return 0n;
  const r = x % m;
  return r < 0n ? r + m : r;
}
