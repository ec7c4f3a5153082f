/**
 * Issue 18 §1: sizes a file declares (/Index × /W of a cross-reference stream, /DL, /N and /First
 * of an object stream) are hints, never limits — a stream that decodes to a little more is read
 * whole and the discrepancy recorded; the absolute per-stream limit and the document's budget
 * stay the bomb defence (DOS-01). Files made with qpdf (fix-qdf repairs lengths and offsets after
 * an edit) and by hand.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { signPdf } from '../../src/pades/index.js';
import { PdfDocument } from '../../src/pdf/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeNssDb, pdfsig, qpdfCheck } from '../support/judges.js';
import { buildTestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

const latin = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** A file whose only cross-reference section is a stream of `rows` (W [1 4 2]), its data padded with `pad` bytes, PNG-predicted when `png`. */
function xrefStreamFile(pad: number, png: boolean): Uint8Array {
  const bodies = ['<</Type /Catalog /Pages 2 0 R>>', '<</Type /Pages /Kids [3 0 R] /Count 1>>', '<</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]>>'];
  // Many free objects make the section longer than 64 rows (the old cap was rows × width + 64).
  const size = 120;
  let out = '%PDF-1.7\n';
  const offs: number[] = [];
  bodies.forEach((b, i) => {
    offs.push(out.length);
    out += `${i + 1} 0 obj\n${b}\nendobj\n`;
  });
  const xsNum = size - 1;
  const xsOff = out.length;
  const rows: number[][] = [];
  for (let n = 0; n < size; n++) {
    if (n >= 1 && n <= bodies.length) rows.push([1, offs[n - 1]!, 0]);
    else if (n === xsNum) rows.push([1, xsOff, 0]);
    else rows.push([0, 0, n === 0 ? 0xffff : 0]);
  }
  const width = 7;
  const raw = Buffer.alloc(rows.length * (width + (png ? 1 : 0)) + pad);
  rows.forEach((r, i) => {
    const at = i * (width + (png ? 1 : 0)) + (png ? 1 : 0); // PNG row type 0 (None)
    raw.writeUInt8(r[0]!, at);
    raw.writeUInt32BE(r[1]!, at + 1);
    raw.writeUInt16BE(r[2]!, at + 5);
  });
  const z = deflateSync(raw);
  const parms = png ? `/DecodeParms <</Columns ${width} /Predictor 12>>` : '';
  out += `${xsNum} 0 obj\n<</Type /XRef /Size ${size} /W [1 4 2] /Root 1 0 R /Filter /FlateDecode ${parms} /Length ${z.length}>>\nstream\n`;
  out += z.toString('latin1');
  out += `\nendstream\nendobj\nstartxref\n${xsOff}\n%%EOF\n`;
  return latin(out);
}

describe('issue 18 §1: declared sizes are not limits', () => {
  it('a PNG-predicted cross-reference stream of 120 rows (a predictor byte per row) opens', () => {
    const doc = PdfDocument.open(xrefStreamFile(0, true));
    assert.equal(doc.pages().length, 1);
    assert.deepEqual(doc.warnings, []);
  });

  it('a cross-reference stream padded past its rows opens, and the discrepancy is recorded', () => {
    for (const png of [false, true]) {
      const doc = PdfDocument.open(xrefStreamFile(4096, png));
      assert.equal(doc.pages().length, 1);
      assert.ok(doc.warnings.some((w) => /decodes to \d+ bytes, more than the 840/.test(w)), doc.warnings.join('; '));
    }
  });

  it('the absolute per-stream limit still refuses a padded stream past it', () => {
    assert.throws(() => PdfDocument.open(xrefStreamFile(1 << 20, false), { limits: { maxDecodedStreamBytes: 64 * 1024 } }), {
      code: 'ERR_PDF_LIMIT_DECOMPRESSED',
    });
  });

  describe('qpdf-made object streams', () => {
    const dir = tempDir({ after });

    before(() => {
      writeFileSync(join(dir, 'base.pdf'), makeBasePdf({ pages: 40 }));
    });

    it('qpdf --object-streams=generate of a 40-page file (87 objects, PNG-predicted xref stream) opens without warnings', (t) => {
      if (!requireTools(t, 'qpdf')) return;
      const out = join(dir, 'objstm.pdf');
      const r = runTool('qpdf', [join(dir, 'base.pdf'), '--object-streams=generate', out]);
      assert.equal(r.status, 0, r.stderr);
      const doc = PdfDocument.open(new Uint8Array(readFileSync(out)));
      assert.equal(doc.pages().length, 40);
      doc.loadAllObjects();
      assert.deepEqual(doc.warnings, []);
    });

    it('an object stream padded after its members and given a short /DL opens whole; /DL is recorded as a discrepancy', (t) => {
      if (!requireTools(t, 'qpdf', 'fix-qdf')) return;
      const qdf = join(dir, 'q.pdf');
      const r = runTool('qpdf', ['--qdf', '--object-streams=generate', join(dir, 'base.pdf'), qdf]);
      assert.equal(r.status, 0, r.stderr);
      let text = readFileSync(qdf, 'latin1');
      const at = text.indexOf('/Type /ObjStm');
      assert.ok(at > 0);
      text = text.slice(0, at) + '/DL 100\n  ' + text.slice(at);
      const end = text.indexOf('endstream', at);
      text = text.slice(0, end) + ' '.repeat(3000) + '\n' + text.slice(end);
      writeFileSync(qdf, text, 'latin1');
      // fix-qdf recomputes /Length and the cross-reference offsets after the edit (binary on stdout).
      const fixed = spawnSync('fix-qdf', [qdf], { maxBuffer: 64 * 1024 * 1024 });
      assert.equal(fixed.status, 0, fixed.stderr.toString());
      const padded = join(dir, 'padded.pdf');
      writeFileSync(padded, fixed.stdout);
      assert.equal(runTool('qpdf', ['--check', padded]).status, 0);
      const doc = PdfDocument.open(new Uint8Array(fixed.stdout));
      assert.equal(doc.pages().length, 40);
      doc.loadAllObjects();
      assert.ok(doc.warnings.some((w) => /declares \/DL 100 but decodes to \d+ bytes/.test(w)), doc.warnings.join('; '));
    });

    it('the padded object stream with the short /DL, and one whose /Length is 16 bytes short, sign: TOTAL-PASSED, pdfsig valid, qpdf --check finds nothing new', async (t) => {
      if (!requireTools(t, 'qpdf', 'fix-qdf', 'pdfsig', 'certutil')) return;
      const pki = await buildTestPki({ leaves: ['ec-p256'] });
      const signer = await loadLocalSigner({ kind: 'pem', key: pki.leaves['ec-p256'].privateKeyPem, certificate: pki.leaves['ec-p256'].der, chain: [pki.intermediate.der, pki.root.der] });
      const nss = makeNssDb(dir, pki.root.pem);
      const qdf = join(dir, 'q2.pdf');
      assert.equal(runTool('qpdf', ['--qdf', '--object-streams=generate', join(dir, 'base.pdf'), qdf]).status, 0);
      let text = readFileSync(qdf, 'latin1');
      const at = text.indexOf('/Type /ObjStm');
      // The padded file: 3000 spaces after the members and /DL 100, repaired lengths and offsets by fix-qdf.
      let padded = text.slice(0, at) + '/DL 100\n  ' + text.slice(at);
      const end = padded.indexOf('endstream', at);
      padded = padded.slice(0, end) + ' '.repeat(3000) + '\n' + padded.slice(end);
      writeFileSync(qdf, padded, 'latin1');
      const fixed = spawnSync('fix-qdf', [qdf], { maxBuffer: 64 * 1024 * 1024 });
      assert.equal(fixed.status, 0, fixed.stderr.toString());
      // The short /Length: 16 less, padded to the same width, so no offset moves.
      text = Buffer.from(fixed.stdout).toString('latin1');
      const stm = text.indexOf('/Type /ObjStm');
      const length = /\/Length (\d+)/.exec(text.slice(stm, text.indexOf('>>', stm)))!;
      const shortLength = String(Number(length[1]) - 16).padEnd(length[1]!.length, ' ');
      const lengthAt = stm + length.index;
      const short = text.slice(0, lengthAt) + `/Length ${shortLength}` + text.slice(lengthAt + length[0].length);
      assert.notEqual(short, text);
      for (const [name, bytes] of [['padded', new Uint8Array(fixed.stdout)], ['short-length', latin(short)]] as const) {
        const doc = PdfDocument.open(bytes);
        assert.equal(doc.pages().length, 40, name);
        const signed = await signPdf(bytes, signer, { signingTime: new Date() });
        const report = verifyPdfSignatures(signed, { trustAnchors: [pki.root.der] });
        assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', `${name}: ${JSON.stringify(report.signatures[0]?.problems)}`);
        const input = join(dir, `${name}-in.pdf`);
        const output = join(dir, `${name}-signed.pdf`);
        writeFileSync(input, bytes);
        writeFileSync(output, signed);
        const sigs = pdfsig(output, nss);
        assert.equal(sigs.length, 1, name);
        assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, `${name}: ${sigs[0]?.text}`);
        // Signing adds no damage of its own: qpdf --check says of the output what it said of the input.
        const problems = (path: string): string[] =>
          qpdfCheck(path)[1]
            .split('\n')
            .filter((l) => /ERROR|WARNING/.test(l))
            .map((l) => l.replaceAll(path, 'FILE'));
        assert.deepEqual(problems(output), problems(input), name);
        if (name === 'padded') assert.deepEqual(problems(input), [], 'the padded file is clean for qpdf');
      }
    });
  });
});
