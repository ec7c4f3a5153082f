/** Recovery of damaged cross-reference data by scanning for `N G obj` (as qpdf and pdf.js do), and the self-sufficient update written on top. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { concatBytes } from '../../src/core/bytes.js';
import type { PdfRef} from '../../src/pdf/index.js';
import { IncrementalWriter, PdfDocument, PdfString } from '../../src/pdf/index.js';
import { damageStartxref, makeBasePdf } from '../support/pdf-fixtures.js';
import { requireTools, runTool } from '../support/tools.js';

function latin(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function checkUpdate(t: Parameters<typeof requireTools>[0], original: Uint8Array): PdfDocument {
  const doc = PdfDocument.open(original);
  const w = new IncrementalWriter(doc);
  const ref = w.allocate();
  w.set(ref, PdfString.fromText('after recovery'));
  const root = doc.trailer.get('Root') as PdfRef;
  w.set(root, doc.catalog.clone().set('Recovered', ref));
  const out = concatBytes([original, w.build().bytes]);
  const again = PdfDocument.open(out);
  assert.equal(again.isRecovered, false, 'the update makes the file consistent again');
  assert.equal(again.trailer.has('Prev'), false, 'a self-sufficient section has no /Prev');
  assert.equal((again.resolve(again.catalog.get('Recovered')) as PdfString).toText(), 'after recovery');
  assert.equal(again.pages().length, doc.pages().length);
  if (requireTools(t, 'qpdf')) {
    const dir = mkdtempSync(join(tmpdir(), 'signet-recovery-'));
    try {
      writeFileSync(join(dir, 'out.pdf'), out);
      const r = runTool('qpdf', ['--check', join(dir, 'out.pdf')]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return doc;
}

describe('recovery of damaged cross-reference data', () => {
  it('a wrong startxref: rebuilt, with a warning; the update is self-sufficient and passes qpdf --check', (t) => {
    const doc = checkUpdate(t, damageStartxref(makeBasePdf({ pages: 3 })));
    assert.equal(doc.isRecovered, true);
    assert.ok(doc.warnings.some((w) => w.includes('rebuilt')));
    // A wrong startxref alone is repaired without ambiguity: every reader rebuilds the same index.
    assert.deepEqual(doc.ambiguities, []);
    assert.equal(doc.pages().length, 3);
  });

  it('no xref table and no startxref at all', (t) => {
    const pdf = text(makeBasePdf({ pages: 2 }));
    const cut = pdf.slice(0, pdf.indexOf('xref\n0 ')) + pdf.slice(pdf.indexOf('trailer'), pdf.indexOf('startxref'));
    const doc = checkUpdate(t, latin(cut));
    assert.equal(doc.isRecovered, true);
  });

  it('junk inserted after the header shifts every offset: recovered', (t) => {
    const pdf = text(makeBasePdf({ pages: 2 }));
    const nl = pdf.indexOf('\n', pdf.indexOf('\n') + 1) + 1;
    const shifted = latin(pdf.slice(0, nl) + '% junk junk junk\n' + pdf.slice(nl));
    const doc = checkUpdate(t, shifted);
    assert.equal(doc.isRecovered, true);
  });

  it('PDF-28: an xref entry off by one is recovered but flagged as ambiguous', (t) => {
    const pdf = text(makeBasePdf({ pages: 2 }));
    // The catalog (object 1) entry points one byte into its header ("1 0 obj" read as " 0 obj").
    const m = /xref\n0 \d+\n0000000000 65535 f\r\n(\d{10})/.exec(pdf)!;
    const off = Number(m[1]);
    const broken = latin(pdf.replace(m[0], m[0].replace(m[1]!, String(off + 1).padStart(10, '0'))));
    const doc = checkUpdate(t, broken);
    assert.equal(doc.isRecovered, true);
    assert.ok(doc.ambiguities.some((a) => a.includes('does not point to it')), doc.ambiguities.join(';'));
  });

  it('no trailer: the catalog is found by its /Type', (t) => {
    const pdf = text(makeBasePdf());
    const cut = pdf.slice(0, pdf.indexOf('xref\n0 '));
    const doc = checkUpdate(t, latin(cut));
    assert.equal(doc.catalog.getName('Type'), 'Catalog');
  });

  it('an object-stream file with a broken startxref: compressed objects found, the update is an xref stream', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const dir = mkdtempSync(join(tmpdir(), 'signet-recovery-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'in.pdf'), makeBasePdf({ pages: 4 }));
    assert.equal(runTool('qpdf', [join(dir, 'in.pdf'), '--object-streams=generate', join(dir, 'os.pdf')]).status, 0);
    const damaged = damageStartxref(new Uint8Array(readFileSync(join(dir, 'os.pdf'))));
    const doc = checkUpdate(t, damaged);
    assert.equal(doc.xrefKind, 'stream');
    assert.ok([...doc.objectLocations().values()].some((l) => l.kind === 'compressed'));
  });

  it('garbage with no objects → ERR_PDF_XREF', () => {
    assert.throws(() => PdfDocument.open(latin('%PDF-1.4\nhello\n%%EOF\n')), { code: 'ERR_PDF_XREF' });
  });
});
