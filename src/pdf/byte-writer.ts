/** A growable byte buffer for building PDF output without string concatenation. */

/** Appends bytes and Latin-1 text; `bytes()` returns a view of what was written. */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(initialCapacity = 4096) {
    this.#buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.#len;
  }

  #ensure(extra: number): void {
    const need = this.#len + extra;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  writeBytes(bytes: Uint8Array): this {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
    return this;
  }

  /** Writes text as Latin-1 (PDF syntax is byte oriented; callers pass ASCII). */
  writeText(text: string): this {
    this.#ensure(text.length);
    for (let i = 0; i < text.length; i++) this.#buf[this.#len++] = text.charCodeAt(i) & 0xff;
    return this;
  }

  writeByte(b: number): this {
    this.#ensure(1);
    this.#buf[this.#len++] = b;
    return this;
  }

  /** The written bytes (a view; copy it if the writer is used again). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}
