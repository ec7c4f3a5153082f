/**
 * A fault check of an ECDSA signature over a pre-computed digest, for the output self-check before
 * a signature is released (docs/security.md SAD-24). It follows the verification steps of SEC 1
 * §4.1.4 / FIPS 186-5 §6.4.2, but node:crypto verifies only messages it hashes itself, so the two
 * scalar multiplications run in OpenSSL through ECDH: u1·G is a public key (a whole point), u2·Q a
 * shared secret (its x only). Without the y of u2·Q, the x of u1·G + u2·Q is one of the two x of
 * u1·G ± u2·Q, and those are the roots of D·X² − S·X + P = 0 over the field, with D, S and P
 * polynomials in the two x (the x-only addition law of short Weierstrass curves, as in Brier and
 * Joye's ladder, PKC 2002 §4): r is checked to be a root, with no square root and no inverse mod p.
 * A valid signature always passes; a corrupted one with negligible probability — a check
 * against faults of our own signers, not a verification a relying party would rely on (they
 * verify the CMS with the whole algorithm).
 */
import { createECDH, type ECDH, type KeyObject } from 'node:crypto';
import { bigintToBytes, bytesToBigint } from '../core/bytes.js';
import { namedCurveOf } from './algorithms.js';
import { childrenOf, contentOf, readElement, tags } from './der.js';
import { modularInverse } from './modular-inverse.js';

interface Curve {
  readonly opensslName: string;
  /** The field prime. */
  readonly p: bigint;
  /** The curve coefficient b (a = −3 on all three). */
  readonly b: bigint;
  /** The group order. */
  readonly n: bigint;
  readonly nBits: number;
  /** Octets of a field element. */
  readonly size: number;
}

// SP 800-186 §3.2.1.3–5: the primes, coefficients b and orders of P-256, P-384 and P-521 (a = −3).
const curves: Readonly<Record<string, Curve>> = {
  'P-256': {
    opensslName: 'prime256v1',
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    nBits: 256,
    size: 32,
  },
  'P-384': {
    opensslName: 'secp384r1',
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    nBits: 384,
    size: 48,
  },
  'P-521': {
    opensslName: 'secp521r1',
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    nBits: 521,
    size: 66,
  },
};

/** One ECDH object per curve and thread for the two multiplications (public values only). */
const multipliers = new Map<string, ECDH>();

function multiplierOf(c: Curve): ECDH {
  let ecdh = multipliers.get(c.opensslName);
  if (ecdh === undefined) {
    ecdh = createECDH(c.opensslName);
    multipliers.set(c.opensslName, ecdh);
  }
  return ecdh;
}

/**
 * The uncompressed public point 04‖x‖y, the end of the SubjectPublicKeyInfo (RFC 5480 §2.2), kept
 * per KeyObject: exporting it costs more than a signature, and a credential's certificate and its
 * KeyObject are cached (credential-certificate.ts).
 */
const points = new WeakMap<KeyObject, Buffer>();

function publicPointOf(publicKey: KeyObject, size: number): Buffer {
  let q = points.get(publicKey);
  if (q === undefined) {
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    q = Buffer.from(spki.subarray(spki.length - (2 * size + 1)));
    points.set(publicKey, q);
  }
  return q;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** (r, s) of a DER Ecdsa-Sig-Value (RFC 5480 §2.2, RFC 3279 §2.2.3), or undefined. */
function integersOf(der: Uint8Array): readonly [bigint, bigint] | undefined {
  try {
    const seq = readElement(der, 0);
    if (seq.tag !== tags.sequence || seq.end !== der.length) return undefined;
    const parts = childrenOf(der, seq);
    if (parts.length !== 2 || parts.some((p) => p.tag !== tags.integer)) return undefined;
    const [r, s] = parts.map((p) => contentOf(der, p));
    if (r === undefined || s === undefined || (r[0] as number) & 0x80 || (s[0] as number) & 0x80) return undefined;
    return [bytesToBigint(r), bytesToBigint(s)];
  } catch {
    return undefined;
  }
}

/**
 * True when `signature` (DER) is consistent with an ECDSA signature of `digest` under `publicKey`
 * (P-256, P-384, P-521); false for anything else, including a key of another type.
 *
 * @example
 * ```ts
 * if (!checkEcdsaOverDigest(cert.publicKey, digest, signature)) throw new Error('corrupted signature');
 * ```
 */
export function checkEcdsaOverDigest(publicKey: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const name = namedCurveOf(publicKey.asymmetricKeyDetails?.namedCurve);
  const c = name === undefined ? undefined : curves[name];
  const rs = integersOf(signature);
  if (c === undefined || rs === undefined || publicKey.asymmetricKeyType !== 'ec') return false;
  const [r, s] = rs;
  if (r < 1n || r >= c.n || s < 1n || s >= c.n) return false;
  // FIPS 186-5 §6.4.2 step 4: e is the leftmost nBits of the digest.
  const shift = BigInt(Math.max(0, digest.length * 8 - c.nBits));
  const e = bytesToBigint(digest) >> shift;
  const w = modularInverse(s, c.n);
  const u1 = mod(e * w, c.n);
  const u2 = mod(r * w, c.n);
  const q = publicPointOf(publicKey, c.size);
  if (q[0] !== 0x04) return false;
  const ecdh = multiplierOf(c);
  // u2·Q: its x from ECDH (u2 ≠ 0 because r, w ≠ 0).
  ecdh.setPrivateKey(Buffer.from(bigintToBytes(u2, c.size)));
  const x2 = bytesToBigint(ecdh.computeSecret(q));
  if (u1 === 0n) return mod(x2, c.n) === r;
  ecdh.setPrivateKey(Buffer.from(bigintToBytes(u1, c.size)));
  const p1 = ecdh.getPublicKey();
  const x1 = bytesToBigint(p1.subarray(1, 1 + c.size));
  // SEC 1 §4.1.4 step 6–7: R = u1·G + u2·Q, valid when x(R) mod n = r, so x(R) is r or r + n (< p).
  const candidates = r + c.n < c.p ? [r, r + c.n] : [r];
  if (x1 === x2) {
    // u2·Q = ±u1·G: R is the point at infinity or 2·u1·G (λ = (3x² + a) / 2y, x(R) = λ² − 2x).
    const y1 = bytesToBigint(p1.subarray(1 + c.size));
    const lambda = mod((3n * x1 * x1 - 3n) * modularInverse(2n * y1, c.p), c.p);
    const x3 = mod(lambda * lambda - 2n * x1, c.p);
    return candidates.includes(x3);
  }
  // x(P1 + P2) and x(P1 − P2) are the roots of D·X² − S·X + P with (a = −3):
  // D = (x1 − x2)², S = 2((x1 + x2)(x1·x2 + a) + 2b), P = (x1·x2 − a)² − 4b(x1 + x2).
  const sum = x1 + x2;
  const product = mod(x1 * x2, c.p);
  const d = mod((x1 - x2) * (x1 - x2), c.p);
  const s2 = mod(2n * (sum * (product - 3n) + 2n * c.b), c.p);
  const p2 = mod((product + 3n) * (product + 3n) - 4n * c.b * sum, c.p);
  return candidates.some((x) => mod(d * x * x - s2 * x + p2, c.p) === 0n);
}
