/**
 * Issue 18 §3, other real-world inputs, each generated here:
 * - BrotliDecode streams (the PDF 2.0 extension filter; RFC 7932 data, FlateDecode's predictors)
 *   are read — a page's content stream, an object stream and a PNG-predicted cross-reference
 *   stream — under the same budget as Flate (a stream of a few hundred bytes that inflates to
 *   200 MiB is refused); files with them sign, pdfsig calls the signature valid where poppler can read the
 *   file's structure, and `qpdf --check` finds nothing new.
 * - A file without a `%PDF-` header but with a readable body is refused with ERR_PDF_NOT_PDF
 *   saying why (an incremental update cannot put a header in front of the signed bytes).
 * - A damaged cross-reference table that makes the file ambiguous is still refused
 *   (ERR_PADES_AMBIGUOUS_INPUT), and the error says what qpdf would repair; qpdf's repaired
 *   output then signs valid.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { isSignetError } from '../../src/core/errors.js';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import type { Signer } from '../../src/cms/index.js';
import { signPdf } from '../../src/pades/index.js';
import { decodeFilterChain, PdfDict, PdfDocument, PdfName } from '../../src/pdf/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeNssDb, pdfsig, qpdfCheck } from '../support/judges.js';
import { makeBasePdf, makeRawPdf } from '../support/pdf-fixtures.js';
import { buildTestPki } from '../support/pki.js';
import { tempDir } from '../support/tmp.js';
import { requireTools, runTool } from '../support/tools.js';

const MiB = 1024 * 1024;
const latin = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const brotli = (data: string | Uint8Array): string =>
  brotliCompressSync(typeof data === 'string' ? Buffer.from(data, 'latin1') : data).toString(
    'latin1',
  );

/** A one-page PDF 2.0 file whose page content stream is BrotliDecode-compressed. */
function brotliContentPdf(): Uint8Array {
  const content = brotli('BT /F1 24 Tf 72 700 Td (Brotli content) Tj ET\n');
  return makeRawPdf(
    [
      '<</Type /Catalog /Pages 2 0 R>>',
      '<</Type /Pages /Kids [3 0 R] /Count 1>>',
      '<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources <</Font <</F1 5 0 R>>>>>>',
      `<</Filter /BrotliDecode /Length ${content.length}>>\nstream\n${content}\nendstream`,
      '<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>',
    ],
    '<</Size 6 /Root 1 0 R>>',
    { version: '2.0' },
  );
}

/** A PDF 2.0 file whose catalog and pages sit in a Brotli object stream, indexed by a PNG-predicted Brotli cross-reference stream. */
function brotliObjectStreamPdf(): Uint8Array {
  const members = [
    '<</Type /Catalog /Pages 3 0 R>>',
    '<</Type /Pages /Kids [4 0 R] /Count 1>>',
    '<</Type /Page /Parent 3 0 R /MediaBox [0 0 612 792]>>',
  ];
  let header = '';
  let body = '';
  members.forEach((m, i) => {
    header += `${i + 2} ${body.length} `;
    body += `${m}\n`;
  });
  const objstm = brotli(header + body);
  let out = '%PDF-2.0\n%\xe2\xe3\xcf\xd3\n';
  const stmOff = out.length;
  out += `1 0 obj\n<</Type /ObjStm /N 3 /First ${header.length} /Filter /BrotliDecode /Length ${objstm.length}>>\nstream\n${objstm}\nendstream\nendobj\n`;
  const xsOff = out.length;
  // Rows: type, offset or stream number (4 bytes), generation or index (2 bytes); PNG Up predictor per row (§7.4.4.4).
  const rows: [number, number, number][] = [
    [0, 0, 0xffff],
    [1, stmOff, 0],
    [2, 1, 0],
    [2, 1, 1],
    [2, 1, 2],
    [1, xsOff, 0],
  ];
  const raw = Buffer.alloc(rows.length * 8);
  let prev = Buffer.alloc(7);
  rows.forEach(([type, f2, f3], i) => {
    const row = Buffer.alloc(7);
    row.writeUInt8(type, 0);
    row.writeUInt32BE(f2, 1);
    row.writeUInt16BE(f3, 5);
    raw[i * 8] = 2;
    for (let k = 0; k < 7; k++) raw[i * 8 + 1 + k] = (row[k]! - prev[k]!) & 0xff;
    prev = row;
  });
  const xs = brotli(raw);
  out += `5 0 obj\n<</Type /XRef /Size 6 /W [1 4 2] /Root 2 0 R /Filter /BrotliDecode /DecodeParms <</Predictor 12 /Columns 7>> /Length ${xs.length}>>\nstream\n${xs}\nendstream\nendobj\nstartxref\n${xsOff}\n%%EOF\n`;
  return latin(out);
}

describe('issue 18 §3: other real-world inputs', () => {
  const dir = tempDir({ after });
  let signer: Signer;
  let rootPem: string;
  let rootDer: Uint8Array;
  const signingTime = new Date();
  let nss: string | undefined;

  before(async () => {
    const pki = await buildTestPki({ leaves: ['ec-p256'] });
    signer = await loadLocalSigner({
      kind: 'pem',
      key: pki.leaves['ec-p256'].privateKeyPem,
      certificate: pki.leaves['ec-p256'].der,
      chain: [pki.intermediate.der, pki.root.der],
    });
    rootPem = pki.root.pem;
    rootDer = pki.root.der;
  });

  /** Signet's validator, then pdfsig (when `withPdfsig`: poppler must be able to read the file's structure); writes NAME.pdf. */
  const judged = (
    t: Parameters<typeof requireTools>[0],
    name: string,
    signed: Uint8Array,
    withPdfsig: boolean,
  ): void => {
    const report = verifyPdfSignatures(signed, { trustAnchors: [rootDer] });
    assert.equal(
      report.signatures[0]?.indication,
      'TOTAL-PASSED',
      JSON.stringify(report.signatures[0]?.problems),
    );
    if (!requireTools(t, 'pdfsig', 'certutil', 'qpdf')) return;
    const path = join(dir, `${name}.pdf`);
    writeFileSync(path, signed);
    if (withPdfsig) {
      nss ??= makeNssDb(dir, rootPem);
      const sigs = pdfsig(path, nss);
      assert.equal(sigs.length, 1);
      assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
    }
  };

  describe('BrotliDecode', () => {
    const dict = (extra: Record<string, unknown> = {}): PdfDict =>
      PdfDict.of({ Filter: PdfName.of('BrotliDecode'), ...extra } as never);

    it('decodes RFC 7932 data, after ASCIIHex, and with a PNG predictor', () => {
      const text = 'q 1 0 0 1 0 0 cm BT (hello) Tj ET Q\n'.repeat(50);
      const z = new Uint8Array(brotliCompressSync(Buffer.from(text)));
      assert.equal(Buffer.from(decodeFilterChain(z, dict(), MiB, (o) => o)).toString(), text);
      const hex = new Uint8Array(Buffer.from(`${Buffer.from(z).toString('hex')}>`));
      const chain = PdfDict.of({
        Filter: [PdfName.of('ASCIIHexDecode'), PdfName.of('BrotliDecode')],
      });
      assert.equal(Buffer.from(decodeFilterChain(hex, chain, MiB, (o) => o)).toString(), text);
      // Two rows of 3 columns, PNG Sub (1) then Up (2).
      const predicted = new Uint8Array(brotliCompressSync(Buffer.from([1, 5, 1, 1, 2, 1, 1, 1])));
      const parms = PdfDict.of({ Predictor: 12, Columns: 3 });
      assert.deepEqual(
        [...decodeFilterChain(predicted, dict({ DecodeParms: parms }), MiB, (o) => o)],
        [5, 6, 7, 6, 7, 8],
      );
    });

    it('a stream of a few hundred bytes that decodes to 200 MiB is ERR_PDF_LIMIT_DECOMPRESSED at the limit; corrupt data is ERR_PDF_FILTER_DATA', () => {
      // Quality 5: a few hundred bytes in about a second (the default quality 11 takes half a minute).
      const bomb = new Uint8Array(
        brotliCompressSync(Buffer.alloc(200 * MiB), {
          params: { [constants.BROTLI_PARAM_QUALITY]: 5 },
        }),
      );
      assert.ok(bomb.length < 1024, `${bomb.length} bytes`);
      const t0 = performance.now();
      assert.throws(
        () => decodeFilterChain(bomb, dict(), 32 * MiB, (o) => o),
        (e) =>
          isSignetError(e, 'ERR_PDF_LIMIT_DECOMPRESSED') &&
          /more than 33554432 bytes/.test(e.message),
      );
      assert.ok(performance.now() - t0 < 5_000);
      assert.throws(
        () => decodeFilterChain(latin('not brotli at all'), dict(), MiB, (o) => o),
        (e) => isSignetError(e, 'ERR_PDF_FILTER_DATA'),
      );
      const ok = new Uint8Array(brotliCompressSync(Buffer.from('x'.repeat(10_000))));
      assert.throws(
        () => decodeFilterChain(ok.subarray(0, ok.length - 3), dict(), MiB, (o) => o),
        (e) => isSignetError(e, 'ERR_PDF_FILTER_DATA'),
      );
    });

    it('a Brotli page content stream: read, signed, TOTAL-PASSED, pdfsig valid, qpdf --check finds nothing new', (t) => {
      const pdf = brotliContentPdf();
      const doc = PdfDocument.open(pdf);
      const page = doc.pages()[0]!;
      const contents = doc.resolve(page.dict.get('Contents'));
      assert.match(
        Buffer.from(doc.decodeStream(contents as never)).toString('latin1'),
        /\(Brotli content\) Tj/,
      );
      return signPdf(pdf, signer, { signingTime }).then((signed) => {
        judged(t, 'brotli-content', signed, true);
        if (!requireTools(t, 'qpdf')) return;
        writeFileSync(join(dir, 'brotli-content-in.pdf'), pdf);
        // qpdf 11 does not decode Brotli, so it reports the content stream before and after alike:
        // the judge is that signing adds no damage of its own.
        const problems = (path: string): string[] =>
          qpdfCheck(path)[1]
            .split('\n')
            .filter((l) => /ERROR|WARNING/.test(l))
            .map((l) => l.replaceAll(path, 'FILE'));
        const before = problems(join(dir, 'brotli-content-in.pdf'));
        assert.deepEqual(problems(join(dir, 'brotli-content.pdf')), before);
        assert.ok(
          before.every((l) => /content stream/.test(l)),
          before.join('\n'),
        );
      });
    });

    it('catalog and page in a Brotli object stream behind a PNG-predicted Brotli xref stream: opened without warnings, signed, TOTAL-PASSED', async () => {
      const pdf = brotliObjectStreamPdf();
      const doc = PdfDocument.open(pdf);
      assert.equal(doc.xrefKind, 'stream');
      assert.equal(doc.pages().length, 1);
      doc.loadAllObjects();
      assert.deepEqual([doc.warnings, doc.ambiguities, doc.isRecovered], [[], [], false]);
      const signed = await signPdf(pdf, signer, { signingTime });
      const report = verifyPdfSignatures(signed, { trustAnchors: [rootDer] });
      assert.equal(
        report.signatures[0]?.indication,
        'TOTAL-PASSED',
        JSON.stringify(report.signatures[0]?.problems),
      );
    });
  });

  it('no %PDF- header but a readable body: refused with ERR_PDF_NOT_PDF saying an incremental update cannot add one; done as it says, the file signs valid', async (t) => {
    const whole = Buffer.from(makeBasePdf()).toString('latin1');
    const headless = latin(whole.slice(whole.indexOf('\n', whole.indexOf('\n') + 1) + 1));
    assert.doesNotMatch(Buffer.from(headless.subarray(0, 1024)).toString('latin1'), /%PDF-/);
    await assert.rejects(signPdf(headless, signer, { signingTime }), (e) => {
      assert.ok(isSignetError(e, 'ERR_PDF_NOT_PDF'), String(e));
      assert.match(e.message, /no %PDF- header/);
      assert.match(e.message, /incremental update/);
      assert.match(e.message, /qpdf/);
      return true;
    });
    // Garbage is still plainly not a PDF.
    assert.throws(
      () => PdfDocument.open(latin('hello world, no PDF here\n')),
      (e) => isSignetError(e, 'ERR_PDF_NOT_PDF') && !/incremental/.test(e.message),
    );
    if (!requireTools(t, 'qpdf', 'pdfsig', 'certutil')) return;
    // What the message says: a %PDF-1.7 line in front, the file rebuilt by qpdf (exit 3: repaired with warnings).
    const prefixed = join(dir, 'headless-prefixed.pdf');
    writeFileSync(prefixed, Buffer.concat([Buffer.from('%PDF-1.7\n'), headless]));
    const rebuilt = join(dir, 'headless-rebuilt.pdf');
    const r = runTool('qpdf', [prefixed, rebuilt]);
    assert.ok(r.status === 0 || r.status === 3, r.stderr);
    const signed = await signPdf(new Uint8Array(readFileSync(rebuilt)), signer, { signingTime });
    judged(t, 'headless-signed', signed, true);
    assert.ok(qpdfCheck(join(dir, 'headless-signed.pdf'))[0]);
  });

  it("a damaged xref that makes the file ambiguous: ERR_PADES_AMBIGUOUS_INPUT naming what qpdf would repair; qpdf's repaired file signs valid", async (t) => {
    const pdf = Buffer.from(makeBasePdf({ pages: 2 })).toString('latin1');
    // The catalog's entry points one byte into its header (PDF-28): readers may rebuild differently.
    const m = /xref\n0 \d+\n0000000000 65535 f\r\n(\d{10})/.exec(pdf)!;
    const broken = latin(
      pdf.replace(m[0], m[0].replace(m[1]!, String(Number(m[1]) + 1).padStart(10, '0'))),
    );
    let message = '';
    await assert.rejects(signPdf(broken, signer, { signingTime }), (e) => {
      assert.ok(isSignetError(e, 'ERR_PADES_AMBIGUOUS_INPUT'), String(e));
      message = e.message;
      return true;
    });
    assert.match(message, /cross-reference/);
    assert.match(message, /object 1 0/);
    assert.match(message, /qpdf .*repaired/);
    if (!requireTools(t, 'qpdf', 'pdfsig', 'certutil')) return;
    const input = join(dir, 'damaged.pdf');
    writeFileSync(input, broken);
    const damaged = qpdfCheck(input);
    assert.equal(damaged[0], false, `qpdf --check sees the damage too: ${damaged[1]}`);
    const repaired = join(dir, 'repaired.pdf');
    const r = runTool('qpdf', [input, repaired]);
    assert.ok(r.status === 0 || r.status === 3, r.stderr);
    const signed = await signPdf(new Uint8Array(readFileSync(repaired)), signer, { signingTime });
    judged(t, 'repaired-signed', signed, true);
    assert.ok(qpdfCheck(join(dir, 'repaired-signed.pdf'))[0]);
  });
});
