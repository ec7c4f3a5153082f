/**
 * Signature acceptance validation (ETSI EN 319 102-1 §5.2.8): the algorithms a signature uses —
 * its digests and the signer's public key with its size — judged by the validation policy at a
 * given time (ETSI TS 119 312). The basic validation judges at validation time; the long-term
 * validation judges again at the best signature time a time-stamp proves (§5.6.2.1).
 */
import { X509Certificate } from 'node:crypto';
import type { VerifiableDigest } from '../cms/index.js';
import {
  digestRefusal,
  publicKeyRefusal,
  type PublicKeyFacts,
  type ValidationPolicy,
} from './validation-policy.js';

/** The algorithm facts of one signature. */
export interface AlgorithmFacts {
  /** Every digest the signature depends on (SignerInfo digest, signature scheme digest, adbe.pkcs7.sha1's SHA-1). */
  readonly digests: readonly VerifiableDigest[];
  readonly publicKey: PublicKeyFacts;
}

/**
 * Field sizes of the named curves ETSI TS 119 312 §7.2 lists (NIST P-curves, Brainpool r1
 * curves); any other curve has no size here and is not accepted.
 */
const curveBits: Readonly<Record<string, number>> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP192r1: 192,
  brainpoolP224r1: 224,
  brainpoolP256r1: 256,
  brainpoolP320r1: 320,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

/** The public-key facts of a certificate (DER). */
export function publicKeyFacts(certificate: Uint8Array): PublicKeyFacts {
  const key = new X509Certificate(certificate).publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss')
    return { algorithm: 'RSA', bits: details.modulusLength };
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve ?? '';
    return { algorithm: 'EC', bits: curveBits[curve], curve };
  }
  return { algorithm: key.asymmetricKeyType ?? 'unknown', bits: undefined };
}

/**
 * Why the policy does not accept the signature's algorithms at `at`: one message per refused
 * digest or key, empty when every algorithm is acceptable.
 *
 * @example
 * ```ts
 * const refusals = acceptanceRefusals(defaultValidationPolicy, { digests: ['SHA-256'], publicKey: publicKeyFacts(signerDer) }, new Date());
 * ```
 */
export function acceptanceRefusals(
  policy: ValidationPolicy,
  facts: AlgorithmFacts,
  at: Date,
): string[] {
  const out: string[] = [];
  for (const d of new Set(facts.digests)) {
    const refusal = digestRefusal(policy, d, at);
    if (refusal !== undefined) out.push(`the signature uses ${d}: ${refusal}`);
  }
  const keyRefusal = publicKeyRefusal(policy, facts.publicKey, at);
  if (keyRefusal !== undefined) out.push(`the signer's key: ${keyRefusal}`);
  return out;
}
