/** Seeded mutation fuzzing of valid files (DOS-12 truncation, DOS-13 mutations): only PdfError, never a hang or another exception. */
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { concatBytes } from '../../src/core/bytes.js';
import { IncrementalWriter, PdfDocument, PdfError, PdfRef, PdfStream } from '../../src/pdf/index.js';
import { addHandWrittenUpdate, makeBasePdf, makeHybridPdf } from '../support/pdf-fixtures.js';
import { hasTool, runTool } from '../support/tools.js';
import { seededRandom } from '../support/seeded-random.js';


/** Everything a signer does with a file: open, walk pages, read and decode every object, write an update. */
function exercise(bytes: Uint8Array): void {
  const doc = PdfDocument.open(bytes, { limits: { maxMillis: 2000, maxDecodedStreamBytes: 4 << 20 } });
  for (const p of doc.pages()) doc.inheritedPageAttribute(p.dict, 'MediaBox');
  doc.loadAllObjects();
  for (const [num, loc] of doc.objectLocations()) {
    const o = doc.getObject(new PdfRef(num, loc.kind === 'offset' ? loc.gen : 0));
    if (o instanceof PdfStream) {
      try {
        doc.decodeStream(o);
      } catch (e) {
        if (!(e instanceof PdfError)) throw e;
      }
    }
  }
  const w = new IncrementalWriter(doc);
  w.set(w.allocate(), 1);
  const root = doc.trailer.get('Root');
  if (root instanceof PdfRef) w.set(root, doc.catalog.clone());
  const out = concatBytes([bytes, w.build().bytes]);
  PdfDocument.open(out).pages();
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = src.slice();
  const kind = Math.floor(r() * 5);
  const at = Math.floor(r() * b.length);
  switch (kind) {
    case 0: // flip a few bytes
      for (let k = 0; k < 1 + Math.floor(r() * 8); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      return b;
    case 1: // delete a chunk
      return concatBytes([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(r() * 64)))]);
    case 2: // duplicate a chunk
      return concatBytes([b.subarray(0, at), b.subarray(at, at + Math.floor(r() * 200)), b.subarray(at)]);
    case 3: {
      // edit a number: replace a digit run with another number
      let i = at;
      while (i < b.length && !(b[i]! >= 0x30 && b[i]! <= 0x39)) i++;
      let j = i;
      while (j < b.length && b[j]! >= 0x30 && b[j]! <= 0x39) j++;
      const n = [0, 1, 9, 65535, 2 ** 31, 2 ** 53, 999999999999][Math.floor(r() * 7)]!;
      return concatBytes([b.subarray(0, i), new TextEncoder().encode(String(n)), b.subarray(j)]);
    }
    default: {
      // splice a hostile token
      const tokens = ['[', '<<', '>>', ')', '(', 'endstream', 'endobj', ' 1 0 R ', 'stream\n', '/Length 9 0 R', 'xref', 'trailer'];
      return concatBytes([b.subarray(0, at), new TextEncoder().encode(tokens[Math.floor(r() * tokens.length)]!), b.subarray(at)]);
    }
  }
}

const bases: Record<string, Uint8Array> = {
  classic: makeBasePdf({ pages: 3 }),
  incremental: addHandWrittenUpdate(makeBasePdf({ pages: 2 })),
  hybrid: makeHybridPdf(),
  field: makeBasePdf({ signatureField: 'Signature1', pageTreeFanout: 2, pages: 5 }),
};

/** With qpdf present, the cross-reference-stream and object-stream flavours are fuzzed too. */
function addQpdfBases(): void {
  if (!hasTool('qpdf')) return;
  const dir = mkdtempSync(join(tmpdir(), 'signet-fuzz-'));
  try {
    writeFileSync(join(dir, 'in.pdf'), bases['field']!);
    for (const [name, args] of [
      ['objectStreams', ['--object-streams=generate']],
      ['linearizedObjStm', ['--linearize', '--object-streams=generate']],
    ] as const) {
      const r = runTool('qpdf', [join(dir, 'in.pdf'), ...args, join(dir, `${name}.pdf`)]);
      if (r.status === 0) bases[name] = new Uint8Array(readFileSync(join(dir, `${name}.pdf`)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
addQpdfBases();

/** Codes seen, for the report of a run. */
export const seen = new Map<string, number>();

function expectOnlyPdfError(bytes: Uint8Array, label: string): void {
  const t0 = performance.now();
  try {
    exercise(bytes);
    seen.set('ok', (seen.get('ok') ?? 0) + 1);
  } catch (e) {
    if (e instanceof PdfError) seen.set(e.code, (seen.get(e.code) ?? 0) + 1);
    assert.ok(e instanceof PdfError, `${label}: ${e instanceof Error ? e.stack : String(e)}`);
    assert.match(e.code, /^ERR_PDF_/);
  }
  assert.ok(performance.now() - t0 < 2000, `${label}: took too long`);
}

describe('DOS-12/13 malformed files only ever raise PdfError', () => {
  it('the unmutated bases exercise cleanly', () => {
    for (const [name, b] of Object.entries(bases)) assert.doesNotThrow(() => exercise(b), name);
  });

  it('truncations at 64 evenly spaced lengths', () => {
    for (const [name, b] of Object.entries(bases)) {
      for (let k = 0; k < 64; k++) expectOnlyPdfError(b.subarray(0, Math.floor((b.length * k) / 64)), `${name} truncated at ${k}/64`);
    }
  });

  it('seeded mutations (400, or SIGNET_FUZZ_CASES): byte flips, chunk delete/duplicate, number edits, token splices', () => {
    const names = Object.keys(bases);
    const count = Number(process.env['SIGNET_FUZZ_CASES'] ?? 400);
    for (let seed = 1; seed <= count; seed++) {
      const r = seededRandom(seed);
      const name = names[seed % names.length]!;
      let b = bases[name]!;
      const rounds = 1 + Math.floor(r() * 3);
      for (let k = 0; k < rounds; k++) b = mutate(b, r);
      expectOnlyPdfError(b, `seed ${seed} (${name})`);
    }
  });
});
