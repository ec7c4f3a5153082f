/** Message digests for CMS (RFC 5652 §5.4) with node:crypto, one-shot or streamed over chunks. */
import { createHash } from 'node:crypto';
import { verifiableDigests, type VerifiableDigest } from './algorithms.js';

/**
 * The digest of `data`.
 *
 * @example
 * ```ts
 * const md = digestOf('SHA-256', new TextEncoder().encode('abc'));
 * ```
 */
export function digestOf(alg: VerifiableDigest, data: Uint8Array): Uint8Array {
  return plain(createHash(verifiableDigests[alg].nodeName).update(data).digest());
}

/** An incremental digest: feed chunks with `update`, finish once with `digest`. */
export interface IncrementalDigest {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
}

/**
 * Starts an incremental digest (for byte ranges read from disk in chunks).
 *
 * @example
 * ```ts
 * const h = createDigest('SHA-256');
 * h.update(part1);
 * h.update(part2);
 * const md = h.digest();
 * ```
 */
export function createDigest(alg: VerifiableDigest): IncrementalDigest {
  const hash = createHash(verifiableDigests[alg].nodeName);
  return {
    update: (chunk) => {
      hash.update(chunk);
    },
    digest: () => plain(hash.digest()),
  };
}

/**
 * Hashes every chunk of a (possibly asynchronous) sequence, e.g. the ByteRange parts of a PDF
 * streamed from a file, without holding them in memory together.
 *
 * @example
 * ```ts
 * const md = await digestChunks('SHA-256', createReadStream(path));
 * ```
 */
export async function digestChunks(
  alg: VerifiableDigest,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  const h = createDigest(alg);
  for await (const chunk of chunks) h.update(chunk);
  return h.digest();
}

/** A plain Uint8Array view of a node Buffer (library results are not Buffers). */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
