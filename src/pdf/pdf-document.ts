/** A lazily parsed PDF document: header, cross-reference chain and trailer at open, objects on first use (ISO 32000-1 §7.5). */
import type { ParseLimits } from '../core/limits.js';
import { monotonicMs } from '../core/clock.js';
import { appendedBytes, bytesSource, type ByteSource } from './byte-source.js';
import { readIndirectObject, type ReadContext } from './indirect-reader.js';
import { ObjectParser } from './object-parser.js';
import { PdfDict, PdfRef, PdfStream, PdfString, type PdfArray, type PdfObject } from './objects.js';
import { PdfError, type PdfErrorCode } from './errors.js';
import { configuredParseLimits } from './limits-from-environment.js';
import { decodeFilterChain } from './stream-filters.js';
import { DocumentBudget } from './decode-budget.js';
import { DecodedStreamCache } from './decoded-stream-cache.js';
import type { XrefEntry, XrefSection } from './xref-section.js';
import { rebuildIndex } from './rebuild-index.js';
import { scanForObjects } from './recovery-scan.js';
import { readXrefChain } from './xref-chain.js';
import { readXrefSection } from './xref-section.js';
import { indexObjectStream, readObjectStreamMember, type ObjectStreamIndex } from './object-stream.js';
import { DocumentEncryption } from './encryption/object-encryption.js';
import { openStandardSecurity } from './encryption/standard-security-handler.js';
import { inheritedAttribute, walkPageTree, type PageTreeReader, type PdfPage } from './page-tree.js';

export type { PdfPage } from './page-tree.js';

/** Options of {@link PdfDocument.open}. */
export interface PdfOpenOptions {
  readonly limits?: Partial<ParseLimits>;
  /**
   * A decompression budget to share with another document over the same file (a validator's
   * view of the signed revision draws from the whole file's budget); a new one by default.
   */
  readonly budget?: DocumentBudget;
  /**
   * The password of an encrypted document (user or owner, as UTF-8 bytes or a string); the empty
   * user password is tried when absent (ISO 32000-2 §7.6.4).
   */
  readonly password?: Uint8Array | string;
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

const MAX_MESSAGES = 1000;

/**
 * A cross-reference section of the chain as the document keeps it after opening (not its entries,
 * which are merged): enough to chain a later update's section to it ({@link PdfDocument.afterUpdate}).
 */
interface ChainSection {
  readonly offset: number;
  readonly kind: 'table' | 'stream';
  /** Offset just after the section. */
  readonly end: number;
  /** Offset after the first `%%EOF` following the section (the file's length when there is none). */
  readonly eofEnd: number;
  /** The section's own trailer (or stream dictionary), never handed out. */
  readonly trailer: PdfDict;
}

/** Trailer entries an older section supplies when a newer one lacks them. */
const INHERITED_TRAILER_KEYS = ['Root', 'Info', 'ID', 'Encrypt'] as const;

/** Errors that end the read instead of triggering recovery: limits, loops, encryption, I/O. */
const FATAL: ReadonlySet<PdfErrorCode> = new Set<PdfErrorCode>([
  'ERR_PDF_LIMIT_DEPTH',
  'ERR_PDF_LIMIT_OBJECTS',
  'ERR_PDF_LIMIT_DECOMPRESSED',
  'ERR_PDF_LIMIT_REVISIONS',
  'ERR_PDF_LIMIT_TIME',
  'ERR_PDF_LIMIT_TOKEN',
  'ERR_PDF_ENCRYPTED',
  'ERR_PDF_PASSWORD',
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
  /** The cross-reference sections read, newest first (empty for a recovered document). */
  #chain: readonly ChainSection[] = [];
  /** How many ambiguities and warnings there were once the cross-reference chain was read. */
  #chainMessages = { ambiguities: 0, warnings: 0 };
  #entries = new Map<number, XrefEntry>();
  readonly #cache = new Map<number, { gen: number; obj: PdfObject }>();
  readonly #loading = new Set<number>();
  /** Decoded stream data, object-stream indexes and refusals, least recently used first. */
  readonly #decoded: DecodedStreamCache;
  /** The document's decompression budget (shared with documents opened with `budget`). */
  readonly budget: DocumentBudget;
  readonly #warnings = new Set<string>();
  readonly #ambiguities = new Set<string>();
  #isRecovered = false;
  #opStart = 0;
  #opDepth = 0;
  readonly #ctx: ReadContext;
  readonly #password: Uint8Array | string | undefined;
  #encryption: DocumentEncryption | undefined;

  private constructor(
    source: ByteSource,
    limits: ParseLimits,
    budget: DocumentBudget | undefined,
    password: Uint8Array | string | undefined,
    before?: PdfDocument,
  ) {
    this.source = source;
    this.#password = password;
    this.length = source.length;
    this.limits = limits;
    this.budget = budget ?? new DocumentBudget(limits);
    this.#decoded = new DecodedStreamCache(limits.maxCachedDecodedBytes);
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
    this.#op(() => this.#load(before));
  }

  /**
   * Opens a document (synchronously; only the tail, the cross-reference data and the catalog are read).
   * An encrypted file opens with the standard security handler and the empty user password (or
   * `options.password`); its strings and streams read decrypted. Throws `ERR_PDF_PASSWORD` when
   * the password does not open it, `ERR_PDF_ENCRYPTED` for other security handlers,
   * `ERR_PDF_NOT_PDF`, `ERR_PDF_XREF`, and the limit errors.
   */
  static open(input: ByteSource | Uint8Array, options: PdfOpenOptions = {}): PdfDocument {
    const source = input instanceof Uint8Array ? bytesSource(input) : input;
    // A string password is encoded by the security handler, as its revision says (SASLprep for R6).
    return new PdfDocument(source, { ...configuredParseLimits(), ...options.limits }, options.budget, options.password);
  }

  /**
   * The document with `update` appended (an incremental update, ISO 32000-1 §7.5.6), as
   * `PdfDocument.open(this ‖ update, this.openOptions)` reads it — same limits, decompression
   * budget and password — except that the cross-reference sections this document read are not
   * read again when the update's own section chains to them (its /Prev is this document's
   * `startxref`, without /XRefStm); otherwise, or when this document was recovered, the whole
   * chain is read. Objects are read anew (the update may replace any). For a writer that appends
   * one update and then another over the result (a DSS, then a document timestamp).
   *
   * @example
   * ```ts
   * const doc = PdfDocument.open(bytes);
   * const withDss = doc.afterUpdate(writer.build().bytes);
   * ```
   */
  afterUpdate(update: Uint8Array): PdfDocument {
    return new PdfDocument(appendedBytes(this.source, update), this.limits, this.budget, this.#password, this);
  }

  /**
   * Options that open another view of the same file the way this one was opened (a signed
   * revision: the same limits, decompression budget and password).
   */
  get openOptions(): PdfOpenOptions {
    return { limits: this.limits, budget: this.budget, ...(this.#password === undefined ? {} : { password: this.#password }) };
  }

  /** The document's encryption (standard security handler), or undefined for a plain file. */
  get encryption(): DocumentEncryption | undefined {
    return this.#encryption;
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
    if (this.budget.spentMs + (monotonicMs() - this.#opStart) > this.limits.maxMillis) {
      throw new PdfError('ERR_PDF_LIMIT_TIME', `reading the document took longer than ${this.limits.maxMillis} ms`);
    }
  }

  /**
   * Runs an operation under the time limit: the document's budget sums the time of its outermost
   * operations (issue 15: one budget per document, so twenty reads of 100 ms are two seconds, not
   * twenty fresh deadlines); nested calls count once, within the outer one.
   */
  #op<T>(fn: () => T): T {
    const outer = this.#opDepth === 0;
    if (outer) this.#opStart = monotonicMs();
    this.#opDepth++;
    try {
      return fn();
    } finally {
      this.#opDepth--;
      if (outer) this.budget.chargeTime(monotonicMs() - this.#opStart);
    }
  }

  #readHeader(): string {
    const head = this.source.read(0, 1024);
    const at = findBytes(head, '%PDF-', false);
    if (at < 0) {
      // Issue 18 §3: some readers open a body without its header; Signet refuses it, saying why.
      if (this.#looksLikePdfBody(head)) {
        throw new PdfError(
          'ERR_PDF_NOT_PDF',
          'the file has no %PDF- header in its first 1024 bytes (ISO 32000-1 §7.5.2), though its body reads as PDF objects: ' +
            'a signature appends an incremental update (§7.5.6) and cannot put a header in front of the bytes it signs. ' +
            'Add a %PDF-1.7 line in front, let a PDF writer rebuild the file (qpdf in.pdf out.pdf) and sign that',
        );
      }
      throw new PdfError('ERR_PDF_NOT_PDF', 'the input is not a PDF file (no %PDF- header)');
    }
    let v = '';
    for (let i = at + 5; i < head.length && v.length < 8; i++) {
      const c = head[i]!;
      if ((c >= 0x30 && c <= 0x39) || c === 0x2e) v += String.fromCharCode(c);
      else break;
    }
    if (at > 0) this.#warn(`${at} bytes of junk before the %PDF- header`);
    return v;
  }

  /** True when a header-less input still reads as a PDF body: an `N G obj` near the start and `%%EOF` or `startxref` near the end. */
  #looksLikePdfBody(head: Uint8Array): boolean {
    const start = Buffer.from(head).toString('latin1');
    if (!/(^|[\r\n])\s*\d+\s+\d+\s+obj\b/.test(start)) return false;
    const tailLen = Math.min(this.length, 4096);
    const tail = this.source.read(this.length - tailLen, tailLen);
    return findBytes(tail, '%%EOF', true) >= 0 || findBytes(tail, 'startxref', true) >= 0;
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

  #load(before: PdfDocument | undefined): void {
    const declared = this.#findStartxref();
    this.#startxref = declared ?? 0;
    if (declared === undefined) {
      this.#recover('no startxref at the end of the file');
      return;
    }
    const options = {
      maxObjects: this.limits.maxObjects,
      maxRevisions: this.limits.maxRevisions,
      decode: (st: PdfStream) => this.decodeStream(st),
    };
    try {
      if (before === undefined || !this.#chainAfter(before, declared, options)) {
        this.#useSections(readXrefChain(this.#ctx, declared, options));
      }
    } catch (err) {
      if (isLimitError(err) || !(err instanceof PdfError)) throw err;
      this.#recover(`cross-reference data is damaged (${err.message})`);
      return;
    }
    this.#chainMessages = { ambiguities: this.#ambiguities.size, warnings: this.#warnings.size };
    this.#openEncryption();
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

  /**
   * Reads only the newest section when it was appended after `before` and chains to its newest
   * (§7.5.6: /Prev is the previous section's offset), taking the rest of the chain as `before`
   * read it — what readXrefChain would read again from the same bytes, with the same messages in
   * the same order. False (nothing set) when the section does not chain that way: the caller
   * reads the whole chain.
   */
  #chainAfter(before: PdfDocument, declared: number, options: Parameters<typeof readXrefSection>[2]): boolean {
    const older = before.#chain;
    if (before.#isRecovered || older.length === 0 || older.length + 1 > this.limits.maxRevisions || declared < before.length) return false;
    const newest = readXrefSection(this.#ctx, declared, options);
    // DOS-07 as readXrefChain checks it: the /Prev chain is the one `before` walked, and a hybrid
    // section's /XRefStm is read there, so either sends the reader back to the whole chain.
    if (newest.trailer.get('Prev') !== before.#startxref) return false;
    if (newest.kind === 'table' && typeof newest.trailer.get('XRefStm') === 'number') return false;
    this.#ctx.checkTime();
    // The messages reading the older sections gave `before` (after the header's, which this one has).
    const ambiguities = [...before.#ambiguities].slice(0, before.#chainMessages.ambiguities);
    const warnings = [...before.#warnings].slice(0, before.#chainMessages.warnings);
    for (const m of ambiguities) this.#ctx.ambiguous(m);
    for (const m of warnings) this.#warn(m);

    const entries = new Map(before.#entries);
    let size = before.#size;
    const declaredSize = newest.trailer.get('Size');
    if (typeof declaredSize === 'number' && Number.isInteger(declaredSize) && declaredSize > size) size = declaredSize;
    for (const [num, e] of newest.entries) {
      entries.set(num, e);
      if (num + 1 > size) size = num + 1;
    }
    if (entries.size > this.limits.maxObjects) {
      throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `the document has more than ${this.limits.maxObjects} objects`);
    }
    // An older section's %%EOF was looked for within `before`; one not found there may be in the update.
    const chain = [
      this.#chainSection(newest),
      ...older.map((sec) => (sec.eofEnd < before.length ? sec : { ...sec, eofEnd: this.#eofAfter(sec.end) })),
    ];
    this.#useChain(chain, entries, size);
    return true;
  }

  #chainSection(sec: XrefSection): ChainSection {
    return { offset: sec.offset, kind: sec.kind, end: sec.end, eofEnd: this.#eofAfter(sec.end), trailer: sec.trailer };
  }

  #useSections(sections: XrefSection[]): void {
    // Newer sections override older ones: start from the oldest (usually the biggest) map and
    // overwrite, instead of copying every entry.
    const entries = sections[sections.length - 1]!.entries;
    let size = 0;
    for (let i = sections.length - 1; i >= 0; i--) {
      const sec = sections[i]!;
      if (i < sections.length - 1) for (const [num, e] of sec.entries) entries.set(num, e);
      const s = sec.trailer.get('Size');
      if (typeof s === 'number' && Number.isInteger(s) && s > size) size = s;
    }
    if (entries.size > this.limits.maxObjects) {
      throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `the document has more than ${this.limits.maxObjects} objects`);
    }
    for (const num of entries.keys()) if (num + 1 > size) size = num + 1;
    this.#useChain(sections.map((sec) => this.#chainSection(sec)), entries, size);
  }

  /** Sets the index from the chain (newest first), its merged entries and size. */
  #useChain(chain: readonly ChainSection[], entries: Map<number, XrefEntry>, size: number): void {
    const newest = chain[0]!;
    const trailer = newest.trailer.clone();
    for (const sec of chain.slice(1)) {
      for (const key of INHERITED_TRAILER_KEYS) {
        const v = sec.trailer.get(key);
        if (!trailer.has(key) && v !== undefined) trailer.set(key, v);
      }
    }
    this.#chain = chain;
    this.#entries = entries;
    this.#size = size;
    this.#trailer = trailer;
    this.#xrefKind = newest.kind;
    const ends = chain.map((sec) => sec.eofEnd);
    // A linearized first-page section's /Prev points forward to the main section: one revision.
    for (let i = chain.length - 2; i >= 0; i--) {
      if (chain[i + 1]!.offset > chain[i]!.offset) ends[i] = Math.max(ends[i]!, ends[i + 1]!);
    }
    this.#revisions = chain.map((sec, i) => ({ startxref: sec.offset, kind: sec.kind, endOffset: ends[i]! }));
  }

  /** Sets up decryption when the trailer has /Encrypt (ISO 32000-1 §7.6); the dictionary itself is read as is. */
  #openEncryption(): void {
    this.#encryption = undefined;
    const ref = this.#trailer.get('Encrypt');
    if (ref === undefined) return;
    let dict: PdfDict | undefined;
    try {
      dict = this.resolveDict(ref);
    } catch (err) {
      if (isLimitError(err) || !(err instanceof PdfError)) throw err;
    }
    if (dict === undefined) throw new PdfError('ERR_PDF_ENCRYPTED', 'the document is encrypted and its /Encrypt dictionary cannot be read');
    // §7.6.3.3 Algorithm 2 step d: the first element of the trailer's /ID.
    const id = this.resolve(this.#trailer.get('ID'));
    const id0 = Array.isArray(id) && id[0] instanceof PdfString ? id[0].bytes : new Uint8Array(0);
    const security = openStandardSecurity(dict, id0, this.#password);
    this.#encryption = new DocumentEncryption(security, ref instanceof PdfRef ? ref.num : undefined);
  }

  #eofAfter(from: number): number {
    const win = this.source.read(from, 1 << 16);
    const at = findBytes(win, '%%EOF', false);
    return at < 0 ? this.length : from + at + 5;
  }

  /** Drops every object, object stream and decoded stream read so far (they may have been read undecrypted). */
  #forgetReadObjects(): void {
    this.#cache.clear();
    this.#decoded.clear();
  }

  /** Rebuilds the index by scanning for `N G obj`, object streams and trailers. */
  #recover(reason: string): void {
    this.#warn(`cross-reference rebuilt by scanning the file: ${reason}`);
    this.#isRecovered = true;
    this.#chain = [];
    this.#cache.clear();
    this.#decoded.clear();
    const rebuilt = rebuildIndex(this.#ctx, {
      maxObjects: this.limits.maxObjects,
      useEntries: (entries) => {
        this.#entries = entries;
      },
      objectStreamMembers: (num) => this.#objStmIndex(num).nums,
      isFatal: isLimitError,
      warn: (m) => this.#warn(m),
      openEncryption: (trailer) => {
        this.#trailer = trailer;
        this.#forgetReadObjects();
        this.#openEncryption();
      },
    });
    const trailer = rebuilt.trailer;
    this.#entries = rebuilt.entries;
    this.#trailer = trailer;
    this.#size = rebuilt.size;
    this.#xrefKind = rebuilt.xrefKind;
    this.#revisions = [{ startxref: this.#startxref, kind: rebuilt.xrefKind, endOffset: rebuilt.endOffset }];
    if (trailer.has('Encrypt')) {
      // Objects read while scanning were not decrypted: forget them.
      this.#forgetReadObjects();
      this.#openEncryption();
    }
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
        obj = this.#encryption === undefined ? io.obj : this.#encryption.decryptObject(io.obj, ref.num, e.gen);
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

  #objStmIndex(streamNum: number): ObjectStreamIndex {
    const e = this.#entries.get(streamNum);
    const stm = e?.kind === 'offset' ? this.#getObject(new PdfRef(streamNum, e.gen), true) : null;
    const hit = stm instanceof PdfStream ? this.#decoded.get(stm) : undefined;
    if (hit?.kind === 'objectStream') return hit.index;
    const idx = indexObjectStream(streamNum, stm, (x) => this.decodeStream(x)); // throws unless stm is an object stream
    // The index replaces the stream's data entry (the same bytes, counted once); it stays in the
    // byte-bounded cache with every other decoded stream (issue 15: nine object streams of 200 MiB,
    // or twenty form fields in object streams of 30 MiB, must not all stay).
    if (stm instanceof PdfStream) this.#decoded.set(stm, { kind: 'objectStream', index: idx });
    return idx;
  }

  #loadCompressed(num: number, streamNum: number, index: number): PdfObject {
    const hooks = { onDuplicateKey: (key: string) => this.#ctx.ambiguous(`duplicate key /${key.slice(0, 40)} in object ${num}`) };
    return readObjectStreamMember(this.#objStmIndex(streamNum), streamNum, num, index, this.limits.maxDepth, hooks, (m) => this.#warn(m));
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
    return this.#op(() => walkPageTree(this.#pageReader, this.#catalog.get('Pages')));
  }

  /**
   * A page attribute, inherited from the nearest ancestor when the page lacks it (§7.7.3.4: only
   * Resources, MediaBox, CropBox and Rotate inherit; other keys are read from the page alone).
   * A /Parent loop is `ERR_PDF_PAGE_TREE`.
   */
  inheritedPageAttribute(page: PdfDict, key: string): PdfObject | undefined {
    return this.#op(() => inheritedAttribute(this.#pageReader, page, key));
  }

  get #pageReader(): PageTreeReader {
    return {
      resolveDict: (o) => this.resolveDict(o),
      resolveArray: (o) => this.resolveArray(o),
      maxDepth: this.limits.maxDepth,
      maxPages: this.limits.maxObjects,
      warn: (m) => this.#warn(m),
      checkTime: () => this.#checkTime(),
    };
  }

  /**
   * Decodes a stream's data through its filter chain (DOS-01/02/03) under the per-stream limit and
   * the document's budget, checked while decoding. The result (or the refusal) is cached, so a
   * stream referenced by many pages or DSS entries is decoded once (issue 15); the returned bytes
   * are shared and must not be modified.
   */
  decodeStream(stream: PdfStream): Uint8Array {
    return this.#op(() => this.#decodeStream(stream));
  }

  #decodeStream(stream: PdfStream): Uint8Array {
    const hit = this.#decoded.get(stream);
    if (hit !== undefined) {
      if (hit.kind === 'refused') throw hit.error;
      return hit.kind === 'data' ? hit.data : hit.index.data;
    }
    let data: Uint8Array;
    try {
      // A large decode first lets the cache's large buffers go, so they are freed young (see DecodedStreamCache).
      data = this.budget.run(
        (b) => decodeFilterChain(stream.raw, stream.dict, b, (o) => this.resolve(o), { isDecrypted: this.#encryption !== undefined }),
        Infinity,
        () => this.#decoded.dropLarge(),
      );
    } catch (err) {
      if (err instanceof PdfError) this.#decoded.set(stream, { kind: 'refused', error: err });
      throw err;
    }
    this.#decoded.set(stream, { kind: 'data', data });
    // Issue 18 §1: a declared decoded length (/DL, ISO 32000-2 §7.3.8.2) is a hint, never a limit;
    // a stream that decodes to more or less is read whole and the discrepancy recorded.
    const dl = stream.dict.get('DL');
    if (typeof dl === 'number' && dl !== data.length) this.#warn(`a stream declares /DL ${dl} but decodes to ${data.length} bytes`);
    this.#checkTime();
    return data;
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
   * Throws `ERR_PDF_AMBIGUOUS` when the file can be read in more than one way (PDF-27/PDF-28).
   * With `loadAll` (the default) every object is parsed first, so ambiguities hidden in objects
   * nobody has read yet (duplicate keys, a wrong /Length with a second endstream) are found too;
   * stream data is not read, so this stays cheap on big files. With `scanBody` the whole file is
   * also scanned (one linear pass) for objects defined after the definition the cross-reference
   * data points to: a scanning reader would take those, an xref-following reader would not (PDF-28).
   *
   * @example
   * ```ts
   * const doc = PdfDocument.open(bytes);
   * doc.requireUnambiguous(); // before signing: refuse files readers may disagree on
   * ```
   */
  requireUnambiguous(options: { readonly loadAll?: boolean; readonly scanBody?: boolean } = {}): void {
    if (options.loadAll !== false) this.loadAllObjects();
    if (options.scanBody === true) this.#findShadowedObjects();
    const first = this.#ambiguities.values().next();
    if (first.done !== true) {
      throw new PdfError('ERR_PDF_AMBIGUOUS', `the document is ambiguous: ${first.value}`, {
        detail: { ambiguities: [...this.#ambiguities] },
      });
    }
  }

  /** PDF-28: an `N G obj` later in the file than the definition the index uses is a shadow definition. */
  #findShadowedObjects(): void {
    if (this.#isRecovered) return;
    this.#op(() => {
      const scan = scanForObjects(this.#ctx, this.limits.maxObjects);
      for (const [num, found] of scan.objects) {
        const e = this.#entries.get(num);
        if (e === undefined || e.kind === 'free') continue;
        const used = e.kind === 'offset' ? e.offset : this.#entries.get(e.streamNum);
        const usedAt = typeof used === 'number' ? used : used?.kind === 'offset' ? used.offset : -1;
        if (found.offset > usedAt) {
          this.#ctx.ambiguous(`object ${num}: defined again at offset ${found.offset}, after the definition the cross-reference uses`);
        }
      }
    });
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
