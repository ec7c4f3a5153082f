/** Reads indirect objects `N G obj … endobj` and their stream data from a ByteSource (ISO 32000-1 §7.3.8, §7.3.10). */
import type { ByteSource } from './byte-source.js';
import { NeedMoreData, ObjectParser, isRegular } from './object-parser.js';
import { PdfDict, PdfRef, PdfStream, type PdfObject } from './objects.js';
import { PdfError } from './errors.js';

/** What the reader needs from its document: limits, diagnostics and /Length resolution. */
export interface ReadContext {
  readonly source: ByteSource;
  readonly maxDepth: number;
  warn(message: string): void;
  ambiguous(message: string): void;
  /** Resolves an indirect /Length (§7.3.8.2); undefined when it cannot be resolved. */
  resolveLength(ref: PdfRef): number | undefined;
  checkTime(): void;
}

const FIRST_WINDOW = 2048;
/** Largest object body (without stream data) the reader accepts: bigger means a hostile or broken file. */
const MAX_WINDOW = 64 * 1024 * 1024;

/**
 * Runs `fn` on a parser positioned at `offset`, over a window that grows (×8) whenever the
 * parser runs off its end before the end of the file.
 */
export function parseAt<T>(ctx: ReadContext, offset: number, fn: (p: ObjectParser) => T, first = FIRST_WINDOW): T {
  const src = ctx.source;
  if (offset < 0 || offset >= src.length || !Number.isFinite(offset)) {
    throw new PdfError('ERR_PDF_SYNTAX', `offset ${offset} is outside the file`);
  }
  let size = first;
  for (;;) {
    const want = Math.min(size, src.length - offset);
    const buf = src.read(offset, want);
    const atEnd = offset + buf.length >= src.length;
    const p = new ObjectParser(buf, offset, atEnd, ctx.maxDepth, {
      onDuplicateKey: (key, at) => ctx.ambiguous(`duplicate key /${key.slice(0, 40)} in a dictionary at offset ${at}`),
    });
    try {
      return fn(p);
    } catch (err) {
      if (!(err instanceof NeedMoreData)) throw err;
      if (atEnd) throw new PdfError('ERR_PDF_SYNTAX', `unexpected end of file after offset ${offset}`);
      if (size >= MAX_WINDOW) throw new PdfError('ERR_PDF_SYNTAX', `object at offset ${offset} is too large`);
      size *= 8;
      ctx.checkTime();
    }
  }
}

/** An indirect object as found in the file. */
export interface IndirectObject {
  readonly num: number;
  readonly gen: number;
  readonly obj: PdfObject;
  /** Offset just after the object (after `endobj` when present). */
  readonly end: number;
}

interface Head {
  num: number;
  gen: number;
  obj: PdfObject;
  /** Offset of the first stream data byte, when the object is a stream. */
  dataStart: number | undefined;
  end: number;
}

function parseHead(p: ObjectParser): Head {
  p.skipWhitespace();
  const num = p.tryUnsigned();
  p.skipWhitespace();
  const gen = num === undefined ? undefined : p.tryUnsigned();
  if (num === undefined || gen === undefined || !p.tryKeyword('obj')) p.fail('expected "N G obj"');
  const obj = p.parseObject(0);
  p.skipWhitespace();
  if (obj instanceof PdfDict && p.tryKeyword('stream')) {
    // §7.3.8.1: `stream` is followed by CRLF or LF (a lone CR, or spaces before the EOL, are
    // tolerated as other readers do; spaces not followed by an EOL belong to the data).
    let k = p.pos;
    while (k < p.buf.length && p.buf[k] === 0x20) k++;
    if (k > p.pos && k < p.buf.length && (p.buf[k] === 0x0d || p.buf[k] === 0x0a)) p.pos = k;
    let c = p.peek();
    if (c === 0x0d) {
      p.pos++;
      c = p.peek();
      if (c === 0x0a) p.pos++;
    } else if (c === 0x0a) p.pos++;
    return { num, gen, obj, dataStart: p.offset, end: p.offset };
  }
  p.tryKeyword('endobj');
  return { num, gen, obj, dataStart: undefined, end: p.offset };
}

/** Reads only the object's number, generation and (for streams) dictionary: no stream data. */
export function readObjectHead(ctx: ReadContext, offset: number): { num: number; gen: number; obj: PdfObject; isStream: boolean } {
  const h = parseAt(ctx, offset, parseHead);
  return { num: h.num, gen: h.gen, obj: h.obj, isStream: h.dataStart !== undefined };
}

/** The keyword `endstream` as bytes. */
export const ENDSTREAM = [0x65, 0x6e, 0x64, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d];
/** The keyword `endobj` as bytes. */
export const ENDOBJ = [0x65, 0x6e, 0x64, 0x6f, 0x62, 0x6a];

function matchAt(buf: Uint8Array, i: number, word: readonly number[]): boolean {
  if (i + word.length > buf.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[i + k] !== word[k]) return false;
  return true;
}

/** True when `endstream` (after an optional EOL) follows at `at`. */
function endstreamAt(src: ByteSource, at: number): boolean {
  const b = src.read(at, 16);
  let i = 0;
  if (b[i] === 0x0d) i++;
  if (b[i] === 0x0a) i++;
  return matchAt(b, i, ENDSTREAM) && (i + 9 >= b.length || !isRegular(b[i + 9]!));
}

/** Finds the next occurrence of `word` in `[from, limit)` (linear, chunked, native search); -1 when absent. */
export function findWord(ctx: ReadContext, from: number, word: readonly number[], limit = Infinity): number {
  const src = ctx.source;
  const end = Math.min(src.length, limit);
  const needle = Buffer.from(word);
  const CHUNK = 1 << 20;
  for (let pos = from; pos < end; pos += CHUNK - word.length) {
    const buf = src.read(pos, Math.min(CHUNK, end - pos));
    const i = Buffer.from(buf.buffer, buf.byteOffset, buf.length).indexOf(needle);
    if (i >= 0) return pos + i;
    if (pos + buf.length >= end) break;
    ctx.checkTime();
  }
  return -1;
}

/** Reads the indirect object at `offset` including its stream data (§7.3.8, /Length checked, PDF-28). */
export function readIndirectObject(ctx: ReadContext, offset: number): IndirectObject {
  const h = parseAt(ctx, offset, parseHead);
  if (h.dataStart === undefined) return { num: h.num, gen: h.gen, obj: h.obj, end: h.end };
  const dict = h.obj as PdfDict;
  const src = ctx.source;
  const start = h.dataStart;
  const lenObj = dict.get('Length');
  let length: number | undefined;
  if (typeof lenObj === 'number') length = lenObj;
  else if (lenObj instanceof PdfRef) length = ctx.resolveLength(lenObj);
  const lengthOk =
    length !== undefined &&
    Number.isSafeInteger(length) &&
    length >= 0 &&
    start + length <= src.length &&
    endstreamAt(src, start + length);
  let dataEnd: number;
  if (lengthOk) dataEnd = start + length!;
  else {
    // /Length missing or wrong: the data ends at the next `endstream` (as qpdf and pdf.js recover).
    const at = findWord(ctx, start, ENDSTREAM);
    if (at < 0) throw new PdfError('ERR_PDF_SYNTAX', `stream at offset ${offset} has no endstream`);
    dataEnd = at;
    if (dataEnd > start && src.read(dataEnd - 1, 1)[0] === 0x0a) dataEnd--;
    if (dataEnd > start && src.read(dataEnd - 1, 1)[0] === 0x0d) dataEnd--;
    ctx.warn(`object ${h.num} ${h.gen}: stream /Length is ${length === undefined ? 'missing' : 'wrong'}; data ends at endstream`);
    // PDF-28: with a wrong /Length, a second `endstream` before `endobj` means readers disagree.
    const endobj = findWord(ctx, at + 9, ENDOBJ, at + 65536);
    const second = findWord(ctx, at + 9, ENDSTREAM, endobj < 0 ? at + 65536 : endobj);
    if (second >= 0) {
      ctx.ambiguous(`object ${h.num} ${h.gen}: wrong /Length and more than one endstream`);
    }
  }
  const length_ = dataEnd - start;
  const raw = { length: length_, load: (): Uint8Array => src.read(start, length_) };
  return { num: h.num, gen: h.gen, obj: new PdfStream(dict, raw), end: dataEnd };
}
