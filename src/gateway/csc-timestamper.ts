/**
 * A PAdES `Timestamper` over the provider's `signatures/timestamp` (CSC v2 §11.13): RFC 3161
 * tokens for B-T from the same CSC service that signs (as documenso does for its TSPs).
 */
import { randomBytes } from 'node:crypto';
import { digestAlgorithms, parseSignedData } from '../cms/index.js';
import type { CscClient } from '../csc/client/index.js';
import type { Timestamper } from '../pades/index.js';
import { GatewayError } from './errors.js';

/**
 * Returns a Timestamper that asks `client` for a TimeStampToken over each digest, with a fresh
 * nonce (CSC v2 §11.13: the token SHALL carry it). The reply must be a CMS SignedData.
 *
 * @example
 * ```ts
 * await signBatch(documents, { ...options, options: { level: 'B-T', timestamper: cscTimestamper(client) } });
 * ```
 */
export function cscTimestamper(client: CscClient): Timestamper {
  return {
    async timestamp(digest, digestAlgorithm) {
      const { timestamp } = await client.timestamp({
        hash: Buffer.from(digest).toString('base64'),
        hashAlgo: digestAlgorithms[digestAlgorithm].oid,
        nonce: randomBytes(8).toString('hex'),
      });
      const token = new Uint8Array(Buffer.from(timestamp, 'base64'));
      try {
        parseSignedData(token);
      } catch (cause) {
        throw new GatewayError('ERR_GATEWAY_TIMESTAMP', 'the provider returned a timestamp that is not a CMS SignedData', { cause });
      }
      return token;
    },
  };
}
