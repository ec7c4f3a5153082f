/** IncrementalWriter on every flavour (ISO 32000-1 §7.5.6): qpdf --check passes and sees old and new objects. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { concatBytes } from '../../src/core/bytes.js';
import { IncrementalWriter, PdfDict, PdfDocument, PdfName, PdfRef, PdfStream, PdfString, type PdfObject } from '../../src/pdf/index.js';
import { makeBasePdf, makePdfFlavours, pdfFlavours, type PdfFlavour } from '../support/pdf-fixtures.js';
import { hasTool, requireTools, runTool } from '../support/tools.js';
import { assertSameAsQpdf, qpdfObjects } from './qpdf-view.js';

let dir = '';
let paths: Record<PdfFlavour, string> | undefined;

function qpdfCheck(path: string): void {
  const r = runTool('qpdf', ['--check', path]);
  assert.equal(r.status, 0, `qpdf --check ${path}: ${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /No syntax or stream encoding errors found/);
}

/** One update: a new dictionary, a new stream, the catalog pointing at them, a changed /Info. */
function update(original: Uint8Array, tag: string): { bytes: Uint8Array; newRefs: PdfRef[]; doc: PdfDocument; offsets: ReadonlyMap<number, number> } {
  const doc = PdfDocument.open(original);
  const w = new IncrementalWriter(doc);
  const a = w.allocate();
  const b = w.allocate();
  assert.equal(a.num, doc.size);
  w.set(a, PdfDict.of({ Tag: PdfString.fromText(tag), Kind: PdfName.of('SignetTest') }));
  w.set(b, new PdfStream(new PdfDict(), new TextEncoder().encode(`stream for ${tag}`)));
  const root = doc.trailer.get('Root');
  assert.ok(root instanceof PdfRef);
  w.set(root, doc.catalog.clone().set(`Signet${tag}`, [a, b]));
  const built = w.build();
  assert.equal(built.startxref > doc.length, true);
  return { bytes: concatBytes([original, built.bytes]), newRefs: [a, b], doc, offsets: built.offsets };
}

describe('IncrementalWriter appends a valid update to every flavour', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-writer-'));
    if (hasTool('qpdf')) paths = await makePdfFlavours(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const flavour of pdfFlavours) {
    it(`${flavour}: qpdf --check passes after one and two updates; qpdf sees new and old objects`, (t) => {
      if (!requireTools(t, 'qpdf', 'pdfinfo') || paths === undefined) return;
      const original = new Uint8Array(readFileSync(paths[flavour]));
      const before = qpdfObjects(paths[flavour]);
      const first = update(original, 'One');
      // The original bytes are never rewritten.
      assert.deepEqual(first.bytes.subarray(0, original.length), original);
      const p1 = join(dir, `${flavour}-1.pdf`);
      writeFileSync(p1, first.bytes);
      qpdfCheck(p1);
      // Every written object sits at its reported offset.
      for (const [num, off] of first.offsets) {
        assert.equal(Buffer.from(first.bytes.subarray(off, off + 20)).toString('latin1').startsWith(`${num} 0 obj`), true);
      }
      const second = update(first.bytes, 'Two');
      const p2 = join(dir, `${flavour}-2.pdf`);
      writeFileSync(p2, second.bytes);
      qpdfCheck(p2);
      const q = qpdfObjects(p2);
      const doc = PdfDocument.open(second.bytes);
      assert.deepEqual(doc.ambiguities, []);
      assert.equal(doc.isRecovered, false);
      // The new section is of the same kind as the original's newest one (a recovered file gets a self-sufficient one).
      assert.equal(doc.xrefKind, first.doc.xrefKind);
      assert.equal(doc.revisions.length, flavour === 'damagedXref' ? 2 : first.doc.revisions.length + 2);
      // New objects of both updates, as qpdf reads them.
      for (const ref of [...first.newRefs, ...second.newRefs]) {
        const ours = doc.getObject(ref);
        const theirs = q[`obj:${ref.num} 0 R`];
        assert.ok(theirs !== undefined, `qpdf lists object ${ref.num}`);
        if (ours instanceof PdfStream) assert.equal(Buffer.from(ours.raw).toString(), ref === first.newRefs[1] ? 'stream for One' : 'stream for Two');
        else assertSameAsQpdf(ours, theirs.value, `obj ${ref.num}`);
      }
      const cat = q[`obj:${(doc.trailer.get('Root') as PdfRef).num} 0 R`]?.value as Record<string, unknown>;
      assert.ok(cat['/SignetOne'] !== undefined && cat['/SignetTwo'] !== undefined);
      // Old objects unchanged (all but the catalog), pages intact.
      for (const [key, entry] of Object.entries(before)) {
        const m = /^obj:(\d+) (\d+) R$/.exec(key);
        if (m === null || entry.value === undefined) continue;
        const ref = new PdfRef(Number(m[1]), Number(m[2]));
        if (ref.equals(doc.trailer.get('Root') as PdfRef)) continue;
        assert.deepEqual(q[key]?.value, entry.value, key);
      }
      assert.equal(runTool('qpdf', ['--show-npages', p2]).stdout, runTool('qpdf', ['--show-npages', paths[flavour]]).stdout);
      // A second judge: poppler reads the updated file without a syntax error or repair.
      const info = runTool('pdfinfo', [p2]);
      assert.equal(info.status, 0, info.stderr);
      assert.doesNotMatch(info.stderr, /Syntax Error|Error/);
      assert.match(info.stdout, new RegExp(`Pages:\\s+${first.doc.pages().length}\\b`));
      // §14.4: /ID keeps its first element and gets a new second one.
      const id0 = first.doc.resolve(first.doc.trailer.get('ID')) as PdfObject[] | undefined;
      const id2 = doc.resolve(doc.trailer.get('ID')) as PdfString[];
      if (id0 !== undefined) assert.deepEqual((id0[0] as PdfString).bytes, id2[0]!.bytes);
      assert.notDeepEqual(id2[1]!.bytes, (doc.resolve(first.doc.trailer.get('ID')) as PdfString[] | undefined)?.[1]?.bytes);
    });
  }

  it('writes /Prev to the previous startxref and never copies /XRefStm', (t) => {
    if (!requireTools(t, 'qpdf') || paths === undefined) return;
    const original = new Uint8Array(readFileSync(paths.hybrid));
    const { bytes, doc } = update(original, 'Prev');
    const updated = PdfDocument.open(bytes);
    assert.equal(updated.trailer.get('Prev'), doc.startxref);
    assert.equal(updated.trailer.has('XRefStm'), false);
    assert.equal(updated.xrefKind, 'table');
  });

  it('writes a minimal compressed xref stream after a stream section', (t) => {
    if (!requireTools(t, 'qpdf') || paths === undefined) return;
    const original = new Uint8Array(readFileSync(paths.xrefStream));
    const { bytes } = update(original, 'Stream');
    const doc = PdfDocument.open(bytes);
    assert.equal(doc.xrefKind, 'stream');
    assert.equal(doc.trailer.getName('Filter'), 'FlateDecode');
    assert.deepEqual(doc.trailer.get('W'), [1, 2, 1]);
  });

  it('starts the update on a new line when the original does not end with one', () => {
    const pdf = makeBasePdf();
    const trimmed = pdf.subarray(0, pdf.length - 1);
    const doc = PdfDocument.open(trimmed);
    const w = new IncrementalWriter(doc);
    w.set(w.allocate(), 42);
    const { bytes, offsets } = w.build();
    assert.equal(bytes[0], 0x0a);
    assert.equal([...offsets.values()][0], trimmed.length + 1);
    const again = PdfDocument.open(concatBytes([trimmed, bytes]));
    assert.equal(again.getObject(new PdfRef(doc.size, 0)), 42);
  });

  it('rejects object numbers that cannot be written', () => {
    const w = new IncrementalWriter(PdfDocument.open(makeBasePdf()));
    assert.throws(() => w.set(new PdfRef(0, 0), null), { code: 'ERR_PDF_WRITER' });
    assert.throws(() => w.set(new PdfRef(-3, 0), null), { code: 'ERR_PDF_WRITER' });
  });
});
