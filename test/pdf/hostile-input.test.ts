/** Hostile and malformed input (docs/security.md DOS-04…08, PDF-27/28): typed errors, no hangs, no huge allocations. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { PdfDocument, PdfError, PdfRef } from '../../src/pdf/index.js';
import { makeRawPdf } from '../support/pdf-fixtures.js';

const CATALOG = '<</Type /Catalog /Pages 2 0 R>>';
const PAGES = '<</Type /Pages /Kids [3 0 R] /Count 1>>';
const PAGE = '<</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]>>';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PdfError, `not a PdfError: ${String(e)}`);
    return e.code;
  }
  return 'no error';
}

function latin(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/**
 * A file whose newest section is a cross-reference stream: `bodies` are objects 1..n at real
 * offsets; `compressed` lists [num, objStmNum, index] rows; `dict` adds entries to the xref stream.
 */
function xrefStreamPdf(
  bodies: readonly string[],
  compressed: readonly [number, number, number][] = [],
  dict = '',
  index?: string,
  extraRows: readonly number[][] = [],
): Uint8Array {
  let out = '%PDF-1.7\n';
  const offs: number[] = [];
  bodies.forEach((b, i) => {
    offs.push(out.length);
    out += `${i + 1} 0 obj\n${b}\nendobj\n`;
  });
  const xsNum = bodies.length + 1;
  const maxNum = Math.max(xsNum, ...compressed.map((c) => c[0]));
  const rows: number[][] = [];
  const xsOff = out.length;
  for (let n = 0; n <= maxNum; n++) {
    const c = compressed.find((x) => x[0] === n);
    if (n === 0) rows.push([0, 0, 0xffff]);
    else if (c !== undefined) rows.push([2, c[1], c[2]]);
    else if (n === xsNum) rows.push([1, xsOff, 0]);
    else if (n <= bodies.length) rows.push([1, offs[n - 1]!, 0]);
    else rows.push([0, 0, 0]);
  }
  rows.push(...extraRows);
  const data = Buffer.alloc(rows.length * 7);
  rows.forEach((r, i) => {
    data.writeUInt8(r[0]!, i * 7);
    data.writeUInt32BE(r[1]!, i * 7 + 1);
    data.writeUInt16BE(r[2]!, i * 7 + 5);
  });
  const z = deflateSync(data);
  out += `${xsNum} 0 obj\n<</Type /XRef /Size ${maxNum + 1} /W [1 4 2] ${index ?? ''} /Root 1 0 R /Filter /FlateDecode /Length ${z.length} ${dict}>>\nstream\n`;
  out += z.toString('latin1');
  out += `\nendstream\nendobj\nstartxref\n${xsOff}\n%%EOF\n`;
  return latin(out);
}

function objStm(objects: readonly string[], opts: { n?: number; first?: number } = {}): string {
  let header = '';
  let body = '';
  objects.forEach((o, i) => {
    header += `${100 + i} ${body.length} `;
    body += `${o} `;
  });
  const data = header + body;
  return `<</Type /ObjStm /N ${opts.n ?? objects.length} /First ${opts.first ?? header.length} /Length ${data.length}>>\nstream\n${data}\nendstream`;
}

describe('DOS-04 object-stream abuse', () => {
  it('reads a well-formed object stream (control)', () => {
    const pdf = xrefStreamPdf([CATALOG, PAGES, PAGE, objStm(['(hello)', '[1 2]'])], [[100, 4, 0], [101, 4, 1]]);
    const doc = PdfDocument.open(pdf);
    assert.deepEqual(doc.getObject(new PdfRef(101)), [1, 2]);
    assert.equal(doc.pages().length, 1);
  });

  it('/N 10^9 → ERR_PDF_OBJSTM without allocating', () => {
    const pdf = xrefStreamPdf([CATALOG, PAGES, PAGE, objStm(['(hello)'], { n: 1e9 })], [[100, 4, 0]]);
    assert.equal(code(() => PdfDocument.open(pdf).getObject(new PdfRef(100))), 'ERR_PDF_OBJSTM');
  });

  it('/First beyond the data → ERR_PDF_OBJSTM', () => {
    const pdf = xrefStreamPdf([CATALOG, PAGES, PAGE, objStm(['(hello)'], { first: 5000 })], [[100, 4, 0]]);
    assert.equal(code(() => PdfDocument.open(pdf).getObject(new PdfRef(100))), 'ERR_PDF_OBJSTM');
  });

  it('an object stream that is not one, or that contains itself → typed error', () => {
    const pdf = xrefStreamPdf([CATALOG, PAGES, PAGE, '(not a stream)'], [[100, 4, 0], [5, 5, 0]]);
    const doc = PdfDocument.open(pdf);
    assert.equal(code(() => doc.getObject(new PdfRef(100))), 'ERR_PDF_OBJSTM');
  });
});

describe('DOS-05 deep nesting', () => {
  it('10^6-deep arrays → ERR_PDF_LIMIT_DEPTH, no stack overflow', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, deep], '<</Size 5 /Root 1 0 R>>'));
    assert.equal(code(() => doc.getObject(new PdfRef(4))), 'ERR_PDF_LIMIT_DEPTH');
  });

  it('10^5-deep dictionaries inside an object stream → ERR_PDF_LIMIT_DEPTH', () => {
    const deep = '<</A '.repeat(100_000) + '>>'.repeat(100_000);
    const doc = PdfDocument.open(xrefStreamPdf([CATALOG, PAGES, PAGE, objStm([deep])], [[100, 4, 0]]));
    assert.equal(code(() => doc.getObject(new PdfRef(100))), 'ERR_PDF_LIMIT_DEPTH');
  });

  it('a configured depth limit is honoured exactly', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, '[[[[1]]]]'], '<</Size 5 /Root 1 0 R>>'), { limits: { maxDepth: 4 } });
    assert.deepEqual(doc.getObject(new PdfRef(4)), [[[[1]]]]);
    const doc3 = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, '[[[[1]]]]'], '<</Size 5 /Root 1 0 R>>'), { limits: { maxDepth: 3 } });
    assert.equal(code(() => doc3.getObject(new PdfRef(4))), 'ERR_PDF_LIMIT_DEPTH');
  });
});

describe('DOS-06 reference cycles', () => {
  it('1 0 obj [1 0 R] and 4 → 5 → 4 resolve without hanging', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, '5 0 R', '4 0 R', '[6 0 R]'], '<</Size 7 /Root 1 0 R>>'));
    assert.equal(doc.resolve(new PdfRef(4)), null);
    const self = doc.resolveArray(new PdfRef(6));
    assert.ok(self !== undefined && self[0] instanceof PdfRef);
    assert.ok(doc.warnings.some((w) => w.includes('cycle')));
  });

  it('a /Kids cycle → ERR_PDF_PAGE_TREE', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, '<</Type /Pages /Kids [3 0 R] /Count 1>>', '<</Type /Pages /Kids [2 0 R] /Parent 2 0 R>>'], '<</Size 4 /Root 1 0 R>>'));
    assert.equal(code(() => doc.pages()), 'ERR_PDF_PAGE_TREE');
  });

  it('a /Parent loop → ERR_PDF_PAGE_TREE when inheriting', () => {
    const doc = PdfDocument.open(
      makeRawPdf([CATALOG, '<</Type /Pages /Kids [3 0 R] /Count 1 /Parent 4 0 R>>', '<</Type /Page /Parent 2 0 R>>', '<</Type /Pages /Parent 2 0 R>>'], '<</Size 5 /Root 1 0 R>>'),
    );
    const page = doc.pages()[0]!;
    assert.equal(code(() => doc.inheritedPageAttribute(page.dict, 'MediaBox')), 'ERR_PDF_PAGE_TREE');
  });

  it('a stream whose /Length refers to itself is read up to endstream, with a warning', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, '<</Length 4 0 R>>\nstream\nabc\nendstream'], '<</Size 5 /Root 1 0 R>>'));
    const s = doc.getObject(new PdfRef(4)) as { raw: Uint8Array };
    assert.equal(Buffer.from(s.raw).toString(), 'abc');
    assert.ok(doc.warnings.some((w) => w.includes('/Length')));
  });
});

describe('DOS-07 cross-reference chain loops', () => {
  const base = makeRawPdf([CATALOG, PAGES, PAGE], '<</Size 4 /Root 1 0 R>>');
  const text = Buffer.from(base).toString('latin1');
  const sx = Number(/startxref\n(\d+)/.exec(text)![1]);

  it('/Prev to itself → ERR_PDF_XREF_LOOP', () => {
    const pdf = latin(text.replace('<</Size 4 /Root 1 0 R>>', `<</Size 4 /Root 1 0 R /Prev ${sx}>>`));
    assert.equal(code(() => PdfDocument.open(pdf)), 'ERR_PDF_XREF_LOOP');
  });

  it('A → B → A → ERR_PDF_XREF_LOOP', () => {
    // Section B (appended) has /Prev A; A's /Prev is patched to B.
    const bOff = base.length;
    const a = text.replace('<</Size 4 /Root 1 0 R>>', `<</Size 4 /Root 1 0 R /Prev ${String(bOff).padStart(8, '0')}>>`);
    const delta = a.length - text.length;
    const b = `xref\n0 1\n0000000000 65535 f\r\ntrailer\n<</Size 4 /Root 1 0 R /Prev ${sx}>>\nstartxref\n${bOff + delta}\n%%EOF\n`;
    const pdf = latin(a.replace(String(bOff).padStart(8, '0'), String(bOff + delta).padStart(8, '0')) + b);
    assert.equal(code(() => PdfDocument.open(pdf)), 'ERR_PDF_XREF_LOOP');
  });

  it('more sections than maxRevisions → ERR_PDF_LIMIT_REVISIONS', () => {
    let s = text;
    for (let i = 0; i < 5; i++) {
      const prev = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(s)![1]);
      const off = s.length;
      s += `xref\n0 1\n0000000000 65535 f\r\ntrailer\n<</Size 4 /Root 1 0 R /Prev ${prev}>>\nstartxref\n${off}\n%%EOF\n`;
    }
    assert.equal(PdfDocument.open(latin(s)).revisions.length, 6);
    assert.equal(code(() => PdfDocument.open(latin(s), { limits: { maxRevisions: 3 } })), 'ERR_PDF_LIMIT_REVISIONS');
  });
});

describe('DOS-08 absurd declared sizes', () => {
  it('/Size 2^31 → ERR_PDF_LIMIT_OBJECTS', () => {
    assert.equal(code(() => PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE], `<</Size ${2 ** 31} /Root 1 0 R>>`))), 'ERR_PDF_LIMIT_OBJECTS');
  });

  it('/W [8 8 8] with a huge /Index → ERR_PDF_LIMIT_OBJECTS, and a big-but-allowed /Index allocates nothing', () => {
    const huge = xrefStreamPdf([CATALOG, PAGES, PAGE], [], '', '/Index [0 2000000000]');
    assert.equal(code(() => PdfDocument.open(huge)), 'ERR_PDF_LIMIT_OBJECTS');
    const wide = Buffer.from(xrefStreamPdf([CATALOG, PAGES, PAGE], [], '', '/Index [0 9000000]')).toString('latin1').replace('/W [1 4 2]', '/W [8 8 8]');
    // The data now holds fewer than one entry per declared row: entries come only from data present.
    const code8 = code(() => PdfDocument.open(latin(wide), { limits: { maxObjects: 10_000_000 } }));
    assert.ok(['no error', 'ERR_PDF_XREF'].includes(code8), code8);
  });

  it('an array of 2·10^6 elements → ERR_PDF_LIMIT_OBJECTS (no 8×-sized JS array)', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, `[${'0 '.repeat(2_000_000)}]`], '<</Size 5 /Root 1 0 R>>'));
    assert.equal(code(() => doc.getObject(new PdfRef(4))), 'ERR_PDF_LIMIT_OBJECTS');
  });

  it('a negative or 2^53 /Length is ignored in favour of endstream, with a warning', () => {
    for (const len of ['-5', String(2 ** 53)]) {
      const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, `<</Length ${len}>>\nstream\nxyz\nendstream`], '<</Size 5 /Root 1 0 R>>'));
      const s = doc.getObject(new PdfRef(4)) as { raw: Uint8Array };
      assert.equal(Buffer.from(s.raw).toString(), 'xyz');
      assert.ok(doc.warnings.length > 0);
    }
  });

  it('an xref table subsection declaring 10^7 entries in a tiny file → typed error', () => {
    const text = Buffer.from(makeRawPdf([CATALOG, PAGES, PAGE], '<</Size 4 /Root 1 0 R>>')).toString('latin1');
    const pdf = latin(text.replace('xref\n0 4\n', 'xref\n0 9999999\n'));
    const doc = PdfDocument.open(pdf);
    // The damaged table is abandoned and the file is recovered by scanning.
    assert.equal(doc.isRecovered, true);
    assert.equal(doc.pages().length, 1);
  });
});

describe('PDF-27/PDF-28 ambiguous files are flagged', () => {
  it('a dictionary with a duplicate key', () => {
    const doc = PdfDocument.open(makeRawPdf(['<</Type /Catalog /Pages 2 0 R /Pages 2 0 R>>', PAGES, PAGE], '<</Size 4 /Root 1 0 R>>'));
    assert.equal(doc.ambiguities.length, 1);
    assert.match(doc.ambiguities[0]!, /duplicate key \/Pages/);
  });

  it('a duplicate object number in one cross-reference section', () => {
    const text = Buffer.from(makeRawPdf([CATALOG, PAGES, PAGE, '(a)', '(b)'], '<</Size 6 /Root 1 0 R>>')).toString('latin1');
    const off5 = /\n(\d{10}) 00000 n\r\ntrailer/.exec(text)![1]!;
    const pdf = latin(text.replace('trailer', `4 1\n${off5} 00000 n\r\ntrailer`));
    const doc = PdfDocument.open(pdf);
    assert.ok(doc.ambiguities.some((a) => a.includes('object 4 appears twice')));
  });

  it('a hybrid file whose /XRefStm view disagrees with its table (PDF-27)', () => {
    // Table: object 4 at its offset. XRefStm: object 4 compressed in object stream 5.
    const raw = Buffer.from(makeRawPdf([CATALOG, PAGES, PAGE, '(table view)', objStm(['(stream view)'])], '<</Size 7 /Root 1 0 R>>')).toString('latin1');
    const xsOff = raw.indexOf('xref\n');
    const row = Buffer.from([2, 0, 5, 0]).toString('latin1');
    const xs = `6 0 obj\n<</Type /XRef /Size 7 /W [1 2 1] /Index [4 1] /Length 4>>\nstream\n${row}\nendstream\nendobj\n`;
    const head = raw.slice(0, xsOff) + xs;
    const table = raw.slice(xsOff).replace(/startxref\n\d+/, `startxref\n${head.length}`).replace('/Root 1 0 R>>', `/Root 1 0 R /XRefStm ${xsOff}>>`);
    const doc = PdfDocument.open(latin(head + table));
    assert.ok(doc.ambiguities.some((a) => a.includes('/XRefStm view disagrees')), doc.ambiguities.join(';'));
  });

  it('a wrong /Length with a second endstream (PDF-28)', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, '<</Length 2>>\nstream\nabc\nendstream\nhidden\nendstream'], '<</Size 5 /Root 1 0 R>>'));
    doc.loadAllObjects();
    assert.ok(doc.ambiguities.some((a) => a.includes('more than one endstream')), doc.ambiguities.join(';'));
  });

  it('requireUnambiguous() finds an ambiguity hidden in an unread object and throws ERR_PDF_AMBIGUOUS', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, '<</A 1 /A 2>>'], '<</Size 5 /Root 1 0 R>>'));
    assert.deepEqual(doc.ambiguities, []);
    assert.doesNotThrow(() => doc.requireUnambiguous({ loadAll: false }));
    assert.equal(code(() => doc.requireUnambiguous()), 'ERR_PDF_AMBIGUOUS');
    const clean = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE], '<</Size 4 /Root 1 0 R>>'));
    assert.doesNotThrow(() => clean.requireUnambiguous());
  });

  it('an object defined again after the definition the xref uses (a shadow definition) is found by scanBody', () => {
    const base = makeRawPdf([CATALOG, PAGES, PAGE], '<</Size 4 /Root 1 0 R>>');
    const shadowed = latin(Buffer.from(base).toString('latin1') + '3 0 obj\n<</Type /Page /Parent 2 0 R /MediaBox [0 0 99 99]>>\nendobj\n');
    const doc = PdfDocument.open(shadowed);
    assert.doesNotThrow(() => doc.requireUnambiguous());
    assert.equal(code(() => doc.requireUnambiguous({ scanBody: true })), 'ERR_PDF_AMBIGUOUS');
    assert.ok(doc.ambiguities.some((a) => a.includes('object 3: defined again')));
  });

  it('overlapping /Index subsections in a cross-reference stream define an object twice', () => {
    // Rows 0..4, then object 3 again at another offset.
    const pdf = xrefStreamPdf([CATALOG, PAGES, PAGE], [], '', '/Index [0 5 3 1]', [[1, 9, 0]]);
    const doc = PdfDocument.open(pdf);
    assert.ok(doc.ambiguities.some((a) => a.includes('object 3 appears twice')), doc.ambiguities.join(';'));
  });

  it('a correct file has none', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, '<</Length 3>>\nstream\nabc\nendstream'], '<</Size 5 /Root 1 0 R>>'));
    doc.loadAllObjects();
    assert.deepEqual(doc.ambiguities, []);
    assert.deepEqual(doc.warnings, []);
  });
});

describe('limits on time', () => {
  it('a recovery scan over the time budget → ERR_PDF_LIMIT_TIME', () => {
    const junk = '1 0 o obj '.repeat(400_000);
    const pdf = latin(`%PDF-1.7\n${junk}\n1 0 obj\n${CATALOG}\nendobj\n%%EOF\n`);
    assert.equal(code(() => PdfDocument.open(pdf, { limits: { maxMillis: 0 } })), 'ERR_PDF_LIMIT_TIME');
  });

  it('DOS-11: 4 MB of obj fragments with a broken xref is scanned in linear time', () => {
    const junk = '1 0 o obj 2 0 ob obj '.repeat(200_000);
    const pdf = latin(`%PDF-1.7\n1 0 obj\n${CATALOG}\nendobj\n2 0 obj\n${PAGES}\nendobj\n3 0 obj\n${PAGE}\nendobj\n${junk}\nstartxref\n999999999\n%%EOF\n`);
    const t0 = performance.now();
    const c = code(() => PdfDocument.open(pdf).pages());
    assert.ok(['no error', 'ERR_PDF_XREF', 'ERR_PDF_PAGE_TREE', 'ERR_PDF_SYNTAX'].includes(c), c);
    assert.ok(performance.now() - t0 < 3000);
  });
});



describe('common writer mistakes and §7.5.4 details', () => {
  it('a table numbered from 1 whose first entry is the free head is renumbered from 0, with a warning', () => {
    const text = Buffer.from(makeRawPdf([CATALOG, PAGES, PAGE], '<</Size 4 /Root 1 0 R>>')).toString('latin1');
    const doc = PdfDocument.open(latin(text.replace('xref\n0 4\n', 'xref\n1 4\n')));
    assert.equal(doc.isRecovered, false);
    assert.equal(doc.pages().length, 1);
    assert.ok(doc.warnings.some((w) => w.includes('numbered from 1')));
  });

  it('§7.3.8.2 a /Length given indirectly, directly or inside an object stream', () => {
    const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, '<</Length 5 0 R>>\nstream\nab\ncd\nendstream', '5'], '<</Size 6 /Root 1 0 R>>'));
    assert.equal(Buffer.from((doc.getObject(new PdfRef(4)) as { raw: Uint8Array }).raw).toString(), 'ab\ncd');
    assert.deepEqual(doc.warnings, []);
    const viaObjStm = PdfDocument.open(
      xrefStreamPdf([CATALOG, PAGES, PAGE, objStm(['4']), '<</Length 100 0 R>>\nstream\nwxyz\nendstream'], [[100, 4, 0]]),
    );
    assert.equal(Buffer.from((viaObjStm.getObject(new PdfRef(5)) as { raw: Uint8Array }).raw).toString(), 'wxyz');
    assert.deepEqual(viaObjStm.warnings, []);
  });

  it('§7.3.8.1 leniency: spaces between `stream` and its EOL, and a lone CR, are not data', () => {
    for (const body of ['<</Length 3>>\nstream  \r\nabc\nendstream', '<</Length 3>>\nstream\rabc\nendstream']) {
      const doc = PdfDocument.open(makeRawPdf([CATALOG, PAGES, PAGE, body], '<</Size 5 /Root 1 0 R>>'));
      const s = doc.getObject(new PdfRef(4)) as { raw: Uint8Array };
      assert.equal(Buffer.from(s.raw).toString(), 'abc');
      assert.deepEqual(doc.warnings, []);
    }
  });

  it('a free entry in a newer section deletes the object; a generation mismatch reads as null (§7.3.10)', () => {
    const base = makeRawPdf([CATALOG, PAGES, PAGE, '(old)'], '<</Size 5 /Root 1 0 R>>');
    const text = Buffer.from(base).toString('latin1');
    const sx = Number(/startxref\n(\d+)/.exec(text)![1]);
    const upd = `xref\n4 1\n0000000000 00001 f\r\ntrailer\n<</Size 5 /Root 1 0 R /Prev ${sx}>>\nstartxref\n${base.length}\n%%EOF\n`;
    const doc = PdfDocument.open(latin(text + upd));
    assert.equal(doc.getObject(new PdfRef(4)), null);
    assert.equal(doc.objectLocation(new PdfRef(4)), undefined);
    const before = PdfDocument.open(base);
    assert.ok(before.getObject(new PdfRef(4)) !== null);
    assert.equal(before.getObject(new PdfRef(4, 3)), null);
  });
});

describe('DOS-09 many revisions', () => {
  function withUpdates(n: number): Uint8Array {
    const parts = [Buffer.from(makeRawPdf([CATALOG, PAGES, PAGE], '<</Size 4 /Root 1 0 R>>')).toString('latin1')];
    let length = parts[0]!.length;
    let prev = Number(/startxref\n(\d+)/.exec(parts[0]!)![1]);
    for (let i = 0; i < n; i++) {
      const s = `xref\n0 1\n0000000000 65535 f\r\ntrailer\n<</Size 4 /Root 1 0 R /Prev ${prev}>>\nstartxref\n${length}\n%%EOF\n`;
      prev = length;
      length += s.length;
      parts.push(s);
    }
    return latin(parts.join(''));
  }

  it('10,000 incremental updates open within the time budget; one more than the limit is refused', () => {
    const pdf = withUpdates(9_999);
    const t0 = performance.now();
    const doc = PdfDocument.open(pdf);
    assert.equal(doc.revisions.length, 10_000);
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(code(() => PdfDocument.open(withUpdates(10_000))), 'ERR_PDF_LIMIT_REVISIONS');
  });
});
