/**
 * The coarse page-content extent behind the overlay reports (docs/security.md V10): text runs,
 * rectangles, paths, images and form XObjects land where ISO 32000-1 §8.3.4 (CTM) and §9.4.2
 * (text matrices) put them; `sh` counts as the whole page; unreadable content is unknown.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PdfDocument } from '../../src/pdf/index.js';
import { boxesOverlap, pageContentBoxes, type Box } from '../../src/validation/page-content-extent.js';
import { makeRawPdf } from '../support/pdf-fixtures.js';

/** One page drawing `content`, with a form XObject /Fm (BBox 0 0 10 10, Matrix scale 2) in its resources. */
function boxesOf(content: string): Box[] | undefined {
  const pdf = makeRawPdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 600 800] >>',
      '<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /XObject << /Fm 5 0 R /Im 6 0 R >> >> >>',
      `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
      '<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Matrix [2 0 0 2 0 0] /Length 0 >>\nstream\n\nendstream',
      '<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >>\nstream\n\x00\nendstream',
    ],
    '<< /Size 7 /Root 1 0 R >>',
  );
  const doc = PdfDocument.open(pdf);
  const page = doc.pages()[0];
  assert.ok(page);
  return pageContentBoxes(doc, page.dict);
}

const near = (a: Box | undefined, b: Box): void => {
  assert.ok(a, 'a box');
  a.forEach((v, i) => assert.ok(Math.abs(v - (b[i] ?? 0)) < 1e-6, `${JSON.stringify(a)} ≈ ${JSON.stringify(b)}`));
};

describe('docs/security.md V10: page content extent', () => {
  it('a text run: 0.6 em per glyph from the text origin, −0.25 em to 1 em high, moved by Td, TL/T*, Tm and the CTM', () => {
    near(boxesOf('BT /F1 10 Tf 100 200 Td (abcde) Tj ET')?.[0], [100, 197.5, 130, 210]);
    near(boxesOf('BT /F1 10 Tf 12 TL 100 200 Td T* (ab) Tj ET')?.[0], [100, 185.5, 112, 198]);
    near(boxesOf('q 2 0 0 2 10 10 cm BT /F1 10 Tf 1 0 0 1 5 5 Tm [(ab) -200 (c)] TJ ET Q')?.[0], [20, 15, 56, 40]);
    // Two runs: the second starts where the first ended.
    near(boxesOf('BT /F1 10 Tf 0 0 Td (ab) Tj (cd) Tj ET')?.[1], [12, -2.5, 24, 10]);
  });

  it('rectangles and paths when painted (not when discarded with n), images and form XObjects under the CTM', () => {
    near(boxesOf('0 0 1 rg 50 60 100 20 re f')?.[0], [50, 60, 150, 80]);
    assert.deepEqual(boxesOf('50 60 100 20 re n'), []);
    near(boxesOf('10 10 m 30 50 l 20 5 l S')?.[0], [10, 5, 30, 50]);
    near(boxesOf('q 100 0 0 50 300 400 cm /Im Do Q')?.[0], [300, 400, 400, 450]);
    near(boxesOf('q 1 0 0 1 100 100 cm /Fm Do Q')?.[0], [100, 100, 120, 120]);
  });

  it('a shading fill counts as the whole page; q/Q restores the CTM', () => {
    near(boxesOf('/Sh0 sh')?.[0], [0, 0, 600, 800]);
    near(boxesOf('q 1 0 0 1 500 500 cm Q 0 0 10 10 re f')?.[0], [0, 0, 10, 10]);
  });

  it('overlap means a shared area, not a shared edge', () => {
    assert.equal(boxesOverlap([0, 0, 10, 10], [5, 5, 15, 15]), true);
    assert.equal(boxesOverlap([0, 0, 10, 10], [10, 0, 20, 10]), false);
  });

  it('unreadable content (an unterminated hex string, an inline image without EI) is unknown, not empty', () => {
    assert.equal(boxesOf('BT /F1 10 Tf <414243 Tj ET'), undefined);
    assert.equal(boxesOf('BI /W 1 /H 1 ID xxxxxxxx'), undefined);
  });
});
