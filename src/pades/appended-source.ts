/** A ByteSource over an original document followed by incremental updates (ISO 32000-1 §7.5.6), without copying the original. */
import type { ByteSource } from '../pdf/index.js';

/**
 * `base ‖ tail` as one ByteSource; reads inside `base` stay zero-copy.
 *
 * @example
 * ```ts
 * const signed = appendedSource(FileSource.open(path), update);
 * ```
 */
export function appendedSource(base: ByteSource, tail: Uint8Array): ByteSource {
  const length = base.length + tail.length;
  return {
    length,
    read(offset: number, count: number): Uint8Array {
      const start = Math.max(0, Math.min(offset, length));
      const end = Math.max(start, Math.min(length, offset + Math.max(0, count)));
      if (end <= base.length) return base.read(start, end - start);
      if (start >= base.length) return tail.subarray(start - base.length, end - base.length);
      const out = new Uint8Array(end - start);
      out.set(base.read(start, base.length - start), 0);
      out.set(tail.subarray(0, end - base.length), base.length - start);
      return out;
    },
  };
}
