/**
 * One decompression budget per document (issue 15, docs/security.md DOS-01/02/03): every reader's
 * stream decoding draws from it, so a stream referenced many times, or many streams, cannot add
 * up to more work than the document's total. It also sums the time the document's operations
 * took, so many short reads (one per form field, per page) meet the time limit as one long one.
 */
import type { ParseLimits } from '../core/limits.js';
import { PdfError } from './errors.js';
import type { DecodeBudget } from './stream-filters.js';

/**
 * Bytes decoded so far for one document (and for the documents opened over the same file that
 * share it). Not a cache: {@link PdfDocument} caches decoded streams and charges only real work.
 *
 * @example
 * ```ts
 * const budget = new DocumentBudget(limits);
 * const data = budget.run((b) => decodeFilterChain(raw, dict, b, resolve));
 * ```
 */
export class DocumentBudget {
  readonly maxStreamBytes: number;
  readonly maxTotalBytes: number;
  #decoded = 0;

  #spentMs = 0;

  constructor(limits: Pick<ParseLimits, 'maxDecodedStreamBytes' | 'maxDecodedBytes'>) {
    this.maxStreamBytes = limits.maxDecodedStreamBytes;
    this.maxTotalBytes = limits.maxDecodedBytes;
  }

  /** Milliseconds spent reading so far (every whole-document operation of the documents sharing this budget). */
  get spentMs(): number {
    return this.#spentMs;
  }

  /** Adds the duration of one finished operation. */
  chargeTime(ms: number): void {
    this.#spentMs += ms;
  }

  /** Bytes decoded so far (every stage of every filter chain, refused attempts included). */
  get decodedBytes(): number {
    return this.#decoded;
  }

  /**
   * Runs one decode with a per-stream budget of `min(perStream, cap, what the document has left)`
   * and charges what it produced; a refused decode is charged its whole allowance (the work was done).
   * `beforeLargeOutput` is called before a filter allocates a large output (see {@link DecodeBudget}).
   */
  run(decode: (budget: DecodeBudget) => Uint8Array, cap = Infinity, beforeLargeOutput?: () => void): Uint8Array {
    const left = this.maxTotalBytes - this.#decoded;
    if (left <= 0) throw this.#totalError();
    const limit = Math.min(this.maxStreamBytes, cap, left);
    const budget: DecodeBudget = { remaining: limit, limit, ...(beforeLargeOutput === undefined ? {} : { beforeLargeOutput }) };
    try {
      return decode(budget);
    } catch (err) {
      if (err instanceof PdfError && err.code === 'ERR_PDF_LIMIT_DECOMPRESSED') {
        budget.remaining = 0;
        if (left < Math.min(this.maxStreamBytes, cap)) throw this.#totalError(err);
      }
      throw err;
    } finally {
      this.#decoded += limit - Math.max(0, budget.remaining);
    }
  }

  #totalError(cause?: unknown): PdfError {
    return new PdfError(
      'ERR_PDF_LIMIT_DECOMPRESSED',
      `the document decodes to more than ${this.maxTotalBytes} bytes in total`,
      { cause },
    );
  }
}
