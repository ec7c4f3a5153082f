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

/** A validation policy (the shape of default-policy.json). */
export interface ValidationPolicy {
  readonly name: string;
  readonly description?: string;
  readonly signatureAcceptance: {
    /** Digests accepted; a digest not listed is not acceptable (ETSI TS 119 312 §6.2). */
    readonly digests: Readonly<Partial<Record<VerifiableDigest, DigestAcceptance>>>;
  };
  readonly revocation: {
    /** Without revocation evidence a signature is INDETERMINATE, never TOTAL-PASSED. */
    readonly requireEvidence: boolean;
    /** Fetch OCSP, then CRL, from the certificate's AIA/CDP when the document carries none. */
    readonly fetchOnline: boolean;
    /** Upper bound of one online fetch. */
    readonly timeoutMs: number;
  };
}

/** Signet's default policy (default-policy.json). */
export const defaultValidationPolicy: ValidationPolicy = defaultPolicyJson as ValidationPolicy;

/** Why `digest` is not acceptable at `at` under `policy`, or undefined when it is. */
export function digestRefusal(policy: ValidationPolicy, digest: VerifiableDigest, at: Date): string | undefined {
  const rule = policy.signatureAcceptance.digests[digest];
  if (rule === undefined) return `${digest} is not accepted by the validation policy ${policy.name}`;
  if (rule.acceptableUntil !== undefined && at.getTime() > Date.parse(`${rule.acceptableUntil}T23:59:59Z`)) {
    return `${digest} is acceptable only until ${rule.acceptableUntil} under the validation policy ${policy.name} (ETSI TS 119 312)`;
  }
  return undefined;
}
