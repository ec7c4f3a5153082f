/**
 * Locates the /ByteRange and /Contents placeholders in an update, fills /ByteRange and digests
 * the covered bytes by streaming (ISO 32000-1 §12.8.1: the range covers the whole file except the
 * /Contents hexadecimal string, delimiters included).
 */
import { createHash } from 'node:crypto';
import { verifiableDigests, type VerifiableDigest } from '../cms/algorithms.js';
import { toHexDigits } from '../core/bytes.js';
import { PdfError, type ByteSource } from '../pdf/index.js';
import { PadesError } from './errors.js';
import { BYTE_RANGE_PLACEHOLDER } from './signature-dictionary.js';

/** Absolute offsets of the two placeholders inside the signed file. */
export interface PlaceholderOffsets {
  /** Offset of the `[` of /ByteRange. */
  readonly byteRangeStart: number;
  /** Offset of the `<` of /Contents. */
  readonly contentsStart: number;
  /** Offset just after the `>` of /Contents. */
  readonly contentsEnd: number;
}

function indexOfAscii(haystack: Uint8Array, needle: string, from: number): number {
  const first = needle.charCodeAt(0);
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    if (haystack[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/**
 * Finds the placeholders of the signature dictionary written at `objectOffset` (absolute) in an
 * update that starts at `documentLength`.
 */
export function locatePlaceholders(
  update: Uint8Array,
  documentLength: number,
  objectOffset: number,
  contentsCapacity: number,
): PlaceholderOffsets {
  const from = objectOffset - documentLength;
  const br = indexOfAscii(update, `/ByteRange ${BYTE_RANGE_PLACEHOLDER}`, from);
  const ct = indexOfAscii(update, '/Contents <', from);
  const end = ct + '/Contents <'.length + contentsCapacity * 2;
  if (br < 0 || ct < 0 || update[end] !== 0x3e) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'signature placeholders not found in the update');
  }
  return {
    byteRangeStart: documentLength + br + '/ByteRange '.length,
    contentsStart: documentLength + ct + '/Contents '.length,
    contentsEnd: documentLength + end + 1,
  };
}

/** Computes /ByteRange and writes it, space-padded, over the placeholder (in place). */
export function fillByteRange(
  update: Uint8Array,
  documentLength: number,
  offsets: PlaceholderOffsets,
): [number, number, number, number] {
  const total = documentLength + update.length;
  const range: [number, number, number, number] = [
    0,
    offsets.contentsStart,
    offsets.contentsEnd,
    total - offsets.contentsEnd,
  ];
  const text = `[${range.join(' ')}`.padEnd(BYTE_RANGE_PLACEHOLDER.length - 1, ' ') + ']';
  if (text.length !== BYTE_RANGE_PLACEHOLDER.length) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'byte range does not fit its placeholder');
  }
  update.set(Buffer.from(text, 'latin1'), offsets.byteRangeStart - documentLength);
  return range;
}

const CHUNK = 1024 * 1024;

/**
 * Digests the bytes covered by `byteRange` where the file is `source` (the original document,
 * read in 1 MB chunks, never whole) followed by `update`.
 */
export function digestByteRange(
  source: ByteSource,
  update: Uint8Array,
  byteRange: readonly [number, number, number, number],
  algorithm: VerifiableDigest,
): Uint8Array {
  const hash = createHash(verifiableDigests[algorithm].nodeName);
  const docLen = source.length;
  // Issue 18 §5: one buffer for the whole pass when the source can fill it (a file), instead of a
  // fresh megabyte per chunk (a 200 MB file's page faults cost half a SHA-256 pass).
  const buffer = source.readInto === undefined ? undefined : new Uint8Array(Math.min(CHUNK, docLen));
  const feed = (start: number, length: number): void => {
    let pos = start;
    const end = start + length;
    // Part in the original document.
    while (pos < Math.min(end, docLen)) {
      const n = Math.min(CHUNK, Math.min(end, docLen) - pos);
      if (buffer === undefined) {
        // A source made of parts (the original and its updates) is hashed part by part, not joined.
        const parts = source.readParts === undefined ? [source.read(pos, n)] : source.readParts(pos, n);
        if (parts.reduce((sum, part) => sum + part.length, 0) !== n) throw new PdfError('ERR_PDF_IO', 'the document became shorter while it was read');
        for (const part of parts) hash.update(part);
      } else {
        const got = source.readInto!(pos, buffer.subarray(0, n));
        if (got !== n) throw new PdfError('ERR_PDF_IO', 'the file became shorter while it was read');
        hash.update(buffer.subarray(0, n));
      }
      pos += n;
    }
    if (pos < end) hash.update(update.subarray(pos - docLen, end - docLen));
  };
  feed(byteRange[0], byteRange[1]);
  feed(byteRange[2], byteRange[3]);
  return new Uint8Array(hash.digest());
}

/**
 * The hex digits of `cms` as /Contents holds them (the rest of the string stays '0' digits: zero
 * padding after the DER, ISO 32000-1 §12.8.1 note); refuses a container larger than the room
 * reserved with `ERR_PADES_CONTENTS_OVERFLOW`, never a corrupt file.
 */
export function contentsDigits(cms: Uint8Array, contentsCapacity: number): Uint8Array {
  if (cms.length > contentsCapacity) {
    throw new PadesError(
      'ERR_PADES_CONTENTS_OVERFLOW',
      `signature container of ${cms.length} bytes exceeds the reserved ${contentsCapacity} bytes`,
    );
  }
  return toHexDigits(cms);
}

/** Writes the hex of `cms` into the zeroed /Contents of `update` (in place). */
export function fillContents(
  update: Uint8Array,
  documentLength: number,
  contentsStart: number,
  contentsCapacity: number,
  cms: Uint8Array,
): void {
  // The digits follow the '<' at contentsStart.
  update.set(contentsDigits(cms, contentsCapacity), contentsStart - documentLength + 1);
}
