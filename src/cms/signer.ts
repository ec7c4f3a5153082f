/** The Signer seam (after pyHanko and DSS): what the CMS/PAdES library needs to sign. */
import type { SignatureAlgorithm } from './algorithms.js';

/**
 * Something that can produce a raw signature with a certified key.
 * Implementations: a local key file, a key backend (software keystore, PKCS#11, remote token
 * server), a CSC client (signHash), or an external value supplied later.
 *
 * @example
 * ```ts
 * const signature = await signer.sign(signedAttributesDer);
 * ```
 */
export interface Signer {
  /** DER certificates, leaf first, then issuers (the root may be omitted). */
  readonly certificateChain: readonly Uint8Array[];
  /** The algorithm `sign` uses. */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /**
   * Signs `data` (the implementation hashes it with `signatureAlgorithm.digest`). Returns the raw
   * signature value as it goes in SignerInfo.signature: PKCS#1 / PSS octets for RSA, the DER
   * `ECDSA-Sig-Value` for ECDSA (RFC 5753 §2.1.1, RFC 3279 §2.2.3).
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** Upper bound in bytes of what `sign` returns (used to size placeholders). */
  maxSignatureSize(): number;
}
