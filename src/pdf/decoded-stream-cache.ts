/**
 * The decoded streams one document keeps (issue 15): stream data, object-stream indexes (ISO
 * 32000-1 §7.5.7) and refusals in one least-recently-used cache bounded by bytes, so a stream read
 * by many pages, DSS entries or object lookups is decoded once, and an object stream's data is
 * counted once however it was reached.
 */
import type { ObjectStreamIndex } from './object-stream.js';
import type { PdfError } from './errors.js';
import type { PdfStream } from './objects.js';

/** What the cache holds for one stream. */
export type CachedStream =
  | { readonly kind: 'data'; readonly data: Uint8Array }
  | { readonly kind: 'objectStream'; readonly index: ObjectStreamIndex }
  | { readonly kind: 'refused'; readonly error: PdfError };

/** Refusals are small but not free: the count of entries is bounded too. */
const MAX_ENTRIES = 100_000;

/** Bytes an entry keeps alive: its data, and for an object stream its header pairs too. */
function sizeOf(entry: CachedStream): number {
  switch (entry.kind) {
    case 'data':
      return entry.data.length;
    case 'objectStream':
      return entry.index.data.length + 16 * entry.index.nums.length;
    case 'refused':
      return 0;
  }
}

/**
 * A byte-bounded LRU of decoded streams. A data entry larger than the bound is not kept (the
 * caller decodes it again, charged again). An object stream's index is always kept, the most
 * recent one even above the bound, because its members are read one by one.
 *
 * Keeping little matters for memory as much as the bound itself: a large buffer that stays
 * cached while other streams are read ends in V8's old generation, and once dropped it is freed
 * only by a full collection, which the engine starts well after the fact; buffers used and
 * dropped at once die young and are freed by the next scavenge.
 *
 * @example
 * ```ts
 * const cache = new DecodedStreamCache(32 * 1024 * 1024);
 * cache.set(stream, { kind: 'data', data });
 * cache.get(stream); // { kind: 'data', data }
 * ```
 */
export class DecodedStreamCache {
  readonly maxBytes: number;
  /** Entries above this size (a quarter of the bound) are large: see {@link DecodedStreamCache.dropLarge}. */
  readonly largeBytes: number;
  readonly #entries = new Map<PdfStream, CachedStream>();
  /** Large object streams indexed once and not kept (kept from their second use). */
  readonly #usedOnce = new WeakSet<PdfStream>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
    this.largeBytes = Math.floor(maxBytes / 4);
  }

  /** Bytes kept now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The entry of `stream` (made the most recently used), or undefined. */
  get(stream: PdfStream): CachedStream | undefined {
    const hit = this.#entries.get(stream);
    if (hit !== undefined) {
      this.#entries.delete(stream);
      this.#entries.set(stream, hit);
    }
    return hit;
  }

  /** Keeps `entry` for `stream` (replacing what was kept), dropping the least recently used to fit. */
  set(stream: PdfStream, entry: CachedStream): void {
    this.#drop(stream);
    const bytes = sizeOf(entry);
    if (bytes > this.maxBytes && entry.kind !== 'objectStream') return;
    if (entry.kind === 'objectStream' && bytes > this.largeBytes && !this.#usedOnce.has(stream)) {
      this.#usedOnce.add(stream);
      return;
    }
    while (
      this.#entries.size > 0 &&
      (this.#bytes + bytes > this.maxBytes || this.#entries.size >= MAX_ENTRIES)
    ) {
      this.#drop(this.#entries.keys().next().value!);
    }
    this.#entries.set(stream, entry);
    this.#bytes += bytes;
  }

  /**
   * Drops the large entries: called before a large decode, so that a large buffer is released
   * before the next one is allocated.
   */
  dropLarge(): void {
    for (const [stream, entry] of this.#entries)
      if (sizeOf(entry) > this.largeBytes) this.#drop(stream);
  }

  /** Forgets everything (the document's objects were read again, e.g. after recovery). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #drop(stream: PdfStream): void {
    const old = this.#entries.get(stream);
    if (old === undefined) return;
    this.#entries.delete(stream);
    this.#bytes -= sizeOf(old);
  }
}
