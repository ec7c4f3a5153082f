/**
 * RFC 3161 client (§3.4 HTTP binding): sends a TimeStampReq with a random nonce and certReq,
 * and accepts the reply (verifyTimestampReply, in cms) only when the status is granted (§2.4.2), the TSTInfo's messageImprint,
 * nonce and policy match the request, and — when the token carries the TSA certificate — the
 * CMS signature, messageDigest and the TSA's critical timeStamping EKU (§2.3) verify. Chain
 * validation of the TSA is left to the validation domain.
 */
import { createHash, randomBytes } from 'node:crypto';
import { encodeDigestAlgorithmIdentifier } from '../../cms/algorithm-identifier.js';
import { digestAlgorithms, type DigestAlgorithm } from '../../cms/algorithms.js';
import { encodeOid, encodeSmallInteger, encodeTlv, tags } from '../../cms/der.js';
import { verifyTimestampReply, type TimestampResult } from '../../cms/tsa/timestamp-reply.js';
import { PkiError } from '../errors.js';
import { fetchBytes, type TransportOptions } from '../http/fetch-transport.js';

export { checkTimestampingEku, verifyTimestampReply, type TimestampResult } from '../../cms/tsa/timestamp-reply.js';

/** Options of TimestampClient. */
export interface TimestampClientOptions extends TransportOptions {
  /** The TSA endpoint (e.g. `http://127.0.0.1:8080/tsa`). */
  readonly url: string;
  /** Hash algorithm for the message imprint when hashing data here (default SHA-256). */
  readonly digestAlgorithm?: DigestAlgorithm;
  /** Request a specific TSA policy (§2.4.1 reqPolicy). */
  readonly policyOid?: string;
  /** Ask for the TSA certificate in the token (default true). */
  readonly certReq?: boolean;
}

/**
 * Obtains RFC 3161 timestamps from a TSA.
 *
 * @example
 * ```ts
 * const tsa = new TimestampClient({ url: 'http://127.0.0.1:8080/tsa' });
 * const { token } = await tsa.timestampDigest(signatureValueDigest, 'SHA-256');
 * ```
 */
export class TimestampClient {
  readonly #options: TimestampClientOptions;

  constructor(options: TimestampClientOptions) {
    this.#options = options;
  }

  /** Hashes `data` and timestamps the digest. */
  timestamp(data: Uint8Array): Promise<TimestampResult> {
    const alg = this.#options.digestAlgorithm ?? 'SHA-256';
    const digest = new Uint8Array(createHash(digestAlgorithms[alg].nodeName).update(data).digest());
    return this.timestampDigest(digest, alg);
  }

  /** Timestamps a pre-computed digest. */
  async timestampDigest(digest: Uint8Array, digestAlgorithm: DigestAlgorithm): Promise<TimestampResult> {
    if (digest.length !== digestAlgorithms[digestAlgorithm].length) {
      throw new PkiError('ERR_PKI_ALGORITHM_UNSUPPORTED', 'digest length does not match the algorithm');
    }
    const nonceBytes = new Uint8Array(randomBytes(16));
    nonceBytes[0] = ((nonceBytes[0] ?? 0) & 0x7f) | 0x01; // positive, no leading zero octet
    const body = encodeTimeStampReq({
      digest,
      digestAlgorithm,
      nonce: nonceBytes,
      certReq: this.#options.certReq ?? true,
      ...(this.#options.policyOid === undefined ? {} : { policyOid: this.#options.policyOid }),
    });
    const reply = await fetchBytes(
      this.#options.url,
      { method: 'POST', contentType: 'application/timestamp-query', body },
      { ...this.#options, expectType: 'application/timestamp-reply', defaultMaxBytes: 256 * 1024 },
    );
    return verifyTimestampReply(reply.body, {
      digest,
      digestAlgorithm,
      nonce: nonceBytes,
      ...(this.#options.policyOid !== undefined ? { policyOid: this.#options.policyOid } : {}),
      ...(this.#options.certReq !== undefined ? { certReq: this.#options.certReq } : {}),
    });
  }
}

/** What {@link encodeTimeStampReq} encodes. */
export interface TimeStampReqInput {
  readonly digest: Uint8Array;
  readonly digestAlgorithm: DigestAlgorithm;
  /** Content octets of a positive INTEGER without a leading zero octet. */
  readonly nonce: Uint8Array;
  readonly certReq: boolean;
  readonly policyOid?: string;
}

const derTrue = encodeTlv(0x01, Uint8Array.of(0xff));

/**
 * DER of a TimeStampReq (RFC 3161 §2.4.1), encoded directly (issue 19: the schema serialiser cost
 * about 0.3 ms a request, more than the rest of the request):
 *
 * TimeStampReq ::= SEQUENCE {
 *   version INTEGER { v1(1) }, messageImprint MessageImprint, reqPolicy TSAPolicyId OPTIONAL,
 *   nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT Extensions OPTIONAL }
 * MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
 *
 * certReq FALSE is left out (X.690 §11.5: a DEFAULT value is not encoded in DER).
 */
export function encodeTimeStampReq(input: TimeStampReqInput): Uint8Array {
  const messageImprint = encodeTlv(tags.sequence, encodeDigestAlgorithmIdentifier(input.digestAlgorithm), encodeTlv(tags.octetString, input.digest));
  return encodeTlv(
    tags.sequence,
    encodeSmallInteger(1),
    messageImprint,
    ...(input.policyOid === undefined ? [] : [encodeOid(input.policyOid)]),
    encodeTlv(tags.integer, input.nonce),
    ...(input.certReq ? [derTrue] : []),
  );
}
