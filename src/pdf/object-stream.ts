/** Object streams (ISO 32000-1 §7.5.7): the header index and the objects stored inside, with DOS-04 checks. */
import { ObjectParser, type ParseHooks } from './object-parser.js';
import { PdfStream, type PdfObject } from './objects.js';
import { PdfError } from './errors.js';

/** The decoded data of an object stream and its header pairs (object number, offset from /First). */
export interface ObjectStreamIndex {
  readonly data: Uint8Array;
  readonly first: number;
  readonly nums: readonly number[];
  readonly offsets: readonly number[];
}

/**
 * Checks /N and /First and reads the header pairs of object stream `streamNum`.
 * `decode` applies the document's filters and budget.
 */
export function indexObjectStream(streamNum: number, stm: PdfObject, decode: (s: PdfStream) => Uint8Array): ObjectStreamIndex {
  if (!(stm instanceof PdfStream) || stm.dict.getName('Type') !== 'ObjStm') {
    throw new PdfError('ERR_PDF_OBJSTM', `object ${streamNum} is not an object stream`);
  }
  const n = stm.dict.get('N');
  const first = stm.dict.get('First');
  if (typeof n !== 'number' || typeof first !== 'number' || !Number.isInteger(n) || !Number.isInteger(first) || n < 0 || first < 0) {
    throw new PdfError('ERR_PDF_OBJSTM', `object stream ${streamNum} has a bad /N or /First`);
  }
  // DOS-04: each header pair takes at least 4 bytes, so /N cannot exceed /First / 2 (nothing is allocated from /N).
  if (n > first / 2 + 1) throw new PdfError('ERR_PDF_OBJSTM', `object stream ${streamNum}: /N does not fit before /First`);
  const data = decode(stm);
  if (first > data.length) throw new PdfError('ERR_PDF_OBJSTM', `object stream ${streamNum}: /First is beyond its data`);
  const p = new ObjectParser(data.subarray(0, first), 0, true, 1);
  const nums: number[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) {
    p.skipWhitespace();
    const num = p.tryUnsigned();
    p.skipWhitespace();
    const off = p.tryUnsigned();
    if (num === undefined || off === undefined) throw new PdfError('ERR_PDF_OBJSTM', `object stream ${streamNum}: bad header`);
    nums.push(num);
    offsets.push(off);
  }
  return { data, first, nums, offsets };
}

/**
 * Parses object `num` from an indexed object stream; `index` is the cross-reference's hint
 * (a wrong hint is searched for and reported through `warn`). Returns null when absent.
 */
export function readObjectStreamMember(
  idx: ObjectStreamIndex,
  streamNum: number,
  num: number,
  index: number,
  maxDepth: number,
  hooks: ParseHooks,
  warn: (m: string) => void,
): PdfObject {
  let i = index;
  if (idx.nums[i] !== num) {
    i = idx.nums.indexOf(num);
    if (i < 0) return null;
    warn(`object ${num}: wrong index in object stream ${streamNum}`);
  }
  const at = idx.first + idx.offsets[i]!;
  if (at >= idx.data.length) throw new PdfError('ERR_PDF_OBJSTM', `object ${num} lies beyond the data of object stream ${streamNum}`);
  return new ObjectParser(idx.data.subarray(at), 0, true, maxDepth, hooks).parseObject(0);
}
