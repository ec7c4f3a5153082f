/** Incremental update writer: appends objects, a new cross-reference section and trailer (ISO 32000-1 §7.5.6). */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { ByteWriter } from './byte-writer.js';
import type { ObjectLocation, PdfDocument } from './pdf-document.js';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfObject } from './objects.js';
import { writeIndirectObject, writeObject } from './serializer.js';
import { PdfError } from './errors.js';

/** What {@link IncrementalWriter.build} returns. */
export interface IncrementalUpdate {
  /** The update, to be appended unchanged after the original bytes (its first byte is at offset `doc.length`). */
  readonly bytes: Uint8Array;
  /** Absolute file offset of each written object (by object number), in the combined file. */
  readonly offsets: ReadonlyMap<number, number>;
  /** Absolute offset of the new cross-reference section. */
  readonly startxref: number;
}

/** Extra trailer entries (e.g. `{ Info: ref }`); /Size, /Prev, /Root defaults and /ID are managed by the writer. */
export type TrailerExtras = PdfDict | Readonly<Record<string, PdfObject | undefined>>;

/** Keys that never carry over from the old trailer into the new one. */
const NOT_COPIED = new Set(['Prev', 'XRefStm', 'Size', 'Type', 'W', 'Index', 'Length', 'Filter', 'DecodeParms']);

function bytesFor(n: number): number {
  let w = 1;
  while (n >= 256 ** w) w++;
  return w;
}

/**
 * Collects new and changed objects and serialises them as one incremental update (§7.5.6):
 * objects uncompressed at real offsets, then a cross-reference section of the same kind as the
 * document's newest one, whose trailer chains to it with /Prev. The original bytes are never
 * rewritten. For a recovered document the section is self-sufficient (every object, no /Prev).
 *
 * @example
 * ```ts
 * const w = new IncrementalWriter(doc);
 * const ref = w.allocate();
 * w.set(ref, PdfDict.of({ Type: PdfName.of('Example') }));
 * const { bytes } = w.build();
 * const updated = concatBytes([original, bytes]);
 * ```
 */
export class IncrementalWriter {
  readonly #doc: PdfDocument;
  readonly #objects = new Map<number, { ref: PdfRef; obj: PdfObject }>();
  #next: number;

  constructor(doc: PdfDocument) {
    this.#doc = doc;
    this.#next = Math.max(1, doc.size);
  }

  /** A fresh object number (generation 0), after every number the document or this writer uses. */
  allocate(): PdfRef {
    return new PdfRef(this.#next++, 0);
  }

  /** Sets a new or changed object; a later `set` of the same number replaces the earlier one. */
  set(ref: PdfRef, obj: PdfObject): void {
    if (!Number.isSafeInteger(ref.num) || ref.num < 1 || !Number.isSafeInteger(ref.gen) || ref.gen < 0 || ref.gen > 65535) {
      throw new PdfError('ERR_PDF_WRITER', `object number ${ref.num} ${ref.gen} cannot be written`);
    }
    if (ref.num >= this.#next) this.#next = ref.num + 1;
    this.#objects.set(ref.num, { ref, obj });
  }

  /** True when `set` was called for this object number. */
  has(ref: PdfRef): boolean {
    return this.#objects.has(ref.num);
  }

  /** Serialises the update. The writer may be used again (the result reflects all `set` calls so far). */
  build(trailerExtras?: TrailerExtras): IncrementalUpdate {
    const doc = this.#doc;
    const base = doc.length;
    const w = new ByteWriter(8192);
    const last = doc.source.read(base - 1, 1)[0];
    // §7.5.6: the update follows the original %%EOF; start on a new line.
    if (last !== 0x0a && last !== 0x0d) w.writeByte(0x0a);
    const offsets = new Map<number, number>();
    const nums = [...this.#objects.keys()].sort((a, b) => a - b);
    // ISO 32000-1 §7.6.1: an encrypted document's update is encrypted with the same handler and
    // key (the trailer keeps /Encrypt and the first /ID element the key derives from).
    const encryption = doc.encryption;
    for (const num of nums) {
      const { ref, obj } = this.#objects.get(num)!;
      offsets.set(num, base + w.length);
      writeIndirectObject(w, ref, encryption === undefined ? obj : encryption.encryptObject(obj, ref));
    }
    const trailer = this.#trailer(trailerExtras, w.bytes());
    const recovered = doc.isRecovered;
    const kind = doc.xrefKind;
    // Locations the new section describes: written objects, plus (recovered input) every object found.
    const rows = new Map<number, ObjectLocation | { kind: 'free' }>();
    if (recovered) {
      rows.set(0, { kind: 'free' });
      for (const [num, loc] of doc.objectLocations()) rows.set(num, loc);
    }
    for (const num of nums) rows.set(num, { kind: 'offset', offset: offsets.get(num)!, gen: this.#objects.get(num)!.ref.gen });
    const startxref = base + w.length;
    if (kind === 'table' && ![...rows.values()].some((r) => r.kind === 'compressed')) {
      this.#writeTable(w, rows, trailer);
    } else {
      this.#writeStream(w, rows, trailer, startxref, offsets);
    }
    w.writeText(`startxref\n${startxref}\n%%EOF\n`);
    return { bytes: w.bytes().slice(), offsets, startxref };
  }

  #trailer(extras: TrailerExtras | undefined, body: Uint8Array): PdfDict {
    const doc = this.#doc;
    const t = new PdfDict();
    for (const [k, v] of doc.trailer.entries()) if (!NOT_COPIED.has(k)) t.set(k, v);
    if (extras !== undefined) {
      const entries = extras instanceof PdfDict ? [...extras.entries()] : Object.entries(extras);
      for (const [k, v] of entries) if (v !== undefined) t.set(k, v);
    }
    let size = doc.size;
    for (const num of this.#objects.keys()) size = Math.max(size, num + 1);
    size = Math.max(size, this.#next);
    t.set('Size', size);
    if (!doc.isRecovered) t.set('Prev', doc.startxref);
    // §14.4: the first /ID element stays, the second changes with every update.
    const id = doc.resolve(doc.trailer.get('ID'));
    const first = Array.isArray(id) && id[0] instanceof PdfString ? id[0] : undefined;
    const h = createHash('md5').update(body).update(String(doc.length));
    if (first !== undefined) h.update(first.bytes);
    const second = new PdfString(new Uint8Array(h.digest()), true);
    t.set('ID', [first ?? second, second]);
    return t;
  }

  #writeTable(w: ByteWriter, rows: Map<number, ObjectLocation | { kind: 'free' }>, trailer: PdfDict): void {
    w.writeText('xref\n');
    const nums = [...rows.keys()].sort((a, b) => a - b);
    for (let i = 0; i < nums.length; ) {
      let j = i;
      while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
      w.writeText(`${nums[i]} ${j - i + 1}\n`);
      for (let k = i; k <= j; k++) {
        const r = rows.get(nums[k]!)!;
        // §7.5.4: each entry is exactly 20 bytes, ending in a two-character EOL.
        if (r.kind === 'offset') w.writeText(`${String(r.offset).padStart(10, '0')} ${String(r.gen).padStart(5, '0')} n\r\n`);
        else w.writeText('0000000000 65535 f\r\n');
      }
      i = j + 1;
    }
    w.writeText('trailer\n');
    writeObject(w, trailer);
    w.writeText('\n');
  }

  #writeStream(
    w: ByteWriter,
    rows: Map<number, ObjectLocation | { kind: 'free' }>,
    trailer: PdfDict,
    startxref: number,
    offsets: Map<number, number>,
  ): void {
    // §7.5.8: the cross-reference stream is itself an object of the update and lists itself.
    const size = trailer.getNumber('Size') ?? 0;
    const selfNum = size;
    trailer.set('Size', size + 1);
    rows.set(selfNum, { kind: 'offset', offset: startxref, gen: 0 });
    offsets.set(selfNum, startxref);
    const nums = [...rows.keys()].sort((a, b) => a - b);
    let max2 = 0;
    let max3 = 0;
    for (const r of rows.values()) {
      if (r.kind === 'offset') {
        max2 = Math.max(max2, r.offset);
        max3 = Math.max(max3, r.gen);
      } else if (r.kind === 'compressed') {
        max2 = Math.max(max2, r.streamNum);
        max3 = Math.max(max3, r.index);
      } else max3 = Math.max(max3, 65535);
    }
    const W: [number, number, number] = [1, bytesFor(max2), max3 === 0 ? 1 : bytesFor(max3)];
    const width = W[0] + W[1] + W[2];
    const data = new Uint8Array(nums.length * width);
    const index: number[] = [];
    let pos = 0;
    const put = (v: number, n: number): void => {
      for (let k = n - 1; k >= 0; k--) {
        data[pos + k] = v % 256;
        v = Math.floor(v / 256);
      }
      pos += n;
    };
    for (let i = 0; i < nums.length; ) {
      let j = i;
      while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
      index.push(nums[i]!, j - i + 1);
      for (let k = i; k <= j; k++) {
        const r = rows.get(nums[k]!)!;
        if (r.kind === 'free') {
          put(0, W[0]);
          put(0, W[1]);
          put(65535, W[2]);
        } else if (r.kind === 'offset') {
          put(1, W[0]);
          put(r.offset, W[1]);
          put(r.gen, W[2]);
        } else {
          put(2, W[0]);
          put(r.streamNum, W[1]);
          put(r.index, W[2]);
        }
      }
      i = j + 1;
    }
    const dict = new PdfDict([['Type', PdfName.of('XRef')]]);
    for (const [k, v] of trailer.entries()) dict.set(k, v);
    dict.set('W', W).set('Index', index).set('Filter', PdfName.of('FlateDecode'));
    writeIndirectObject(w, new PdfRef(selfNum, 0), new PdfStream(dict, new Uint8Array(deflateSync(data))));
  }
}
