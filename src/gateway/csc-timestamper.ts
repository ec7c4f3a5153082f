/**
 * A PAdES `Timestamper` over the provider's `signatures/timestamp` (CSC v2 §11.13): RFC 3161
 * tokens for B-T from the same CSC service that signs (as documenso does for its TSPs).
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual } from '../core/bytes.js';
import { digestAlgorithms } from '../cms/index.js';
import { parseTimestampToken, serialToHex, type TimestampTokenView } from '../cms/pki-verification.js';
import type { CscClient } from '../csc/client/index.js';
import type { Timestamper } from '../pades/index.js';
import { GatewayError } from './errors.js';

/**
 * Returns a Timestamper that asks `client` for a TimeStampToken over each digest, with a fresh
 * nonce (CSC v2 §11.13: the token SHALL carry it). The reply must be a TimeStampToken over that
 * digest with that nonce (RFC 3161 §2.4.2), read by cms's one token reader.
 *
 * @example
 * ```ts
 * await signBatch(documents, { ...options, options: { level: 'B-T', timestamper: cscTimestamper(client) } });
 * ```
 */
export function cscTimestamper(client: CscClient): Timestamper {
  return {
    async timestamp(digest, digestAlgorithm) {
      const nonce = randomBytes(8);
      const { timestamp } = await client.timestamp({
        hash: Buffer.from(digest).toString('base64'),
        hashAlgo: digestAlgorithms[digestAlgorithm].oid,
        nonce: nonce.toString('hex'),
      });
      const token = new Uint8Array(Buffer.from(timestamp, 'base64'));
      let view: TimestampTokenView;
      try {
        view = parseTimestampToken(token);
      } catch (cause) {
        throw new GatewayError('ERR_GATEWAY_TIMESTAMP', 'the provider returned a timestamp that is not an RFC 3161 TimeStampToken', { cause });
      }
      // RFC 3161 §2.4.2: the imprint and the nonce MUST be the request's.
      const { messageImprint, nonce: echoed } = view.tstInfo;
      if (messageImprint.digestAlgorithm !== digestAlgorithm || !bytesEqual(messageImprint.hashedMessage, digest)) {
        throw new GatewayError('ERR_GATEWAY_TIMESTAMP', 'the provider returned a timestamp over another hash');
      }
      if (echoed === undefined || serialToHex(echoed) !== serialToHex(nonce)) {
        throw new GatewayError('ERR_GATEWAY_TIMESTAMP', 'the provider returned a timestamp without the nonce it was sent');
      }
      return token;
    },
  };
}
