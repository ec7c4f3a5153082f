/** A ByteSource over an original document followed by incremental updates (ISO 32000-1 §7.5.6), without copying the original. */
import { appendedBytes, bytesSource, type ByteSource } from '../pdf/index.js';

/** The two parts of each source {@link appendedSource} made (weakly held: a source never outlives its parts). */
const partsOf = new WeakMap<ByteSource, readonly [ByteSource, Uint8Array]>();

/**
 * `base ‖ tail` as one ByteSource; reads inside `base` stay zero-copy.
 *
 * @example
 * ```ts
 * const signed = appendedSource(FileSource.open(path), update);
 * ```
 */
export function appendedSource(base: ByteSource, tail: Uint8Array): ByteSource {
  const source = appendedBytes(base, tail);
  partsOf.set(source, [base, tail]);
  return source;
}

/**
 * The sources `source` is the concatenation of, in order: the original and each update an
 * {@link appendedSource} added, or `[source]` itself. Lets a caller hand a worker thread the
 * original's bytes as they are (shared memory, a file) and copy only the updates.
 *
 * @example
 * ```ts
 * const [original, ...updates] = sourceParts(appendedSource(bytesSource(pdf), update));
 * ```
 */
export function sourceParts(source: ByteSource): readonly ByteSource[] {
  const parts = partsOf.get(source);
  if (parts === undefined) return [source];
  const [base, tail] = parts;
  return tail.length === 0 ? sourceParts(base) : [...sourceParts(base), bytesSource(tail)];
}

