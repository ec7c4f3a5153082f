/**
 * A fault check of an ECDSA signature over a pre-computed digest, for the output self-check before
 * a signature is released (docs/security.md SAD-24). It follows the verification steps of SEC 1
 * §4.1.4 / FIPS 186-5 §6.4.2, but node:crypto verifies only messages it hashes itself, so the two
 * scalar multiplications run in OpenSSL through ECDH: u1·G is a public key (a whole point), u2·Q a
 * shared secret (its x only). The y of u2·Q is recovered from the curve equation up to its sign and
 * both sums u1·G ± u2·Q are tried. A valid signature always matches one of them; a corrupted one
 * matches either with negligible probability — a check against faults of our own signers, not a
 * verification a relying party would rely on (they verify the CMS with the whole algorithm).
 */
import { createECDH, type ECDH, type KeyObject } from 'node:crypto';
import { childrenOf, contentOf, readElement, tags } from '../cms/der.js';
import { bigintToBytes, bytesToBigint } from './ecdsa-signature.js';
import { ModularExponent } from './modular-exponent.js';
import { modularInverse } from './modular-inverse.js';

interface Curve {
  readonly opensslName: string;
  /** The field prime (p ≡ 3 mod 4 for all three, so a square root is one exponentiation). */
  readonly p: bigint;
  /** The group order. */
  readonly n: bigint;
  readonly nBits: number;
  /** Octets of a field element. */
  readonly size: number;
}

// SP 800-186 §3.2.1: the primes and orders of P-256, P-384 and P-521 (a = -3 on each).
const curves: Readonly<Record<string, Curve>> = {
  'P-256': {
    opensslName: 'prime256v1',
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    nBits: 256,
    size: 32,
  },
  'P-384': {
    opensslName: 'secp384r1',
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    nBits: 384,
    size: 48,
  },
  'P-521': {
    opensslName: 'secp521r1',
    p: 2n ** 521n - 1n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    nBits: 521,
    size: 66,
  },
};

const curveNames: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
};

/** Per curve and thread: an ECDH object for the two multiplications and the square root mod p. */
interface CurveTools {
  readonly ecdh: ECDH;
  /** y ↦ y^((p+1)/4) mod p, a square root when one exists (p ≡ 3 mod 4; SP 800-186 §E.3). */
  readonly squareRoot: ModularExponent;
}

const tools = new Map<string, CurveTools>();

function toolsOf(c: Curve): CurveTools {
  let t = tools.get(c.opensslName);
  if (t === undefined) {
    t = { ecdh: createECDH(c.opensslName), squareRoot: new ModularExponent(c.p, (c.p + 1n) / 4n) };
    tools.set(c.opensslName, t);
  }
  return t;
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
  const name = curveNames[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
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
  // The SubjectPublicKeyInfo ends with the uncompressed point 04‖x‖y (RFC 5480 §2.2).
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const q = spki.subarray(spki.length - (2 * c.size + 1));
  if (q[0] !== 0x04) return false;
  const qx = bytesToBigint(q.subarray(1, 1 + c.size));
  const qy = bytesToBigint(q.subarray(1 + c.size));
  // b from the public point itself (Q is on the curve: b = y² − x³ + 3x).
  const b = mod(qy * qy - qx * qx * qx + 3n * qx, c.p);

  // u2·Q: its x from ECDH (u2 ≠ 0 because r, w ≠ 0), its y up to sign from y² = x³ − 3x + b.
  const { ecdh, squareRoot } = toolsOf(c);
  ecdh.setPrivateKey(Buffer.from(bigintToBytes(u2, c.size)));
  const x2 = bytesToBigint(ecdh.computeSecret(Buffer.from(q)));
  const ySquared = mod(x2 * x2 * x2 - 3n * x2 + b, c.p);
  const y2 = squareRoot.apply(ySquared);
  if ((y2 * y2) % c.p !== ySquared) return false;

  if (u1 === 0n) return mod(x2, c.n) === r;
  ecdh.setPrivateKey(Buffer.from(bigintToBytes(u1, c.size)));
  const p1 = ecdh.getPublicKey();
  const x1 = bytesToBigint(p1.subarray(1, 1 + c.size));
  const y1 = bytesToBigint(p1.subarray(1 + c.size));
  for (const y of [y2, mod(-y2, c.p)]) {
    let x3: bigint;
    if (x1 === x2) {
      if (y !== y1 || y === 0n) continue; // u1·G = −(±u2·Q): the sum is the point at infinity
      const lambda = mod((3n * x1 * x1 - 3n) * modularInverse(2n * y1, c.p), c.p);
      x3 = mod(lambda * lambda - 2n * x1, c.p);
    } else {
      const lambda = mod((y - y1) * modularInverse(x2 - x1, c.p), c.p);
      x3 = mod(lambda * lambda - x1 - x2, c.p);
    }
    if (mod(x3, c.n) === r) return true;
  }
  return false;
}
