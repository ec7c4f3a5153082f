/**
 * DigestInfo encoding for RSASSA-PKCS1-v1_5 over a pre-computed digest (RFC 8017 §9.2, step 2
 * and Note 1): the DER prefix of `DigestInfo ::= SEQUENCE { digestAlgorithm, digest OCTET STRING }`.
 */
import type { DigestAlgorithm } from '../cms/algorithms.js';
import { digestAlgorithms } from '../cms/algorithms.js';
import { concatBytes, fromHex } from '../core/bytes.js';
import { KeyBackendError } from './errors.js';

// RFC 8017 §9.2 Note 1: the fixed DER prefixes for SHA-256/384/512 (parameters NULL present).
const prefixes: Readonly<Record<DigestAlgorithm, string>> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

/**
 * Checks that `digest` has the length of `digestAlgorithm` (FIPS 180-4) and throws
 * `ERR_KEY_DIGEST_INVALID` otherwise.
 */
export function assertDigestLength(digestAlgorithm: DigestAlgorithm, digest: Uint8Array): void {
  const entry = digestAlgorithms[digestAlgorithm];
  if (entry === undefined || digest.length !== entry.length) {
    throw new KeyBackendError(
      'ERR_KEY_DIGEST_INVALID',
      `digest must be ${entry?.length ?? '?'} bytes for ${digestAlgorithm}, got ${digest.length}`,
    );
  }
}

/**
 * The DER `DigestInfo` for `digest`: what RSASSA-PKCS1-v1_5 pads and signs (EMSA-PKCS1-v1_5, T).
 *
 * @example
 * ```ts
 * const t = encodeDigestInfo('SHA-256', sha256Digest); // 51 bytes
 * ```
 */
export function encodeDigestInfo(digestAlgorithm: DigestAlgorithm, digest: Uint8Array): Uint8Array {
  assertDigestLength(digestAlgorithm, digest);
  return concatBytes([fromHex(prefixes[digestAlgorithm]) as Uint8Array, digest]);
}
