/**
 * Decompression bombs for the hostile-input tests (issue 15, docs/security.md DOS-01…08): small
 * files whose streams inflate a thousand-fold. Generated, never stored.
 */
import { deflateSync } from 'node:zlib';
import { IncrementalWriter, PdfDict, PdfDocument, PdfName, PdfRef, PdfStream, serializeObject } from '../../src/pdf/index.js';

const MiB = 1024 * 1024;

/** `prefix` then 200 MiB of PDF white space (NUL, ISO 32000-1 §7.2.3), deflated: about 200 KB. */
export function deflateBomb(prefix = ''): Uint8Array {
  const data = Buffer.alloc(prefix.length + 200 * MiB);
  data.write(prefix, 'latin1');
  return new Uint8Array(deflateSync(data, { level: 9 }));
}

/**
 * `pdf` plus an update that moves every page into an object stream of its own that decodes to
 * 200 MiB (an xref-stream section, §7.5.8). The streams share one data (every page is a member of
 * each; the cross-reference names a different stream per page), so one deflate makes them all.
 */
export function pagesInObjectStreamBombs(pdf: Uint8Array): Uint8Array {
  const doc = PdfDocument.open(pdf);
  const pages = doc.pages();
  let header = '';
  let members = '';
  for (const page of pages) {
    header += `${page.ref.num} ${members.length} `;
    members += Buffer.from(serializeObject(page.dict)).toString('latin1') + ' ';
  }
  const z = Buffer.from(deflateBomb(header + members)).toString('latin1');
  let next = doc.size;
  let body = '';
  const rows: [number, number, number, number][] = []; // num, type, f2, f3
  pages.forEach((page, i) => {
    const stmNum = next++;
    rows.push([stmNum, 1, pdf.length + body.length, 0], [page.ref.num, 2, stmNum, i]);
    body += `${stmNum} 0 obj\n<</Type /ObjStm /N ${pages.length} /First ${header.length} /Filter /FlateDecode /Length ${z.length}>>\nstream\n${z}\nendstream\nendobj\n`;
  });
  const xsNum = next++;
  const xsOff = pdf.length + body.length;
  rows.push([xsNum, 1, xsOff, 0]);
  rows.sort((a, b) => a[0] - b[0]);
  const data = Buffer.alloc(rows.length * 7);
  rows.forEach((r, i) => {
    data.writeUInt8(r[1], i * 7);
    data.writeUInt32BE(r[2], i * 7 + 1);
    data.writeUInt16BE(r[3], i * 7 + 5);
  });
  const index = rows.map((r) => `${r[0]} 1`).join(' ');
  const root = doc.trailer.get('Root') as PdfRef;
  body += `${xsNum} 0 obj\n<</Type /XRef /Size ${next} /W [1 4 2] /Index [${index}] /Root ${root.num} ${root.gen} R /Prev ${doc.revisions[0]!.startxref} /Length ${data.length}>>\nstream\n${data.toString('latin1')}\nendstream\nendobj\nstartxref\n${xsOff}\n%%EOF\n`;
  return new Uint8Array(Buffer.concat([pdf, Buffer.from(body, 'latin1')]));
}

/**
 * `pdf` plus an update whose catalog names an /AcroForm with `fields` fields, each (through its own
 * xref entry) in an object stream of its own that decodes to `mib` MiB — under the per-stream
 * limit, so each decodes whole until the document's total budget refuses the rest. The page tree
 * is untouched: the file counts its pages at once, and only a reader of the form (signing's field
 * lookup) pays for the inflation. The streams share one data, so one deflate makes them all.
 */
export function acroFormFieldBombs(pdf: Uint8Array, fields = 20, mib = 30): Uint8Array {
  const doc = PdfDocument.open(pdf);
  const root = doc.trailer.get('Root') as PdfRef;
  let next = doc.size;
  const acroNum = next++;
  const fieldNums = Array.from({ length: fields }, () => next++);
  let header = '';
  let members = '';
  for (const [i, num] of fieldNums.entries()) {
    header += `${num} ${members.length} `;
    members += `<</FT /Tx /T (field ${i})>> `;
  }
  const data = Buffer.alloc(header.length + members.length + mib * MiB);
  data.write(header + members, 'latin1');
  const z = deflateSync(data, { level: 9 }).toString('latin1');
  const catalog = doc.catalog.clone();
  catalog.set('AcroForm', new PdfRef(acroNum, 0));
  let body = '';
  const rows: [number, number, number, number][] = [];
  const catalogText = Buffer.from(serializeObject(catalog)).toString('latin1');
  rows.push([root.num, 1, pdf.length + body.length, root.gen]);
  body += `${root.num} ${root.gen} obj\n${catalogText}\nendobj\n`;
  rows.push([acroNum, 1, pdf.length + body.length, 0]);
  body += `${acroNum} 0 obj\n<</Fields [${fieldNums.map((n) => `${n} 0 R`).join(' ')}]>>\nendobj\n`;
  fieldNums.forEach((num, i) => {
    const stmNum = next++;
    rows.push([stmNum, 1, pdf.length + body.length, 0], [num, 2, stmNum, i]);
    body += `${stmNum} 0 obj\n<</Type /ObjStm /N ${fields} /First ${header.length} /Filter /FlateDecode /Length ${z.length}>>\nstream\n${z}\nendstream\nendobj\n`;
  });
  const xsNum = next++;
  const xsOff = pdf.length + body.length;
  rows.push([xsNum, 1, xsOff, 0]);
  rows.sort((a, b) => a[0] - b[0]);
  const table = Buffer.alloc(rows.length * 7);
  rows.forEach((r, i) => {
    table.writeUInt8(r[1], i * 7);
    table.writeUInt32BE(r[2], i * 7 + 1);
    table.writeUInt16BE(r[3], i * 7 + 5);
  });
  const index = rows.map((r) => `${r[0]} 1`).join(' ');
  body += `${xsNum} 0 obj\n<</Type /XRef /Size ${next} /W [1 4 2] /Index [${index}] /Root ${root.num} ${root.gen} R /Prev ${doc.revisions[0]!.startxref} /Length ${table.length}>>\nstream\n${table.toString('latin1')}\nendstream\nendobj\nstartxref\n${xsOff}\n%%EOF\n`;
  return new Uint8Array(Buffer.concat([pdf, Buffer.from(body, 'latin1')]));
}

/**
 * `pdf` plus an update whose catalog names a /DSS (ISO 32000-2 §12.8.4.3) with `streams` /Certs
 * entries, each a stream of its own that inflates to `mib` MiB — under the per-stream limit and,
 * together, under the document's budget. Signing never reads the DSS; a B-LT extension reads it
 * (to reuse and merge it) each time it opens the signed file, and pays the inflation each time.
 */
export function dssStreamBombs(pdf: Uint8Array, streams = 16, mib = 30): Uint8Array {
  const doc = PdfDocument.open(pdf);
  const writer = new IncrementalWriter(doc);
  const z = new Uint8Array(deflateSync(Buffer.alloc(mib * MiB), { level: 9 }));
  const certs = Array.from({ length: streams }, () => {
    const ref = writer.allocate();
    writer.set(ref, new PdfStream(PdfDict.of({ Filter: PdfName.of('FlateDecode') }), z));
    return ref;
  });
  const dss = writer.allocate();
  writer.set(dss, PdfDict.of({ Type: PdfName.of('DSS'), Certs: certs }));
  const catalog = doc.catalog.clone();
  catalog.set('DSS', dss);
  writer.set(doc.trailer.get('Root') as PdfRef, catalog);
  return new Uint8Array(Buffer.concat([pdf, writer.build().bytes]));
}
