/** Lexer and object parser for PDF syntax over a window of bytes (ISO 32000-1 §7.2 lexical conventions, §7.3 objects). */
import { PdfDict, PdfName, PdfRef, PdfString, type PdfArray, type PdfObject } from './objects.js';
import { PdfError } from './errors.js';

/** Thrown when the parser reaches the end of its window before the end of the file: the caller reads more and retries. */
export class NeedMoreData {
  static readonly instance = new NeedMoreData();
  private constructor() {}
}

/** Character classes (§7.2.2 / §7.2.3). */
const WS = new Uint8Array(256);
const DELIM = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WS[c] = 1;
for (const c of [0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]) DELIM[c] = 1;

/** True for PDF white-space bytes (§7.2.3 Table 1). */
export function isWhitespace(b: number): boolean {
  return WS[b] === 1;
}

/** True for bytes that are neither white space nor delimiters ("regular characters", §7.2.3). */
export function isRegular(b: number): boolean {
  return WS[b] !== 1 && DELIM[b] !== 1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Most elements one array or dictionary may hold (DOS-08: a 64 MB window of `0 0 0 …` must not become 32 M JS values). */
const MAX_ELEMENTS = 1_000_000;

/**
 * Token length caps. ISO 32000-1 Annex C (Table C.1) gives a conforming 32-bit reader's limits:
 * names 127 bytes, strings 32,767 bytes, numbers ±2^31 / ±3.4·10^38. Real writers exceed the name
 * and string limits (long font names; signature /Contents with embedded revocation data), so the
 * caps here are generous multiples of Annex C — what they stop is a token of megabytes, whose
 * bytes a reader would otherwise copy one at a time (issue 15: a 16 MiB trailer token).
 */
export const MAX_KEYWORD_BYTES = 255;
/** Longest name (after `/`, before #xx decoding): 32 × Annex C's 127. */
export const MAX_NAME_BYTES = 4096;
/** Longest literal or hexadecimal string, decoded (Annex C: 32,767; signature /Contents may be megabytes). */
export const MAX_STRING_BYTES = 32 * 1024 * 1024;

function tokenLimit(what: string, max: number, offset: number): never {
  throw new PdfError('ERR_PDF_LIMIT_TOKEN', `${what} longer than ${max} bytes at offset ${offset}`);
}

/** A growable byte buffer for string and name bodies (a JS number[] would cost 8× the input), capped at `max` bytes. */
class Bytes {
  #buf = new Uint8Array(32);
  length = 0;
  readonly #max: number;
  readonly #at: number;

  constructor(max = Infinity, at = 0) {
    this.#max = max;
    this.#at = at;
  }

  push(b: number): void {
    if (this.length === this.#buf.length) {
      if (this.length >= this.#max) tokenLimit('string', this.#max, this.#at);
      // MAX_STRING_BYTES is a power of two, so checking when the buffer is full is exact.
      const next = new Uint8Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.length++] = b;
  }

  take(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

/** Callbacks for constructs that two readers might read differently (PDF-28). */
export interface ParseHooks {
  onDuplicateKey?(key: string, offset: number): void;
}

/**
 * A recursive-descent parser over `buf`, whose byte 0 is at absolute file offset `base`.
 * Running off the end of `buf` throws {@link NeedMoreData} unless `atEnd` says `buf` ends the file.
 * Nesting is bounded by `maxDepth` (DOS-05), so recursion can never overflow the stack.
 *
 * @example
 * ```ts
 * const obj = new ObjectParser(latin1('<</Type /Page>>'), 0, true, 256).parseObject();
 * ```
 */
export class ObjectParser {
  readonly buf: Uint8Array;
  readonly base: number;
  readonly atEnd: boolean;
  readonly maxDepth: number;
  readonly hooks: ParseHooks;
  pos = 0;

  constructor(buf: Uint8Array, base: number, atEnd: boolean, maxDepth: number, hooks: ParseHooks = {}) {
    this.buf = buf;
    this.base = base;
    this.atEnd = atEnd;
    this.maxDepth = maxDepth;
    this.hooks = hooks;
  }

  /** Absolute file offset of the cursor. */
  get offset(): number {
    return this.base + this.pos;
  }

  #eof(): never {
    if (!this.atEnd) throw NeedMoreData.instance;
    throw new PdfError('ERR_PDF_SYNTAX', `unexpected end of file at offset ${this.offset}`);
  }

  /** Syntax error at the cursor. */
  fail(what: string): never {
    throw new PdfError('ERR_PDF_SYNTAX', `${what} at offset ${this.offset}`);
  }

  /** The byte at the cursor, or -1 at the end of the file (NeedMoreData at the end of the window). */
  peek(): number {
    if (this.pos < this.buf.length) return this.buf[this.pos]!;
    if (!this.atEnd) throw NeedMoreData.instance;
    return -1;
  }

  /** Skips white space and comments (§7.2.4). */
  skipWhitespace(): void {
    const buf = this.buf;
    for (;;) {
      while (this.pos < buf.length && WS[buf[this.pos]!] === 1) this.pos++;
      if (this.pos >= buf.length) {
        if (!this.atEnd) throw NeedMoreData.instance;
        return;
      }
      if (buf[this.pos] !== 0x25) return;
      while (this.pos < buf.length && buf[this.pos] !== 0x0a && buf[this.pos] !== 0x0d) this.pos++;
    }
  }

  /**
   * Reads a run of regular characters (a keyword or number token) without consuming delimiters.
   * A run longer than {@link MAX_KEYWORD_BYTES} is `ERR_PDF_LIMIT_TOKEN`, found without reading
   * past the cap (so a 16 MiB token never grows the parser's window).
   */
  readToken(): string {
    const buf = this.buf;
    const start = this.pos;
    const stop = Math.min(buf.length, start + MAX_KEYWORD_BYTES + 1);
    let i = start;
    while (i < stop && WS[buf[i]!] !== 1 && DELIM[buf[i]!] !== 1) i++;
    if (i - start > MAX_KEYWORD_BYTES) tokenLimit('token', MAX_KEYWORD_BYTES, this.base + start);
    if (i >= buf.length && !this.atEnd) throw NeedMoreData.instance;
    this.pos = i;
    return latin1(buf, start, i);
  }

  /** Skips white space, then consumes `keyword` if it is the next token; returns whether it did. */
  tryKeyword(keyword: string): boolean {
    this.skipWhitespace();
    const save = this.pos;
    const t = this.readToken();
    if (t === keyword) return true;
    this.pos = save;
    return false;
  }

  /** Reads an unsigned integer token, or returns undefined (cursor unchanged) when the next token is not one. */
  tryUnsigned(): number | undefined {
    const buf = this.buf;
    const start = this.pos;
    let n = 0;
    let i = start;
    // At most 16 digits are looked at: more is not an unsigned this reader accepts (and a
    // megabyte run of digits must not grow the window).
    const stop = Math.min(buf.length, start + 16);
    while (i < stop && buf[i]! >= 0x30 && buf[i]! <= 0x39) {
      n = n * 10 + (buf[i]! - 0x30);
      i++;
    }
    if (i - start > 15) return undefined;
    if (i >= buf.length && !this.atEnd) throw NeedMoreData.instance;
    if (i === start) return undefined;
    if (i < buf.length && isRegular(buf[i]!)) return undefined;
    this.pos = i;
    return n;
  }

  /** Parses one direct object (§7.3) at the cursor. */
  parseObject(depth = 0): PdfObject {
    this.skipWhitespace();
    const c = this.peek();
    switch (c) {
      case -1:
        return this.#eof();
      case 0x5b: // [
        return this.#parseArray(depth);
      case 0x3c: // < or <<
        if (this.pos + 1 >= this.buf.length && !this.atEnd) throw NeedMoreData.instance;
        if (this.buf[this.pos + 1] === 0x3c) return this.parseDict(depth);
        return this.#parseHexString();
      case 0x28: // (
        return this.#parseLiteralString();
      case 0x2f: // /
        return this.#parseName();
      default:
        break;
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) return this.#parseNumberOrRef();
    const start = this.pos;
    const t = this.readToken();
    if (t === 'true') return true;
    if (t === 'false') return false;
    if (t === 'null') return null;
    this.pos = start;
    if (t === '') this.fail(`unexpected character 0x${c.toString(16)}`);
    return this.fail(`unexpected keyword "${t.slice(0, 20)}"`);
  }

  #enter(depth: number): void {
    if (depth >= this.maxDepth) {
      throw new PdfError('ERR_PDF_LIMIT_DEPTH', `objects nested deeper than ${this.maxDepth} at offset ${this.offset}`);
    }
  }

  #parseArray(depth: number): PdfArray {
    this.#enter(depth);
    this.pos++;
    const out: PdfArray = [];
    for (;;) {
      this.skipWhitespace();
      const c = this.peek();
      if (c === 0x5d) {
        this.pos++;
        return out;
      }
      if (c === -1) this.#eof();
      if (out.length >= MAX_ELEMENTS) throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `array with more than ${MAX_ELEMENTS} elements at offset ${this.offset}`);
      out.push(this.parseObject(depth + 1));
    }
  }

  /** Parses a dictionary `<< … >>` (§7.3.7); duplicate keys are reported to the hooks (PDF-28), the last wins. */
  parseDict(depth = 0): PdfDict {
    this.#enter(depth);
    this.pos += 2;
    const dict = new PdfDict();
    for (;;) {
      this.skipWhitespace();
      const c = this.peek();
      if (c === 0x3e) {
        if (this.pos + 1 >= this.buf.length && !this.atEnd) throw NeedMoreData.instance;
        if (this.buf[this.pos + 1] !== 0x3e) this.fail('expected ">>"');
        this.pos += 2;
        return dict;
      }
      if (c === -1) this.#eof();
      if (c !== 0x2f) this.fail('expected a name as dictionary key');
      const keyAt = this.offset;
      const key = this.#parseName().name;
      const value = this.parseObject(depth + 1);
      if (dict.has(key)) this.hooks.onDuplicateKey?.(key, keyAt);
      else if (dict.size >= MAX_ELEMENTS) throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `dictionary with more than ${MAX_ELEMENTS} entries at offset ${keyAt}`);
      dict.set(key, value);
    }
  }

  #parseName(): PdfName {
    const buf = this.buf;
    this.pos++;
    const start = this.pos;
    let simple = true;
    const stop = Math.min(buf.length, start + MAX_NAME_BYTES + 1);
    while (this.pos < stop) {
      const b = buf[this.pos]!;
      if (WS[b] === 1 || DELIM[b] === 1) break;
      if (b === 0x23 || b > 0x7e) simple = false;
      this.pos++;
    }
    if (this.pos - start > MAX_NAME_BYTES) tokenLimit('name', MAX_NAME_BYTES, this.base + start - 1);
    if (this.pos >= buf.length && !this.atEnd) throw NeedMoreData.instance;
    if (simple) return PdfName.of(latin1(buf, start, this.pos));
    // §7.3.5: #xx escapes; the bytes are UTF-8 by convention (Latin-1 when not valid UTF-8).
    const bytes = new Bytes();
    for (let i = start; i < this.pos; i++) {
      const b = buf[i]!;
      if (b === 0x23 && i + 2 < this.pos) {
        const h = parseInt(String.fromCharCode(buf[i + 1]!, buf[i + 2]!), 16);
        if (!Number.isNaN(h)) {
          bytes.push(h);
          i += 2;
          continue;
        }
      }
      bytes.push(b);
    }
    const raw = bytes.take();
    let s: string;
    try {
      s = utf8.decode(raw);
    } catch {
      s = '';
      for (const b of raw) s += String.fromCharCode(b);
    }
    return PdfName.of(s);
  }

  #parseNumberOrRef(): PdfObject {
    const buf = this.buf;
    const start = this.pos;
    const t = this.readToken();
    const n = parseNumberToken(t);
    if (n === undefined) {
      this.pos = start;
      return this.fail(`malformed number "${t.slice(0, 20)}"`);
    }
    // `num gen R` (§7.3.10): look ahead for an unsigned integer and the keyword R.
    if (!Number.isInteger(n) || n < 0 || t.includes('.') || t.startsWith('+') || t.startsWith('-')) return n;
    const after = this.pos;
    let isRef = false;
    let gen = 0;
    this.skipWhitespace();
    const g = this.tryUnsigned();
    if (g !== undefined) {
      this.skipWhitespace();
      if (this.pos < buf.length && buf[this.pos] === 0x52) {
        const next = this.pos + 1;
        if (next >= buf.length && !this.atEnd) throw NeedMoreData.instance;
        if (next >= buf.length || !isRegular(buf[next]!)) {
          isRef = true;
          gen = g;
          this.pos = next;
        }
      }
    }
    if (isRef) return new PdfRef(n, gen);
    this.pos = after;
    return n;
  }

  #parseHexString(): PdfString {
    const buf = this.buf;
    const at = this.offset;
    this.pos++;
    const plain = this.#plainHex();
    if (plain !== undefined) return new PdfString(plain, true);
    const out = new Bytes(MAX_STRING_BYTES, at);
    let hi = -1;
    for (;;) {
      if (this.pos >= buf.length) this.#eof();
      const b = buf[this.pos++]!;
      if (b === 0x3e) break;
      if (WS[b] === 1) continue;
      const v = hexValue(b);
      if (v < 0) {
        this.pos--;
        this.fail('bad character in hexadecimal string');
      }
      if (hi < 0) hi = v;
      else {
        out.push((hi << 4) | v);
        hi = -1;
      }
    }
    // §7.3.4.3: a final odd digit is followed by an implied 0.
    if (hi >= 0) out.push(hi << 4);
    return new PdfString(out.take(), true);
  }

  /**
   * The common case of a hexadecimal string decoded at once (issue 19: a signature's /Contents
   * is thousands of digits, and this loop was half a millisecond of each B-LTA extension): an even
   * number of hex digits and nothing else before the '>'. Undefined otherwise — white space, an
   * odd digit, a bad character or no end — and the loop below reads it (and reports what is wrong).
   */
  #plainHex(): Uint8Array | undefined {
    const buf = this.buf;
    const end = buf.indexOf(0x3e, this.pos);
    if (end < 0) {
      // The string goes on past this window (a signature's /Contents past the first 2 KB and 16
      // KB windows): when the window holds nothing but digits of it, the loop below would read
      // them one by one to the window's end and then ask for more — ask at once.
      if (!this.atEnd && (buf.length - this.pos) / 2 <= MAX_STRING_BYTES && allHexDigits(buf, this.pos, buf.length)) throw NeedMoreData.instance;
      return undefined;
    }
    const digits = end - this.pos;
    if (digits % 2 !== 0 || digits / 2 > MAX_STRING_BYTES) return undefined;
    const text = Buffer.from(buf.buffer, buf.byteOffset + this.pos, digits).toString('latin1');
    // Buffer's hex decoding stops at the first pair that is not two hex digits.
    const decoded = Buffer.from(text, 'hex');
    if (decoded.length * 2 !== digits) return undefined;
    this.pos = end + 1;
    return new Uint8Array(decoded);
  }

  #parseLiteralString(): PdfString {
    const buf = this.buf;
    const at = this.offset;
    this.pos++;
    const out = new Bytes(MAX_STRING_BYTES, at);
    let nest = 0;
    for (;;) {
      if (this.pos >= buf.length) this.#eof();
      const b = buf[this.pos++]!;
      if (b === 0x29) {
        if (nest === 0) break;
        nest--;
        out.push(b);
      } else if (b === 0x28) {
        nest++;
        out.push(b);
      } else if (b === 0x5c) {
        if (this.pos >= buf.length) this.#eof();
        const e = buf[this.pos++]!;
        switch (e) {
          case 0x6e: out.push(0x0a); break; // \n
          case 0x72: out.push(0x0d); break; // \r
          case 0x74: out.push(0x09); break; // \t
          case 0x62: out.push(0x08); break; // \b
          case 0x66: out.push(0x0c); break; // \f
          case 0x0d: // §7.3.4.2: backslash + EOL is a line continuation
            if (this.pos >= buf.length && !this.atEnd) throw NeedMoreData.instance;
            if (buf[this.pos] === 0x0a) this.pos++;
            break;
          case 0x0a:
            break;
          default:
            if (e >= 0x30 && e <= 0x37) {
              let v = e - 0x30;
              for (let k = 0; k < 2; k++) {
                if (this.pos >= buf.length) this.#eof();
                const d = buf[this.pos]!;
                if (d < 0x30 || d > 0x37) break;
                v = v * 8 + (d - 0x30);
                this.pos++;
              }
              out.push(v & 0xff);
            } else out.push(e);
        }
      } else if (b === 0x0d) {
        // §7.3.4.2: an unescaped EOL (CR or CRLF) reads as LF.
        if (this.pos >= buf.length && !this.atEnd) throw NeedMoreData.instance;
        if (buf[this.pos] === 0x0a) this.pos++;
        out.push(0x0a);
      } else out.push(b);
    }
    return new PdfString(out.take(), false);
  }
}

/** Bytes `[start, end)` of `buf` as a Latin-1 string, in one native call (no per-character concatenation). */
function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

/** True when `buf[from, to)` is hexadecimal digits only (no white space), checked by Buffer's decoder. */
function allHexDigits(buf: Uint8Array, from: number, to: number): boolean {
  const even = (to - from) & ~1;
  // Buffer's hex decoding stops at the first pair that is not two hex digits.
  const decoded = Buffer.from(Buffer.from(buf.buffer, buf.byteOffset + from, even).toString('latin1'), 'hex');
  return decoded.length * 2 === even && (even === to - from || hexValue(buf[to - 1]!) >= 0);
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** Parses a numeric token (§7.3.3): optional sign, digits, optional point; undefined when malformed. */
export function parseNumberToken(t: string): number | undefined {
  if (t.length === 0 || t.length > 64) return undefined;
  let i = 0;
  let neg = false;
  // Lenient like most readers: several leading signs ("--5") are tolerated, the last wins.
  while (i < t.length && (t[i] === '+' || t[i] === '-')) {
    neg = t[i] === '-';
    i++;
  }
  let digits = 0;
  let dot = false;
  let v = 0;
  let scale = 1;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      digits++;
      if (dot) {
        scale /= 10;
        v += (c - 0x30) * scale;
      } else v = v * 10 + (c - 0x30);
    } else if (c === 0x2e && !dot) dot = true;
    else return undefined;
  }
  if (digits === 0) return dot ? 0 : undefined;
  if (!Number.isFinite(v)) return undefined;
  return neg ? -v : v;
}
