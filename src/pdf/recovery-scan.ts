/** Rebuilds a cross-reference index by scanning for `N G obj` and `trailer` (the recovery readers apply when ISO 32000-1 §7.5.4 offsets are wrong). */
import type { ReadContext } from './indirect-reader.js';
import { isRegular, isWhitespace } from './object-parser.js';

/** What a linear scan of the whole file found. */
export interface ScanResult {
  /** Object number → offset and generation of its last definition in the file. */
  readonly objects: Map<number, { offset: number; gen: number }>;
  /** Offsets of every `trailer` keyword, in file order. */
  readonly trailers: number[];
  /** Offsets of every `%%EOF` marker's end, in file order. */
  readonly eofEnds: number[];
}

const OBJ = Buffer.from('obj');
const TRAILER = Buffer.from('trailer');
const EOF_MARK = Buffer.from('%%EOF');
const CHUNK = 1 << 20;
const OVERLAP = 64;


function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/** Parses `N G` ending just before `obj` at index `i` of `buf`; returns the header's start, or -1. */
function headerBefore(buf: Uint8Array, i: number): { start: number; num: number; gen: number } | undefined {
  let j = i - 1;
  if (j < 0 || !isWhitespace(buf[j]!)) return undefined;
  while (j >= 0 && isWhitespace(buf[j]!)) j--;
  const genEnd = j + 1;
  while (j >= 0 && isDigit(buf[j])) j--;
  const genStart = j + 1;
  if (genStart === genEnd || genEnd - genStart > 5) return undefined;
  if (j < 0 || !isWhitespace(buf[j]!)) return undefined;
  while (j >= 0 && isWhitespace(buf[j]!)) j--;
  const numEnd = j + 1;
  while (j >= 0 && isDigit(buf[j])) j--;
  const numStart = j + 1;
  if (numStart === numEnd || numEnd - numStart > 10) return undefined;
  if (j >= 0 && isRegular(buf[j]!)) return undefined;
  let num = 0;
  for (let k = numStart; k < numEnd; k++) num = num * 10 + buf[k]! - 0x30;
  let gen = 0;
  for (let k = genStart; k < genEnd; k++) gen = gen * 10 + buf[k]! - 0x30;
  return { start: numStart, num, gen };
}

/**
 * Scans the whole source once, in chunks, with native substring search (linear time, no regex
 * backtracking: DOS-11). Later definitions of an object number win, as in an incremental update.
 */
export function scanForObjects(ctx: ReadContext, maxObjects: number): ScanResult {
  const src = ctx.source;
  const objects = new Map<number, { offset: number; gen: number }>();
  const trailers: number[] = [];
  const eofEnds: number[] = [];
  for (let pos = 0; pos < src.length; pos += CHUNK) {
    // Each chunk is read with OVERLAP bytes of context before it and a few after, and counts
    // only the hits that start inside [pos, pos + CHUNK).
    const rs = Math.max(0, pos - OVERLAP);
    const buf = src.read(rs, pos - rs + CHUNK + 16);
    const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
    const from = pos - rs;
    const limit = Math.min(buf.length, from + CHUNK);
    const atFileEnd = rs + buf.length >= src.length;
    for (let i = view.indexOf(OBJ, from); i >= 0 && i < limit; i = view.indexOf(OBJ, i + 3)) {
      if (i + 3 < buf.length ? isRegular(buf[i + 3]!) : !atFileEnd) continue;
      const h = headerBefore(buf, i);
      if (h === undefined || (h.start === 0 && rs > 0)) continue;
      objects.set(h.num, { offset: rs + h.start, gen: h.gen });
      if (objects.size > maxObjects) return { objects, trailers, eofEnds };
    }
    for (let i = view.indexOf(TRAILER, from); i >= 0 && i < limit; i = view.indexOf(TRAILER, i + 7)) trailers.push(rs + i);
    for (let i = view.indexOf(EOF_MARK, from); i >= 0 && i < limit; i = view.indexOf(EOF_MARK, i + 5)) eofEnds.push(rs + i + 5);
    ctx.checkTime();
  }
  return { objects, trailers, eofEnds };
}
