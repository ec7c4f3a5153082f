/**
 * Sizes the /Contents room for RFC 3161 tokens by measuring a real token from the same TSA
 * (pyHanko's dummy-response approach): a token's size depends on the TSA's certificates, policy
 * and serial length, which no constant can guess.
 */
import { digestAlgorithms, type DigestAlgorithm } from '../cms/algorithms.js';
import type { Timestamper } from './types.js';

/**
 * Margin over the measured token: serial numbers and genTime fractions vary by a few bytes
 * between tokens, and DER length octets of the enclosing structures may grow.
 */
const TOKEN_MARGIN = 256;
/** The unsignedAttrs [1] wrapper and Attribute SEQUENCE/OID/SET around a signature-time-stamp token. */
const ATTRIBUTE_OVERHEAD = 32;

const measured = new WeakMap<Timestamper, Map<DigestAlgorithm, number>>();

/**
 * The size in bytes of a token from `timestamper` (one request per timestamper and algorithm,
 * then cached; call {@link forgetTimestampSize} when a token outgrew the measure).
 */
export async function measureTimestampToken(timestamper: Timestamper, digestAlgorithm: DigestAlgorithm): Promise<number> {
  let sizes = measured.get(timestamper);
  const known = sizes?.get(digestAlgorithm);
  if (known !== undefined) return known;
  const probe = await timestamper.timestamp(new Uint8Array(digestAlgorithms[digestAlgorithm].length), digestAlgorithm);
  if (!sizes) {
    sizes = new Map();
    measured.set(timestamper, sizes);
  }
  sizes.set(digestAlgorithm, probe.length);
  return probe.length;
}

/** Drops the cached measure of `timestamper` (the next reservation measures again). */
export function forgetTimestampSize(timestamper: Timestamper): void {
  measured.delete(timestamper);
}

/**
 * Bytes to pass as `reserveBytes` to `preparePdf` so a signature-time-stamp token (ETSI EN 319
 * 122-1 §5.3) fits next to the CMS signature.
 *
 * @example
 * ```ts
 * const reserveBytes = await signatureTimestampReserve(timestamper, 'SHA-256');
 * const prepared = preparePdf(pdf, { ...options, reserveBytes });
 * ```
 */
export async function signatureTimestampReserve(timestamper: Timestamper, digestAlgorithm: DigestAlgorithm): Promise<number> {
  return (await measureTimestampToken(timestamper, digestAlgorithm)) + ATTRIBUTE_OVERHEAD + TOKEN_MARGIN;
}

/** /Contents capacity for a document timestamp (the token is the whole container). */
export async function documentTimestampCapacity(timestamper: Timestamper, digestAlgorithm: DigestAlgorithm): Promise<number> {
  return (await measureTimestampToken(timestamper, digestAlgorithm)) + TOKEN_MARGIN;
}
