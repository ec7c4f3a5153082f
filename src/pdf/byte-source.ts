/** Random-access byte sources for lazy PDF reading (ISO 32000-1 §7.5: files are read from the end, by offset). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { PdfError } from './errors.js';

/** Random access to the bytes of a document; `read` clamps at the end and may return fewer bytes. */
export interface ByteSource {
  readonly length: number;
  /** Bytes `[offset, offset + length)` clamped to the source; the result must not be modified. */
  read(offset: number, length: number): Uint8Array;
  /**
   * Optional: copies bytes from `offset` into `target` (as many as fit, clamped to the source)
   * and returns how many, so a sequential reader (a ByteRange digest) reuses one buffer.
   */
  readInto?(offset: number, target: Uint8Array): number;
  /**
   * Optional: bytes `[offset, offset + length)` clamped to the source, as views of the parts the
   * source is made of, in order — a reader that consumes them piece by piece (a digest) copies
   * nothing, where `read` across two parts must join them.
   */
  readParts?(offset: number, length: number): readonly Uint8Array[];
}

/**
 * A ByteSource over bytes already in memory (reads are zero-copy views).
 *
 * @example
 * ```ts
 * const doc = PdfDocument.open(bytesSource(pdfBytes));
 * ```
 */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    length: bytes.length,
    read(offset: number, length: number): Uint8Array {
      const start = Math.max(0, Math.min(offset, bytes.length));
      const end = Math.max(start, Math.min(bytes.length, offset + Math.max(0, length)));
      return bytes.subarray(start, end);
    },
  };
}

/**
 * `base ‖ tail` as one ByteSource — a document with an incremental update appended (ISO 32000-1
 * §7.5.6) — without copying `base`: reads inside it are its own, reads inside `tail` are views.
 *
 * @example
 * ```ts
 * const signed = appendedBytes(FileSource.open(path), update);
 * ```
 */
export function appendedBytes(base: ByteSource, tail: Uint8Array): ByteSource {
  const length = base.length + tail.length;
  const range = (offset: number, count: number): [number, number] => {
    const start = Math.max(0, Math.min(offset, length));
    return [start, Math.max(start, Math.min(length, offset + Math.max(0, count)))];
  };
  return {
    length,
    read(offset: number, count: number): Uint8Array {
      const [start, end] = range(offset, count);
      if (end <= base.length) return base.read(start, end - start);
      if (start >= base.length) return tail.subarray(start - base.length, end - base.length);
      const out = new Uint8Array(end - start);
      out.set(base.read(start, base.length - start), 0);
      out.set(tail.subarray(0, end - base.length), base.length - start);
      return out;
    },
    readParts(offset: number, count: number): readonly Uint8Array[] {
      const [start, end] = range(offset, count);
      const parts: Uint8Array[] = [];
      if (start < base.length) {
        const n = Math.min(end, base.length) - start;
        parts.push(...(base.readParts?.(start, n) ?? [base.read(start, n)]));
      }
      if (end > base.length) parts.push(tail.subarray(Math.max(start, base.length) - base.length, end - base.length));
      return parts;
    },
  };
}

const BLOCK = 64 * 1024;
const CACHE_BLOCKS = 64;

/**
 * A ByteSource over a file read with positioned reads and a small LRU block cache, so a 200 MB
 * file is never read whole. Call `close()` when done.
 *
 * @example
 * ```ts
 * const src = FileSource.open('big.pdf');
 * try { const doc = PdfDocument.open(src); } finally { src.close(); }
 * ```
 */
export class FileSource implements ByteSource {
  readonly length: number;
  #fd: number | undefined;
  readonly #cache = new Map<number, Uint8Array>();
  #bytesRead = 0;

  private constructor(fd: number, length: number) {
    this.#fd = fd;
    this.length = length;
  }

  /** Opens `path` for reading; throws `ERR_PDF_IO` when it cannot be opened. */
  static open(path: string): FileSource {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (cause) {
      throw new PdfError('ERR_PDF_IO', 'cannot open the PDF file', { cause });
    }
    try {
      return new FileSource(fd, fstatSync(fd).size);
    } catch (cause) {
      closeSync(fd);
      throw new PdfError('ERR_PDF_IO', 'cannot read the PDF file', { cause });
    }
  }

  /** Bytes read from disk so far (for tests and diagnostics). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  #block(index: number): Uint8Array {
    const hit = this.#cache.get(index);
    if (hit !== undefined) {
      this.#cache.delete(index);
      this.#cache.set(index, hit);
      return hit;
    }
    const start = index * BLOCK;
    const block = this.#direct(start, Math.max(0, Math.min(BLOCK, this.length - start)));
    this.#cache.set(index, block);
    if (this.#cache.size > CACHE_BLOCKS) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return block;
  }

  read(offset: number, length: number): Uint8Array {
    const start = Math.max(0, Math.min(offset, this.length));
    const end = Math.max(start, Math.min(this.length, offset + Math.max(0, length)));
    if (end === start) return new Uint8Array(0);
    const first = Math.floor(start / BLOCK);
    const last = Math.floor((end - 1) / BLOCK);
    if (first === last) {
      const b = this.#block(first);
      return b.subarray(start - first * BLOCK, end - first * BLOCK);
    }
    // Large reads (stream data) bypass the cache beyond the edges: one positioned read.
    if (last - first > 2) return this.#direct(start, end - start);
    const out = new Uint8Array(end - start);
    for (let i = first; i <= last; i++) {
      const b = this.#block(i);
      const bs = i * BLOCK;
      const s = Math.max(start, bs);
      const e = Math.min(end, bs + b.length);
      if (e > s) out.set(b.subarray(s - bs, e - bs), s - start);
    }
    return out;
  }

  #direct(start: number, size: number): Uint8Array {
    const buf = new Uint8Array(size);
    return buf.subarray(0, this.readInto(start, buf));
  }

  /** Reads `[offset, offset + target.length)` into `target` with positioned reads, bypassing the block cache. */
  readInto(offset: number, target: Uint8Array): number {
    const fd = this.#fd;
    if (fd === undefined) throw new PdfError('ERR_PDF_IO', 'the file source is closed');
    const size = Math.max(0, Math.min(target.length, this.length - offset));
    let got = 0;
    try {
      while (got < size) {
        const n = readSync(fd, target, got, size - got, offset + got);
        if (n === 0) break;
        got += n;
      }
    } catch (cause) {
      throw new PdfError('ERR_PDF_IO', 'cannot read the PDF file', { cause });
    }
    this.#bytesRead += got;
    return got;
  }

  /** Closes the file descriptor (idempotent). */
  close(): void {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
      this.#cache.clear();
    }
  }
}
