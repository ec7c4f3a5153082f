/** Stream filters (ISO 32000-1 §7.4) decoded under one shared output budget per stream (DOS-01/02/03). */
import { brotliDecompressSync, constants, inflateSync } from 'node:zlib';
import { PdfDict, PdfName, type PdfObject } from './objects.js';
import { PdfError } from './errors.js';

/** A byte budget shared by every stage of one filter chain: the chain aborts at the first crossing. */
export interface DecodeBudget {
  remaining: number;
  readonly limit: number;
  /**
   * Called once before a filter allocates its output for a stream that outgrew an ordinary size
   * (a large decode): the document's cache drops the large buffers it holds first (issue 15).
   */
  readonly beforeLargeOutput?: () => void;
}

function overBudget(budget: DecodeBudget): never {
  throw new PdfError('ERR_PDF_LIMIT_DECOMPRESSED', `stream decodes to more than ${budget.limit} bytes`);
}

/** A growable output buffer that refuses to grow past the budget. */
class BudgetedOutput {
  #buf: Uint8Array;
  length = 0;
  readonly #budget: DecodeBudget;

  constructor(budget: DecodeBudget, hint: number) {
    this.#budget = budget;
    this.#buf = new Uint8Array(Math.max(64, Math.min(hint, budget.remaining, 1 << 24)));
  }

  push(b: number): void {
    if (this.length >= this.#buf.length) this.#grow(1);
    this.#buf[this.length++] = b;
  }

  pushAll(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.#buf.length) this.#grow(bytes.length);
    this.#buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  #grow(extra: number): void {
    const need = this.length + extra;
    if (need > this.#budget.remaining) overBudget(this.#budget);
    let cap = Math.max(this.#buf.length * 2, 64);
    while (cap < need) cap *= 2;
    cap = Math.min(cap, Math.max(need, this.#budget.remaining));
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  finish(): Uint8Array {
    this.#budget.remaining -= this.length;
    return this.#buf.subarray(0, this.length);
  }
}

function filterData(name: string, why: string): never {
  throw new PdfError('ERR_PDF_FILTER_DATA', `${name}: ${why}`);
}

/** The output of a first inflation pass when the input is this many times smaller (ordinary content compresses far less). */
const FIRST_PASS_RATIO = 16;
const FIRST_PASS_MIN = 64 * 1024;
/**
 * A small result is copied out of its larger chunk; a large one is not: the chunk's unused tail
 * was never written, so it costs address space, not memory, and a copy would be a second large
 * allocation that the C allocator may keep in its heap after it is freed.
 */
const COPY_MAX = 1024 * 1024;

/**
 * Runs a zlib decompression so that its output is one buffer: zlib's sync API writes into chunks of
 * `chunkSize` and concatenates them at the end, which for a large stream holds the data twice. A
 * first pass sized for ordinary data either fits in one chunk or crosses its limit; only then is
 * the stream decoded again into one chunk of the whole allowance (a bomb costs its first pass
 * twice over, a small fraction of the allowance).
 */
function decompressWhole(
  name: string,
  data: Uint8Array,
  budget: DecodeBudget,
  run: (data: Uint8Array, options: { chunkSize: number; maxOutputLength: number }) => Buffer,
): Uint8Array {
  if (budget.remaining < 1) overBudget(budget);
  const attempt = (size: number): Buffer | undefined => {
    try {
      return run(data, { chunkSize: Math.max(64, size), maxOutputLength: size });
    } catch (cause) {
      // Node reports crossing maxOutputLength as a RangeError.
      if (cause instanceof RangeError) return undefined;
      throw new PdfError('ERR_PDF_FILTER_DATA', `${name}: corrupt data`, { cause });
    }
  };
  const first = Math.min(budget.remaining, Math.max(FIRST_PASS_MIN, data.length * FIRST_PASS_RATIO));
  let out = attempt(first);
  if (out === undefined && first < budget.remaining) {
    budget.beforeLargeOutput?.();
    out = attempt(budget.remaining);
  }
  if (out === undefined || out.length > budget.remaining) return overBudget(budget);
  budget.remaining -= out.length;
  const view = new Uint8Array(out.buffer, out.byteOffset, out.length);
  return out.length <= COPY_MAX && out.buffer.byteLength > 2 * out.length + 4096 ? view.slice() : view;
}

function flateDecode(data: Uint8Array, budget: DecodeBudget): Uint8Array {
  // Z_SYNC_FLUSH tolerates truncated streams (common in real files); maxOutputLength stops
  // inflation as soon as the budget is crossed instead of materialising the bomb (DOS-01).
  return decompressWhole('FlateDecode', data, budget, (d, o) => inflateSync(d, { finishFlush: constants.Z_SYNC_FLUSH, ...o }));
}

/**
 * BrotliDecode (issue 18 §3): the PDF 2.0 extension filter that the PDF Association brings into
 * ISO 32000-2 §7.4 — the stream data is a raw RFC 7932 Brotli stream, with FlateDecode's
 * /DecodeParms (predictors). Bounded like Flate: decoding stops at the budget (DOS-01).
 */
function brotliDecode(data: Uint8Array, budget: DecodeBudget): Uint8Array {
  return decompressWhole('BrotliDecode', data, budget, (d, o) => brotliDecompressSync(d, o));
}

function asciiHexDecode(data: Uint8Array, budget: DecodeBudget): Uint8Array {
  const out = new BudgetedOutput(budget, data.length >> 1);
  let hi = -1;
  for (const b of data) {
    if (b === 0x3e) break;
    if (b === 0x00 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20) continue;
    let v: number;
    if (b >= 0x30 && b <= 0x39) v = b - 0x30;
    else if (b >= 0x41 && b <= 0x46) v = b - 0x37;
    else if (b >= 0x61 && b <= 0x66) v = b - 0x57;
    else return filterData('ASCIIHexDecode', 'bad character');
    if (hi < 0) hi = v;
    else {
      out.push((hi << 4) | v);
      hi = -1;
    }
  }
  if (hi >= 0) out.push(hi << 4);
  return out.finish();
}

function ascii85Decode(data: Uint8Array, budget: DecodeBudget): Uint8Array {
  const out = new BudgetedOutput(budget, Math.ceil((data.length * 4) / 5));
  let group = 0;
  let count = 0;
  let i = 0;
  if (data[0] === 0x3c && data[1] === 0x7e) i = 2; // tolerate a leading <~
  for (; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x7e) break; // ~> ends the data
    if (b === 0x00 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20) continue;
    if (b === 0x7a && count === 0) {
      for (let k = 0; k < 4; k++) out.push(0);
      continue;
    }
    if (b < 0x21 || b > 0x75) return filterData('ASCII85Decode', 'bad character');
    group = group * 85 + (b - 0x21);
    if (++count === 5) {
      if (group > 0xffffffff) return filterData('ASCII85Decode', 'group out of range');
      out.push((group >>> 24) & 0xff);
      out.push((group >>> 16) & 0xff);
      out.push((group >>> 8) & 0xff);
      out.push(group & 0xff);
      group = 0;
      count = 0;
    }
  }
  if (count === 1) return filterData('ASCII85Decode', 'truncated group');
  if (count > 1) {
    for (let k = count; k < 5; k++) group = group * 85 + 84;
    for (let k = 0; k < count - 1; k++) out.push((group >>> (24 - 8 * k)) & 0xff);
  }
  return out.finish();
}

function runLengthDecode(data: Uint8Array, budget: DecodeBudget): Uint8Array {
  const out = new BudgetedOutput(budget, data.length * 2);
  let i = 0;
  while (i < data.length) {
    const len = data[i++]!;
    if (len === 128) break;
    if (len < 128) {
      const end = Math.min(data.length, i + len + 1);
      out.pushAll(data.subarray(i, end));
      i = end;
    } else {
      if (i >= data.length) break;
      const b = data[i++]!;
      for (let k = 0; k < 257 - len; k++) out.push(b);
    }
  }
  return out.finish();
}

function lzwDecode(data: Uint8Array, budget: DecodeBudget, earlyChange: number): Uint8Array {
  const out = new BudgetedOutput(budget, data.length * 3);
  // Dictionary as prefix links (4096 entries max, §7.4.4.2), so no entry is ever copied.
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const lengths = new Int32Array(4096);
  const stack = new Uint8Array(4096);
  for (let k = 0; k < 256; k++) {
    prefix[k] = -1;
    suffix[k] = k;
    lengths[k] = 1;
  }
  let next = 258;
  let codeLen = 9;
  let prev = -1;
  let bitBuf = 0;
  let bitCount = 0;
  let i = 0;
  const firstByte = (code: number): number => {
    let c = code;
    while (prefix[c]! >= 0) c = prefix[c]!;
    return suffix[c]!;
  };
  const emit = (code: number): void => {
    let c = code;
    const n = lengths[c]!;
    let sp = n;
    while (c >= 0 && sp > 0) {
      stack[--sp] = suffix[c]!;
      c = prefix[c]!;
    }
    out.pushAll(stack.subarray(0, n));
  };
  for (;;) {
    while (bitCount < codeLen && i < data.length) {
      bitBuf = ((bitBuf << 8) | data[i++]!) >>> 0;
      bitCount += 8;
    }
    if (bitCount < codeLen) break;
    const code = (bitBuf >>> (bitCount - codeLen)) & ((1 << codeLen) - 1);
    bitCount -= codeLen;
    bitBuf &= (1 << bitCount) - 1;
    if (code === 256) {
      next = 258;
      codeLen = 9;
      prev = -1;
      continue;
    }
    if (code === 257) break;
    if (prev < 0) {
      if (code > 255) return filterData('LZWDecode', 'bad first code');
      emit(code);
      prev = code;
      continue;
    }
    if (code < next) {
      emit(code);
      if (next < 4096) {
        prefix[next] = prev;
        suffix[next] = firstByte(code);
        lengths[next] = lengths[prev]! + 1;
        next++;
      }
    } else if (code === next && next < 4096) {
      prefix[next] = prev;
      suffix[next] = firstByte(prev);
      lengths[next] = lengths[prev]! + 1;
      next++;
      emit(code);
    } else return filterData('LZWDecode', 'bad code');
    prev = code;
    if (next + earlyChange >= 1 << codeLen && codeLen < 12) codeLen++;
  }
  return out.finish();
}

function intParam(parms: PdfDict | undefined, key: string, dflt: number): number {
  const v = parms?.get(key);
  return typeof v === 'number' && Number.isInteger(v) ? v : dflt;
}

/** Undoes a PNG (§7.4.4.4, Predictor ≥ 10) or TIFF 2 predictor; output never exceeds input. */
function unpredict(data: Uint8Array, parms: PdfDict | undefined): Uint8Array {
  const predictor = intParam(parms, 'Predictor', 1);
  if (predictor === 1) return data;
  const colors = intParam(parms, 'Colors', 1);
  const bpc = intParam(parms, 'BitsPerComponent', 8);
  const columns = intParam(parms, 'Columns', 1);
  if (colors < 1 || colors > 32 || ![1, 2, 4, 8, 16].includes(bpc) || columns < 1 || columns > 1 << 24) {
    return filterData('Predictor', 'bad /DecodeParms');
  }
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLen = Math.ceil((columns * colors * bpc) / 8);
  if (predictor === 2) {
    if (bpc !== 8) throw new PdfError('ERR_PDF_FILTER_UNSUPPORTED', 'TIFF predictor with BitsPerComponent other than 8');
    const out = data.slice();
    for (let r = 0; r + rowLen <= out.length; r += rowLen) {
      for (let k = bpp; k < rowLen; k++) out[r + k] = (out[r + k]! + out[r + k - bpp]!) & 0xff;
    }
    return out;
  }
  if (predictor < 10) throw new PdfError('ERR_PDF_FILTER_UNSUPPORTED', `predictor ${predictor}`);
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = new Uint8Array(rows * rowLen);
  let prevRow = new Uint8Array(rowLen);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLen + 1)]!;
    const src = data.subarray(r * (rowLen + 1) + 1, (r + 1) * (rowLen + 1));
    const row = out.subarray(r * rowLen, (r + 1) * rowLen);
    for (let k = 0; k < rowLen; k++) {
      const left = k >= bpp ? row[k - bpp]! : 0;
      const up = prevRow[k]!;
      const upLeft = k >= bpp ? prevRow[k - bpp]! : 0;
      const x = src[k]!;
      let v: number;
      switch (type) {
        case 0: v = x; break;
        case 1: v = x + left; break;
        case 2: v = x + up; break;
        case 3: v = x + ((left + up) >> 1); break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          v = x + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
          break;
        }
        default:
          return filterData('Predictor', `bad PNG row type ${type}`);
      }
      row[k] = v & 0xff;
    }
    prevRow = row;
  }
  return out;
}

const ABBREVIATIONS: Readonly<Record<string, string>> = {
  Fl: 'FlateDecode',
  AHx: 'ASCIIHexDecode',
  A85: 'ASCII85Decode',
  RL: 'RunLengthDecode',
  LZW: 'LZWDecode',
};

/**
 * Decodes `raw` through the filter chain named by the stream dictionary's /Filter and
 * /DecodeParms (§7.4), all stages sharing one budget of `maxBytes` output bytes (or the given
 * budget, drawn down in place).
 * `resolve` follows indirect references in the filter entries.
 *
 * @example
 * ```ts
 * const data = decodeFilterChain(stream.raw, stream.dict, 1 << 20, (o) => doc.resolve(o));
 * ```
 */
export function decodeFilterChain(
  raw: Uint8Array,
  dict: PdfDict,
  maxBytes: number | DecodeBudget,
  resolve: (o: PdfObject | undefined) => PdfObject | undefined,
  options: { readonly isDecrypted?: boolean } = {},
): Uint8Array {
  const f = resolve(dict.get('Filter'));
  const p = resolve(dict.get('DecodeParms'));
  const filters: PdfObject[] = f === undefined || f === null ? [] : Array.isArray(f) ? f : [f];
  const parms: PdfObject[] = p === undefined || p === null ? [] : Array.isArray(p) ? p : [p];
  if (filters.length > 16) throw new PdfError('ERR_PDF_FILTER_UNSUPPORTED', 'more than 16 filters in one chain');
  // A caller's budget object is drawn down in place, so it can tell how much work the chain did.
  const budget: DecodeBudget = typeof maxBytes === 'number' ? { remaining: maxBytes, limit: maxBytes } : maxBytes;
  let data = raw;
  filters.forEach((entry, i) => {
    const fe = resolve(entry);
    if (!(fe instanceof PdfName)) throw new PdfError('ERR_PDF_FILTER_DATA', '/Filter is not a name');
    const name = ABBREVIATIONS[fe.name] ?? fe.name;
    const pe = resolve(parms[i]);
    const parm = pe instanceof PdfDict ? pe : undefined;
    switch (name) {
      case 'FlateDecode':
        data = unpredict(flateDecode(data, budget), parm);
        break;
      case 'BrotliDecode':
        data = unpredict(brotliDecode(data, budget), parm);
        break;
      case 'LZWDecode':
        data = unpredict(lzwDecode(data, budget, intParam(parm, 'EarlyChange', 1) === 0 ? 0 : 1), parm);
        break;
      case 'ASCIIHexDecode':
        data = asciiHexDecode(data, budget);
        break;
      case 'ASCII85Decode':
        data = ascii85Decode(data, budget);
        break;
      case 'RunLengthDecode':
        data = runLengthDecode(data, budget);
        break;
      case 'Crypt': {
        // ISO 32000-1 §7.4.10: /Crypt comes first and names a crypt filter of the document's
        // /CF (§7.6.5), which the security handler has applied when it loaded the stream
        // (options.isDecrypted); /Identity, the default name, leaves the data as it is.
        const cn = parm?.getName('Name');
        if (cn === undefined || cn === 'Identity' || (options.isDecrypted === true && i === 0)) break;
        throw new PdfError(
          'ERR_PDF_FILTER_UNSUPPORTED',
          `the stream names the crypt filter /${cn.slice(0, 40)}${i === 0 ? ' in a document that is not encrypted' : ' after another filter (ISO 32000-1 §7.4.10: it must come first)'}`,
        );
      }
      default:
        throw new PdfError('ERR_PDF_FILTER_UNSUPPORTED', `filter ${name.slice(0, 40)} is not supported`);
    }
  });
  return data;
}
