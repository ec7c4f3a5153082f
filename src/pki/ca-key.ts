/**
 * A CA-side signing key (CA, TSA or OCSP signer) held by a KeyBackend: the TBS bytes go to the
 * backend's `signMessage` when it has one, else they are hashed here and only the digest goes to
 * `backend.sign` (RFC 5280 §4.1.1.3, RFC 6960 §4.2.1).
 */
import { createHash } from 'node:crypto';
import { digestAlgorithms, type SignatureAlgorithm } from '../cms/algorithms.js';
import type { KeyBackend, KeyRef } from '../keys/key-backend.js';

/** A signing key in a backend, with the algorithm it signs with. Never a private key object. */
export interface CaKey {
  readonly backend: KeyBackend;
  readonly ref: KeyRef;
  readonly algorithm: SignatureAlgorithm;
}

/**
 * Signs DER `tbs` (TBSCertificate, TBSCertList, ResponseData, SignedAttributes) with the key.
 * Returns the raw signature value (ECDSA: DER Ecdsa-Sig-Value).
 *
 * @example
 * ```ts
 * const signatureValue = await signWithCaKey(caKey, tbsCertificateDer);
 * ```
 */
export async function signWithCaKey(key: CaKey, tbs: Uint8Array): Promise<Uint8Array> {
  // Issue 19: a backend that hashes the message itself (the software keystore: one node:crypto
  // call for an EC key, instead of ECDSA over a bare digest in BigInt) signs the TBS bytes.
  if (key.backend.signMessage !== undefined) {
    return key.backend.signMessage(key.ref, { scheme: key.algorithm.scheme, digestAlgorithm: key.algorithm.digest, message: tbs });
  }
  const digest = new Uint8Array(
    createHash(digestAlgorithms[key.algorithm.digest].nodeName).update(tbs).digest(),
  );
  return key.backend.sign(key.ref, {
    scheme: key.algorithm.scheme,
    digestAlgorithm: key.algorithm.digest,
    digest,
  });
}
