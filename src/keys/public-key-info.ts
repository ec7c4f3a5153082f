/**
 * Facts about a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): key type, size, and the largest
 * signature the key can produce (RFC 8017 §8: k octets; RFC 3279 §2.2.3: DER of two integers).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { namedCurveOf, type NamedCurve } from '../cms/algorithms.js';
import { KeyBackendError } from './errors.js';

/** What Signet needs to know about a public key. */
export type PublicKeyInfo =
  | { readonly keyType: 'RSA'; readonly bits: number; readonly maxSignatureSize: number }
  | { readonly keyType: 'EC'; readonly curve: NamedCurve; readonly maxSignatureSize: number };

const curveSizes: Readonly<Record<NamedCurve, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

export { namedCurveOf };

/**
 * A key's name for people: "EC P-256" (the NIST name, not OpenSSL's prime256v1), "RSA 2048".
 *
 * @example
 * ```ts
 * keyLabel(new X509Certificate(der).publicKey); // 'EC P-256'
 * ```
 */
export function keyLabel(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    const curve = details?.namedCurve;
    return `EC ${namedCurveOf(curve) ?? curve ?? ''}`.trim();
  }
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return `RSA ${details?.modulusLength ?? ''}`.trim();
  }
  return (key.asymmetricKeyType ?? '').toUpperCase();
}

/**
 * Describes an SPKI DER public key; throws `ERR_KEY_SPEC_UNSUPPORTED` for other key types.
 *
 * @example
 * ```ts
 * const { keyType, maxSignatureSize } = describePublicKey(spki); // 'EC', 72 for P-256
 * ```
 */
export function describePublicKey(spki: Uint8Array): PublicKeyInfo {
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (err) {
    throw new KeyBackendError('ERR_KEY_SPEC_UNSUPPORTED', 'not a valid SubjectPublicKeyInfo', {
      cause: err,
    });
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return { keyType: 'RSA', bits, maxSignatureSize: Math.ceil(bits / 8) };
  }
  const curve =
    key.asymmetricKeyType === 'ec' ? namedCurveOf(key.asymmetricKeyDetails?.namedCurve) : undefined;
  if (curve === undefined) {
    throw new KeyBackendError(
      'ERR_KEY_SPEC_UNSUPPORTED',
      `unsupported public key type ${key.asymmetricKeyType ?? '?'}`,
    );
  }
  const size = curveSizes[curve];
  // SEQUENCE { INTEGER r, INTEGER s }: each integer at most size+1 bytes plus tag and length.
  const body = 2 * (size + 1 + 2);
  return { keyType: 'EC', curve, maxSignatureSize: body + (body < 128 ? 2 : 3) };
}
