/** PDF fixture generators for tests and benches: a small classic-xref PDF written here, and every file flavour via qpdf (ISO 32000-1 §7.5). */
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { ByteWriter } from '../../src/pdf/byte-writer.js';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfObject } from '../../src/pdf/objects.js';
import { writeObject } from '../../src/pdf/serializer.js';
import { runTool } from './tools.js';

/** Options of {@link makeBasePdf}. */
export interface BasePdfOptions {
  /** Number of pages (default 1). */
  readonly pages?: number;
  /** Text drawn on every page (default "Signet test document"). */
  readonly text?: string;
  /** Header version (default "1.7"). */
  readonly version?: string;
  /** Size of an incompressible image XObject added to page 1 (for 10 MB / 200 MB benches). */
  readonly extraStreamBytes?: number;
  /** Adds an AcroForm with an empty signature field of this name, its widget on page 1. */
  readonly signatureField?: string;
  /** When set, pages hang under intermediate /Pages nodes of this fan-out (a nested page tree with inherited attributes). */
  readonly pageTreeFanout?: number;
}

type Segment = Uint8Array | { readonly padBytes: number };

/** Deterministic incompressible bytes: AES-128-CTR keystream under a zero key, produced in chunks. */
function padStream(): (n: number) => Uint8Array {
  const c = createCipheriv('aes-128-ctr', Buffer.alloc(16), Buffer.alloc(16));
  return (n) => new Uint8Array(c.update(Buffer.alloc(n)));
}

function pdfSegments(options: BasePdfOptions): Segment[] {
  const pageCount = Math.max(1, options.pages ?? 1);
  const text = options.text ?? 'Signet test document';
  const version = options.version ?? '1.7';
  const objects: (PdfObject | { padDict: PdfDict; padBytes: number })[] = [];
  const add = (o: PdfObject | { padDict: PdfDict; padBytes: number }): PdfRef => {
    objects.push(o);
    return new PdfRef(objects.length, 0);
  };
  const catalog = new PdfDict([['Type', PdfName.of('Catalog')]]);
  const catalogRef = add(catalog);
  const rootPages = new PdfDict([['Type', PdfName.of('Pages')]]);
  const rootRef = add(rootPages);
  const font = add(
    PdfDict.of({
      Type: PdfName.of('Font'),
      Subtype: PdfName.of('Type1'),
      BaseFont: PdfName.of('Helvetica'),
      Encoding: PdfName.of('WinAnsiEncoding'),
    }),
  );
  const info = add(
    PdfDict.of({
      Producer: PdfString.fromText('Signet test fixtures'),
      Title: PdfString.fromText('Signet fixture'),
      CreationDate: PdfString.fromText("D:20260101000000Z"),
    }),
  );
  // Inherited attributes live on the root node (§7.7.3.4); pages only carry their content.
  rootPages.set('MediaBox', [0, 0, 612, 792]);
  rootPages.set('Resources', PdfDict.of({ Font: PdfDict.of({ F1: font }) }));
  const escaped = text.replace(/[\\()]/g, (m) => `\\${m}`);
  const pageRefs: PdfRef[] = [];
  const pageDicts: PdfDict[] = [];
  for (let i = 0; i < pageCount; i++) {
    const content = `BT /F1 24 Tf 72 720 Td (${escaped}) Tj 0 -30 Td /F1 12 Tf (Page ${i + 1} of ${pageCount}) Tj ET\n`;
    const contentRef = add(
      new PdfStream(PdfDict.of({ Filter: PdfName.of('FlateDecode') }), new Uint8Array(deflateSync(Buffer.from(content, 'latin1')))),
    );
    const page = PdfDict.of({ Type: PdfName.of('Page'), Contents: contentRef });
    pageDicts.push(page);
    pageRefs.push(add(page));
  }
  if (options.extraStreamBytes !== undefined && options.extraStreamBytes > 0) {
    const n = options.extraStreamBytes;
    const padDict = PdfDict.of({
      Type: PdfName.of('XObject'),
      Subtype: PdfName.of('Image'),
      Width: n,
      Height: 1,
      ColorSpace: PdfName.of('DeviceGray'),
      BitsPerComponent: 8,
      Length: n,
    });
    const padRef = add({ padDict, padBytes: n });
    pageDicts[0]!.set(
      'Resources',
      PdfDict.of({ Font: PdfDict.of({ F1: font }), XObject: PdfDict.of({ Pad: padRef }) }),
    );
  }
  // Page tree: flat, or nested under intermediate nodes.
  const fanout = options.pageTreeFanout;
  if (fanout !== undefined && fanout >= 2 && pageCount > fanout) {
    const kids: PdfRef[] = [];
    for (let i = 0; i < pageCount; i += fanout) {
      const node = new PdfDict([['Type', PdfName.of('Pages')]]);
      const nodeRef = add(node);
      const group = pageRefs.slice(i, i + fanout);
      node.set('Kids', group).set('Count', group.length).set('Parent', rootRef);
      for (let k = i; k < i + group.length; k++) pageDicts[k]!.set('Parent', nodeRef);
      kids.push(nodeRef);
    }
    rootPages.set('Kids', kids);
  } else {
    rootPages.set('Kids', pageRefs);
    for (const p of pageDicts) p.set('Parent', rootRef);
  }
  rootPages.set('Count', pageCount);
  catalog.set('Pages', rootRef);
  if (options.signatureField !== undefined) {
    const field = PdfDict.of({
      FT: PdfName.of('Sig'),
      T: PdfString.fromText(options.signatureField),
      Type: PdfName.of('Annot'),
      Subtype: PdfName.of('Widget'),
      Rect: [0, 0, 0, 0],
      F: 4,
      P: pageRefs[0]!,
    });
    const fieldRef = add(field);
    pageDicts[0]!.set('Annots', [fieldRef]);
    catalog.set('AcroForm', add(PdfDict.of({ Fields: [fieldRef] })));
  }

  const segments: Segment[] = [];
  let offset = 0;
  let cur = new ByteWriter(8192);
  const pos = (): number => offset + cur.length;
  cur.writeText(`%PDF-${version}\n%\xe2\xe3\xcf\xd3\n`);
  const offsets: number[] = [];
  const idHash = createHash('md5').update(version).update(text).update(String(pageCount));
  objects.forEach((o, i) => {
    offsets.push(pos());
    cur.writeText(`${i + 1} 0 obj\n`);
    if (o !== null && typeof o === 'object' && 'padBytes' in o) {
      writeObject(cur, o.padDict);
      cur.writeText('\nstream\n');
      segments.push(cur.bytes().slice());
      offset += cur.length;
      cur = new ByteWriter(8192);
      segments.push({ padBytes: o.padBytes });
      offset += o.padBytes;
      idHash.update(String(o.padBytes));
      cur.writeText('\nendstream\nendobj\n');
    } else {
      writeObject(cur, o as PdfObject);
      cur.writeText('\nendobj\n');
    }
  });
  const xref = pos();
  cur.writeText(`xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`);
  for (const off of offsets) cur.writeText(`${String(off).padStart(10, '0')} 00000 n\r\n`);
  const id = new PdfString(new Uint8Array(idHash.digest()), true);
  const trailer = PdfDict.of({ Size: objects.length + 1, Root: catalogRef, Info: info, ID: [id, id] });
  cur.writeText('trailer\n');
  writeObject(cur, trailer);
  cur.writeText(`\nstartxref\n${xref}\n%%EOF\n`);
  segments.push(cur.bytes().slice());
  return segments;
}

/**
 * A small valid PDF with a classic cross-reference table, written by our serializer: Helvetica
 * text on each page (Flate-compressed content), an /Info dictionary and an /ID.
 *
 * @example
 * ```ts
 * const pdf = makeBasePdf({ pages: 3, text: 'Hello' });
 * ```
 */
export function makeBasePdf(options: BasePdfOptions = {}): Uint8Array {
  const pad = padStream();
  const parts = pdfSegments(options).map((s) => (s instanceof Uint8Array ? s : pad(s.padBytes)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Writes a PDF of about `bytes` bytes to `path`, streaming its incompressible padding in 1 MB
 * chunks so a 200 MB file never sits in memory.
 */
export function writeBigPdf(path: string, bytes: number, options: Omit<BasePdfOptions, 'extraStreamBytes'> = {}): void {
  const pad = padStream();
  const segments = pdfSegments({ ...options, extraStreamBytes: Math.max(1, bytes - 2048) });
  const fd = openSync(path, 'w');
  try {
    for (const s of segments) {
      if (s instanceof Uint8Array) writeSync(fd, s);
      else {
        for (let left = s.padBytes; left > 0; left -= 1 << 20) writeSync(fd, pad(Math.min(left, 1 << 20)));
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** The file flavours every reader and signer test runs over. */
export type PdfFlavour =
  | 'classic'
  | 'xrefStream'
  | 'linearized'
  | 'linearizedObjStm'
  | 'incremental'
  | 'hybrid'
  | 'formEmptySigField'
  | 'damagedXref'
  | 'pdf20'
  | 'multiPage';

/** Every flavour name, in a stable order. */
export const pdfFlavours: readonly PdfFlavour[] = [
  'classic',
  'xrefStream',
  'linearized',
  'linearizedObjStm',
  'incremental',
  'hybrid',
  'formEmptySigField',
  'damagedXref',
  'pdf20',
  'multiPage',
];

function qpdf(args: readonly string[]): void {
  const r = runTool('qpdf', args);
  // qpdf exits 0 on success and 3 when it succeeded with warnings.
  if (r.status !== 0 && r.status !== 3) throw new Error(`qpdf ${args.join(' ')} failed: ${r.stderr}`);
}

function latin(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `classic` plus one hand-written incremental update (a new /Info and a new object), as another writer would produce. */
export function addHandWrittenUpdate(pdf: Uint8Array): Uint8Array {
  const text = Buffer.from(pdf).toString('latin1');
  const sx = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)?.[1]);
  const size = Number(/\/Size (\d+)/.exec(text.slice(sx))?.[1]);
  const root = /\/Root (\d+ \d+ R)/.exec(text.slice(sx))?.[1] ?? '1 0 R';
  const infoNum = size;
  const extraNum = size + 1;
  let body = '';
  const o1 = pdf.length + body.length;
  body += `${infoNum} 0 obj\n<</Producer (Signet test fixtures) /Title (Updated by an incremental update)>>\nendobj\n`;
  const o2 = pdf.length + body.length;
  body += `${extraNum} 0 obj\n[1 2 3 (added)]\nendobj\n`;
  const xref = pdf.length + body.length;
  body +=
    `xref\n${infoNum} 2\n${String(o1).padStart(10, '0')} 00000 n\r\n${String(o2).padStart(10, '0')} 00000 n\r\n` +
    `trailer\n<</Size ${size + 2} /Root ${root} /Info ${infoNum} 0 R /Prev ${sx}>>\nstartxref\n${xref}\n%%EOF\n`;
  return concat([pdf, latin(body)]);
}

/**
 * A hybrid-reference file (§7.5.8.4): a classic table whose trailer's /XRefStm points to a
 * cross-reference stream listing one object (the /Info dictionary) stored in an object stream.
 */
export function makeHybridPdf(): Uint8Array {
  const base = makeBasePdf({ pages: 2, text: 'Hybrid reference file' });
  const text = Buffer.from(base).toString('latin1');
  const sx = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)?.[1]);
  const size = Number(/\/Size (\d+)/.exec(text.slice(sx))?.[1]);
  // Keep the original objects and table lines, drop the old trailer; append the object stream and xref stream.
  const head = base.subarray(0, sx);
  const tableText = text.slice(sx, text.indexOf('trailer', sx));
  const entries = tableText.split('\n').slice(2).filter((l) => l.length >= 18);
  const infoNum = size;
  const stmNum = size + 1;
  const xsNum = size + 2;
  const infoBody = '<</Producer (Signet hybrid fixture) /Title (Hybrid)>>';
  const stmHeader = `${infoNum} 0 `;
  const stmData = stmHeader + infoBody;
  let body = '';
  const stmOff = head.length + body.length;
  body += `${stmNum} 0 obj\n<</Type /ObjStm /N 1 /First ${stmHeader.length} /Length ${stmData.length}>>\nstream\n${stmData}\nendstream\nendobj\n`;
  // The xref stream: W [1 2 1], entries for infoNum (type 2 in stmNum, index 0).
  const xsOff = head.length + body.length;
  const row = Buffer.from([2, (stmNum >> 8) & 0xff, stmNum & 0xff, 0]).toString('latin1');
  body += `${xsNum} 0 obj\n<</Type /XRef /Size ${xsNum + 1} /W [1 2 1] /Index [${infoNum} 1] /Length 4>>\nstream\n${row}\nendstream\nendobj\n`;
  const tableOff = head.length + body.length;
  const lines = [`xref`, `0 ${size}`, ...entries.map((l) => l.replace(/\r$/, '').padEnd(18, ' ') + '\r')];
  body += lines.join('\n') + '\n';
  body += `${stmNum} 2\n${String(stmOff).padStart(10, '0')} 00000 n\r\n${String(xsOff).padStart(10, '0')} 00000 n\r\n`;
  const root = /\/Root (\d+ \d+ R)/.exec(text.slice(sx))?.[1] ?? '1 0 R';
  const id = /\/ID \[(<[0-9a-f]+> <[0-9a-f]+>)\]/.exec(text.slice(sx))?.[1] ?? '';
  body += `trailer\n<</Size ${xsNum + 1} /Root ${root} /Info ${infoNum} 0 R /ID [${id}] /XRefStm ${xsOff}>>\nstartxref\n${tableOff}\n%%EOF\n`;
  return concat([head, latin(body)]);
}

/** `pdf` with its final startxref pointing to a wrong offset (readers must rebuild the xref). */
export function damageStartxref(pdf: Uint8Array): Uint8Array {
  const text = Buffer.from(pdf).toString('latin1');
  const m = /startxref\s+(\d+)(\s+%%EOF\s*)$/.exec(text);
  if (m === null) throw new Error('no startxref');
  const wrong = Math.floor(Number(m[1]) / 2);
  return latin(text.slice(0, m.index) + `startxref\n${wrong}${m[2]}`);
}

/** Writes one file of every flavour into `dir` (needs qpdf for the qpdf-made ones) and returns their paths. */
export async function makePdfFlavours(dir: string): Promise<Record<PdfFlavour, string>> {
  const p = (f: PdfFlavour): string => join(dir, `${f}.pdf`);
  const classic = makeBasePdf({ pages: 2, text: 'Classic cross-reference table' });
  writeFileSync(p('classic'), classic);
  qpdf([p('classic'), '--object-streams=generate', p('xrefStream')]);
  qpdf([p('classic'), '--linearize', p('linearized')]);
  qpdf([p('classic'), '--linearize', '--object-streams=generate', p('linearizedObjStm')]);
  writeFileSync(p('incremental'), addHandWrittenUpdate(classic));
  writeFileSync(p('hybrid'), makeHybridPdf());
  writeFileSync(p('formEmptySigField'), makeBasePdf({ pages: 2, signatureField: 'Signature1', text: 'Form with an empty signature field' }));
  writeFileSync(p('damagedXref'), damageStartxref(classic));
  writeFileSync(p('pdf20'), makeBasePdf({ version: '2.0', text: 'PDF 2.0 document' }));
  const nested = join(dir, 'multiPage-source.pdf');
  writeFileSync(nested, makeBasePdf({ pages: 12, pageTreeFanout: 4, text: 'Many pages' }));
  qpdf([nested, p('multiPage')]);
  return {
    classic: p('classic'),
    xrefStream: p('xrefStream'),
    linearized: p('linearized'),
    linearizedObjStm: p('linearizedObjStm'),
    incremental: p('incremental'),
    hybrid: p('hybrid'),
    formEmptySigField: p('formEmptySigField'),
    damagedXref: p('damagedXref'),
    pdf20: p('pdf20'),
    multiPage: p('multiPage'),
  };
}

/** Reads a flavour file (convenience for tests). */
export function readFlavour(paths: Record<PdfFlavour, string>, f: PdfFlavour): Uint8Array {
  return new Uint8Array(readFileSync(paths[f]));
}

/** Low level: writes a raw PDF from object bodies (for hostile-input tests); offsets and xref are computed. */
export function makeRawPdf(bodies: readonly string[], trailer: string, options: { version?: string } = {}): Uint8Array {
  let out = `%PDF-${options.version ?? '1.7'}\n`;
  const offs: number[] = [];
  bodies.forEach((b, i) => {
    offs.push(out.length);
    out += `${i + 1} 0 obj\n${b}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${bodies.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of offs) out += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  out += `trailer\n${trailer}\nstartxref\n${xref}\n%%EOF\n`;
  return latin(out);
}
