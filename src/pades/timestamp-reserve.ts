/**
 * Sizes the /Contents room for RFC 3161 tokens by measuring a real token from the same TSA
 * (pyHanko's dummy-response approach): a token's size depends on the TSA's certificates, policy
 * and serial length, which no constant can guess. Nothing is remembered here: a level plan
 * (`planLevel`) measures once and carries the result, so two plans with different TSAs, or a TSA
 * whose tokens grew, each get their own room.
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

/**
 * The size in bytes of one token from `timestamper` over a zero digest of `digestAlgorithm`
 * (one request each call).
 *
 * @example
 * ```ts
 * const size = await measureTimestampToken(timestamper, 'SHA-256');
 * ```
 */
export async function measureTimestampToken(timestamper: Timestamper, digestAlgorithm: DigestAlgorithm): Promise<number> {
  const probe = await timestamper.timestamp(new Uint8Array(digestAlgorithms[digestAlgorithm].length), digestAlgorithm);
  return probe.length;
}

/**
 * Bytes of /Contents to reserve next to the CMS signature for a signature-time-stamp token
 * (ETSI EN 319 122-1 §5.3) of `tokenSize` measured bytes.
 *
 * @example
 * ```ts
 * const reserveBytes = signatureTimestampReserve(await measureTimestampToken(timestamper, 'SHA-256'));
 * ```
 */
export function signatureTimestampReserve(tokenSize: number): number {
  return tokenSize + ATTRIBUTE_OVERHEAD + TOKEN_MARGIN;
}

/**
 * /Contents capacity of a document timestamp (the token is the whole container) for a token of
 * `tokenSize` measured bytes.
 *
 * @example
 * ```ts
 * const capacity = documentTimestampCapacity(await measureTimestampToken(timestamper, 'SHA-256'));
 * ```
 */
export function documentTimestampCapacity(tokenSize: number): number {
  return tokenSize + TOKEN_MARGIN;
}
