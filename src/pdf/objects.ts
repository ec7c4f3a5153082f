/** The PDF object model: the eight basic object types plus indirect references (ISO 32000-1 §7.3). */

/** A name object (§7.3.5); `name` is the decoded form without the leading slash. Interned. */
export class PdfName {
  static readonly #interned = new Map<string, PdfName>();
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** The interned name `/name` (so names compare with ===). */
  static of(name: string): PdfName {
    let n = PdfName.#interned.get(name);
    if (n === undefined) {
      n = new PdfName(name);
      // Bound the intern table so hostile files with millions of unique names cannot grow it forever.
      if (PdfName.#interned.size < 100_000) PdfName.#interned.set(name, n);
    }
    return n;
  }

  toString(): string {
    return `/${this.name}`;
  }
}

/** A string object (§7.3.4): raw bytes, written back as literal `( )` or hexadecimal `< >`. */
export class PdfString {
  readonly bytes: Uint8Array;
  readonly isHex: boolean;

  constructor(bytes: Uint8Array, isHex = false) {
    this.bytes = bytes;
    this.isHex = isHex;
  }

  /**
   * A text string (§7.9.2.2): PDFDocEncoding when the text is printable ASCII, UTF-16BE with a
   * byte order mark otherwise.
   */
  static fromText(text: string): PdfString {
    if (/^[\x20-\x7e]*$/.test(text)) return new PdfString(new Uint8Array(Buffer.from(text, 'latin1')));
    const utf16 = Buffer.alloc(2 + text.length * 2);
    utf16[0] = 0xfe;
    utf16[1] = 0xff;
    for (let i = 0; i < text.length; i++) utf16.writeUInt16BE(text.charCodeAt(i), 2 + i * 2);
    return new PdfString(new Uint8Array(utf16));
  }

  /** Decodes a text string (UTF-16BE with BOM, UTF-8 with BOM, else PDFDocEncoding ≈ Latin-1). */
  toText(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      let s = '';
      for (let i = 2; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
      return Buffer.from(b.subarray(3)).toString('utf8');
    }
    return Buffer.from(b).toString('latin1');
  }
}

/** An indirect reference `num gen R` (§7.3.10). */
export class PdfRef {
  readonly num: number;
  readonly gen: number;

  constructor(num: number, gen = 0) {
    this.num = num;
    this.gen = gen;
  }

  /** A stable map key, `"num gen"`. */
  get key(): string {
    return `${this.num} ${this.gen}`;
  }

  equals(other: PdfRef): boolean {
    return this.num === other.num && this.gen === other.gen;
  }

  toString(): string {
    return `${this.num} ${this.gen} R`;
  }
}

/** A dictionary object (§7.3.7). Keys are name strings without the slash; insertion order kept. */
export class PdfDict {
  readonly #entries: Map<string, PdfObject>;

  constructor(entries?: Iterable<readonly [string, PdfObject]>) {
    this.#entries = new Map(entries);
  }

  /** Builds a dictionary from a plain record (undefined values are skipped). */
  static of(record: Readonly<Record<string, PdfObject | undefined>>): PdfDict {
    const d = new PdfDict();
    for (const [k, v] of Object.entries(record)) if (v !== undefined) d.set(k, v);
    return d;
  }

  get(key: string): PdfObject | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: PdfObject): this {
    this.#entries.set(key, value);
    return this;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  entries(): IterableIterator<[string, PdfObject]> {
    return this.#entries.entries();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A shallow copy (values are shared). */
  clone(): PdfDict {
    return new PdfDict(this.#entries);
  }

  /** The value when it is a name, else undefined. */
  getName(key: string): string | undefined {
    const v = this.#entries.get(key);
    return v instanceof PdfName ? v.name : undefined;
  }

  /** The value when it is a number, else undefined. */
  getNumber(key: string): number | undefined {
    const v = this.#entries.get(key);
    return typeof v === 'number' ? v : undefined;
  }
}

/** Stream data read on demand: its length is known without reading it. */
export interface LazyStreamData {
  readonly length: number;
  load(): Uint8Array;
}

/** Data at most this large is kept once loaded; larger data is re-read on each access (a 200 MB image is never pinned). */
const KEEP_LOADED = 1 << 20;

/**
 * A stream object (§7.3.8): its dictionary and its raw (still encoded) data as in the file.
 * The parser passes the data lazily, so reading a stream's dictionary never reads its data.
 */
export class PdfStream {
  readonly dict: PdfDict;
  /** Length of the raw data in bytes (known without reading it). */
  readonly rawLength: number;
  #raw: Uint8Array | undefined;
  readonly #lazy: LazyStreamData | undefined;

  constructor(dict: PdfDict, raw: Uint8Array | LazyStreamData) {
    this.dict = dict;
    if (raw instanceof Uint8Array) {
      this.#raw = raw;
      this.rawLength = raw.length;
    } else {
      this.#lazy = raw;
      this.rawLength = raw.length;
    }
  }

  /** The raw data (read from the source on first access for parsed streams). */
  get raw(): Uint8Array {
    if (this.#raw !== undefined) return this.#raw;
    const data = this.#lazy!.load();
    if (data.length <= KEEP_LOADED) this.#raw = data;
    return data;
  }
}

/**
 * Low level: bytes written verbatim by the serializer (placeholders such as a /ByteRange
 * reserved before its values are known). Never produced by the parser.
 */
export class PdfRaw {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array | string) {
    this.bytes = typeof bytes === 'string' ? new Uint8Array(Buffer.from(bytes, 'latin1')) : bytes;
  }
}

/** An array object (§7.3.6). */
export type PdfArray = PdfObject[];

/** Any PDF object. Numbers are JavaScript numbers (integers and reals, §7.3.3). */
export type PdfObject =
  | null
  | boolean
  | number
  | PdfName
  | PdfString
  | PdfArray
  | PdfDict
  | PdfStream
  | PdfRef
  | PdfRaw;

/** Shorthand for `PdfName.of(name)`. */
export function name(n: string): PdfName {
  return PdfName.of(n);
}

/** True when `o` is a dictionary (not a stream). */
export function isDict(o: PdfObject | undefined): o is PdfDict {
  return o instanceof PdfDict;
}

/** True when `o` is an indirect reference. */
export function isRef(o: PdfObject | undefined): o is PdfRef {
  return o instanceof PdfRef;
}

/** True when `o` is an array. */
export function isArray(o: PdfObject | undefined): o is PdfArray {
  return Array.isArray(o);
}
