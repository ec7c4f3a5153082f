/**
 * docs/security.md DOS-10: a PDF with 1,000 signature fields, each holding a CMS SignedData, meets the
 * validator's signature-count limit before any signature is examined, and gets an INDETERMINATE
 * report naming the limit (issue 14: every file gets a report); a file at the limit is still validated. The fixture is generated here: one real CAdES container,
 * copied into every signature dictionary with a ByteRange that is correct for its own /Contents.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { loadLocalSigner } from '../../src/keys/index.js';
import { listPdfSignatures, maxSignatures, signPdf } from '../../src/pades/index.js';
import { maxFieldDepth, maxFields } from '../../src/pades/signature-field.js';
import { makeRawPdf } from '../support/pdf-fixtures.js';
import { PdfDocument, bytesSource } from '../../src/pdf/index.js';
import { verifyPdfLongTerm, verifyPdfSignatures, type DocumentReport } from '../../src/validation/index.js';
import { buildTestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';

/** A PDF with `n` signed signature fields whose /Contents all hold `cms` (hex, padded). */
function manySignatures(n: number, cms: Uint8Array): Uint8Array {
  const hex = Buffer.from(cms).toString('hex').padEnd(cms.length * 2 + 64, '0');
  const placeholder = '[0 0000000000 0000000000 0000000000]';
  const bodies: string[] = [];
  const fieldRefs: string[] = [];
  // 1 catalog, 2 pages, 3 page; then per signature: field (4 + 2i), signature dictionary (5 + 2i).
  bodies.push(`<</Type /Catalog /Pages 2 0 R /AcroForm <</Fields [FIELDS] /SigFlags 3>>>>`);
  bodies.push('<</Type /Pages /Kids [3 0 R] /Count 1>>');
  bodies.push('<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>>');
  for (let i = 0; i < n; i++) {
    const field = 4 + 2 * i;
    fieldRefs.push(`${field} 0 R`);
    bodies.push(`<</FT /Sig /T (Signature${i + 1}) /V ${field + 1} 0 R /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R>>`);
    bodies.push(`<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ${placeholder} /Contents <${hex}>>>`);
  }
  bodies[0] = (bodies[0] as string).replace('FIELDS', fieldRefs.join(' '));
  const chunks: string[] = ['%PDF-1.7\n'];
  let length = chunks[0]!.length;
  const offsets: number[] = [];
  const placeholders: number[] = [];
  bodies.forEach((b, i) => {
    offsets.push(length);
    const text = `${i + 1} 0 obj\n${b}\nendobj\n`;
    const p = text.indexOf(placeholder);
    if (p >= 0) placeholders.push(length + p);
    chunks.push(text);
    length += text.length;
  });
  const xref = length;
  chunks.push(`xref\n0 ${bodies.length + 1}\n0000000000 65535 f\r\n`);
  for (const o of offsets) chunks.push(`${String(o).padStart(10, '0')} 00000 n\r\n`);
  chunks.push(`trailer\n<</Size ${bodies.length + 1} /Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`);
  const pdf = Buffer.from(chunks.join(''), 'latin1');
  // Each ByteRange covers the whole file except its own /Contents hex string (ISO 32000-1 §12.8.1).
  const pad = (v: number) => String(v).padStart(10, '0');
  for (const br of placeholders) {
    const holeStart = br + placeholder.length + ' /Contents '.length;
    const holeEnd = holeStart + hex.length + 2;
    pdf.write(`[0 ${pad(holeStart)} ${pad(holeEnd)} ${pad(pdf.length - holeEnd)}]`, br, 'latin1');
  }
  return new Uint8Array(pdf);
}

/**
 * Issue 14: a file past a reader limit gets a report, not only an error — INDETERMINATE, no
 * signature examined, and a file-level ERR_VALIDATION_INCOMPLETE finding naming the limit hit.
 */
function assertUnfinished(report: DocumentReport, limitCode: string, message?: RegExp): void {
  assert.equal(report.indication, 'INDETERMINATE');
  assert.deepEqual(report.signatures, []);
  const finding = report.findings?.find((f) => f.code === 'ERR_VALIDATION_INCOMPLETE' && f.check === 'document');
  assert.ok(finding !== undefined && finding.message.includes(limitCode), JSON.stringify(report.findings));
  if (message) assert.match(finding.message, message);
}

describe('docs/security.md DOS-10: many signatures', () => {
  let cms: Uint8Array;

  before(async () => {
    const pki = await buildTestPki();
    const leaf = pki.leaves.rsa;
    const signer = await loadLocalSigner({ kind: 'pem', key: leaf.privateKeyPem, certificate: leaf.der, chain: [pki.intermediate.der, pki.root.der] });
    const signed = await signPdf(makeBasePdf(), signer, { signingTime: new Date('2026-11-23T10:00:00Z') });
    const container = listPdfSignatures(PdfDocument.open(bytesSource(signed)))[0]?.container;
    assert.ok(container);
    cms = container;
  });

  it('1,000 signature fields with CMS: an INDETERMINATE report naming ERR_PADES_LIMIT_SIGNATURES from both validators, before any signature is examined', () => {
    const pdf = manySignatures(1000, cms);
    assert.equal(PdfDocument.open(bytesSource(pdf)).revisions.length, 1);
    for (const validate of [verifyPdfSignatures, verifyPdfLongTerm]) {
      const t0 = performance.now();
      assertUnfinished(validate(pdf), 'ERR_PADES_LIMIT_SIGNATURES', /1000 signatures \(limit 200\)/);
      const ms = performance.now() - t0;
      // Bounded time: the count is read from the field tree before any ByteRange is hashed (about
      // 10 ms here; 10 s only catches a refusal that came after examining the signatures).
      assert.ok(ms < 10_000, `refused after ${ms.toFixed(0)} ms`);
    }
  });

  it(`a file at the limit (${maxSignatures} signatures) is validated: every signature reported, none passes`, () => {
    const pdf = manySignatures(maxSignatures, cms);
    const report = verifyPdfSignatures(pdf);
    assert.equal(report.signatures.length, maxSignatures);
    for (const s of report.signatures) {
      // Each one is examined for real: its ByteRange holds, and the copied CMS does not match it.
      assert.notEqual(s.indication, 'TOTAL-PASSED');
      assert.ok(s.problems.some((p) => /digest/i.test(p)), s.problems.join('; '));
    }
    assertUnfinished(verifyPdfSignatures(manySignatures(maxSignatures + 1, cms)), 'ERR_PADES_LIMIT_SIGNATURES');
  });

  it(`a signed field nested deeper than ${maxFieldDepth} levels, or past ${maxFields} fields, is reported unfinished (ERR_PADES_LIMIT_FIELDS), never silently left out`, () => {
    const hex = Buffer.from(cms).toString('hex');
    const sig = `<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] /Contents <${hex}>>>`;
    // 1 catalog, 2 pages, 3 page, 4 signature dictionary, then a /Kids chain ending in the signed field.
    const depth = maxFieldDepth + 8;
    const chain = Array.from({ length: depth }, (_, i) =>
      i === depth - 1 ? `<</FT /Sig /T (s) /V 4 0 R /Parent ${4 + i} 0 R>>` : `<</T (n${i}) /Kids [${6 + i} 0 R]${i > 0 ? ` /Parent ${4 + i} 0 R` : ''}>>`,
    );
    const deep = makeRawPdf(
      ['<</Type /Catalog /Pages 2 0 R /AcroForm <</Fields [5 0 R]>>>>', '<</Type /Pages /Kids [3 0 R] /Count 1>>', '<</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]>>', sig, ...chain],
      `<</Size ${5 + depth} /Root 1 0 R>>`,
    );
    assertUnfinished(verifyPdfSignatures(deep), 'ERR_PADES_LIMIT_FIELDS');
    assertUnfinished(verifyPdfLongTerm(deep), 'ERR_PADES_LIMIT_FIELDS');

    const n = maxFields + 1;
    const fields = Array.from({ length: n }, (_, i) => `<</FT /Tx /T (f${i})>>`);
    const refs = Array.from({ length: n }, (_, i) => `${4 + i} 0 R`).join(' ');
    const wide = makeRawPdf(
      [`<</Type /Catalog /Pages 2 0 R /AcroForm <</Fields [${refs}]>>>>`, '<</Type /Pages /Kids [3 0 R] /Count 1>>', '<</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]>>', ...fields],
      `<</Size ${4 + n} /Root 1 0 R>>`,
    );
    assertUnfinished(verifyPdfSignatures(wide), 'ERR_PADES_LIMIT_FIELDS');
  });
});
