/** Recovery: rebuilds the object index and trailer of a file whose cross-reference data is unusable, by scanning it (what qpdf and pdf.js do; ISO 32000-1 §7.5.4 offsets are not trusted). */
import { parseAt, readObjectHead, type ReadContext } from './indirect-reader.js';
import { PdfDict, PdfRef } from './objects.js';
import { PdfError } from './errors.js';
import { scanForObjects } from './recovery-scan.js';
import type { XrefEntry } from './xref-section.js';

/** The rebuilt index. */
export interface RebuiltIndex {
  readonly entries: Map<number, XrefEntry>;
  readonly trailer: PdfDict;
  readonly size: number;
  /** 'stream' when some objects live in object streams (a self-sufficient table could not list them). */
  readonly xrefKind: 'table' | 'stream';
  /** End of the last `%%EOF` in the file (or its length). */
  readonly endOffset: number;
}

/** Services from the document: object-stream member lists (read through the new entries) and the fatal-error test. */
export interface RebuildHooks {
  readonly maxObjects: number;
  /** Installs the scanned entries so object streams can be read through them. */
  useEntries(entries: Map<number, XrefEntry>): void;
  /** Object numbers stored in object stream `streamNum`. */
  objectStreamMembers(streamNum: number): readonly number[];
  isFatal(err: unknown): boolean;
  warn(m: string): void;
  /** Sets up decryption from the recovered trailer's /Encrypt and /ID (read through the new entries). */
  openEncryption(trailer: PdfDict): void;
}

/** The last `trailer` dictionary with /Root among those found by the scan. */
function lastTrailer(ctx: ReadContext, at: readonly number[], hooks: RebuildHooks): PdfDict | undefined {
  let trailer: PdfDict | undefined;
  for (const offset of at) {
    try {
      const t = parseAt(ctx, offset, (p) => (p.tryKeyword('trailer') ? p.parseObject(0) : undefined));
      if (t instanceof PdfDict && t.has('Root')) trailer = t;
    } catch (err) {
      if (hooks.isFatal(err)) throw err;
    }
  }
  return trailer;
}

/**
 * Scans for `N G obj` (later definitions win), adds the members of every object stream found,
 * and picks the last `trailer` with /Root, else the last cross-reference stream dictionary with
 * /Root, else a /Type /Catalog object. Throws `ERR_PDF_XREF` when nothing usable is found.
 */
export function rebuildIndex(ctx: ReadContext, hooks: RebuildHooks): RebuiltIndex {
  const scan = scanForObjects(ctx, hooks.maxObjects);
  if (scan.objects.size > hooks.maxObjects) {
    throw new PdfError('ERR_PDF_LIMIT_OBJECTS', `the document has more than ${hooks.maxObjects} objects`);
  }
  const entries = new Map<number, XrefEntry>();
  for (const [num, o] of scan.objects) entries.set(num, { kind: 'offset', offset: o.offset, gen: o.gen });
  hooks.useEntries(entries);
  const objStms: number[] = [];
  let streamTrailer: PdfDict | undefined;
  let catalogNum: number | undefined;
  for (const [num, o] of [...scan.objects].sort((a, b) => a[1].offset - b[1].offset)) {
    ctx.checkTime();
    let head;
    try {
      head = readObjectHead(ctx, o.offset);
    } catch (err) {
      // A broken or too-deep object is skipped; the time limit and I/O errors are not.
      if (hooks.isFatal(err) && !(err instanceof PdfError && err.code === 'ERR_PDF_LIMIT_DEPTH')) throw err;
      continue;
    }
    const d = head.obj instanceof PdfDict ? head.obj : undefined;
    if (d === undefined) continue;
    const type = d.getName('Type');
    if (head.isStream && type === 'ObjStm') objStms.push(num);
    if (head.isStream && type === 'XRef' && d.has('Root')) streamTrailer = d;
    if (type === 'Catalog') catalogNum = num;
  }
  // The trailer is chosen before the object streams are read: an encrypted file's object streams
  // are encrypted (ISO 32000-1 §7.6.1), with the key its trailer's /Encrypt and /ID give.
  let trailer = lastTrailer(ctx, scan.trailers, hooks) ?? streamTrailer;
  if (trailer?.has('Encrypt') === true) hooks.openEncryption(trailer);
  for (const stmNum of objStms) {
    try {
      hooks.objectStreamMembers(stmNum).forEach((n, i) => {
        if (!entries.has(n)) entries.set(n, { kind: 'compressed', streamNum: stmNum, index: i });
      });
    } catch (err) {
      if (hooks.isFatal(err)) throw err;
      hooks.warn(`object stream ${stmNum} is unreadable`);
    }
  }
  if (trailer === undefined && catalogNum !== undefined) {
    const e = entries.get(catalogNum);
    trailer = PdfDict.of({ Root: new PdfRef(catalogNum, e?.kind === 'offset' ? e.gen : 0) });
  }
  if (trailer === undefined) throw new PdfError('ERR_PDF_XREF', 'the file cannot be recovered: no trailer and no catalog');
  trailer = trailer.clone();
  let size = 0;
  for (const num of entries.keys()) if (num + 1 > size) size = num + 1;
  const declared = trailer.get('Size');
  if (typeof declared === 'number' && Number.isInteger(declared) && declared > size && declared <= hooks.maxObjects) size = declared;
  // The rebuilt trailer describes this index alone: no chain, no stream keys.
  for (const key of ['Prev', 'XRefStm', 'Type', 'W', 'Index', 'Length', 'Filter', 'DecodeParms']) trailer.delete(key);
  trailer.set('Size', size);
  const hasCompressed = [...entries.values()].some((e) => e.kind === 'compressed');
  return {
    entries,
    trailer,
    size,
    xrefKind: hasCompressed ? 'stream' : 'table',
    endOffset: scan.eofEnds[scan.eofEnds.length - 1] ?? ctx.source.length,
  };
}
