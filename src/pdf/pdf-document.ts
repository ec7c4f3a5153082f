/** A lazily parsed PDF document: header, cross-reference chain and trailer at open, objects on first use (ISO 32000-1 §7.5). */
import { defaultParseLimits, type ParseLimits } from '../core/limits.js';
import { monotonicMs } from '../core/clock.js';
import { bytesSource, type ByteSource } from './byte-source.js';
import { parseAt, readIndirectObject, readObjectHead, type ReadContext } from './indirect-reader.js';
import { ObjectParser } from './object-parser.js';
import { PdfDict, PdfRef, PdfStream, type PdfArray, type PdfObject } from './objects.js';
import { PdfError, type PdfErrorCode } from './errors.js';
import { decodeFilterChain } from './stream-filters.js';
import { readXrefSection, type XrefEntry, type XrefSection } from './xref-section.js';
import { scanForObjects } from './recovery-scan.js';

/** Options of {@link PdfDocument.open}. */
export interface PdfOpenOptions {
  readonly limits?: Partial<ParseLimits>;
}

/** Where an object is stored: at a file offset, or inside an object stream (§7.5.7). */
export type ObjectLocation =
  | { readonly kind: 'offset'; readonly offset: number; readonly gen: number }
  | { readonly kind: 'compressed'; readonly streamNum: number; readonly index: number };

/** One cross-reference section of the chain, newest first. */
export interface PdfRevision {
  readonly startxref: number;
  readonly kind: 'table' | 'stream';
  /** Offset just after the `%%EOF` that closes this section (linearized first-page sections extend to their main section's). */
  readonly endOffset: number;
}

/** A page object and its reference. */
export interface PdfPage {
  readonly ref: PdfRef;
  readonly dict: PdfDict;
}

/** §7.7.3.4: the page attributes inherited from ancestor page tree nodes. */
const INHERITABLE = new Set(['Resources', 'MediaBox', 'CropBox', 'Rotate']);
const MAX_MESSAGES = 1000;
const OBJSTM_CACHE = 8;

interface ObjStmIndex {
  readonly data: Uint8Array;
  readonly first: number;
  readonly nums: readonly number[];
  readonly offsets: readonly number[];
}

/** Errors that end the read instead of triggering recovery: limits, loops, encryption, I/O. */
const FATAL: ReadonlySet<PdfErrorCode> = new Set<PdfErrorCode>([
  'ERR_PDF_LIMIT_DEPTH',
  'ERR_PDF_LIMIT_OBJECTS',
  'ERR_PDF_LIMIT_DECOMPRESSED',
  'ERR_PDF_LIMIT_REVISIONS',
  'ERR_PDF_LIMIT_TIME',
  'ERR_PDF_ENCRYPTED',
  'ERR_PDF_XREF_LOOP',
  'ERR_PDF_IO',
]);

function isLimitError(err: unknown): boolean {
  return err instanceof PdfError && FATAL.has(err.code);
}

function findBytes(hay: Uint8Array, needle: string, fromEnd: boolean): number {
  const view = Buffer.from(hay.buffer, hay.byteOffset, hay.length);
  return fromEnd ? view.lastIndexOf(needle, undefined, 'latin1') : view.indexOf(needle, 0, 'latin1');
}

/**
 * A PDF opened for reading. Opening reads the header, the last `startxref`, the chain of
 * cross-reference sections and trailers only; objects are parsed on first use and cached.
 * Damaged cross-reference data is rebuilt by scanning (`isRecovered`, with a warning).
 *
 * @example
 * ```ts
 * const doc = PdfDocument.open(bytes);
 * const pages = doc.pages();
 * const mediaBox = doc.inheritedPageAttribute(pages[0]!.dict, 'MediaBox');
 * ```
 */
export class PdfDocument {
  readonly source: ByteSource;
  readonly length: number;
  readonly header: string;
  readonly limits: ParseLimits;
  #trailer: PdfDict;
  #catalog: PdfDict;
  #xrefKind: 'table' | 'stream';
  #startxref: number;
  #size: number;
  #revisions: PdfRevision[];
  #entries = new Map<number, XrefEntry>();
  readonly #cache = new Map<number, { gen: number; obj: PdfObject }>();
  readonly #loading = new Set<number>();
  readonly #objStms = new Map<number, ObjStmIndex>();
  readonly #warnings = new Set<string>();
  readonly #ambiguities = new Set<string>();
  #isRecovered = false;
  #deadline = 0;
  #opDepth = 0;
  readonly #ctx: ReadContext;

  private constructor(source: ByteSource, limits: ParseLimits) {
    this.source = source;
    this.length = source.length;
    this.limits = limits;
    this.#ctx = {
      source,
      maxDepth: limits.maxDepth,
      warn: (m) => this.#warn(m),
      ambiguous: (m) => {
        if (this.#ambiguities.size < MAX_MESSAGES) this.#ambiguities.add(m);
      },
      resolveLength: (ref) => this.#resolveLength(ref),
      checkTime: () => this.#checkTime(),
    };
    this.header = this.#readHeader();
    this.#trailer = new PdfDict();
    this.#catalog = new PdfDict();
    this.#xrefKind = 'table';
    this.#startxref = 0;
    this.#size = 0;
    this.#revisions = [];
    this.#op(() => this.#load());
  }

  /**
   * Opens a document (synchronously; only the tail, the cross-reference data and the catalog are read).
   * Throws `ERR_PDF_ENCRYPTED` for encrypted files, `ERR_PDF_NOT_PDF`, `ERR_PDF_XREF`, and the limit errors.
   */
  static open(input: ByteSource | Uint8Array, options: PdfOpenOptions = {}): PdfDocument {
    const source = input instanceof Uint8Array ? bytesSource(input) : input;
    return new PdfDocument(source, { ...defaultParseLimits, ...options.limits });
  }

  /** The newest trailer (for a cross-reference stream, its dictionary); /Root, /Info, /ID filled from older trailers when missing. */
  get trailer(): PdfDict {
    return this.#trailer;
  }
  /** The document catalog (§7.7.2). */
  get catalog(): PdfDict {
    return this.#catalog;
  }
  /** Kind of the newest cross-reference section (for a recovered file: what a self-sufficient section must be). */
  get xrefKind(): 'table' | 'stream' {
    return this.#xrefKind;
  }
  /** Offset of the newest cross-reference section, as declared by the last `startxref`. */
  get startxref(): number {
    return this.#startxref;
  }
  /** Highest object number + 1 over all sections and trailers' /Size. */
  get size(): number {
    return this.#size;
  }
  /** Sections of the chain, newest first. */
  get revisions(): readonly PdfRevision[] {
    return this.#revisions;
  }
  /** Recoverable problems met so far (wrong /Length, rebuilt xref, …). */
  get warnings(): readonly string[] {
    return [...this.#warnings];
  }
  /** Constructs that readers may read differently (PDF-27/PDF-28); a signer must refuse such input. */
  get ambiguities(): readonly string[] {
    return [...this.#ambiguities];
  }
  /** True when the cross-reference data was rebuilt by scanning the file. */
  get isRecovered(): boolean {
    return this.#isRecovered;
  }

  #warn(m: string): void {
    if (this.#warnings.size < MAX_MESSAGES) this.#warnings.add(m);
  }

  #checkTime(): void {
    if (monotonicMs() > this.#deadline) {
      throw new PdfError('ERR_PDF_LIMIT_TIME', `reading the document took longer than ${this.limits.maxMillis} ms`);
    }
  }

  /** Runs a whole-document operation under the time limit (nested calls share the outer deadline). */
  #op<T>(fn: () => T): T {
    if (this.#opDepth === 0) this.#deadline = monotonicMs() + this.limits.maxMillis;
    this.#opDepth++;
    try {
      return fn();
    } finally {
      this.#opDepth--;
    }
  }

  #readHeader(): string {
    const head = this.source.read(0, 1024);
    const at = findBytes(head, '%PDF-', false);
    if (at < 0) throw new PdfError('ERR_PDF_NOT_PDF', 'the input is not a PDF file (no %PDF- header)');
    let v = '';
    for (let i = at + 5; i < head.length && v.length < 8; i++) {
      const c = head[i]!;
      if ((c >= 0x30 && c <= 0x39) || c === 0x2e) v += String.fromCharCode(c);
      else break;
    }
    if (at > 0) this.#warn(`${at} bytes of junk before the %PDF- header`);
    return v;
  }

  /** The offset after the last `startxref` keyword, or undefined when absent or unreadable. */
  #findStartxref(): number | undefined {
    const tailLen = Math.min(this.length, 4096);
    const tailStart = this.length - tailLen;
    const tail = this.source.read(tailStart, tailLen);
    const at = findBytes(tail, 'startxref', true);
    if (at < 0) return undefined;
    const p = new ObjectParser(tail.subarray(at + 9), tailStart + at + 9, true, 1);
    p.skipWhitespace();
    return p.tryUnsigned();
  }

  #load(): void {
    const declared = this.#findStartxref();
    this.#startxref = declared ?? 0;
    if (declared === undefined) {
      this.#recover('no startxref at the end of the file');
      return;
    }
    let sections: XrefSection[];
    try {
      sections = this.#readChain(declared);
    } catch (err) {
      if (isLimitError(err) || !(err instanceof PdfError)) throw err;
      this.#recover(`cross-reference data is damaged (${err.message})`);
      return;
    }
    this.#useSections(sections);
    if (this.#trailer.has('Encrypt')) throw new PdfError('ERR_PDF_ENCRYPTED', 'the document is encrypted');
    let catalog: PdfDict | undefined;
    try {
      catalog = this.resolveDict(this.#trailer.get('Root'));
    } catch (err) {
      if (isLimitError(err) || !(err instanceof PdfError)) throw err;
    }
    if (catalog === undefined) {
      if (!this.#isRecovered) this.#recover('the trailer /Root does not lead to a catalog');
      return;
    }
    this.#catalog = catalog;
  }

  #readChain(startxref: number): XrefSection[] {
    const visited = new Set<number>();
    const sections: XrefSection[] = [];
    const opts = { maxObjects: this.limits.maxObjects, decode: (s: PdfStream) => this.decodeStream(s) };
    let offset: number | undefined = startxref;
    while (offset !== undefined) {
      // DOS-07: a /Prev or /XRefStm that revisits an offset is a loop.
      if (visited.has(offset)) throw new PdfError('ERR_PDF_XREF_LOOP', `cross-reference chain loops at offset ${offset}`);
      visited.add(offset);
      if (sections.length >= this.limits.maxRevisions) {
        throw new PdfError('ERR_PDF_LIMIT_REVISIONS', `more than ${this.limits.maxRevisions} cross-reference sections`);
      }
      const sec = readXrefSection(this.#ctx, offset, opts);
      const xrefStm = sec.kind === 'table' ? sec.trailer.get('XRefStm') : undefined;
      if (typeof xrefStm === 'number') {
        if (visited.has(xrefStm)) throw new PdfError('ERR_PDF_XREF_LOOP', `/XRefStm loops to offset ${xrefStm}`);
        visited.add(xrefStm);
        this.#mergeHybrid(sec, readXrefSection(this.#ctx, xrefStm, opts));
      }
      sections.push(sec);
      const prev = sec.trailer.get('Prev');
      offset = typeof prev === 'number' && Number.isSafeInteger(prev) ? prev : undefined;
      this.#checkTime();
    }
    return sections;
  }

  /** §7.5.8.4: a hybrid section's /XRefStm entries complete the table; PDF-27: they must not contradict it. */
  #mergeHybrid(table: XrefSection, stream: XrefSection): void {
    for (const [num, e] of stream.entries) {
      const t = table.entries.get(num);
      if (t === undefined || t.kind === 'free') {
        if (e.kind !== 'free') table.entries.set(num, e);
      } else if (e.kind !== 'free' && (e.kind !== t.kind || (e.kind === 'offset' && t.kind === 'offset' && e.offset !== t.offset))) {
        this.#ctx.ambiguous(`object ${num}: the /XRefStm view disagrees with the cross-reference table`);
      }
    }
  }

  #useSections(sections: XrefSection[]): void {
    const newest = sections[0]!;
    const entries = new Map<number, XrefEntry>();
    let size = 0;
    for (const sec of sections) {
      for (const [num, e] of sec.entries) if (!entries.has(num)) entries.set(num, e);
      const s = sec.trailer.get('Size');
      if (typeof s === 'number' && Number.isInteger(s) && s > size) size = s;
    }
    if (entries.size > this.limits.maxObjects) {
      throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `the document has more than ${this.limits.maxObjects} objects`);
    }
    for (const num of entries.keys()) if (num + 1 > size) size = num + 1;
    const trailer = newest.trailer.clone();
    for (const sec of sections.slice(1)) {
      for (const key of ['Root', 'Info', 'ID', 'Encrypt']) {
        const v = sec.trailer.get(key);
        if (!trailer.has(key) && v !== undefined) trailer.set(key, v);
      }
    }
    this.#entries = entries;
    this.#size = size;
    this.#trailer = trailer;
    this.#xrefKind = newest.kind;
    const ends = sections.map((sec) => this.#eofAfter(sec.end));
    // A linearized first-page section's /Prev points forward to the main section: one revision.
    for (let i = sections.length - 2; i >= 0; i--) {
      if (sections[i + 1]!.offset > sections[i]!.offset) ends[i] = Math.max(ends[i]!, ends[i + 1]!);
    }
    this.#revisions = sections.map((sec, i) => ({ startxref: sec.offset, kind: sec.kind, endOffset: ends[i]! }));
  }

  #eofAfter(from: number): number {
    const win = this.source.read(from, 1 << 16);
    const at = findBytes(win, '%%EOF', false);
    return at < 0 ? this.length : from + at + 5;
  }

  /** Rebuilds the index by scanning for `N G obj`, object streams and trailers. */
  #recover(reason: string): void {
    this.#warn(`cross-reference rebuilt by scanning the file: ${reason}`);
    this.#isRecovered = true;
    this.#cache.clear();
    this.#objStms.clear();
    const scan = scanForObjects(this.#ctx, this.limits.maxObjects);
    if (scan.objects.size > this.limits.maxObjects) {
      throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `the document has more than ${this.limits.maxObjects} objects`);
    }
    const entries = new Map<number, XrefEntry>();
    for (const [num, o] of scan.objects) entries.set(num, { kind: 'offset', offset: o.offset, gen: o.gen });
    this.#entries = entries;
    const objStms: number[] = [];
    let streamTrailer: PdfDict | undefined;
    let catalogNum: number | undefined;
    for (const [num, o] of [...scan.objects].sort((a, b) => a[1].offset - b[1].offset)) {
      this.#checkTime();
      let head;
      try {
        head = readObjectHead(this.#ctx, o.offset);
      } catch (err) {
        if (isLimitError(err) && !(err instanceof PdfError && err.code === 'ERR_PDF_LIMIT_DEPTH')) throw err;
        continue;
      }
      const d = head.obj instanceof PdfDict ? head.obj : undefined;
      if (d === undefined) continue;
      const type = d.getName('Type');
      if (head.isStream && type === 'ObjStm') objStms.push(num);
      if (head.isStream && type === 'XRef' && d.has('Root')) streamTrailer = d;
      if (type === 'Catalog') catalogNum = num;
    }
    for (const stmNum of objStms) {
      try {
        const idx = this.#objStmIndex(stmNum);
        idx.nums.forEach((n, i) => {
          if (!entries.has(n)) entries.set(n, { kind: 'compressed', streamNum: stmNum, index: i });
        });
      } catch (err) {
        if (isLimitError(err)) throw err;
        this.#warn(`object stream ${stmNum} is unreadable`);
      }
    }
    let trailer: PdfDict | undefined;
    for (const at of scan.trailers) {
      try {
        const t = parseAt(this.#ctx, at, (p) => (p.tryKeyword('trailer') ? p.parseObject(0) : undefined));
        if (t instanceof PdfDict && t.has('Root')) trailer = t;
      } catch (err) {
        if (isLimitError(err)) throw err;
      }
    }
    trailer ??= streamTrailer;
    if (trailer === undefined && catalogNum !== undefined) {
      const e = entries.get(catalogNum);
      trailer = PdfDict.of({ Root: new PdfRef(catalogNum, e?.kind === 'offset' ? e.gen : 0) });
    }
    if (trailer === undefined) throw new PdfError('ERR_PDF_XREF', 'the file cannot be recovered: no trailer and no catalog');
    trailer = trailer.clone();
    if (trailer.has('Encrypt')) throw new PdfError('ERR_PDF_ENCRYPTED', 'the document is encrypted');
    let size = 0;
    for (const num of entries.keys()) if (num + 1 > size) size = num + 1;
    const declaredSize = trailer.get('Size');
    if (typeof declaredSize === 'number' && Number.isInteger(declaredSize) && declaredSize > size && declaredSize <= this.limits.maxObjects) {
      size = declaredSize;
    }
    for (const key of ['Prev', 'XRefStm', 'Type', 'W', 'Index', 'Length', 'Filter', 'DecodeParms']) trailer.delete(key);
    trailer.set('Size', size);
    this.#trailer = trailer;
    this.#size = size;
    const hasCompressed = [...entries.values()].some((e) => e.kind === 'compressed');
    this.#xrefKind = hasCompressed ? 'stream' : 'table';
    const lastEof = scan.eofEnds[scan.eofEnds.length - 1] ?? this.length;
    this.#revisions = [{ startxref: this.#startxref, kind: this.#xrefKind, endOffset: lastEof }];
    const catalog = this.resolveDict(trailer.get('Root'));
    if (catalog === undefined) throw new PdfError('ERR_PDF_XREF', 'the file cannot be recovered: no catalog');
    this.#catalog = catalog;
  }

  #resolveLength(ref: PdfRef): number | undefined {
    try {
      const v = this.getObject(ref);
      return typeof v === 'number' ? v : undefined;
    } catch (err) {
      if (isLimitError(err)) throw err;
      return undefined;
    }
  }

  /** The object `ref` points to; `null` when it is free, missing or of another generation (§7.3.10). */
  getObject(ref: PdfRef): PdfObject {
    return this.#op(() => this.#getObject(ref, true));
  }

  #getObject(ref: PdfRef, mayRecover: boolean): PdfObject {
    const cached = this.#cache.get(ref.num);
    if (cached !== undefined) return cached.gen === ref.gen ? cached.obj : null;
    const e = this.#entries.get(ref.num);
    if (e === undefined || e.kind === 'free') return null;
    if (this.#loading.has(ref.num)) {
      throw new PdfError('ERR_PDF_SYNTAX', `object ${ref.num} refers to itself while it is being read`);
    }
    this.#loading.add(ref.num);
    let obj: PdfObject;
    let gen: number;
    try {
      if (e.kind === 'offset') {
        gen = e.gen;
        if (e.gen !== ref.gen) return null;
        let io;
        try {
          io = readIndirectObject(this.#ctx, e.offset);
        } catch (err) {
          if (!mayRecover || this.#isRecovered || isLimitError(err) || !(err instanceof PdfError)) throw err;
        }
        if (io === undefined || io.num !== ref.num || io.gen !== e.gen) {
          if (!mayRecover || this.#isRecovered) {
            this.#warn(`object ${ref.num} ${ref.gen} is not at its cross-reference offset`);
            return null;
          }
          this.#loading.delete(ref.num);
          // PDF-28: an entry that points beside its object lets readers that repair differently disagree.
          this.#ctx.ambiguous(`object ${ref.num} ${ref.gen}: its cross-reference offset ${e.offset} does not point to it`);
          this.#recover(`object ${ref.num} ${ref.gen} is not at its cross-reference offset ${e.offset}`);
          return this.#getObject(ref, false);
        }
        obj = io.obj;
      } else {
        gen = 0;
        if (ref.gen !== 0) return null;
        obj = this.#loadCompressed(ref.num, e.streamNum, e.index);
      }
    } finally {
      this.#loading.delete(ref.num);
    }
    this.#cache.set(ref.num, { gen, obj });
    return obj;
  }

  #objStmIndex(streamNum: number): ObjStmIndex {
    const hit = this.#objStms.get(streamNum);
    if (hit !== undefined) return hit;
    const e = this.#entries.get(streamNum);
    const stm = e?.kind === 'offset' ? this.#getObject(new PdfRef(streamNum, e.gen), true) : null;
    if (!(stm instanceof PdfStream) || stm.dict.getName('Type') !== 'ObjStm') {
      throw new PdfError('ERR_PDF_OBJSTM', `object ${streamNum} is not an object stream`);
    }
    const n = stm.dict.get('N');
    const first = stm.dict.get('First');
    if (typeof n !== 'number' || typeof first !== 'number' || !Number.isInteger(n) || !Number.isInteger(first) || n < 0 || first < 0) {
      throw new PdfError('ERR_PDF_OBJSTM', `object stream ${streamNum} has a bad /N or /First`);
    }
    // DOS-04: each header pair takes at least 4 bytes, so /N cannot exceed /First / 2 (no allocation from /N).
    if (n > first / 2 + 1) throw new PdfError('ERR_PDF_OBJSTM', `object stream ${streamNum}: /N does not fit before /First`);
    const data = this.decodeStream(stm);
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
    const idx: ObjStmIndex = { data, first, nums, offsets };
    if (this.#objStms.size >= OBJSTM_CACHE) {
      const oldest = this.#objStms.keys().next().value;
      if (oldest !== undefined) this.#objStms.delete(oldest);
    }
    this.#objStms.set(streamNum, idx);
    return idx;
  }

  #loadCompressed(num: number, streamNum: number, index: number): PdfObject {
    const idx = this.#objStmIndex(streamNum);
    let i = index;
    if (idx.nums[i] !== num) {
      i = idx.nums.indexOf(num);
      if (i < 0) return null;
      this.#warn(`object ${num}: wrong index in object stream ${streamNum}`);
    }
    const at = idx.first + idx.offsets[i]!;
    if (at >= idx.data.length) throw new PdfError('ERR_PDF_OBJSTM', `object ${num} lies beyond the data of object stream ${streamNum}`);
    const p = new ObjectParser(idx.data.subarray(at), 0, true, this.limits.maxDepth, {
      onDuplicateKey: (key) => this.#ctx.ambiguous(`duplicate key /${key.slice(0, 40)} in object ${num}`),
    });
    return p.parseObject(0);
  }

  /** Follows references (cycle-safe: a reference loop resolves to null). */
  resolve(obj: PdfObject | undefined): PdfObject | undefined {
    let o = obj;
    let hops = 0;
    while (o instanceof PdfRef) {
      // DOS-06: a chain of references longer than any real file needs is a cycle.
      if (++hops > 32) {
        this.#warn('reference cycle resolved to null');
        return null;
      }
      o = this.getObject(o);
    }
    return o;
  }

  /** The dictionary `obj` is or refers to (a stream's dictionary is not returned), else undefined. */
  resolveDict(obj: PdfObject | undefined): PdfDict | undefined {
    const o = this.resolve(obj);
    return o instanceof PdfDict ? o : undefined;
  }

  /** The array `obj` is or refers to, else undefined. */
  resolveArray(obj: PdfObject | undefined): PdfArray | undefined {
    const o = this.resolve(obj);
    return Array.isArray(o) ? o : undefined;
  }

  /** The pages in document order (§7.7.3.2); a /Kids cycle or a node reached twice is `ERR_PDF_PAGE_TREE` (DOS-06). */
  pages(): readonly PdfPage[] {
    return this.#op(() => {
      const out: PdfPage[] = [];
      const seen = new Set<string>();
      const stack: { kids: PdfArray; i: number }[] = [];
      const visit = (node: PdfObject | undefined): void => {
        if (!(node instanceof PdfRef)) {
          this.#warn('page tree node is not an indirect reference; skipped');
          return;
        }
        if (seen.has(node.key)) throw new PdfError('ERR_PDF_PAGE_TREE', `page tree reaches object ${node.num} twice (cycle)`);
        seen.add(node.key);
        const dict = this.resolveDict(node);
        if (dict === undefined) {
          this.#warn(`page tree node ${node.num} is not a dictionary; skipped`);
          return;
        }
        const kids = this.resolveArray(dict.get('Kids'));
        const type = dict.getName('Type');
        if (type === 'Pages' || (type !== 'Page' && kids !== undefined)) {
          if (stack.length >= this.limits.maxDepth) throw new PdfError('ERR_PDF_LIMIT_DEPTH', 'page tree is too deep');
          stack.push({ kids: kids ?? [], i: 0 });
        } else {
          if (out.length >= this.limits.maxObjects) throw new PdfError('ERR_PDF_LIMIT_OBJECTS', 'too many pages');
          out.push({ ref: node, dict });
        }
      };
      const root = this.#catalog.get('Pages');
      if (this.resolveDict(root) === undefined) throw new PdfError('ERR_PDF_PAGE_TREE', 'the catalog has no /Pages dictionary');
      visit(root);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.i >= top.kids.length) stack.pop();
        else visit(top.kids[top.i++]);
        this.#checkTime();
      }
      return out;
    });
  }

  /**
   * A page attribute, inherited from the nearest ancestor when the page lacks it (§7.7.3.4: only
   * Resources, MediaBox, CropBox and Rotate inherit; other keys are read from the page alone).
   * A /Parent loop is `ERR_PDF_PAGE_TREE`.
   */
  inheritedPageAttribute(page: PdfDict, key: string): PdfObject | undefined {
    if (!INHERITABLE.has(key)) return page.get(key);
    const seen = new Set<PdfDict>();
    let node: PdfDict | undefined = page;
    while (node !== undefined) {
      const v = node.get(key);
      if (v !== undefined) return v;
      seen.add(node);
      if (seen.size > this.limits.maxDepth) throw new PdfError('ERR_PDF_PAGE_TREE', 'page tree is too deep');
      node = this.resolveDict(node.get('Parent'));
      if (node !== undefined && seen.has(node)) throw new PdfError('ERR_PDF_PAGE_TREE', '/Parent chain loops');
    }
    return undefined;
  }

  /** Decodes a stream's data through its filter chain under the decoded-size limit (DOS-01/02/03). */
  decodeStream(stream: PdfStream): Uint8Array {
    return decodeFilterChain(stream.raw, stream.dict, this.limits.maxDecodedStreamBytes, (o) => this.resolve(o));
  }

  /** Where object `ref.num` is stored according to the cross-reference data, or undefined when free or absent. */
  objectLocation(ref: PdfRef): ObjectLocation | undefined {
    const e = this.#entries.get(ref.num);
    return e === undefined || e.kind === 'free' ? undefined : e;
  }

  /** Every object number in use with its location (for writers of self-sufficient sections and for diagnostics). */
  objectLocations(): ReadonlyMap<number, ObjectLocation> {
    const out = new Map<number, ObjectLocation>();
    for (const [num, e] of this.#entries) if (e.kind !== 'free') out.set(num, e);
    return out;
  }

  /**
   * Parses every object once (under the time limit), so that `ambiguities` and `warnings` cover the
   * whole file. Meant for validators and signers before they trust a file (PDF-28); not needed to read.
   */
  loadAllObjects(): void {
    this.#op(() => {
      for (const [num, e] of [...this.#entries]) {
        if (e.kind === 'free') continue;
        this.#getObject(new PdfRef(num, e.kind === 'offset' ? e.gen : 0), true);
        this.#checkTime();
      }
    });
  }
}
