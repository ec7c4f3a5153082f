/**
 * The validation policy: the data the second pass judges the facts with (EN 319 102-1 §5.2.8
 * signature acceptance, §5.2.5–§5.2.6 revocation). The default policy is the JSON file next to
 * this module (documented in docs/validation.md); an operator passes a stricter one.
 */
import type { VerifiableDigest } from '../cms/index.js';
import defaultPolicyJson from './default-policy.json' with { type: 'json' };

/** One digest's acceptance: acceptable until the end of `acceptableUntil` (ISO date), or for ever. */
export interface DigestAcceptance {
  readonly acceptableUntil?: string;
}

/**
 * One key-size step of a public-key algorithm (ETSI TS 119 312 §7.2): a key of at least
 * `minBits` (RSA modulus, EC field size) is acceptable until the end of `acceptableUntil`, or for
 * ever. The step with the largest `minBits` the key reaches applies.
 */
export interface KeySizeAcceptance {
  readonly minBits: number;
  readonly acceptableUntil?: string;
}

/** Public-key algorithms a validator judges (the signer's key type). */
export type PublicKeyAlgorithm = 'RSA' | 'EC';

/** A validation policy (the shape of default-policy.json). */
export interface ValidationPolicy {
  readonly name: string;
  readonly description?: string;
  readonly signatureAcceptance: {
    /** Digests accepted; a digest not listed is not acceptable (ETSI TS 119 312 §6.2). */
    readonly digests: Readonly<Partial<Record<VerifiableDigest, DigestAcceptance>>>;
    /** Key sizes accepted per public-key algorithm; an algorithm not listed, or a key below every step, is not acceptable. */
    readonly publicKeys: Readonly<Partial<Record<PublicKeyAlgorithm, readonly KeySizeAcceptance[]>>>;
  };
  readonly revocation: {
    /** Without revocation evidence a signature is INDETERMINATE, never TOTAL-PASSED. */
    readonly requireEvidence: boolean;
    /**
     * A CA certificate (of a signer's or a time-stamping authority's path) that names neither a
     * CRL distribution point nor an OCSP responder, with no evidence in the document or fetched:
     * `error` (absent: the same) — like any certificate without evidence, INDETERMINATE /
     * TRY_LATER; `warning` — its status is not checked (EN 319 102-1 §5.2.4 X.509 validation
     * constraints), a warning finding says so, and the PAdES level does not wait for evidence
     * that cannot exist.
     */
    readonly caWithoutRevocationSource?: 'error' | 'warning';
    /** Fetch OCSP, then CRL, from the certificate's AIA/CDP when the document carries none. */
    readonly fetchOnline: boolean;
    /** Upper bound of one online fetch. */
    readonly timeoutMs: number;
  };
}

/** Signet's default policy (default-policy.json). */
export const defaultValidationPolicy: ValidationPolicy = defaultPolicyJson as ValidationPolicy;

function pastEnd(acceptableUntil: string | undefined, at: Date): boolean {
  return acceptableUntil !== undefined && at.getTime() > Date.parse(`${acceptableUntil}T23:59:59Z`);
}

/** Why `digest` is not acceptable at `at` under `policy`, or undefined when it is. */
export function digestRefusal(policy: ValidationPolicy, digest: VerifiableDigest, at: Date): string | undefined {
  const rule = policy.signatureAcceptance.digests[digest];
  if (rule === undefined) return `${digest} is not accepted by the validation policy ${policy.name}`;
  if (pastEnd(rule.acceptableUntil, at)) {
    return `${digest} is acceptable only until ${rule.acceptableUntil} under the validation policy ${policy.name} (ETSI TS 119 312)`;
  }
  return undefined;
}

/** The signer's public key as a validator judges it: its algorithm and size in bits (undefined: a key the policy cannot size). */
export interface PublicKeyFacts {
  /** `RSA`, `EC`, or node:crypto's name of another key type (e.g. `ed25519`, `dsa`). */
  readonly algorithm: string;
  readonly bits: number | undefined;
  /** The named curve of an EC key (node:crypto's name). */
  readonly curve?: string;
}

/**
 * Why the key is not acceptable at `at` under `policy`, or undefined when it is (ETSI TS 119 312
 * §7.2: RSA modulus and EC field sizes with end dates).
 */
export function publicKeyRefusal(policy: ValidationPolicy, key: PublicKeyFacts, at: Date): string | undefined {
  const what = key.algorithm === 'EC' ? `an EC key on ${key.curve ?? 'an unnamed curve'}` : `a ${key.bits ?? '?'}-bit ${key.algorithm} key`;
  const steps = key.algorithm === 'RSA' || key.algorithm === 'EC' ? policy.signatureAcceptance.publicKeys[key.algorithm] : undefined;
  if (steps === undefined || key.bits === undefined) return `${what} is not accepted by the validation policy ${policy.name}`;
  const bits = key.bits;
  const step = steps.filter((s) => bits >= s.minBits).sort((a, b) => b.minBits - a.minBits)[0];
  if (step === undefined) return `${what} is below every key size the validation policy ${policy.name} accepts`;
  if (pastEnd(step.acceptableUntil, at)) {
    return `${what}${key.algorithm === 'EC' ? ` (${bits} bits)` : ''} is acceptable only until ${step.acceptableUntil} under the validation policy ${policy.name} (ETSI TS 119 312)`;
  }
  return undefined;
}
