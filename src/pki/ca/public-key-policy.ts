/**
 * Public-key acceptance for certification (ETSI TS 119 312 §6, NIST SP 800-89 §5.3.3): RSA with
 * 2048…8192-bit moduli and an odd exponent 65537 ≤ e < 2^256, or EC on P-256/P-384/P-521 with
 * named-curve parameters. Everything else is refused (default-deny).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { namedCurveOf, type KeyType, type NamedCurve } from '../../cms/algorithms.js';
import { PkiError } from '../errors.js';

/** What an accepted key is. */
export type AcceptedKey =
  | { readonly keyType: Extract<KeyType, 'RSA'>; readonly bits: number }
  | { readonly keyType: Extract<KeyType, 'EC'>; readonly curve: NamedCurve };

/** Largest SPKI examined (an RSA-8192 SPKI is ~1.1 KB). */
const maxSpkiBytes = 4096;

/** True when the SPKI's AlgorithmIdentifier parameters are an OBJECT IDENTIFIER (tag 06). */
function hasNamedCurveParameters(spki: Uint8Array): boolean {
  try {
    const parameters = AsnConvert.parse(spki, SubjectPublicKeyInfo).algorithm.parameters;
    return parameters instanceof ArrayBuffer && new Uint8Array(parameters)[0] === 0x06;
  } catch {
    return false;
  }
}

/**
 * Checks an SPKI (DER) against the key policy. Throws ERR_PKI_WEAK_KEY (too small, bad exponent)
 * or ERR_PKI_UNSUPPORTED_KEY (unknown type or curve, explicit parameters, absurd size, garbage).
 *
 * @example
 * ```ts
 * const key = checkPublicKey(spki); // { keyType: 'EC', curve: 'P-256' }
 * ```
 */
export function checkPublicKey(spki: Uint8Array): AcceptedKey {
  if (spki.length > maxSpkiBytes) {
    throw new PkiError('ERR_PKI_UNSUPPORTED_KEY', 'public key is too large');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    // Includes points not on the curve and explicit (unnamed) curve parameters.
    throw new PkiError('ERR_PKI_UNSUPPORTED_KEY', 'public key cannot be parsed', { cause });
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    const e = details.publicExponent ?? 0n;
    if (bits < 2048) throw new PkiError('ERR_PKI_WEAK_KEY', `RSA key of ${bits} bits (minimum 2048)`);
    if (bits > 8192) throw new PkiError('ERR_PKI_UNSUPPORTED_KEY', `RSA key of ${bits} bits (maximum 8192)`);
    if (e < 65537n || e % 2n === 0n || e >= 1n << 256n) {
      throw new PkiError('ERR_PKI_WEAK_KEY', 'RSA public exponent must be odd, ≥ 65537 and < 2^256');
    }
    return { keyType: 'RSA', bits };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = namedCurveOf(details.namedCurve);
    if (!curve) throw new PkiError('ERR_PKI_UNSUPPORTED_KEY', 'EC key on an unsupported curve');
    // RFC 5480 §2.1.1: the parameters MUST be namedCurve; implicitCurve and specifiedCurve MUST
    // NOT be used. OpenSSL 3 maps explicit parameters equal to P-256 onto its name, so the
    // encoding itself is checked.
    if (!hasNamedCurveParameters(spki)) {
      throw new PkiError('ERR_PKI_UNSUPPORTED_KEY', 'EC key with explicit or absent curve parameters');
    }
    return { keyType: 'EC', curve };
  }
  throw new PkiError('ERR_PKI_UNSUPPORTED_KEY', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
}
