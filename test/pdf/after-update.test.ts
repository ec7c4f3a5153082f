/**
 * PdfDocument.afterUpdate (ISO 32000-1 §7.5.6): the document with an incremental update appended
 * reads exactly as a fresh open of the combined bytes — revisions, trailer, index, every object,
 * warnings and ambiguities in the same order — on every file flavour, an encrypted file, a chain
 * of two updates and the cases that send it back to reading the whole chain (a recovered file, an
 * update whose /Prev does not chain, a hybrid /XRefStm, a startxref inside the original); and it
 * does not read the original's cross-reference sections again when the update chains to them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { concatBytes } from '../../src/core/bytes.js';
import {
  IncrementalWriter,
  PdfDict,
  PdfDocument,
  PdfName,
  PdfRef,
  PdfStream,
  PdfString,
  bytesSource,
  serializeObject,
  type ByteSource,
  type PdfObject,
} from '../../src/pdf/index.js';
import { makeBasePdf, makePdfFlavours, makeRawPdf, pdfFlavours, type PdfFlavour } from '../support/pdf-fixtures.js';
import { hasTool, requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

const latin = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const text = (o: PdfObject | undefined): string => (o === undefined ? 'undefined' : Buffer.from(serializeObject(o)).toString('latin1'));

/** What a reader sees of a document: its index and trailer, then (loading every object) each object. */
function view(doc: PdfDocument): Record<string, unknown> {
  const opened = {
    header: doc.header,
    length: doc.length,
    startxref: doc.startxref,
    size: doc.size,
    xrefKind: doc.xrefKind,
    isRecovered: doc.isRecovered,
    revisions: doc.revisions,
    trailer: text(doc.trailer),
    catalog: text(doc.catalog),
    encrypted: doc.encryption !== undefined,
    warnings: doc.warnings,
    ambiguities: doc.ambiguities,
  };
  doc.loadAllObjects();
  const objects = [...doc.objectLocations()].map(([num, loc]) => [num, loc, text(doc.getObject(new PdfRef(num, loc.kind === 'offset' ? loc.gen : 0)))]);
  return { opened, objects, warnings: doc.warnings, ambiguities: doc.ambiguities };
}

/** An update like a DSS update: a new stream, a new dictionary and the catalog pointing at them. */
function dssLikeUpdate(doc: PdfDocument, tag: string): Uint8Array {
  const w = new IncrementalWriter(doc);
  const a = w.allocate();
  const b = w.allocate();
  w.set(a, new PdfStream(new PdfDict(), new TextEncoder().encode(`stream for ${tag}`)));
  w.set(b, PdfDict.of({ Type: PdfName.of('DSS'), Certs: [a], Tag: PdfString.fromText(tag) }));
  const root = doc.trailer.get('Root');
  assert.ok(root instanceof PdfRef);
  w.set(root, doc.catalog.clone().set('DSS', b));
  return w.build().bytes;
}

/** What opening gives: the document, or the code of the error it throws. */
function attempt(open: () => PdfDocument): PdfDocument | string {
  try {
    return open();
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
}

/**
 * Asserts that `base.afterUpdate(update)` reads as `PdfDocument.open(base ‖ update)` (or fails
 * with the same error); returns the derived document.
 */
function assertSameAsFresh(base: PdfDocument, original: Uint8Array, update: Uint8Array, password?: string): PdfDocument | string {
  const derived = attempt(() => base.afterUpdate(update));
  const fresh = attempt(() => PdfDocument.open(concatBytes([original, update]), password === undefined ? {} : { password }));
  if (typeof derived === 'string' || typeof fresh === 'string') assert.equal(derived, fresh);
  else assert.deepEqual(view(derived), view(fresh));
  return derived;
}

function opened(doc: PdfDocument | string): PdfDocument {
  assert.ok(typeof doc !== 'string', doc as string);
  return doc;
}

/** A source that records the offsets it is asked to read. */
function recording(bytes: Uint8Array): { source: ByteSource; reads: number[] } {
  const inner = bytesSource(bytes);
  const reads: number[] = [];
  return { reads, source: { length: inner.length, read: (offset, length) => (reads.push(offset), inner.read(offset, length)) } };
}

describe('PdfDocument.afterUpdate reads as a fresh open of the combined bytes (ISO 32000-1 §7.5.6)', () => {
  let dir = '';
  let paths: Record<PdfFlavour, string> | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-after-update-'));
    if (hasTool('qpdf')) paths = await makePdfFlavours(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const flavour of pdfFlavours) {
    it(`${flavour}: one update, then a second over the derived document`, (t) => {
      if (!requireTools(t, 'qpdf') || paths === undefined) return;
      const original = new Uint8Array(readFileSync(paths[flavour]));
      const { source, reads } = recording(original);
      const base = PdfDocument.open(source);
      const first = dssLikeUpdate(base, 'one');
      reads.length = 0;
      base.afterUpdate(first);
      // The original's newest section is not read again (a recovered original is scanned again).
      if (!base.isRecovered) assert.ok(!reads.includes(base.startxref), `reads: ${reads.join(', ')}`);
      const derived = opened(assertSameAsFresh(base, original, first));
      const second = dssLikeUpdate(derived, 'two');
      assertSameAsFresh(derived, concatBytes([original, first]), second);
    });
  }

  it('does not read the original cross-reference sections again when the update chains to them', () => {
    const original = makeBasePdf({ pages: 2, text: 'chained' });
    const { source, reads } = recording(original);
    const base = PdfDocument.open(source);
    assert.ok(reads.includes(base.startxref), 'opening reads the section at startxref');
    reads.length = 0;
    const derived = base.afterUpdate(dssLikeUpdate(base, 'one'));
    assert.equal(derived.revisions.length, 2);
    assert.ok(!reads.includes(base.startxref), `read again at ${base.startxref}: ${reads.join(', ')}`);
  });

  it('an encrypted file (AES-256, R6) with a password: the update is read decrypted as a fresh open reads it', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const tmp = tempDir(t, 'signet-after-update-enc-');
    const plain = join(tmp, 'plain.pdf');
    const out = join(tmp, 'enc.pdf');
    writeFileSync(plain, makeBasePdf({ text: 'Encrypted page text' }));
    const r = runTool('qpdf', ['--encrypt', 'user-pw', 'owner-pw', '256', '--', plain, out]);
    assert.equal(r.status, 0, r.stderr);
    const original = new Uint8Array(readFileSync(out));
    const base = PdfDocument.open(original, { password: 'user-pw' });
    const derived = opened(assertSameAsFresh(base, original, dssLikeUpdate(base, 'encrypted'), 'user-pw'));
    assert.equal(derived.encryption?.revision, 6);
  });

  it('a recovered original, an update not chaining by /Prev, a hybrid /XRefStm and a startxref inside the original read the whole chain, as a fresh open does', () => {
    const original = makeBasePdf({ text: 'fallbacks' });
    const base = PdfDocument.open(original);
    const sx = base.startxref;
    const size = base.size;
    const root = base.trailer.get('Root') as PdfRef;
    const at = original.length;
    const obj = `${size} 0 obj\n<</Tag (x)>>\nendobj\n`;
    const table = (prev: string, extra = ''): string =>
      `xref\n${size} 1\n${String(at).padStart(10, '0')} 00000 n\r\ntrailer\n<</Size ${size + 1} /Root ${root.num} 0 R${prev}${extra}>>\nstartxref\n${at + obj.length}\n%%EOF\n`;
    // No /Prev: the update's section stands alone (the original's objects are missing from it).
    assertSameAsFresh(base, original, latin(obj + table('')));
    // /Prev pointing elsewhere than the original's startxref.
    assertSameAsFresh(base, original, latin(obj + table(` /Prev ${sx - 1}`)));
    // A hybrid section: its /XRefStm is read with the chain (here one that loops, and one that is not a section).
    assert.match(assertSameAsFresh(base, original, latin(obj + table(` /Prev ${sx}`, ` /XRefStm ${sx}`))) as string, /ERR_PDF_XREF_LOOP/);
    assert.equal(opened(assertSameAsFresh(base, original, latin(obj + table(` /Prev ${sx}`, ' /XRefStm 9')))).isRecovered, true);
    // startxref pointing back into the original.
    assertSameAsFresh(base, original, latin(`\n${obj}startxref\n${sx}\n%%EOF\n`));
    // A recovered original (its startxref damaged).
    const damaged = latin(Buffer.from(original).toString('latin1').replace(/startxref\s+\d+/, 'startxref\n7'));
    const recovered = PdfDocument.open(damaged);
    assert.equal(recovered.isRecovered, true);
    assertSameAsFresh(recovered, damaged, dssLikeUpdate(recovered, 'recovered'));
  });

  it('ambiguities and warnings of the original sections come after the update\'s, in the order a fresh open finds them', () => {
    // Object 2 listed twice in one section (PDF-27), and a table numbered from 1 (a warning).
    const pdf = Buffer.from(makeRawPdf(['<</Type /Catalog /Pages 2 0 R>>', '<</Type /Pages /Kids [] /Count 0>>'], '<</Size 3 /Root 1 0 R>>')).toString('latin1');
    const xrefAt = pdf.indexOf('xref\n');
    const lines = pdf.slice(xrefAt).split('\n');
    const dup = [lines[0], '1 3', lines[2], lines[3], lines[4], '2 1', lines[3], ...lines.slice(5)].join('\n');
    const original = latin(pdf.slice(0, xrefAt) + dup);
    const base = PdfDocument.open(original);
    assert.ok(base.ambiguities.length > 0 && base.warnings.length > 0, `${base.ambiguities.join('; ')} / ${base.warnings.join('; ')}`);
    const derived = opened(assertSameAsFresh(base, original, dssLikeUpdate(base, 'ambiguous')));
    assert.ok(derived.ambiguities.some((m) => /object 2 appears twice/.test(m)));
    assert.ok(derived.warnings.some((m) => /numbered from 1/.test(m)));
  });

  it('an original section without %%EOF after it: its revision ends where a fresh open of the combined bytes says', () => {
    const pdf = Buffer.from(makeBasePdf({ text: 'no eof' })).toString('latin1').replace(/%%EOF\s*$/, '');
    const original = latin(pdf);
    const base = PdfDocument.open(original);
    assert.equal(base.revisions[0]?.endOffset, original.length);
    const derived = opened(assertSameAsFresh(base, original, dssLikeUpdate(base, 'eof')));
    assert.ok(derived.revisions[1]!.endOffset > original.length, 'the older revision now ends at the update\'s %%EOF, as a fresh open reads it');
  });
});
