/**
 * Decompression bombs for the hostile-input tests (issue 15, docs/security.md DOS-01…08): small
 * files whose streams inflate a thousand-fold. Generated, never stored.
 */
import { deflateSync } from 'node:zlib';
import { PdfDocument, serializeObject, type PdfRef } from '../../src/pdf/index.js';

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
