/** The chain of cross-reference sections (ISO 32000-1 §7.5.6 /Prev, §7.5.8.4 hybrid /XRefStm), loop-safe (DOS-07). */
import type { ReadContext } from './indirect-reader.js';
import { PdfError } from './errors.js';
import { readXrefSection, type XrefReadOptions, type XrefSection } from './xref-section.js';

/** Reads the sections from `startxref` along /Prev, newest first, merging each hybrid table's /XRefStm. */
export function readXrefChain(ctx: ReadContext, startxref: number, opts: XrefReadOptions & { readonly maxRevisions: number }): XrefSection[] {
  const visited = new Set<number>();
  const sections: XrefSection[] = [];
  let offset: number | undefined = startxref;
  while (offset !== undefined) {
    // DOS-07: a /Prev or /XRefStm that revisits an offset is a loop.
    if (visited.has(offset)) throw new PdfError('ERR_PDF_XREF_LOOP', `cross-reference chain loops at offset ${offset}`);
    visited.add(offset);
    if (sections.length >= opts.maxRevisions) {
      throw new PdfError('ERR_PDF_LIMIT_REVISIONS', `more than ${opts.maxRevisions} cross-reference sections`);
    }
    const sec = readXrefSection(ctx, offset, opts);
    const xrefStm = sec.kind === 'table' ? sec.trailer.get('XRefStm') : undefined;
    if (typeof xrefStm === 'number') {
      if (visited.has(xrefStm)) throw new PdfError('ERR_PDF_XREF_LOOP', `/XRefStm loops to offset ${xrefStm}`);
      visited.add(xrefStm);
      mergeHybrid(ctx, sec, readXrefSection(ctx, xrefStm, opts));
    }
    sections.push(sec);
    const prev = sec.trailer.get('Prev');
    offset = typeof prev === 'number' && Number.isSafeInteger(prev) ? prev : undefined;
    ctx.checkTime();
  }
  return sections;
}

/** §7.5.8.4: a hybrid section's /XRefStm entries complete the table; PDF-27: they must not contradict it. */
function mergeHybrid(ctx: ReadContext, table: XrefSection, stream: XrefSection): void {
  for (const [num, e] of stream.entries) {
    const t = table.entries.get(num);
    if (t === undefined || t.kind === 'free') {
      if (e.kind !== 'free') table.entries.set(num, e);
    } else if (e.kind !== 'free' && (e.kind !== t.kind || (e.kind === 'offset' && t.kind === 'offset' && e.offset !== t.offset))) {
      ctx.ambiguous(`object ${num}: the /XRefStm view disagrees with the cross-reference table`);
    }
  }
}
