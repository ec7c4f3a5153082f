/**
 * ECDSA signature generation over a pre-computed hash (FIPS 186-5 §6.4.1; SEC 1 §4.1.3), because
 * node:crypto always hashes its input (`sign(null, digest, ecKey)` hashes with SHA-256 too). The
 * nonce k and the scalar multiplication k·G come from OpenSSL (ECDH key generation, constant
 * time); the inverse (Lehmer's algorithm, on a blinded value) and the few products mod n run in
 * BigInt. The key's scalar is read per signature, never kept.
 *
 * With an expected public point the signature is checked before it is returned (docs/security.md
 * SAD-24), by the signer that knows k and d: d·G = Q, R = k·G (both fixed-base multiplications,
 * recomputed), r = x(R) mod n and s·k ≡ e + r·d (mod n). Together they are the verification
 * equation of FIPS 186-5 §6.4.2 (u1·G + u2·Q = s⁻¹(e + r·d)·G = k·G = R), at about a third of the
 * cost of checking it from the outside over a bare digest (ecdsa-digest-check.ts: a variable-base
 * u2·Q in constant time), so a fault in k·G, in the scalar read, or in the arithmetic mod n
 * releases nothing (issue 19).
 */
import { createECDH, randomFillSync, type ECDH, type KeyObject } from 'node:crypto';
import { namedCurveOf, type NamedCurve } from '../../cms/algorithms.js';
import { modularInverse } from '../../cms/modular-inverse.js';
import { bytesToBigint } from '../../core/bytes.js';
import { ecdsaIntegersToDer } from '../ecdsa-signature.js';
import { KeyBackendError } from '../errors.js';

interface CurveParams {
  readonly opensslName: string;
  /** Group order n. */
  readonly n: bigint;
  /** Bit length of n. */
  readonly nBits: number;
  /** Byte length of a field element / scalar. */
  readonly size: number;
}

// FIPS 186-5 / SP 800-186 §3.2.1: the orders of P-256, P-384 and P-521.
const curves: Readonly<Record<NamedCurve, CurveParams>> = {
  'P-256': {
    opensslName: 'prime256v1',
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    nBits: 256,
    size: 32,
  },
  'P-384': {
    opensslName: 'secp384r1',
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    nBits: 384,
    size: 48,
  },
  'P-521': {
    opensslName: 'secp521r1',
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    nBits: 521,
    size: 66,
  },
};

/**
 * One ECDH object per curve and thread generates k and k·G: building one costs about half a
 * signature. It holds the last k until the next signature on this thread, in the same process
 * memory that holds the cached KeyObject itself.
 */
const nonces = new Map<NamedCurve, ECDH>();

function nonceGeneratorOf(curve: NamedCurve): ECDH {
  let ecdh = nonces.get(curve);
  if (ecdh === undefined) {
    ecdh = createECDH(curves[curve].opensslName);
    nonces.set(curve, ecdh);
  }
  return ecdh;
}

function mod(a: bigint, n: bigint): bigint {
  const r = a % n;
  return r < 0n ? r + n : r;
}

/**
 * Random octets for the blinding scalars, drawn 4 KiB at a time: one randomBytes call per
 * signature cost about a tenth of the signature. Each octet is used once and zeroed.
 */
const blindingPool = Buffer.alloc(4096);
let blindingOffset = blindingPool.length;

/** A uniformly random scalar in [1, n-1] (FIPS 186-5 §A.3.1, "extra random bits" method). */
function randomScalar(c: CurveParams): bigint {
  const length = c.size + 8;
  if (blindingOffset + length > blindingPool.length) {
    randomFillSync(blindingPool);
    blindingOffset = 0;
  }
  const octets = blindingPool.subarray(blindingOffset, blindingOffset + length);
  blindingOffset += length;
  const value = bytesToBigint(octets);
  octets.fill(0);
  return mod(value, c.n - 1n) + 1n;
}

function curveOf(key: KeyObject): NamedCurve {
  const curve = namedCurveOf(key.asymmetricKeyDetails?.namedCurve);
  if (curve !== undefined) return curve;
  throw new KeyBackendError('ERR_KEY_MECHANISM_UNSUPPORTED', 'unsupported EC curve');
}

/**
 * The privateKey octets of a DER ECPrivateKey (RFC 5915 §3):
 * SEQUENCE { version INTEGER (1), privateKey OCTET STRING, [0] parameters, [1] publicKey }.
 * A view into `der`, so zeroing `der` wipes it.
 */
function privateScalarOf(der: Uint8Array, size: number): Uint8Array {
  let at = 0;
  if (der[at++] !== 0x30) throw new KeyBackendError('ERR_KEY_SIGN_FAILED', 'EC key is not an ECPrivateKey');
  const lengthOctet = der[at++] ?? 0;
  if (lengthOctet & 0x80) at += lengthOctet & 0x7f;
  if (der[at] !== 0x02 || der[at + 1] !== 0x01 || der[at + 2] !== 0x01 || der[at + 3] !== 0x04) {
    throw new KeyBackendError('ERR_KEY_SIGN_FAILED', 'EC key is not an ECPrivateKey version 1');
  }
  const length = der[at + 4] ?? 0;
  if (length !== size || at + 5 + length > der.length) {
    throw new KeyBackendError('ERR_KEY_SIGN_FAILED', 'EC private key has the wrong length');
  }
  return der.subarray(at + 5, at + 5 + length);
}

/**
 * The uncompressed public point 04‖x‖y of an EC public key (the end of its SubjectPublicKeyInfo,
 * RFC 5480 §2.2), kept per KeyObject: exporting it costs more than a signature, and the caller's
 * key (a credential certificate's) is itself cached. Undefined for a key that is not EC.
 */
export function publicPointOf(publicKey: KeyObject): Uint8Array | undefined {
  let point = points.get(publicKey);
  if (point === undefined) {
    if (publicKey.asymmetricKeyType !== 'ec') return undefined;
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    point = new Uint8Array(spki.subarray(spki.length - (2 * curves[curveOf(publicKey)].size + 1)));
    points.set(publicKey, point);
  }
  return point;
}

const points = new WeakMap<KeyObject, Uint8Array>();

/** FIPS 186-5 §6.4.1 step 3 (bits2int): the leftmost min(nBits, hashBits) bits of the hash. */
function bits2int(digest: Uint8Array, c: CurveParams): bigint {
  const e = bytesToBigint(digest);
  const hashBits = digest.length * 8;
  return hashBits > c.nBits ? e >> BigInt(hashBits - c.nBits) : e;
}

/** Equal octets (public values: no constant time needed). */
function samePoint(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The output self-check refused the signature just made: it is discarded, never returned. */
export function outputCheckFailed(): KeyBackendError {
  return new KeyBackendError('ERR_KEY_SIGN_FAILED', 'the signature could not be created', {
    detail: { reason: 'output self-check failed' },
  });
}

/**
 * Signs `digest` with the EC private key and returns the DER ECDSA-Sig-Value. With
 * `expectedPoint` (the uncompressed 04‖x‖y of the public key the signature must verify under, the
 * credential certificate's), the signature is checked first; a mismatch throws ERR_KEY_SIGN_FAILED.
 * Low level: the caller has checked the digest length.
 */
export function signEcdsaPrehash(privateKey: KeyObject, digest: Uint8Array, expectedPoint?: Uint8Array): Uint8Array {
  const curve = curveOf(privateKey);
  const c = curves[curve];
  const nonce = nonceGeneratorOf(curve);
  // docs/security.md KEY-04: the scalar is read from a DER Buffer that is zeroed at once, never from
  // a JWK or any other string (a string cannot be wiped and outlives the signature in the heap).
  // Known gap: node copies the export out of an OpenSSL memory BIO that is freed without being
  // cleansed, and the BigInt d cannot be wiped either.
  const sec1 = privateKey.export({ format: 'der', type: 'sec1' });
  let d: bigint;
  let keyMatches = true;
  try {
    const scalar = privateScalarOf(sec1, c.size);
    d = bytesToBigint(scalar);
    // The self-check's d·G = Q, from these very octets. The nonce generator holds d only until
    // generateKeys() below replaces it with k, as it held the previous k until now.
    if (expectedPoint !== undefined) {
      nonce.setPrivateKey(scalar);
      keyMatches = samePoint(nonce.getPublicKey(), expectedPoint);
    }
  } finally {
    sec1.fill(0);
  }
  const e = bits2int(digest, c);
  for (;;) {
    // FIPS 186-5 §6.4.1 steps 4–6: k in [1, n−1] from OpenSSL's DRBG (EC_KEY_generate_key,
    // BN_priv_rand_range) and R = k·G, both in OpenSSL.
    const point = nonce.generateKeys(); // 0x04 || x || y
    const kBytes = nonce.getPrivateKey();
    const k = bytesToBigint(kBytes);
    const r = mod(bytesToBigint(point.subarray(1, 1 + c.size)), c.n);
    if (r === 0n) {
      kBytes.fill(0);
      continue;
    }
    // s = k⁻¹(e + r·d) mod n, computed as (k·b)⁻¹ · (b·e + b·r·d) with a random blind b, so the
    // variable-time inverse never sees k itself.
    const b = randomScalar(c);
    const kbInv = modularInverse(mod(k * b, c.n), c.n);
    const s = mod(kbInv * mod(b * e + mod(b * r, c.n) * d, c.n), c.n);
    if (s === 0n) {
      kBytes.fill(0);
      continue;
    }
    if (expectedPoint !== undefined) {
      // R = k·G again from the k just used (setPrivateKey recomputes the public point), and
      // s·k = e + r·d: with d·G = Q above, u1·G + u2·Q = R (FIPS 186-5 §6.4.2 steps 5–7).
      nonce.setPrivateKey(kBytes);
      const sameR = samePoint(nonce.getPublicKey(), point);
      kBytes.fill(0);
      // e is derived from the digest again: the check is over the digest that was asked for.
      if (!keyMatches || !sameR || mod(s * k, c.n) !== mod(bits2int(digest, c) + r * d, c.n)) throw outputCheckFailed();
    } else {
      kBytes.fill(0);
    }
    return ecdsaIntegersToDer(r, s, c.size);
  }
}
