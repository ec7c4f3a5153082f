/**
 * The big-number helpers behind ECDSA over a bare digest: Lehmer's inverse (modular-inverse.ts)
 * is the inverse on the orders and primes of P-256, P-384 and P-521, at the edges (1, 2, m−1,
 * short values) and on random values; the byte conversions round-trip.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { bigintToBytes, bytesToBigint } from '../../src/core/bytes.js';
import { modularInverse } from '../../src/cms/modular-inverse.js';

// SP 800-186 §3.2.1: the orders and primes of P-256, P-384 and P-521.
const moduli = {
  'P-256 n': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  'P-256 p': 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
  'P-384 n':
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  'P-384 p': 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
  'P-521 n':
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  'P-521 p': 2n ** 521n - 1n,
} as const;

function samples(m: bigint, count: number): bigint[] {
  const out = [1n, 2n, 3n, m - 1n, m - 2n, 2n ** 64n + 1n];
  for (let i = 0; i < count; i++) {
    const short = i % 5 === 0;
    out.push(bytesToBigint(randomBytes(short ? 1 + (i % 13) : 80)) % m || 1n);
  }
  return out;
}

describe('modular arithmetic for ECDSA over a bare digest', () => {
  for (const [name, m] of Object.entries(moduli)) {
    it(`${name}: Lehmer's inverse is the inverse`, () => {
      for (const a of samples(m, 400)) {
        const inverse = modularInverse(a, m);
        assert.ok(inverse > 0n && inverse < m, `${a} in range`);
        assert.equal((a * inverse) % m, 1n, `${a}·a⁻¹ ≡ 1`);
      }
      assert.equal(modularInverse(-1n, m), m - 1n, 'a negative value is taken mod m');
    });
  }

  it('answers 0 for a value without an inverse', () => {
    assert.equal(modularInverse(6n, 9n), 0n);
    assert.equal(modularInverse(2n ** 200n, 2n ** 201n), 0n);
  });

  it('converts bytes and bigints both ways for every length', () => {
    for (let size = 1; size <= 70; size++) {
      const bytes = randomBytes(size);
      const value = bytesToBigint(bytes);
      assert.equal(value, BigInt(`0x${bytes.toString('hex')}`));
      assert.deepEqual(Buffer.from(bigintToBytes(value, size)), bytes);
    }
  });
});
