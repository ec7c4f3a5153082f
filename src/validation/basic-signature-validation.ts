/**
 * ETSI EN 319 102-1 §5.3, the validation process for Basic Signatures, as the second pass over
 * the facts `verifyPdfSignatures` collected: the building blocks in the clause's order — format
 * checking (§5.2.2), identification of the signing certificate (§5.2.3), cryptographic
 * verification (§5.2.7), X.509 certificate validation (§5.2.6), signature acceptance (§5.2.8) —
 * each turned into the indication and sub-indication of §5.1.3. Time-stamps and revocation (§5.5,
 * §5.6) are judged afterwards, in long-term.ts.
 */
import type { SignerInfoVerification } from '../cms/index.js';
import type { ChainStatus, Indication, SubIndication } from './types.js';

/** The facts of the first pass that the basic validation weighs. */
export interface SignatureFacts {
  readonly formatOk: boolean;
  /** A change after signing that the signature does not permit (ISO 32000-1 §12.8.2). */
  readonly modified: boolean;
  readonly hasCert: boolean;
  readonly crypto: SignerInfoVerification | undefined;
  /** Structural CMS faults beyond digest and signature (content type, ESS binding, SID). */
  readonly constraintFailures: readonly string[];
  /** Algorithms or keys the policy does not accept (ETSI TS 119 312). */
  readonly weakCrypto: readonly string[];
  readonly chain: ChainStatus | undefined;
  /** Other errors still unexplained by the facts above. */
  readonly otherErrors: number;
}

/**
 * The indication of one signature from its facts.
 *
 * @example
 * ```ts
 * const [indication, subIndication] = basicSignatureValidation(facts);
 * ```
 */
export function basicSignatureValidation(f: SignatureFacts): [Indication, SubIndication | undefined] {
  // §5.2.2 format checking.
  if (!f.formatOk) return ['TOTAL-FAILED', 'FORMAT_FAILURE'];
  // V8/V9: a disallowed change after signing fails the signature whatever its cryptography.
  if (f.modified) return ['TOTAL-FAILED', 'SIG_CONSTRAINTS_FAILURE'];
  // §5.2.3 identification of the signing certificate.
  if (!f.hasCert) return ['INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND'];
  // §5.2.7 cryptographic verification.
  if (f.crypto && !f.crypto.isMessageDigestValid) return ['TOTAL-FAILED', 'HASH_FAILURE'];
  if (f.crypto && !f.crypto.isSignatureValid) return ['TOTAL-FAILED', 'SIG_CRYPTO_FAILURE'];
  if (!f.crypto || f.constraintFailures.length > 0) return ['TOTAL-FAILED', 'SIG_CONSTRAINTS_FAILURE'];
  // §5.2.6 X.509 certificate validation.
  if (f.chain === 'invalid') return ['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE'];
  if (f.chain === 'expired') return ['INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE'];
  if (f.chain !== 'trusted') return ['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND'];
  // §5.2.8 signature acceptance with ETSI TS 119 312: an algorithm no longer acceptable at
  // validation time, with no proof of existence before then.
  if (f.weakCrypto.length > 0) return ['INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'];
  if (f.otherErrors > 0) return ['INDETERMINATE', undefined];
  return ['TOTAL-PASSED', undefined];
}
