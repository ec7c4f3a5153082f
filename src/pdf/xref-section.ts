/** Cross-reference sections: tables (ISO 32000-1 §7.5.4 + trailer §7.5.5) and cross-reference streams (§7.5.8). */
import { parseAt, readIndirectObject, type ReadContext } from './indirect-reader.js';
import type { ObjectParser } from './object-parser.js';
import { PdfDict, PdfStream } from './objects.js';
import { PdfError } from './errors.js';

/** Where an object lives according to a cross-reference section. */
export type XrefEntry =
  | { readonly kind: 'free' }
  | { readonly kind: 'offset'; readonly offset: number; readonly gen: number }
  | { readonly kind: 'compressed'; readonly streamNum: number; readonly index: number };

/** One parsed cross-reference section with its trailer (for a stream: the stream dictionary). */
export interface XrefSection {
  readonly offset: number;
  readonly kind: 'table' | 'stream';
  readonly trailer: PdfDict;
  readonly entries: Map<number, XrefEntry>;
  /** Offset just after the section (after the trailer dictionary or the stream's endobj). */
  readonly end: number;
}

/** Limits and services a section reader needs. */
export interface XrefReadOptions {
  readonly maxObjects: number;
  /** Decodes under the document's limits (per stream and the document's budget). */
  decode(stream: PdfStream): Uint8Array;
}

function checkCount(start: number, count: number, maxObjects: number): void {
  if (count > maxObjects || start + count > maxObjects) {
    throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `cross-reference section declares more than ${maxObjects} objects`);
  }
}

function digits(buf: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let k = at; k < at + n; k++) {
    const c = buf[k]! - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Parses a standard 20-byte entry at `at` (the first 18 bytes plus a following white-space byte), else undefined. */
function standardEntry(buf: Uint8Array, at: number): XrefEntry | undefined {
  if (at + 19 > buf.length || buf[at + 10] !== 0x20 || buf[at + 16] !== 0x20) return undefined;
  const t = buf[at + 17];
  const after = buf[at + 18]!;
  if ((t !== 0x6e && t !== 0x66) || !(after === 0x20 || after === 0x0d || after === 0x0a)) return undefined;
  const off = digits(buf, at, 10);
  const gen = digits(buf, at + 11, 5);
  if (off < 0 || gen < 0) return undefined;
  return t === 0x6e ? { kind: 'offset', offset: off, gen } : { kind: 'free' };
}

/** Reads the section at `offset`: a table when it starts with `xref`, else a cross-reference stream. */
export function readXrefSection(ctx: ReadContext, offset: number, opts: XrefReadOptions): XrefSection {
  const isTable = parseAt(ctx, offset, (p) => p.tryKeyword('xref'), 64);
  return isTable ? readTable(ctx, offset, opts) : readStream(ctx, offset, opts);
}

function readTable(ctx: ReadContext, offset: number, opts: XrefReadOptions): XrefSection {
  const dup: number[] = [];
  const { entries, trailer, end } = parseAt(
    ctx,
    offset,
    (p: ObjectParser) => {
      dup.length = 0;
      const entries = new Map<number, XrefEntry>();
      if (!p.tryKeyword('xref')) p.fail('expected "xref"');
      let first = true;
      for (;;) {
        p.skipWhitespace();
        if (p.tryKeyword('trailer')) break;
        const start = p.tryUnsigned();
        p.skipWhitespace();
        const count = p.tryUnsigned();
        if (start === undefined || count === undefined) p.fail('bad cross-reference subsection header');
        checkCount(start, count, opts.maxObjects);
        // Each entry takes at least 18 bytes, so a count larger than the rest of the file is a lie (DOS-08).
        if (count * 18 > ctx.source.length - p.offset) {
          throw new PdfError('ERR_PDF_XREF', `cross-reference subsection declares ${count} entries beyond the file`);
        }
        let base = start;
        for (let i = 0; i < count; i++) {
          p.skipWhitespace();
          const fast = first && i === 0 && start === 1 ? undefined : standardEntry(p.buf, p.pos);
          if (fast !== undefined) {
            // §7.5.4: the usual fixed 20-byte form "nnnnnnnnnn ggggg n\r\n", read without tokenising.
            p.pos += 18;
            const num = base + i;
            const prev = entries.get(num);
            if (prev !== undefined && prev.kind === 'offset' && fast.kind === 'offset' && prev.offset !== fast.offset) dup.push(num);
            entries.set(num, fast);
            continue;
          }
          const off = p.tryUnsigned();
          p.skipWhitespace();
          const gen = p.tryUnsigned();
          p.skipWhitespace();
          const t = p.readToken();
          if (off === undefined || gen === undefined || (t !== 'n' && t !== 'f')) p.fail('bad cross-reference entry');
          // A common writer bug: the table starts at 1 although its first entry is object 0's free head.
          if (first && i === 0 && start === 1 && t === 'f' && gen === 65535) {
            base = 0;
            ctx.warn('cross-reference table numbered from 1 instead of 0; renumbered');
          }
          const num = base + i;
          const entry: XrefEntry = t === 'n' ? { kind: 'offset', offset: off, gen } : { kind: 'free' };
          const prev = entries.get(num);
          if (prev !== undefined && prev.kind === 'offset' && entry.kind === 'offset' && prev.offset !== entry.offset) dup.push(num);
          entries.set(num, entry);
        }
        first = false;
      }
      const trailer = p.parseObject(0);
      if (!(trailer instanceof PdfDict)) p.fail('trailer is not a dictionary');
      return { entries, trailer, end: p.offset };
    },
    4096,
  );
  for (const num of dup) ctx.ambiguous(`object ${num} appears twice in the cross-reference section at offset ${offset}`);
  const size = trailer.get('Size');
  if (typeof size === 'number' && size > opts.maxObjects) {
    throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `trailer /Size exceeds ${opts.maxObjects}`);
  }
  return { offset, kind: 'table', trailer, entries, end };
}

function readStream(ctx: ReadContext, offset: number, opts: XrefReadOptions): XrefSection {
  const io = readIndirectObject(ctx, offset);
  const stream = io.obj;
  if (!(stream instanceof PdfStream) || stream.dict.getName('Type') !== 'XRef') {
    throw new PdfError('ERR_PDF_XREF', `no cross-reference table or stream at offset ${offset}`);
  }
  const dict = stream.dict;
  const size = dict.get('Size');
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw new PdfError('ERR_PDF_XREF', 'cross-reference stream without a valid /Size');
  if (size > opts.maxObjects) throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `cross-reference stream /Size exceeds ${opts.maxObjects}`);
  const w = dict.get('W');
  if (!Array.isArray(w) || w.length < 3 || !w.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 8)) {
    throw new PdfError('ERR_PDF_XREF', 'cross-reference stream has a bad /W');
  }
  const [w0, w1, w2] = w as number[] as [number, number, number];
  const width = w0 + w1 + w2;
  if (width === 0) throw new PdfError('ERR_PDF_XREF', 'cross-reference stream /W sums to zero');
  const indexObj = dict.get('Index') ?? [0, size];
  if (!Array.isArray(indexObj) || indexObj.length % 2 !== 0 || !indexObj.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw new PdfError('ERR_PDF_XREF', 'cross-reference stream has a bad /Index');
  }
  const index = indexObj as number[];
  let declared = 0;
  for (let s = 0; s < index.length; s += 2) {
    checkCount(index[s]!, index[s + 1]!, opts.maxObjects);
    declared += index[s + 1]!;
  }
  checkCount(0, declared, opts.maxObjects);
  // Issue 18 §1: the decoded size is not capped by what /Index declares (a PNG predictor adds a
  // byte per row, writers pad): the absolute per-stream limit and the document's budget are the
  // bomb defence (DOS-01); only declared rows are read, and a longer stream is noted.
  const data = opts.decode(stream);
  if (data.length > declared * width) {
    ctx.warn(`cross-reference stream at offset ${offset} decodes to ${data.length} bytes, more than the ${declared * width} its /Index and /W declare`);
  }
  const entries = new Map<number, XrefEntry>();
  let pos = 0;
  let truncated = false;
  const field = (at: number, n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++) v = v * 256 + data[at + k]!;
    return v;
  };
  for (let s = 0; s < index.length && !truncated; s += 2) {
    const start = index[s]!;
    const count = index[s + 1]!;
    checkCount(start, count, opts.maxObjects);
    // Entries come only from bytes actually present: a huge /Index never allocates (DOS-08).
    for (let i = 0; i < count; i++) {
      if (pos + width > data.length) {
        truncated = true;
        break;
      }
      // §7.5.8.3: a zero-width type field defaults to type 1.
      const type = w0 === 0 ? 1 : field(pos, w0);
      const f2 = field(pos + w0, w1);
      const f3 = field(pos + w0 + w1, w2);
      pos += width;
      const num = start + i;
      const prev = entries.get(num);
      if (prev !== undefined && prev.kind !== 'free' && type !== 0) {
        ctx.ambiguous(`object ${num} appears twice in the cross-reference stream at offset ${offset}`);
      }
      if (type === 0) entries.set(num, { kind: 'free' });
      else if (type === 1) entries.set(num, { kind: 'offset', offset: f2, gen: f3 });
      else if (type === 2) entries.set(num, { kind: 'compressed', streamNum: f2, index: f3 });
      // §7.5.8.3: other types are references to the null object; ignore them.
    }
  }
  if (truncated) ctx.warn(`cross-reference stream at offset ${offset} holds fewer entries than its /Index declares`);
  return { offset, kind: 'stream', trailer: dict, entries, end: io.end };
}
